"""Several devices: placement, recomputation, copies and paging as one MILP (XEngine + POET).

:mod:`~solvers.multidevice.formulation` builds the model as arrays, :mod:`~solvers.multidevice.decode`
turns a solution into steps, and each backend module (HiGHS, SCIP) is the only importer of its
library. :mod:`~solvers.multidevice.xengine_reference` keeps the published quadratic model (cvxpy)
for cross-checks on small graphs.
"""
