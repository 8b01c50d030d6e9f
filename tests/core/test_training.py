"""The training graph: what each backward node reads, gradient flow, static memory, costs."""

from __future__ import annotations

import pytest

from core.errors import RematError
from core.graph import ModelGraph, NodeKind, Operator, TensorInfo, no_recompute_peak
from core.onnx_import import load_onnx
from core.paths import MODELS_DIR
from core.training import build_training_graph, static_memory_bytes
from tests.core import onnx_cases

F32 = "float"


def t(name: str, elements: int) -> TensorInfo:
    return TensorInfo(name, (elements,), F32, 4 * elements)


def op(i: int, op_type: str, inputs: tuple[int, ...], reads: tuple[TensorInfo, ...], out: TensorInfo,
       *, params: int = 0, flops: float = 100.0) -> Operator:
    return Operator(id=i, name=f"{op_type.lower()}{i}", op_type=op_type, inputs=inputs, input_tensors=reads,
                    outputs=(out,), param_bytes=params, param_count=params // 4, flops=flops,
                    bytes_accessed=float(out.size_bytes))


def model(ops: list[Operator], *, inputs: tuple[TensorInfo, ...] = (), outputs: tuple[TensorInfo, ...] = ()
          ) -> ModelGraph:
    return ModelGraph(name="m", source="m.onnx", operators=tuple(ops), graph_inputs=inputs,
                      graph_outputs=outputs or ops[-1].outputs, onnx_node_count=len(ops),
                      param_bytes=sum(o.param_bytes for o in ops), param_count=sum(o.param_count for o in ops))


X = t("x", 10)


def mlp() -> ModelGraph:
    """x -> Gemm(W1) -> Relu -> Gemm(W2) -> Add(skip from Relu) -> y."""
    h, r, g, y = t("h", 20), t("r", 20), t("g", 20), t("y", 20)
    return model([
        op(0, "Gemm", (), (X,), h, params=800),
        op(1, "Relu", (0,), (h,), r),
        op(2, "Gemm", (1,), (r,), g, params=1600),
        op(3, "Add", (2, 1), (g, r), y),
    ], inputs=(X,))


def by_name(graph, name: str):  # type: ignore[no-untyped-def]
    return next(n for n in graph.nodes if n.name == name)


def test_layout_forward_loss_backward() -> None:
    graph = build_training_graph(mlp())
    kinds = [n.kind for n in graph.nodes]
    assert kinds == [NodeKind.FORWARD] * 4 + [NodeKind.LOSS] + [NodeKind.BACKWARD] * 4
    assert [n.forward_id for n in graph.backward_nodes()] == [3, 2, 1, 0]
    assert by_name(graph, "loss").deps == (3,)


def test_each_backward_node_reads_what_its_formula_needs() -> None:
    graph = build_training_graph(mlp())
    loss = 4
    add, gemm2, relu, gemm1 = 5, 6, 7, 8
    assert graph.nodes[add].deps == (loss,)  # Add: nothing from the forward pass
    assert graph.nodes[gemm2].deps == (add, 1)  # Gemm: its input (the Relu output)
    # Relu's output gradient sums what Gemm2 and the Add send back; Relu reads its own output.
    assert graph.nodes[relu].deps == (gemm2, add, 1)
    # The first layer's input is the batch (static): it reads only the gradient.
    assert graph.nodes[gemm1].deps == (relu,)


def test_forward_buffers_no_backward_reads_die_after_the_forward_pass() -> None:
    graph = build_training_graph(mlp())
    readers = {d for n in graph.backward_nodes() for d in n.deps if graph.nodes[d].kind is NodeKind.FORWARD}
    assert readers == {1}  # the Gemm outputs and the Add output are never read by backward


def test_gradient_sizes_match_their_inputs() -> None:
    graph = build_training_graph(mlp())
    assert by_name(graph, "add3.grad").size_bytes == 80 + 80  # gradients of g and r
    assert by_name(graph, "gemm0.grad").size_bytes == 0  # no input needs a gradient: weights only
    assert by_name(graph, "relu1.grad").size_bytes == 80


def test_backward_flops_follow_per_op_rules() -> None:
    graph = build_training_graph(mlp())
    assert by_name(graph, "gemm2.grad").flops == pytest.approx(200.0)  # input and weight gradients
    assert by_name(graph, "gemm0.grad").flops == pytest.approx(100.0)  # weight gradient only


@pytest.mark.parametrize(("optimizer", "copies"), [("sgd", 2), ("momentum", 3), ("adam", 4)])
def test_static_memory_by_optimizer(optimizer: str, copies: int) -> None:
    graph = build_training_graph(mlp(), optimizer)
    assert graph.static_bytes == copies * 2400 + X.size_bytes
    assert graph.optimizer == optimizer and graph.param_bytes == 2400
    # Where it lives: each operator's weights with their gradients and optimizer state.
    assert [n.param_state_bytes for n in graph.forward_nodes()] == [copies * 800, 0, copies * 1600, 0]
    assert all(n.param_state_bytes == 0 for n in graph.nodes if n.kind is not NodeKind.FORWARD)


def test_unknown_optimizer_is_a_user_error() -> None:
    with pytest.raises(RematError, match="valid optimizers: sgd, momentum, adam"):
        static_memory_bytes(10, "lion")


def test_bilinear_ops_read_their_operands_only_between_activations() -> None:
    a, b, c = t("a", 4), t("b", 4), t("c", 4)
    graph = build_training_graph(model([
        op(0, "Gemm", (), (X,), a, params=40),
        op(1, "Tanh", (0,), (a,), b),
        op(2, "Mul", (0, 1), (a, b), c),  # two activations: reads both
        op(3, "Mul", (2,), (c,), t("d", 4)),  # by a constant: reads nothing
    ]))
    assert set(by_name(graph, "mul2.grad").deps) >= {0, 1}
    assert by_name(graph, "mul3.grad").deps == (4,)


def test_unknown_op_reads_inputs_and_output_and_warns() -> None:
    a, b = t("a", 4), t("b", 4)
    graph = build_training_graph(model([op(0, "Gemm", (), (X,), a, params=40), op(1, "FancyNorm", (0,), (a,), b)]))
    assert set(by_name(graph, "fancynorm1.grad").deps) == {2, 0, 1}
    assert any("FancyNorm" in w for w in graph.warnings)


def test_dead_branches_and_input_preprocessing_get_no_backward_node() -> None:
    a, b, c = t("a", 4), t("b", 4), t("c", 4)
    graph = build_training_graph(model([
        op(0, "Sub", (), (X,), a),  # normalizes the batch: no parameter upstream
        op(1, "Gemm", (0,), (a,), b, params=40),
        op(2, "Relu", (1,), (b,), c),  # a side output nobody trains on
        op(3, "Tanh", (1,), (b,), t("y", 4)),
    ], outputs=(t("y", 4),)))
    grads = {n.forward_id for n in graph.backward_nodes()}
    assert grads == {1, 3}


def test_empty_model_is_a_user_error() -> None:
    with pytest.raises(RematError, match="no operator"):
        build_training_graph(ModelGraph("m", "m.onnx", (), (), (), 0, 0, 0))


@pytest.mark.parametrize("path", sorted(MODELS_DIR.glob("*_bs*.onnx")), ids=lambda p: p.stem)
def test_sample_models_give_valid_training_graphs(path) -> None:  # type: ignore[no-untyped-def]
    forward = load_onnx(path)
    graph = build_training_graph(forward)
    assert len(graph.forward_nodes()) == len(forward.operators)
    assert len(graph.backward_nodes()) == len(forward.operators)  # every sample op trains
    # Without recomputation the peak holds the static memory and the largest activation at least.
    assert no_recompute_peak(graph) > graph.static_bytes + max(o.output_bytes for o in forward.operators)
    assert graph.static_bytes == 2 * forward.param_bytes + sum(t.size_bytes for t in forward.graph_inputs)


def test_relu_backward_reads_the_relu_output_in_an_onnx_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    graph = build_training_graph(load_onnx(onnx_cases.shape_subgraph(tmp_path)))
    relu = next(n for n in graph.nodes if n.op_type == "Relu")
    matmul = next(n for n in graph.nodes if n.op_type == "MatMul")
    assert relu.id in by_name(graph, f"{relu.name}.grad").deps
    assert matmul.id not in by_name(graph, f"{relu.name}.grad").deps
