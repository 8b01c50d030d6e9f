"""The several-device MILP as arrays (no solver library here): the model record and its builder.

:mod:`solvers.multidevice.formulation` fills a :class:`_Builder` with columns and named row families;
the backends read a :class:`MultiDeviceMilp`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import reduce

import numpy as np
import scipy.sparse as sp

from core.problem import SchedulingProblem

#: Largest number of byte units a memory row may count before bytes are quantized (rounded up).
MAX_UNITS = 2**24


@dataclass(frozen=True, eq=False)
class MultiDeviceMilp:
    """A MILP as arrays: ``min cost @ x`` subject to ``row_lower <= matrix @ x <= row_upper``.

    ``cost`` is in the problem's units (seconds or joules). ``R``, ``S`` and ``X`` map (device or
    memory or link, stage, node) to column indices, -1 where the variable does not exist (fixed 0).
    ``families`` names each constraint family as in FORMULATIONS.md with its row range.
    """

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integral: np.ndarray
    matrix: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    families: tuple[tuple[str, int, int], ...]
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

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    def stats(self) -> dict[str, object]:
        """Model size, for the result's ``stats`` and the logs."""
        return {
            "stages": int(self.R.shape[1]),
            "columns": self.n_cols,
            "integer_columns": int(self.integral.sum()),
            "rows": self.n_rows,
            "nonzeros": int(self.matrix.nnz),
            "byte_unit": self.byte_unit,
            "row_families": {name: stop - start for name, start, stop in self.families},
        }


class Builder:
    """Columns and rows collected in flat lists, turned into arrays once."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integral: list[bool] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self.families: list[tuple[str, int, int]] = []
        self._family: tuple[str, int] | None = None

    def col(self, cost: float, upper: float = 1.0, integral: bool = True) -> int:
        self.cost.append(cost)
        self.lower.append(0.0)
        self.upper.append(upper)
        self.integral.append(integral)
        return len(self.cost) - 1

    def row(self, terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        index = len(self.row_lower)
        for col, val in terms:
            self.rows.append(index)
            self.cols.append(col)
            self.vals.append(val)
        self.row_lower.append(lower)
        self.row_upper.append(upper)

    def family(self, name: str) -> None:
        """Start the constraint family ``name`` (rows added until the next call belong to it)."""
        self.end_family()
        self._family = (name, len(self.row_lower))

    def end_family(self) -> None:
        if self._family is not None:
            name, start = self._family
            if len(self.row_lower) > start:
                self.families.append((name, start, len(self.row_lower)))
            self._family = None


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
