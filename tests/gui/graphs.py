"""Training graphs and loaded-model stand-ins for the window tests (built by hand)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.graph import NodeKind, TrainingGraph, TrainingNode
from core.system import System


def mirrored_graph(length: int, size: int = 1000, *, branches: int = 1, static_bytes: int = 0) -> TrainingGraph:
    """A forward chain of ``length`` blocks (each ``branches`` wide, joined by an Add), a loss and the
    mirrored backward chain; scopes ``block<i>`` so the graph can be collapsed."""
    nodes: list[TrainingNode] = []

    def add(name: str, kind: NodeKind, op: str, deps: tuple[int, ...], fwd: int | None = None,
            scope: str = "") -> int:
        nodes.append(TrainingNode(id=len(nodes), name=name, kind=kind, op_type=op, size_bytes=size, deps=deps,
                                  flops=1e6, bytes_accessed=3.0 * size, forward_id=fwd, onnx_name=f"/{scope}/{op}",
                                  module_scope=scope, cost_s=1e-3, shapes=((8, size // 8),)))
        return len(nodes) - 1

    prev = add("input_conv", NodeKind.FORWARD, "Conv", (), scope="stem")
    forward = [prev]
    for i in range(length):
        scope = f"block{i}"
        heads = [add(f"{scope}.conv{b}", NodeKind.FORWARD, "Conv", (prev,), scope=f"{scope}.conv{b}")
                 for b in range(branches)]
        relus = [add(f"{scope}.relu{b}", NodeKind.FORWARD, "Relu", (h,), scope=f"{scope}.relu{b}") for b, h in
                 enumerate(heads)]
        prev = add(f"{scope}.add", NodeKind.FORWARD, "Add", tuple(relus), scope=scope) if branches > 1 else relus[0]
        forward += heads + relus + ([prev] if branches > 1 else [])
    loss = add("loss", NodeKind.LOSS, "CrossEntropyLoss", (prev,))
    grad = loss
    for f in reversed(forward):
        node = nodes[f]
        grad = add(f"{node.name}.grad", NodeKind.BACKWARD, f"{node.op_type}Grad", (grad, f, *node.deps[:1]), fwd=f,
                   scope=node.module_scope)
    return TrainingGraph(name=f"mirrored{length}", nodes=tuple(nodes), static_bytes=static_bytes)


@dataclass
class FakeLoaded:
    """What ``core.model_io.open_model`` returns, for loaders injected into the session."""

    training: TrainingGraph
    model: object = None
    system: System | None = None
    budgets: dict[str, int] = field(default_factory=dict)
    path: Path = Path("fake.json")


def onnx_named_graph() -> TrainingGraph:
    """Three forward nodes named the way PyTorch's ONNX exporter names them, a loss, their gradients."""
    specs = [
        ("/layer1/layer1.0/bn1/BatchNormalization", "BatchNormalization", "layer1.0.bn1"),
        ("/transformer/h.11/attn/Transpose_1", "Transpose", "transformer.h.11.attn"),
        ("/model/decoder/layers.11/mlp/c_proj/Gemm", "Gemm", "model.decoder.layers.11.mlp.c_proj"),
    ]
    nodes = [TrainingNode(id=i, name=name, kind=NodeKind.FORWARD, op_type=op, size_bytes=100,
                          deps=(i - 1,) if i else (), onnx_name=name, module_scope=scope)
             for i, (name, op, scope) in enumerate(specs)]
    nodes.append(TrainingNode(id=3, name="loss", kind=NodeKind.LOSS, op_type="Loss", size_bytes=4, deps=(2,)))
    for f in (2, 1, 0):
        fwd = nodes[f]
        nodes.append(TrainingNode(id=len(nodes), name=f"{fwd.name}.grad", kind=NodeKind.BACKWARD,
                                  op_type=f"{fwd.op_type}Grad", size_bytes=100, deps=(len(nodes) - 1, f),
                                  forward_id=f, onnx_name=fwd.onnx_name, module_scope=fwd.module_scope))
    return TrainingGraph(name="onnx-named", nodes=tuple(nodes))
