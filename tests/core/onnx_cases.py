"""Small hand-made ONNX graphs for importer tests (built with onnx.helper, saved to a temp dir)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def vi(name: str, shape: list | None, dtype: int = F) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, dtype, shape)


def ints(name: str, values: list[int]) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def weight(name: str, dims: list[int], *, external: bool = False) -> onnx.TensorProto:
    """A float weight: small real data, or external data pointing to a file that does not exist."""
    if not external:
        return numpy_helper.from_array(np.zeros(dims, dtype=np.float32), name)
    tensor = TensorProto(name=name, data_type=F, dims=dims)
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "absent-weights.bin"
    return tensor


def save(tmp: Path, nodes: list, inputs: list, outputs: list, inits: list | None = None, *,
         value_info: list | None = None, name: str = "case", opsets: list | None = None) -> Path:
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=inits or [], value_info=value_info)
    model = helper.make_model(graph, opset_imports=opsets or [helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp / f"{name}.onnx"
    onnx.save(model, str(path))
    return path


def shape_subgraph(tmp: Path) -> Path:
    """x -> Shape -> Gather -> Unsqueeze -> Concat -> Reshape(x) -> MatMul(W) -> Relu (PyTorch style)."""
    n = helper.make_node
    nodes = [
        n("Shape", ["x"], ["s"], name="/Shape"),
        n("Constant", [], ["zero"], name="/Constant", value=helper.make_tensor("v", I64, [], [0])),
        n("Gather", ["s", "zero"], ["b"], name="/Gather", axis=0),
        n("Constant", [], ["axes"], name="/Constant_1", value=helper.make_tensor("v", I64, [1], [0])),
        n("Unsqueeze", ["b", "axes"], ["b1"], name="/Unsqueeze"),
        n("Concat", ["b1", "minus1"], ["target"], name="/Concat", axis=0),
        n("Reshape", ["x", "target"], ["flat"], name="/flatten/Reshape"),
        n("MatMul", ["flat", "W"], ["h"], name="/fc/MatMul"),
        n("Relu", ["h"], ["y"], name="/act/Relu"),
    ]
    return save(tmp, nodes, [vi("x", [4, 3, 8])], [vi("y", [4, 16])],
                [ints("minus1", [-1]), weight("W", [24, 16])], name="shape_subgraph")


def view_chain(tmp: Path) -> Path:
    """MatMul -> Reshape -> Unsqueeze -> Squeeze -> Flatten -> Identity -> Relu: four views fold."""
    n = helper.make_node
    nodes = [
        n("MatMul", ["x", "W"], ["h"], name="/fc/MatMul"),
        n("Reshape", ["h", "shape"], ["v1"], name="/v/Reshape"),
        n("Unsqueeze", ["v1", "axes"], ["v2"], name="/v/Unsqueeze"),
        n("Squeeze", ["v2", "axes"], ["v3"], name="/v/Squeeze"),
        n("Flatten", ["v3"], ["v4"], name="/v/Flatten", axis=1),
        n("Identity", ["v4"], ["v5"], name="/v/Identity"),
        n("Relu", ["v5"], ["y"], name="/act/Relu"),
    ]
    return save(tmp, nodes, [vi("x", [2, 8])], [vi("y", [2, 6])],
                [weight("W", [8, 6]), ints("shape", [2, 3, 2]), ints("axes", [0])], name="view_chain")


def multi_output(tmp: Path) -> Path:
    """Split into three, TopK with values and indices; consumers read single outputs."""
    n = helper.make_node
    nodes = [
        n("Split", ["x", "sizes"], ["a", "b", "c"], name="/Split", axis=1),
        n("Add", ["a", "b"], ["ab"], name="/Add"),
        n("TopK", ["c", "k"], ["vals", "idx"], name="/TopK", axis=1),
        n("Mul", ["ab", "vals"], ["y"], name="/Mul"),
    ]
    return save(tmp, nodes, [vi("x", [2, 6])], [vi("y", [2, 2]), vi("idx", [2, 2], I64)],
                [ints("sizes", [2, 2, 2]), ints("k", [2])], name="multi_output")


def unknown_op(tmp: Path) -> Path:
    """A custom-domain op with its output type declared in value_info."""
    n = helper.make_node
    nodes = [n("Relu", ["x"], ["r"], name="/Relu"),
             n("FancyNorm", ["r"], ["f"], name="/FancyNorm", domain="com.example"),
             n("Relu", ["f"], ["y"], name="/Relu_1")]
    return save(tmp, nodes, [vi("x", [2, 5])], [vi("y", [2, 5])], value_info=[vi("f", [2, 5])],
                name="unknown_op", opsets=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])


def control_flow(tmp: Path) -> Path:
    """An If on a data-dependent condition whose branches read an outer tensor, then a Loop."""
    n = helper.make_node
    then_g = helper.make_graph([n("Relu", ["h"], ["t"])], "then", [], [vi("t", [2, 4])])
    else_g = helper.make_graph([n("Neg", ["h"], ["e"])], "else", [], [vi("e", [2, 4])])
    body = helper.make_graph(
        [n("Identity", ["cond_in"], ["cond_out"]), n("Add", ["acc", "h"], ["acc_out"])], "body",
        [vi("i", [], I64), vi("cond_in", [], TensorProto.BOOL), vi("acc", [2, 4])],
        [vi("cond_out", [], TensorProto.BOOL), vi("acc_out", [2, 4])])
    nodes = [
        n("MatMul", ["x", "W"], ["h"], name="/fc/MatMul"),
        n("ReduceSum", ["h"], ["total"], name="/ReduceSum", keepdims=0),
        n("Greater", ["total", "zero"], ["cond"], name="/Greater"),
        n("If", ["cond"], ["branch"], name="/If", then_branch=then_g, else_branch=else_g),
        n("Loop", ["trips", "", "branch"], ["looped"], name="/Loop", body=body),
        n("Relu", ["looped"], ["y"], name="/Relu"),
    ]
    inits = [weight("W", [3, 4]), numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
             numpy_helper.from_array(np.array(3, dtype=np.int64), "trips")]
    return save(tmp, nodes, [vi("x", [2, 3])], [vi("y", [2, 4])], inits, name="control_flow")


def symbolic(tmp: Path) -> Path:
    """Token ids with named batch/sequence dims -> embedding Gather -> LayerNorm."""
    n = helper.make_node
    nodes = [n("Gather", ["emb", "input_ids"], ["e"], name="/wte/Gather", axis=0),
             n("LayerNormalization", ["e", "g", "b"], ["y"], name="/ln/LayerNormalization", axis=-1)]
    return save(tmp, nodes, [vi("input_ids", ["batch", "sequence"], I64)], [vi("y", ["batch", "sequence", 8])],
                [weight("emb", [100, 8], external=True), weight("g", [8]), weight("b", [8])], name="symbolic")


def needs_folding(tmp: Path) -> Path:
    """Reshape to a length ONNX shape inference cannot compute (ReduceProd of a shape)."""
    n = helper.make_node
    nodes = [n("Shape", ["x"], ["s"], name="/Shape"),
             n("ReduceProd", ["s"], ["p"], name="/ReduceProd", keepdims=1),
             n("Reshape", ["x", "p"], ["r"], name="/Reshape"),
             n("Relu", ["r"], ["y"], name="/Relu")]
    return save(tmp, nodes, [vi("x", [2, 3, 4])], [vi("y", None)], name="needs_folding")


def needs_runtime(tmp: Path) -> Path:
    """Shape arithmetic through ReduceMin, which neither ONNX inference nor the folder evaluates."""
    n = helper.make_node
    nodes = [n("Shape", ["x"], ["s"], name="/Shape"),
             n("ReduceMin", ["s"], ["m"], name="/ReduceMin", keepdims=1),
             n("Concat", ["m", "minus1"], ["t"], name="/Concat", axis=0),
             n("Reshape", ["x", "t"], ["r"], name="/Reshape"),
             n("Relu", ["r"], ["y"], name="/Relu")]
    return save(tmp, nodes, [vi("x", [2, 3, 4])], [vi("y", None)], [ints("minus1", [-1])],
                name="needs_runtime")
