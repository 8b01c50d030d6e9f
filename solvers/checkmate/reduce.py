"""The one-device problem in the units the formulations use, and the reductions that keep its optimum.

Exact by construction (applied always):

* **Bytes**: every size (and fused transient size) is divided by the greatest common divisor of all of
  them, and the capacity (budget minus static memory) becomes ``floor(capacity / unit)``. A sum of
  multiples of ``unit`` is at most the capacity exactly when it is at most that floor, so the
  feasible set is unchanged and every memory row counts integers.
* **Costs**: integer-valued costs (profiled benchmark graphs) are divided by their gcd, which keeps
  them integers (the MILP solvers then prune with unit steps); other costs are divided by their mean
  positive value, a pure change of units. Everything reported is multiplied back by ``cost_unit``.

Exact dominance reductions (:func:`recompute_mask`, :func:`last_read`), each argued where it is made:

* a buffer of zero bytes is never recomputed (keeping it costs nothing);
* with a known schedule of cost ``UB``, a node whose cost is at least ``UB - L0`` is never
  recomputed in a strictly better schedule (``L0`` = every node once);
* a node that is never recomputed is a fixed checkpoint from its stage to its last reader, and a
  buffer is never held or recomputed after the last stage that can read it.

Not exact, and off by default: fusing cheap element-wise chains (:mod:`solvers.checkmate.fuse`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.graph import TrainingGraph

#: Costs whose quotient by their gcd would exceed this are not treated as integers (numerics).
MAX_INTEGER_COST_UNITS = 1e9


@dataclass(frozen=True, eq=False)
class Instance:
    """One device's rematerialization problem in scaled units (see the module docstring).

    Attributes
    ----------
    deps, users:
        Inputs and readers of each node, deduplicated and ascending (ids are a topological order).
    sizes, extra:
        Output bytes of each node, and bytes held only while the node itself runs (the intermediate
        buffers of a fused chain; zero otherwise), both in units of ``byte_unit``.
    capacity:
        Budget minus static memory, in units of ``byte_unit`` (floored).
    costs:
        Objective cost of each node divided by ``cost_unit``.
    """

    deps: tuple[tuple[int, ...], ...]
    users: tuple[tuple[int, ...], ...]
    sizes: np.ndarray
    extra: np.ndarray
    capacity: int
    costs: np.ndarray
    byte_unit: int
    cost_unit: float

    @property
    def n(self) -> int:
        return len(self.deps)

    @property
    def trivial_bound(self) -> float:
        """``L0``: every node computed exactly once, the least any schedule costs (scaled units)."""
        return float(self.costs.sum())


def build_instance(
    graph: TrainingGraph, costs: np.ndarray, capacity_bytes: int, *,
    extra_bytes: np.ndarray | None = None, exact_scaling: bool = True,
) -> Instance:
    """The scaled instance of ``graph`` with per-node ``costs`` and ``capacity_bytes`` of room.

    ``exact_scaling=False`` keeps bytes and costs as they are (the published model, for comparison).
    """
    sizes = np.array([node.size_bytes for node in graph.nodes], dtype=np.int64)
    extra = np.zeros(len(sizes), dtype=np.int64) if extra_bytes is None else np.asarray(extra_bytes, np.int64)
    costs = np.asarray(costs, dtype=float)
    byte_unit = (_gcd(np.concatenate([sizes[sizes > 0], extra[extra > 0]])) or 1) if exact_scaling else 1
    cost_unit = _cost_unit(costs) if exact_scaling else 1.0
    deps = tuple(tuple(sorted(set(node.deps))) for node in graph.nodes)
    users: list[list[int]] = [[] for _ in deps]
    for k, inputs in enumerate(deps):
        for i in inputs:
            users[i].append(k)
    return Instance(
        deps=deps, users=tuple(tuple(u) for u in users), sizes=sizes // byte_unit, extra=extra // byte_unit,
        capacity=math.floor(capacity_bytes / byte_unit), costs=costs / cost_unit, byte_unit=int(byte_unit),
        cost_unit=cost_unit,
    )


def recompute_mask(instance: Instance, theta: float = math.inf) -> np.ndarray:
    """Nodes that may be recomputed: cost below ``theta`` (scaled units) and a buffer of some bytes.

    With ``theta = UB - L0`` for a known schedule of cost ``UB``, no strictly better schedule is lost:
    it costs at least ``L0 + c_i`` once it recomputes node i, so every node it recomputes has
    ``c_i < UB - L0``. A buffer of zero bytes held from its first computation to its last reader
    costs no memory, so recomputing it can always be replaced by keeping it.
    """
    return (instance.costs < theta) & (instance.sizes > 0)


def last_read(instance: Instance, recomputable: np.ndarray) -> np.ndarray:
    """``last[i]``: the last stage in which buffer i can be read (i itself when nothing reads it).

    Stage t reads i only when it computes a reader j of i: its frontier (t = j) or a recomputation
    of j, which happens no later than ``last[j]`` and only if j may be recomputed. Holding or
    computing i after ``last[i]`` is useless: dropping such entries, from the last stage backwards,
    keeps every dependency and lowers cost and memory, so some optimum has none of them.
    """
    last = np.arange(instance.n)
    for i in range(instance.n - 1, -1, -1):
        for j in instance.users[i]:
            last[i] = max(last[i], last[j] if recomputable[j] else j)
    return last


def forced_until(instance: Instance, recomputable: np.ndarray) -> np.ndarray:
    """``until[i]``: a node never recomputed must be a checkpoint in every stage ``i < t <= until[i]``.

    Its frontier readers j need it in stage j (``S[j,i] = 1``), and without recomputation
    persistence keeps a checkpoint only if it was one in the stage before, back to stage i + 1.
    ``until[i] = i`` (nothing forced) for recomputable nodes and nodes nobody reads.
    """
    until = np.arange(instance.n)
    for i in np.flatnonzero(~np.asarray(recomputable, dtype=bool)):
        if instance.users[i]:
            until[i] = max(instance.users[i])
    return until


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
