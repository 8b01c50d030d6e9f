"""Remat Studio core: model import, training graph, system, costs, problem, schedule, simulator, export.

Pure Python plus NumPy. Never imports Qt or a solver library (enforced by the import contract).
"""
