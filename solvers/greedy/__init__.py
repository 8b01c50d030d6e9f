"""``greedy``: DTR-style eviction with list-scheduled placement, copies, paging and energy.

See :mod:`solvers.greedy.driver` for the algorithm; this package's entry point is :func:`solve`.
"""

from __future__ import annotations

from solvers.greedy.driver import solve, warm_start_schedule

__all__ = ["solve", "warm_start_schedule"]
