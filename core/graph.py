"""Graphs: the forward operator graph of a model and the training graph built from it.

Both are plain, immutable data. Node ids are positions in a topological order; names are for display
and for mapping back to ONNX nodes and ``nn.Module`` paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


@dataclass(frozen=True)
class TensorInfo:
    """A tensor of the model: name, static shape, element type and size."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    size_bytes: int


@dataclass(frozen=True)
class Operator:
    """One operator of the forward data path (views and shape arithmetic already folded away).

    Attributes
    ----------
    id:
        Position in :attr:`ModelGraph.operators` (a topological order).
    name:
        ONNX node name (generated as ``<op_type>_<index>`` when the file has none).
    inputs:
        Ids of the operators whose outputs this one reads (data path only, no duplicates).
    input_tensors, outputs:
        Activation tensors read and written (parameters are counted in ``param_bytes``).
    param_bytes, param_count:
        Size and element count of the initializers (weights) this operator reads.
    flops:
        Floating-point operations of one forward evaluation (multiply-add = 2).
    bytes_accessed:
        Bytes read and written by one forward evaluation (activations and weights).
    module_scope:
        ``nn.Module`` path such as ``layer1.0.conv1`` when the export records it, else ``""``.
    folded:
        Names of the ONNX view nodes (Reshape, Flatten, ...) folded into this operator.
    cost_known:
        False when no FLOP rule knows ``op_type`` and a conservative estimate was used.
    opaque:
        True for control flow (If/Loop/Scan) kept as one node.
    """

    id: int
    name: str
    op_type: str
    inputs: tuple[int, ...]
    input_tensors: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    param_bytes: int = 0
    param_count: int = 0
    flops: float = 0.0
    bytes_accessed: float = 0.0
    module_scope: str = ""
    folded: tuple[str, ...] = ()
    cost_known: bool = True
    opaque: bool = False
    random: bool = False

    @property
    def output_bytes(self) -> int:
        return sum(t.size_bytes for t in self.outputs)


@dataclass(frozen=True)
class ModelGraph:
    """The forward data path of a model, as imported from ONNX."""

    name: str
    source: str
    operators: tuple[Operator, ...]
    graph_inputs: tuple[TensorInfo, ...]
    graph_outputs: tuple[TensorInfo, ...]
    onnx_node_count: int
    param_bytes: int
    param_count: int
    dims: tuple[tuple[str, int], ...] = ()
    opset: int = 0
    unknown_op_types: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def activation_bytes(self) -> int:
        """Bytes of all operator outputs of one forward pass (what training would keep)."""
        return sum(op.output_bytes for op in self.operators)


class NodeKind(StrEnum):
    FORWARD = "forward"
    LOSS = "loss"
    BACKWARD = "backward"


@dataclass(frozen=True)
class TrainingNode:
    """One node of the training graph: it reads ``deps`` and produces one buffer of ``size_bytes``.

    ``cost_s`` is a device-independent cost given by the graph file (benchmark graphs carry profiled
    costs); ``device_cost_s`` overrides it per device name. ``param_state_bytes`` tells where the
    graph's static memory comes from: the weights an operator trains, with their gradients and optimizer
    state, which must be resident wherever the operator (or its backward node) runs. Without either, costs come from the
    roofline model over ``flops`` and ``bytes_accessed`` (see :mod:`core.costs`).
    """

    id: int
    name: str
    kind: NodeKind
    op_type: str
    size_bytes: int
    deps: tuple[int, ...]
    flops: float = 0.0
    bytes_accessed: float = 0.0
    forward_id: int | None = None
    onnx_name: str = ""
    module_scope: str = ""
    random: bool = False
    cost_s: float | None = None
    device_cost_s: tuple[tuple[str, float], ...] = ()
    shapes: tuple[tuple[int, ...], ...] = ()
    #: Bytes this node's parameters hold for the whole step: weights, gradients and optimizer state
    #: (forward nodes of operators with weights; part of the graph's ``static_bytes``, where a weight
    #: shared by two operators counts once, here in both).
    param_state_bytes: int = 0


@dataclass(frozen=True)
class TrainingGraph:
    """Forward nodes, one loss node, backward nodes, in a topological order (ids are positions).

    ``static_bytes`` is memory held for the whole step: parameters, their gradients and the
    optimizer state. It is charged to the memory of the device that computes (see the problem).
    """

    name: str
    nodes: tuple[TrainingNode, ...]
    static_bytes: int = 0
    param_bytes: int = 0
    source: str = ""
    optimizer: str = "sgd"
    warnings: tuple[str, ...] = ()
    #: Per-node, per-link copy-cost overrides: ((node, src_memory, dst_memory, time_s), ...).
    copy_cost_s: tuple[tuple[int, str, str, float], ...] = field(default=())
    #: Per-edge overrides of the time of a remote read over a direct-access link (XEngine prices every
    #: edge): ((node, reader, src_memory, dst_memory, time_s), ...).
    read_cost_s: tuple[tuple[int, int, str, str, float], ...] = field(default=())

    def __post_init__(self) -> None:
        for position, node in enumerate(self.nodes):
            if node.id != position:
                raise ValueError(f"node {node.name!r} has id {node.id} at position {position}")
            for dep in node.deps:
                if not 0 <= dep < position:
                    raise ValueError(f"node {node.name!r} reads node {dep}, which does not precede it")

    def __len__(self) -> int:
        return len(self.nodes)

    @cached_property
    def users(self) -> tuple[tuple[int, ...], ...]:
        """``users[i]``: ids of the nodes that read node i, ascending."""
        users: list[list[int]] = [[] for _ in self.nodes]
        for node in self.nodes:
            for dep in node.deps:
                users[dep].append(node.id)
        return tuple(tuple(u) for u in users)

    @cached_property
    def edge_count(self) -> int:
        return sum(len(node.deps) for node in self.nodes)

    def forward_nodes(self) -> tuple[TrainingNode, ...]:
        return tuple(n for n in self.nodes if n.kind is NodeKind.FORWARD)

    def backward_nodes(self) -> tuple[TrainingNode, ...]:
        return tuple(n for n in self.nodes if n.kind is NodeKind.BACKWARD)


def working_set_bytes(graph: TrainingGraph, node_id: int) -> int:
    """Bytes that must be resident while ``node_id`` runs: its inputs and its output."""
    node = graph.nodes[node_id]
    return node.size_bytes + sum(graph.nodes[d].size_bytes for d in set(node.deps))


def min_feasible_budget(graph: TrainingGraph) -> int:
    """The smallest budget any schedule could fit: largest single-node working set plus static memory."""
    if not graph.nodes:
        return graph.static_bytes
    return graph.static_bytes + max(working_set_bytes(graph, n.id) for n in graph.nodes)


def no_recompute_peak(graph: TrainingGraph) -> int:
    """Peak memory of the plain order (each node once, ids ascending), buffers freed after last use.

    Memory convention shared by the simulator and every stage-based solver: a node's output is
    allocated while its inputs are still resident; after the node runs, the inputs it was the last
    reader of (and its own output, if nothing reads it) are freed.
    """
    last_use = [i for i in range(len(graph.nodes))]
    for node in graph.nodes:
        for dep in node.deps:
            last_use[dep] = max(last_use[dep], node.id)
    resident = graph.static_bytes
    peak = resident
    for node in graph.nodes:
        resident += node.size_bytes
        peak = max(peak, resident)
        for buf in {*node.deps, node.id}:
            if last_use[buf] == node.id:
                resident -= graph.nodes[buf].size_bytes
    return peak
