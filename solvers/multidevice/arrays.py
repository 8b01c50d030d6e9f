"""The several-device MILP as arrays (no solver library here): the model record and byte units.

:mod:`solvers.multidevice.formulation` fills a :class:`solvers.array_model.ArrayBuilder` with columns
and named row families; the backends read a :class:`MultiDeviceMilp`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import reduce

import numpy as np

from core.problem import SchedulingProblem
from solvers.array_model import MilpArrays

#: Largest number of byte units a memory row may count before bytes are quantized (rounded up).
MAX_UNITS = 2**24


@dataclass(frozen=True, eq=False)
class MultiDeviceMilp(MilpArrays):
    """A MILP as arrays: ``min cost @ x`` subject to ``row_lower <= matrix @ x <= row_upper``.

    ``cost`` is in the problem's units (seconds or joules). ``R``, ``S`` and ``X`` map (device or
    memory or link, stage, node) to column indices, -1 where the variable does not exist (fixed 0).
    """

    R: np.ndarray
    S: np.ndarray
    X: np.ndarray
    byte_unit: int
    #: Buffer sizes in byte units (rounded up), as the memory rows count them.
    size_units: np.ndarray
    #: ``U[m,t,k]`` column of each device memory's row at position k of stage t, -1 elsewhere.
    U: np.ndarray
    #: One row per FREE column: (column, memory, stage, buffer, position).
    frees: np.ndarray
    #: One row per Y column (remote read): (column, link, stage, reader, input).
    reads: np.ndarray
    #: One row per P column (weights placement): (column, memory, owner node).
    weights: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), dtype=np.int64))
    #: ``Q[m]`` column per memory (-1 where none).
    weight_use: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    col_kinds: dict[str, tuple[int, int]] = field(default_factory=dict)

    def stats(self) -> dict[str, object]:
        """Model size, for the result's ``stats`` and the logs."""
        return {
            "stages": int(self.R.shape[1]),
            **self.size_stats(),
            "byte_unit": self.byte_unit,
            "row_families": {name: stop - start for name, start, stop in self.families},
        }


def byte_unit(problem: SchedulingProblem) -> int:
    """The byte unit of the memory rows: the gcd of all sizes and budgets, coarser for huge memories.

    A budget above static memory plus every buffer at once never binds, so it is capped there first:
    a terabyte storage memory must not coarsen the unit of a kilobyte SRAM.
    """
    total = sum(n.size_bytes for n in problem.graph.nodes)
    budgets = [min(b, s + total) for b, s in zip(problem.budgets_bytes, problem.static_bytes, strict=True)]
    values = [n.size_bytes for n in problem.graph.nodes] + budgets + list(problem.static_bytes)
    if problem.place_parameters:
        values += [n.param_state_bytes for n in problem.graph.nodes]
    g = reduce(math.gcd, [int(v) for v in values if v > 0], 0) or 1
    biggest = max(budgets, default=1)
    return max(g, math.ceil(biggest / MAX_UNITS))
