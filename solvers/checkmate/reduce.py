"""Size and numeric reductions that keep the optimum of the Checkmate MILP.

Only exact rescalings are applied by default:

* **Bytes**: every buffer size is divided by the greatest common divisor of all sizes, and the
  capacity (budget minus static memory) becomes ``floor(capacity / unit)``. A sum of multiples of
  ``unit`` is at most the capacity exactly when it is at most that floor, so the feasible set is
  unchanged, and every memory row has integer data (a violation is at least one unit, far above any
  solver tolerance).
* **Costs**: integer-valued costs (profiled benchmark graphs) are divided by their gcd; other costs
  are divided by their mean positive value, which changes no decision (a pure change of units).
  Objectives, bounds and progress are multiplied back by ``cost_unit`` before anyone sees them.

Not done (documented so nobody assumes it): folding nodes into their producers and fusing
element-wise chains. Fusing changes the working set of the fused node (the intermediate buffer is
alive while the next node runs), so it needs its own decoding; ``fuse_elementwise`` is accepted in
``options.params`` and reported as not applied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Costs whose quotient by their gcd would exceed this are not treated as integers (numerics).
MAX_INTEGER_COST_UNITS = 1e9


@dataclass(frozen=True)
class Scaling:
    """Units of the scaled model: ``bytes = units * byte_unit``, ``cost = value * cost_unit``."""

    byte_unit: int
    cost_unit: float
    sizes: np.ndarray  # scaled sizes (float64 holding integers)
    capacity: float  # scaled capacity (budget minus static), floor-rounded
    costs: np.ndarray  # scaled costs


def _gcd(values: np.ndarray) -> int:
    g = 0
    for v in values:
        g = math.gcd(g, int(v))
    return g


def _cost_unit(costs: np.ndarray) -> float:
    positive = costs[costs > 0]
    if positive.size == 0:
        return 1.0
    if np.all(np.equal(np.round(positive), positive)):
        g = _gcd(np.round(positive).astype(np.int64))
        if g > 0 and positive.max() / g <= MAX_INTEGER_COST_UNITS:
            return float(g)
    return float(positive.mean())


def scale(sizes_bytes: np.ndarray, capacity_bytes: int, costs: np.ndarray) -> Scaling:
    """Exact rescaling of sizes, capacity and costs (see the module docstring)."""
    sizes = np.asarray(sizes_bytes, dtype=np.int64)
    unit = _gcd(sizes[sizes > 0]) or 1
    cost_unit = _cost_unit(np.asarray(costs, dtype=float))
    return Scaling(
        byte_unit=unit,
        cost_unit=cost_unit,
        sizes=(sizes // unit).astype(float),
        capacity=float(math.floor(capacity_bytes / unit)),
        costs=np.asarray(costs, dtype=float) / cost_unit,
    )
