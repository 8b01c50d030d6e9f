"""A stage MILP as plain arrays, shared by both formulations and both backends (no solver library here).

``min cost @ x`` subject to ``row_lower <= matrix @ x <= row_upper`` and column bounds; ``R`` and
``S`` map (stage, node) to the column of ``R[t,i]`` / ``S[t,i]`` (-1 where the variable is fixed to
0 and left out). Objective values inside the model are in the instance's scaled units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.array_model import ArrayBuilder, MilpArrays

#: Memory rows are divided so that the capacity is about this many units (solver numerics); a
#: violation of one byte unit stays far above the solvers' feasibility tolerances.
MEMORY_ROW_RANGE = 1e4


@dataclass(frozen=True, eq=False)
class StageModel(MilpArrays):
    """The arrays of one stage MILP.

    Attributes
    ----------
    R, S:
        ``(n, n)`` column index of ``R[t,i]`` and ``S[t,i]``, -1 where the variable is absent (0).
    frees:
        ``(m, 4)`` rows ``(column, t, i, k)``: ``FREE[t,i,k]``, buffer i freed in stage t after node k.
    memory:
        ``(m, 3)`` rows ``(column, t, k)``: ``U[t,k]``, in stage order then position order.
    mem:
        Coefficient of each node's buffer in the memory rows (bytes / (byte_unit * mem_scale)).
    """

    n: int
    R: np.ndarray
    S: np.ndarray
    frees: np.ndarray
    memory: np.ndarray
    mem: np.ndarray
    mem_scale: float
    name: str = "tightened"

    def stats(self) -> dict[str, object]:
        """Model size, for the result's ``stats`` and the logs."""
        return {
            "formulation": self.name, **self.size_stats(),
            "recomputable_pairs": int(((self.R >= 0) & ~np.eye(self.n, dtype=bool)).sum()),
        }

    def decode(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Boolean ``R`` and ``S`` (n x n) of a solution vector."""
        R = np.zeros((self.n, self.n), dtype=bool)
        S = np.zeros((self.n, self.n), dtype=bool)
        has_r, has_s = self.R >= 0, self.S >= 0
        R[has_r] = x[self.R[has_r]] > 0.5
        S[has_s] = x[self.S[has_s]] > 0.5
        return R, S

    def objective(self, x: np.ndarray) -> float:
        return float(self.cost @ x)


class ModelBuilder(ArrayBuilder):
    """Columns and rows of a stage model, with the index arrays that decode it; builds a :class:`StageModel`."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.R = -np.ones((n, n), dtype=np.int64)
        self.S = -np.ones((n, n), dtype=np.int64)
        self.frees: list[tuple[int, int, int, int]] = []
        self.memory: list[tuple[int, int, int]] = []

    def finish(self, mem: np.ndarray, mem_scale: float, name: str) -> StageModel:
        return StageModel(
            n=self.n, R=self.R, S=self.S, **self.arrays(),
            frees=np.array(self.frees, dtype=np.int64).reshape(-1, 4),
            memory=np.array(self.memory, dtype=np.int64).reshape(-1, 3), mem=mem, mem_scale=mem_scale, name=name,
        )


def memory_scale(capacity: int) -> float:
    """Divisor of the memory rows: brings the capacity to about :data:`MEMORY_ROW_RANGE` units."""
    return max(1.0, capacity / MEMORY_ROW_RANGE)


def memory_limit(capacity: int, mem_scale: float) -> float:
    """Right-hand side of the memory rows: half a byte unit above the capacity.

    Every memory sum is an integer number of byte units, so ``<= capacity + 0.5`` admits exactly the
    sums ``<= capacity`` and leaves a margin far wider than any solver tolerance.
    """
    return (capacity + 0.5) / mem_scale
