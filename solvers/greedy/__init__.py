"""``greedy``: DTR-style eviction with list-scheduled placement, copies, paging and energy.

See :mod:`solvers.greedy.driver` for the algorithm; this package's entry point is :func:`solve`.
"""

from __future__ import annotations

from solvers.greedy.driver import solve

__all__ = ["solve"]
