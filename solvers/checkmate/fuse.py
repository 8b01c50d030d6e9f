"""Fusing cheap element-wise chains into one node before solving (an option: not exact).

A forward element-wise node whose only reader is another forward element-wise node is fused into
it; chains (and in-trees, such as two element-wise inputs of one Add) fuse whole. The fused node
costs the sum of its members, outputs the chain's last buffer and, while it runs, also holds the
intermediate buffers of the chain (``extra_bytes``, charged in the model's budget check for that
node only; its inputs are held for the whole chain), so every schedule of the fused graph expands
into a valid schedule of the original one. What is lost: the intermediate buffers can no longer be checkpoints,
and a chain is always recomputed whole, so the optimum may rise (never fall). In return the model has
fewer stages, which on transformer-like graphs full of small element-wise ops matters most.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from core.costs import CostTable
from core.graph import NodeKind, TrainingGraph, TrainingNode
from core.problem import SchedulingProblem
from core.schedule import Compute, Free, Schedule, Step

#: Operator types treated as cheap element-wise maps.
ELEMENTWISE = frozenset({
    "Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Gelu", "FastGelu",
    "Elu", "Selu", "Celu", "Softplus", "Erf", "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Abs", "Clip",
    "Add", "Sub", "Mul", "Div", "Pow", "Cast", "Identity",
})


@dataclass(frozen=True, eq=False)
class Fusion:
    """The fused problem, the transient bytes of each fused node and its members (ascending ids).

    ``reader[m]``: the member that reads member m (the tail reads none inside its group).
    """

    problem: SchedulingProblem
    extra_bytes: np.ndarray
    groups: tuple[tuple[int, ...], ...]
    reader: dict[int, int]

    def expand(self, schedule: Schedule) -> Schedule:
        """A schedule of the fused problem as a schedule of the original one-device problem."""
        steps: list[Step] = []
        for step in schedule.steps:
            members = self.groups[step.node]
            if isinstance(step, Free):
                steps.append(Free(members[-1], step.memory))
                continue
            assert isinstance(step, Compute)
            for member in members:
                steps.append(Compute(member, step.device))
                # Members whose only reader just ran are dead.
                steps += [Free(p, 0) for p in members if self.reader.get(p) == member]
        return Schedule(tuple(steps))


def fusable(graph: TrainingGraph, node: TrainingNode) -> bool:
    """Whether ``node`` is fused into its only reader (see the module docstring)."""
    readers = graph.users[node.id]
    if node.random or len(readers) != 1 or not _elementwise(node):
        return False
    return _elementwise(graph.nodes[readers[0]])


def fuse_elementwise(problem: SchedulingProblem) -> Fusion | None:
    """Fuse the element-wise chains of a one-device problem; None when there is nothing to fuse."""
    graph = problem.graph
    tail = list(range(len(graph.nodes)))
    for node in reversed(graph.nodes):
        if fusable(graph, node):
            tail[node.id] = tail[graph.users[node.id][0]]
    if tail == list(range(len(graph.nodes))):
        return None
    tails = sorted(set(tail))
    new_id = {t: k for k, t in enumerate(tails)}
    groups = tuple(tuple(i for i in range(len(graph.nodes)) if tail[i] == t) for t in tails)
    nodes = tuple(_fused_node(graph, k, members, tail, new_id) for k, members in enumerate(groups))
    fused = TrainingGraph(name=f"{graph.name} (fused)", nodes=nodes, static_bytes=graph.static_bytes,
                          param_bytes=graph.param_bytes, source=graph.source, optimizer=graph.optimizer)
    reader = {i: graph.users[i][0] for i in range(len(graph.nodes)) if tail[i] != i}
    extra = np.array([_extra_bytes(graph, members, reader) for members in groups], dtype=np.int64)
    costs = _fused_costs(problem.costs, groups)
    return Fusion(dataclasses.replace(problem, graph=fused, costs=costs), extra, groups, reader)


def _elementwise(node: TrainingNode) -> bool:
    return node.kind is NodeKind.FORWARD and node.op_type in ELEMENTWISE


def _fused_node(graph: TrainingGraph, k: int, members: tuple[int, ...], tail: list[int],
                new_id: dict[int, int]) -> TrainingNode:
    last = graph.nodes[members[-1]]
    external = {new_id[tail[d]] for m in members for d in graph.nodes[m].deps if d not in members}
    return dataclasses.replace(
        last, id=k, name="+".join(graph.nodes[m].name for m in members), deps=tuple(sorted(external)),
        random=any(graph.nodes[m].random for m in members), cost_s=None, device_cost_s=(),
    )


def _extra_bytes(graph: TrainingGraph, members: tuple[int, ...], reader: dict[int, int]) -> int:
    """Bytes beyond the last output held while the group runs in id order (the expansion's peak)."""
    live = peak = 0
    for m in members:
        live += graph.nodes[m].size_bytes
        peak = max(peak, live)
        live -= sum(graph.nodes[p].size_bytes for p in members if reader.get(p) == m)
    return max(0, peak - graph.nodes[members[-1]].size_bytes)


def _fused_costs(costs: CostTable, groups: tuple[tuple[int, ...], ...]) -> CostTable:
    def rows(table: np.ndarray) -> np.ndarray:
        return np.stack([table[list(g)].sum(axis=0) for g in groups])

    def cols(table: np.ndarray) -> np.ndarray:
        return np.stack([table[:, list(g)].sum(axis=1) for g in groups], axis=1) if len(table) else \
            np.zeros((0, len(groups)))

    return CostTable(rows(costs.compute_time_s), rows(costs.compute_energy_j),
                     cols(costs.copy_time_s), cols(costs.copy_energy_j))
