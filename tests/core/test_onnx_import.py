"""ONNX import on hand-made tricky graphs: data path vs shape arithmetic, views, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper

from core.errors import RematError
from core.onnx_dataflow import RawNode, legacy_scope, module_scope
from core.onnx_import import load_onnx
from tests.core import onnx_cases as cases


def by_name(graph, name):  # type: ignore[no-untyped-def]
    return next(op for op in graph.operators if op.name == name)


def test_shape_subgraph_is_folded_away(tmp_path: Path) -> None:
    graph = load_onnx(cases.shape_subgraph(tmp_path))
    assert graph.onnx_node_count == 9
    assert [op.op_type for op in graph.operators] == ["MatMul", "Relu"]
    matmul, relu = graph.operators
    # The Reshape of the graph input vanished: MatMul reads x itself, at the reshaped size.
    assert matmul.inputs == () and [t.name for t in matmul.input_tensors] == ["x"]
    assert matmul.flops == 2 * 4 * 16 * 24
    assert matmul.param_count == 24 * 16 and matmul.param_bytes == 24 * 16 * 4
    assert relu.inputs == (0,)
    assert graph.param_count == 24 * 16  # the int64 shape constant is not a parameter


def test_view_chain_folds_into_producer(tmp_path: Path) -> None:
    graph = load_onnx(cases.view_chain(tmp_path))
    assert [op.op_type for op in graph.operators] == ["MatMul", "Relu"]
    matmul, relu = graph.operators
    assert matmul.folded == ("/v/Reshape", "/v/Unsqueeze", "/v/Squeeze", "/v/Flatten", "/v/Identity")
    assert relu.inputs == (0,)
    assert relu.input_tensors[0].name == "h"
    assert relu.outputs[0].shape == (2, 6)


def test_multi_output_ops_keep_all_outputs(tmp_path: Path) -> None:
    graph = load_onnx(cases.multi_output(tmp_path))
    split, add, topk, mul = graph.operators
    assert [t.name for t in split.outputs] == ["a", "b", "c"]
    assert [t.shape for t in split.outputs] == [(2, 2)] * 3
    assert add.inputs == (0,) and topk.inputs == (0,)
    assert [t.dtype for t in topk.outputs] == ["float", "int64"]
    assert mul.inputs == (1, 2)
    assert [t.name for t in graph.graph_outputs] == ["y", "idx"]


def test_unknown_op_is_estimated_and_reported(tmp_path: Path) -> None:
    graph = load_onnx(cases.unknown_op(tmp_path))
    fancy = by_name(graph, "/FancyNorm")
    assert not fancy.cost_known
    assert fancy.flops == 10 * 2 * 5
    assert graph.unknown_op_types == ("FancyNorm",)
    assert any("FancyNorm" in w and "estimated" in w for w in graph.warnings)


def test_control_flow_is_one_opaque_operator(tmp_path: Path) -> None:
    graph = load_onnx(cases.control_flow(tmp_path))
    op_types = [op.op_type for op in graph.operators]
    assert op_types == ["MatMul", "ReduceSum", "Greater", "If", "Loop", "Relu"]
    if_op, loop = by_name(graph, "/If"), by_name(graph, "/Loop")
    assert if_op.opaque and not if_op.cost_known and loop.opaque
    # The branches read h from the enclosing graph: an implicit dependency on the MatMul.
    assert 0 in if_op.inputs and if_op.outputs[0].shape == (2, 4)
    assert set(loop.inputs) == {0, 3} and loop.outputs[0].shape == (2, 4)
    assert sum("opaque" in w for w in graph.warnings) == 2
    assert graph.unknown_op_types == ()


def test_missing_external_data_still_counts_parameters(tmp_path: Path) -> None:
    graph = load_onnx(cases.symbolic(tmp_path), {"batch": 2, "sequence": 5})
    gather, norm = graph.operators
    assert gather.param_count == 100 * 8  # external, file absent: dims are enough
    assert norm.param_count == 16
    assert graph.param_count == 100 * 8 + 16 and graph.param_bytes == 4 * (100 * 8 + 16)
    assert gather.input_tensors[0].name == "input_ids"  # the embedding lookup is data path
    # It reads the ids and the 10 rows it returns, not the whole table.
    assert gather.bytes_accessed == 2 * 5 * 8 + 2 * (2 * 5 * 8 * 4)
    assert norm.outputs[0].shape == (2, 5, 8)
    assert graph.dims == (("batch", 2), ("sequence", 5))


def test_unbound_dimension_names_it_and_the_flag(tmp_path: Path) -> None:
    with pytest.raises(RematError) as err:
        load_onnx(cases.symbolic(tmp_path), {"batch": 2})
    assert "input 'input_ids' has unbound dimension 'sequence'; bind it with --dim sequence=VALUE" in str(err.value)


def test_dim_naming_no_dimension_lists_valid_names(tmp_path: Path) -> None:
    with pytest.raises(RematError, match=r"no dimension 'seq'.*batch, sequence"):
        load_onnx(cases.symbolic(tmp_path), {"batch": 2, "seq": 4})


def test_shape_arithmetic_inference_misses_is_evaluated(tmp_path: Path) -> None:
    graph = load_onnx(cases.needs_folding(tmp_path))
    (relu,) = graph.operators
    assert relu.outputs[0].shape == (24,) and relu.outputs[0].size_bytes == 96
    assert graph.warnings == ()


def test_shapes_nothing_else_finds_come_from_onnxruntime(tmp_path: Path) -> None:
    graph = load_onnx(cases.needs_runtime(tmp_path))
    (relu,) = graph.operators
    assert relu.outputs[0].shape == (2, 12)
    assert any("running the model on zeros" in w for w in graph.warnings)


def test_shapes_nobody_can_find_are_a_user_error(tmp_path: Path) -> None:
    path = cases.unknown_op(tmp_path)
    model = onnx.load(str(path))
    del model.graph.value_info[:]  # now nothing says what FancyNorm returns, and onnxruntime lacks it
    onnx.save(model, str(path))
    with pytest.raises(RematError, match=r"unknown_op\.onnx.*onnxruntime"):
        load_onnx(path)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RematError, match=r"model file not found: .*nope\.onnx"):
        load_onnx(tmp_path / "nope.onnx")


@pytest.mark.parametrize("content", [b"hello world, this is not onnx", b"", b"\x08\x07\x12"])
def test_non_onnx_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(RematError, match="is not an ONNX model"):
        load_onnx(path)


def test_truncated_file(tmp_path: Path) -> None:
    whole = cases.shape_subgraph(tmp_path).read_bytes()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(RematError, match="is not an ONNX model"):
        load_onnx(path)


def test_parameters_by_hand(tmp_path: Path) -> None:
    """Conv weight+bias, BN scale+shift (not running stats), tied weight once, scalars excluded."""
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "cw", "cb"], ["c"], name="/conv/Conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        n("BatchNormalization", ["c", "g", "b", "mean", "var"], ["bn"], name="/bn/BatchNormalization"),
        n("Mul", ["bn", "half"], ["m"], name="/Mul"),
        n("Flatten", ["m"], ["f"], name="/Flatten"),
        n("Gemm", ["f", "tied"], ["l1"], name="/fc1/Gemm", transB=1),
        n("Transpose", ["tied"], ["tied_t"], name="/Transpose", perm=[1, 0]),
        n("MatMul", ["l1", "tied_t"], ["y"], name="/fc2/MatMul"),
    ]
    inits = [cases.weight("cw", [4, 3, 3, 3]), cases.weight("cb", [4])] + [
        cases.weight(name, [4]) for name in ("g", "b", "mean", "var")] + [
        onnx.numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half"), cases.weight("tied", [64, 64])]
    path = cases.save(tmp_path, nodes, [cases.vi("x", [1, 3, 4, 4])], [cases.vi("y", [1, 64])], inits,
                      name="params")
    graph = load_onnx(path)
    assert graph.param_count == 4 * 27 + 4 + 8 + 64 * 64
    assert by_name(graph, "/bn/BatchNormalization").param_count == 8
    assert by_name(graph, "/fc2/MatMul").param_count == 64 * 64  # reads the weight through Transpose
    assert "/Transpose" not in {op.name for op in graph.operators}
    assert by_name(graph, "/conv/Conv").flops == 2 * 4 * 16 * 27 + 4 * 16


def test_unsorted_file_is_sorted(tmp_path: Path) -> None:
    nodes = [helper.make_node("Sigmoid", ["r"], ["y"], name="/b"), helper.make_node("Relu", ["x"], ["r"], name="/a")]
    path = cases.save(tmp_path, nodes, [cases.vi("x", [3])], [cases.vi("y", [3])], name="unsorted")
    graph = load_onnx(path)
    assert [op.name for op in graph.operators] == ["/a", "/b"] and graph.operators[1].inputs == (0,)


def test_empty_node_names_are_generated(tmp_path: Path) -> None:
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Sigmoid", ["r"], ["y"])]
    path = cases.save(tmp_path, nodes, [cases.vi("x", [3])], [cases.vi("y", [3])], name="unnamed")
    assert [op.name for op in load_onnx(path).operators] == ["Relu_0", "Sigmoid_1"]


@pytest.mark.parametrize(("name", "scope"), [
    ("/layer1/layer1.0/conv1/Conv", "layer1.0.conv1"),
    ("/encoder/layers/layers.0/fc/Gemm", "encoder.layers.0.fc"),
    ("/transformer/h.11/attn/MatMul_1", "transformer.h.11.attn"),
    ("/conv1/Conv", "conv1"),
    ("/layer1/layer1.0/relu_2/Relu", "layer1.0.relu"),
    ("/Flatten", ""),
    ("Relu_3", ""),
])
def test_legacy_scopes(name: str, scope: str) -> None:
    assert legacy_scope(name) == scope


def test_dynamo_name_scopes_metadata_wins() -> None:
    node = RawNode(0, "node_conv2d_3", "Conv", ("x",), ("y",),
                   metadata={"pkg.torch.onnx.name_scopes": "['', 'layer1', 'layer1.0', 'layer1.0.conv1', 'conv2d_3']"})
    assert module_scope(node) == "layer1.0.conv1"
