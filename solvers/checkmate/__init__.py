"""Exact rematerialization on one device: the Checkmate stage MILP and its LP-rounding approximation.

- :mod:`~solvers.checkmate.reduce`: the instance in scaled units and the reductions that keep the optimum
- :mod:`~solvers.checkmate.formulation`: the tightened stage model (arrays, no solver library)
- :mod:`~solvers.checkmate.published`: the published model, for cross-checks and the benchmark baseline
- :mod:`~solvers.checkmate.space`: the one-device problem, pre-checks, candidates checked by the simulator
- :mod:`~solvers.checkmate.starts`, :mod:`~solvers.checkmate.lp_rounding`: first schedules
- :mod:`~solvers.checkmate.rounds`, :mod:`~solvers.checkmate.pipeline`: threshold rounds and the solve
- :mod:`~solvers.checkmate.highs_backend`, :mod:`~solvers.checkmate.scip_backend`: the only modules
  that import highspy and pyscipopt ("checkmate-highs", "checkmate-scip")
- :mod:`~solvers.checkmate.fuse`: optional fusion of cheap element-wise chains (not exact)
"""
