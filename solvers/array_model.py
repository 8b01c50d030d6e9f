"""The shape both MILP families share (one device, several devices), as the backends read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True, eq=False)
class MilpArrays:
    """A MILP as arrays: ``min cost @ x`` with column bounds and ``row_lower <= matrix @ x <= row_upper``.

    What the backends read; the one-device and several-device model records extend it with the index
    arrays that decode a solution."""

    cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integral: np.ndarray
    matrix: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    #: ``(name, first_row, stop_row)`` of each constraint family, named as in FORMULATIONS.md.
    families: tuple[tuple[str, int, int], ...]

    @property
    def n_cols(self) -> int:
        return len(self.cost)

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    def size_stats(self) -> dict[str, object]:
        """Columns, integer columns, rows and nonzeros, for results' ``stats`` and the logs."""
        return {"columns": self.n_cols, "integer_columns": int(self.integral.sum()), "rows": self.n_rows,
                "nonzeros": int(self.matrix.nnz)}


class ArrayBuilder:
    """Columns and rows collected in flat lists and assembled into arrays once (both MILP families).

    Rows come in named families (for statistics and messages): either close one with
    :meth:`close_family` (rows from a given index up to now) or open one with :meth:`start_family`
    (rows until the next start or :meth:`end_family`).
    """

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
        self._open: tuple[str, int] | None = None

    def col(self, cost: float, lower: float = 0.0, upper: float = 1.0, integral: bool = True) -> int:
        """A new column; returns its index."""
        self.cost.append(cost)
        self.lower.append(lower)
        self.upper.append(upper)
        self.integral.append(integral)
        return len(self.cost) - 1

    def row(self, terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        """The row ``lower <= sum(value * x[col] for col, value in terms) <= upper``."""
        index = len(self.row_lower)
        for col, val in terms:
            self.rows.append(index)
            self.cols.append(col)
            self.vals.append(val)
        self.row_lower.append(lower)
        self.row_upper.append(upper)

    def close_family(self, name: str, first_row: int) -> None:
        """Rows ``first_row`` up to the current end make up family ``name``."""
        if len(self.row_lower) > first_row:
            self.families.append((name, first_row, len(self.row_lower)))

    def start_family(self, name: str) -> None:
        """Rows added from now until the next start (or :meth:`end_family`) make up family ``name``."""
        self.end_family()
        self._open = (name, len(self.row_lower))

    def end_family(self) -> None:
        if self._open is not None:
            self.close_family(*self._open)
            self._open = None

    def arrays(self) -> dict[str, Any]:
        """The :class:`MilpArrays` fields, as keyword arguments of a model record."""
        self.end_family()
        matrix = sp.csr_matrix(
            (np.array(self.vals), (np.array(self.rows, dtype=np.int64), np.array(self.cols, dtype=np.int64))),
            shape=(len(self.row_lower), len(self.cost)),
        )
        return {"cost": np.array(self.cost), "col_lower": np.array(self.lower), "col_upper": np.array(self.upper),
                "integral": np.array(self.integral, dtype=bool), "matrix": matrix,
                "row_lower": np.array(self.row_lower), "row_upper": np.array(self.row_upper),
                "families": tuple(self.families)}
