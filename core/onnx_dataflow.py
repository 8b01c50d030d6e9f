"""From the nodes of an ONNX graph (as plain records) to the forward data path (:class:`ModelGraph`).

Pure Python: :mod:`core.onnx_import` reads the file and hands over :class:`RawNode` records, tensor
types and initializers; this module decides what is data path and what is shape arithmetic, folds
views, and prices every operator with :mod:`core.onnx_ops`.

Rules
-----
- A tensor is *static* when it does not depend on a graph input's values: initializers, Constant
  outputs, Shape/Size outputs, and the outputs of any node whose inputs are all static (shape
  arithmetic on int64, weight ``Identity``/``Transpose``, ConstantOfShape, causal-mask building).
  Static nodes cost nothing at training time (a compiler folds them) and are not operators.
- Everything else is the data path: it depends on a graph input. An embedding ``Gather`` of a float
  table by ``input_ids`` is data path because ``input_ids`` is a graph input.
- Pure views (Reshape, Flatten, Squeeze, Unsqueeze, Identity) on the data path are folded into the
  operator that produced their input (its ``folded`` lists them); a view of a graph input vanishes.
- Parameters are the float initializers an operator reads, directly or through static nodes, except
  scalars (exporters store folded constants such as ``1/sqrt(d)`` as initializers) and the running
  statistics of BatchNormalization (buffers, not trained; PyTorch's parameter counts leave them out
  too). Constant-node values are never parameters: exporters put trainable weights in initializers.
- Control flow (If, Loop, Scan) on the data path is one opaque operator whose cost is an estimate.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from core.errors import RematError
from core.graph import ModelGraph, Operator, TensorInfo
from core.onnx_ops import UNKNOWN_FLOPS_PER_ELEMENT, NodeShapes, numel, op_cost

VIEW_OPS = frozenset({"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"})
CONTROL_FLOW_OPS = frozenset({"If", "Loop", "Scan"})
#: Nodes without data inputs that still produce fresh data each run.
_RANDOM_SOURCES = frozenset({"RandomNormal", "RandomUniform", "Multinomial", "Bernoulli"})
_SHAPE_READERS = frozenset({"Shape", "Size"})
#: (op type, input position) pairs that read buffers rather than trained parameters.
_BUFFER_INPUTS = frozenset({("BatchNormalization", 3), ("BatchNormalization", 4)})
NAME_SCOPES_KEY = "pkg.torch.onnx.name_scopes"
_LOOKUPS = frozenset({"Gather", "GatherElements", "GatherND"})


@dataclass(frozen=True)
class RawNode:
    """One node of the main graph, as plain data."""

    index: int
    name: str
    op_type: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: Mapping[str, object] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    #: Outer-scope tensors read inside the node's subgraphs (If/Loop/Scan bodies).
    implicit_inputs: tuple[str, ...] = ()
    domain: str = ""


@dataclass(frozen=True)
class RawTensor:
    """Type of a tensor: static shape (None when unknown) and element type."""

    shape: tuple[int, ...] | None
    dtype: str
    bits: int

    @property
    def size_bytes(self) -> int:
        return 0 if self.shape is None else math.ceil(numel(self.shape) * self.bits / 8)


@dataclass(frozen=True)
class RawInitializer:
    dims: tuple[int, ...]
    dtype: str
    bits: int
    is_float: bool


def topological(nodes: Sequence[RawNode]) -> list[RawNode]:
    """``nodes`` in an order where producers come first (files should be sorted; not all are)."""
    produced = {o: n.index for n in nodes for o in n.outputs if o}
    position = {n.index: i for i, n in enumerate(nodes)}
    needs = {n.index: {produced[i] for i in (*n.inputs, *n.implicit_inputs) if i in produced} for n in nodes}
    if all(position[p] < position[n.index] for n in nodes for p in needs[n.index]):
        return list(nodes)
    by_index = {n.index: n for n in nodes}
    order: list[RawNode] = []
    done: set[int] = set()
    stack = [(n.index, False) for n in reversed(nodes)]
    while stack:  # iterative depth-first post-order, stable for already-sorted parts
        index, expanded = stack.pop()
        if index in done:
            continue
        if expanded:
            done.add(index)
            order.append(by_index[index])
            continue
        stack.append((index, True))
        stack.extend((p, False) for p in sorted(needs[index], reverse=True) if p not in done)
    return order


def static_tensors(nodes: Sequence[RawNode], initializers: Mapping[str, RawInitializer]) -> set[str]:
    """Names of the tensors that do not depend on any graph input's values (see module rules)."""
    static: set[str] = set(initializers)
    for node in nodes:
        reads = [n for n in (*node.inputs, *node.implicit_inputs) if n]
        if node.op_type in _RANDOM_SOURCES:
            continue
        if node.op_type == "Constant" or node.op_type in _SHAPE_READERS or all(n in static for n in reads):
            static.update(o for o in node.outputs if o)
    return static


def data_path_tensors(nodes: Sequence[RawNode], static: set[str]) -> set[str]:
    """Every tensor a data-path node reads or writes that is not static."""
    names: set[str] = set()
    for node in nodes:
        if _is_data_node(node, static):
            names.update(n for n in (*node.inputs, *node.outputs) if n and n not in static)
    return names


def _is_data_node(node: RawNode, static: set[str]) -> bool:
    return any(o and o not in static for o in node.outputs)


def module_scope(node: RawNode) -> str:
    """``nn.Module`` path of a node: dynamo metadata first, then legacy ``/a/a.0/conv/Conv`` names."""
    scopes = node.metadata.get(NAME_SCOPES_KEY)
    if scopes:
        try:
            entries = ast.literal_eval(scopes)
        except (ValueError, SyntaxError):
            entries = None
        # ["", "layer1", "layer1.0", "layer1.0.conv1", "<fx node name>"]: the module is second to last.
        if isinstance(entries, list) and len(entries) >= 2:
            return str(entries[-2])
    return legacy_scope(node.name)


def legacy_scope(name: str) -> str:
    """``/layer1/layer1.0/conv1/Conv`` -> ``layer1.0.conv1``; names without ``/`` have no scope.

    The legacy exporter suffixes repeated calls of one module with ``_N``; the suffix is dropped, so a
    module whose own name ends in ``_<digits>`` maps to its stem (rare in practice).
    """
    if not name.startswith("/"):
        return ""
    path, last = "", ""
    for raw in name.strip("/").split("/")[:-1]:
        # A module called again gets "_1", "_2", ... (ResNet's shared relu: /layer1/layer1.0/relu_1/Relu).
        part = re.sub(r"_\d+$", "", raw)
        if last and part.startswith(last + "."):
            # Children of a Sequential carry their parent's name: /layer1/layer1.0/conv1.
            path += part[len(last):]
        else:
            path = f"{path}.{part}" if path else part
        last = part
    return path


class _Builder:
    """Walks the data-path nodes once and emits operators."""

    def __init__(self, tensors: Mapping[str, RawTensor], inits: Mapping[str, RawInitializer],
                 static: set[str], nodes: Sequence[RawNode], source: str = "") -> None:
        self.source = source
        self.tensors, self.inits, self.static = tensors, inits, static
        self.static_producer = {o: n for n in nodes if not _is_data_node(n, static) for o in n.outputs}
        self.alias: dict[str, str] = {}
        self.producer: dict[str, int] = {}
        self.operators: list[Operator] = []
        self.folded: dict[int, list[str]] = {}
        self.param_roots: set[str] = set()
        self.unknown: dict[str, int] = {}
        self.warnings: list[str] = []
        self._roots_memo: dict[str, frozenset[str]] = {}

    def info(self, name: str) -> TensorInfo:
        raw = self.tensors.get(name)
        if raw is None or raw.shape is None:
            return TensorInfo(name, (), raw.dtype if raw else "unknown", 0)
        return TensorInfo(name, raw.shape, raw.dtype, raw.size_bytes)

    def shape(self, name: str) -> tuple[int, ...] | None:
        if name in self.inits:
            return self.inits[name].dims
        raw = self.tensors.get(name)
        return raw.shape if raw else None

    def roots(self, name: str) -> frozenset[str]:
        """Float initializers (parameters) a static tensor is computed from."""
        if name not in self._roots_memo:
            init = self.inits.get(name)
            node = self.static_producer.get(name)
            if init is not None:
                found = frozenset({name}) if init.is_float and numel(init.dims) > 1 else frozenset()
            elif node is not None and node.op_type not in _SHAPE_READERS:
                found = frozenset().union(*(self.roots(i) for i in node.inputs if i))
            else:
                found = frozenset()
            self._roots_memo[name] = found
        return self._roots_memo[name]

    def add_view(self, node: RawNode) -> None:
        source = self.alias.get(node.inputs[0], node.inputs[0])
        before, after = self.shape(node.inputs[0]), self.shape(node.outputs[0])
        if before is not None and after is not None and numel(before) != numel(after):
            # Exports traced at one size sometimes bake that size into reshape targets.
            raise RematError(
                f"{self.source}: node {node.name!r} reshapes {before} to {after}; the model does not "
                "support these dimension values (it was probably exported with fixed sizes: bind the "
                "dimensions to the values it was exported with)")
        self.alias[node.outputs[0]] = source
        if source in self.producer:
            self.folded.setdefault(self.producer[source], []).append(node.name)

    def add_operator(self, node: RawNode) -> None:
        deps: list[int] = []
        reads: list[TensorInfo] = []
        params: set[str] = set()
        for position, name in enumerate((*node.inputs, *node.implicit_inputs)):
            if not name:
                continue
            if name in self.static:
                if (node.op_type, position) not in _BUFFER_INPUTS:
                    params |= self.roots(name)
                continue
            source = self.alias.get(name, name)
            if source in self.producer and self.producer[source] not in deps:
                deps.append(self.producer[source])
            if all(t.name != source for t in reads):
                reads.append(self.info(source))
        op_id = len(self.operators)
        outputs = tuple(self.info(o) for o in node.outputs if o)
        for out in outputs:
            self.producer[out.name] = op_id
        self.param_roots |= params
        self.operators.append(self._price(node, op_id, tuple(deps), tuple(reads), outputs, params))

    def _price(self, node: RawNode, op_id: int, deps: tuple[int, ...], reads: tuple[TensorInfo, ...],
               outputs: tuple[TensorInfo, ...], params: set[str]) -> Operator:
        shapes = NodeShapes(node.op_type, tuple(self.shape(i) if i else None for i in node.inputs),
                            tuple(self.shape(o) if o else None for o in node.outputs), node.attrs)
        opaque = node.op_type in CONTROL_FLOW_OPS
        cost = op_cost(shapes)
        if not cost.cost_known and not opaque:
            self.unknown[node.op_type] = self.unknown.get(node.op_type, 0) + 1
        param_bytes = sum(math.ceil(numel(self.inits[p].dims) * self.inits[p].bits / 8) for p in params)
        written = sum(t.size_bytes for t in outputs)
        static_read = sum(self._static_bytes(i) for i in node.inputs if i in self.static)
        if node.op_type in _LOOKUPS:
            static_read = min(static_read, written)  # an embedding lookup reads the rows it returns
        moved = sum(t.size_bytes for t in reads) + written + static_read
        return Operator(
            id=op_id, name=node.name, op_type=node.op_type, inputs=deps, input_tensors=reads,
            outputs=outputs, param_bytes=param_bytes,
            param_count=sum(numel(self.inits[p].dims) for p in params), flops=cost.flops,
            bytes_accessed=float(moved), module_scope=module_scope(node), cost_known=cost.cost_known,
            opaque=opaque, random=cost.random,
        )

    def _static_bytes(self, name: str) -> int:
        if name in self.inits:
            init = self.inits[name]
            return math.ceil(numel(init.dims) * init.bits / 8)
        raw = self.tensors.get(name)
        return raw.size_bytes if raw else 0


def build_model_graph(
    *, name: str, source: str, nodes: Sequence[RawNode], tensors: Mapping[str, RawTensor],
    initializers: Mapping[str, RawInitializer], graph_inputs: Sequence[str], graph_outputs: Sequence[str],
    dims: Mapping[str, int], opset: int, static: set[str] | None = None, warnings: Sequence[str] = (),
) -> ModelGraph:
    """The forward data path of the graph made of ``nodes`` (see the module rules)."""
    static = static_tensors(nodes, initializers) if static is None else static
    builder = _Builder(tensors, initializers, static, nodes, source)
    for node in nodes:
        if not _is_data_node(node, static):
            continue
        if node.op_type in VIEW_OPS and node.inputs and node.inputs[0] not in static:
            builder.add_view(node)
        else:
            builder.add_operator(node)
    operators = tuple(replace(op, folded=tuple(builder.folded.get(op.id, ()))) for op in builder.operators)
    notes = list(warnings)
    for op_type, count in sorted(builder.unknown.items()):
        notes.append(f"no cost rule for op type {op_type!r} ({count} node(s)): estimated at "
                     f"{UNKNOWN_FLOPS_PER_ELEMENT:g} FLOPs per output element")
    for op in operators:
        if op.opaque:
            notes.append(f"control-flow node {op.name!r} ({op.op_type}) is kept as one opaque operator; "
                         "its cost is an estimate")
    params = builder.param_roots
    return ModelGraph(
        name=name, source=source, operators=operators,
        graph_inputs=tuple(builder.info(n) for n in graph_inputs),
        graph_outputs=tuple(builder.info(n) for n in graph_outputs),
        onnx_node_count=len(nodes),
        param_bytes=sum(math.ceil(numel(initializers[p].dims) * initializers[p].bits / 8) for p in params),
        param_count=sum(numel(initializers[p].dims) for p in params),
        dims=tuple(sorted(dims.items())), opset=opset,
        unknown_op_types=tuple(sorted(builder.unknown)), warnings=tuple(notes),
    )
