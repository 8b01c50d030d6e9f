"""Reading ONNX files: the one module that imports ``onnx``.

:func:`load_onnx` reads a model without its external weights (architecture-only files work: the
initializers keep their dims and types), binds named dimensions, infers static shapes (falling back
to one onnxruntime run on zeros where inference stops), and hands plain records to
:mod:`core.onnx_dataflow`, which builds the forward data path.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import TensorProto, helper, numpy_helper

from core.errors import RematError
from core.graph import ModelGraph
from core.onnx_dataflow import (
    RawInitializer,
    RawNode,
    RawTensor,
    build_model_graph,
    data_path_tensors,
    static_tensors,
    topological,
)
from core.onnx_shapes import MAX_ELEMENTS, fold_static_values

log = logging.getLogger(__name__)

#: Rounds of "evaluate shape arithmetic, infer again" before onnxruntime is asked.
_MAX_FOLD_ROUNDS = 8

_FLOAT_TYPES = {TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16}
_SUBGRAPH_TYPES = {onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS}


def load_onnx(path: str | Path, dims: Mapping[str, int] | None = None) -> ModelGraph:
    """Import the forward data path of the ONNX model at ``path``.

    Parameters
    ----------
    path:
        An ``.onnx`` file. External weight files are never read (they may be missing).
    dims:
        Values for the model's named dimensions, e.g. ``{"batch": 32, "sequence": 512}``.

    Raises
    ------
    RematError
        Missing or unreadable file, a ``dims`` entry naming no dimension, an unbound dimension, or
        tensors whose shapes neither inference nor a run on zeros can determine.
    """
    path = Path(path)
    dims = dict(dims or {})
    model = read_model(path)
    bind_dims(model, dims, path)
    nodes = topological([_raw_node(i, n) for i, n in enumerate(model.graph.node)])
    inits = {t.name: _raw_initializer(t) for t in model.graph.initializer}
    static = static_tensors(nodes, inits)
    needed = data_path_tensors(nodes, static)
    tensors = _shapes_by_folding(model, nodes, static, needed, path)
    missing = sorted(n for n in needed if _lacks_shape(tensors.get(n)))
    warnings: list[str] = []
    if missing:
        tensors.update(_shapes_by_running(model, missing, path))
        still = [n for n in missing if _lacks_shape(tensors.get(n))]
        if still:
            raise RematError(f"{path}: cannot determine the shape of tensor(s) {', '.join(still[:5])}")
        warnings.append(f"{len(missing)} tensor shape(s) measured by running the model on zeros")
    return build_model_graph(
        name=path.stem, source=str(path), nodes=nodes, tensors=tensors,
        initializers=inits, graph_inputs=_graph_input_names(model), graph_outputs=[o.name for o in
        model.graph.output], dims=dims, opset=_opset(model), static=static, warnings=warnings,
    )


def read_model(path: Path) -> onnx.ModelProto:
    """Load ``path`` without external data; RematError for a missing or non-ONNX file."""
    if not path.is_file():
        raise RematError(f"model file not found: {path}")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError, OSError) as exc:
        raise RematError(f"{path} is not an ONNX model: {exc}") from exc
    if not model.graph.node or model.ir_version == 0:
        raise RematError(f"{path} is not an ONNX model: it holds no graph nodes")
    return model


def named_dims(model: onnx.ModelProto) -> dict[str, list[str]]:
    """``{dimension name: [graph inputs that use it]}`` over the model's (non-weight) inputs."""
    names: dict[str, list[str]] = {}
    for value in _graph_inputs(model):
        for dim in value.type.tensor_type.shape.dim:
            if dim.HasField("dim_param"):
                names.setdefault(dim.dim_param, []).append(value.name)
    return names


def bind_dims(model: onnx.ModelProto, dims: Mapping[str, int], path: Path) -> None:
    """Replace named dimensions by ``dims`` values in place; errors name what is left unbound."""
    known = named_dims(model)
    for name in dims:
        if name not in known:
            valid = ", ".join(sorted(known)) if known else "none (all dimensions are fixed)"
            raise RematError(f"{path}: --dim {name}: the model has no dimension {name!r}; "
                             f"its named dimensions are: {valid}")
    values = [*model.graph.input, *model.graph.output, *model.graph.value_info]
    for value in values:
        for dim in value.type.tensor_type.shape.dim:
            if dim.HasField("dim_param") and dim.dim_param in dims:
                dim.dim_value = int(dims[dim.dim_param])
    problems = []
    for value in _graph_inputs(model):
        for axis, dim in enumerate(value.type.tensor_type.shape.dim):
            if dim.HasField("dim_param"):
                problems.append(f"input {value.name!r} has unbound dimension {dim.dim_param!r}; "
                                f"bind it with --dim {dim.dim_param}=VALUE")
            elif not dim.HasField("dim_value"):
                problems.append(f"input {value.name!r} has an unnamed dynamic dimension (axis {axis}); "
                                "re-export the model with static shapes or named dynamic axes")
    if problems:
        raise RematError(f"{path}: " + "; ".join(dict.fromkeys(problems)))


def runnable_model_bytes(path: str | Path, dims: Mapping[str, int] | None = None) -> bytes:
    """The model with its dims bound and missing external weights replaced by zeros, serialized.

    For onnxruntime (shape fallback, profiling): architecture-only files cannot run otherwise.
    """
    path = Path(path)
    model = read_model(path)
    bind_dims(model, dict(dims or {}), path)
    _fill_missing_weights(model, path.parent)
    return model.SerializeToString()


def _infer(model: onnx.ModelProto, path: Path) -> onnx.ModelProto:
    try:
        return onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception as exc:  # onnx raises InferenceError and plain RuntimeError
        log.warning("%s: ONNX shape inference failed (%s); relying on onnxruntime", path, exc)
        return model


def _shapes_by_folding(model: onnx.ModelProto, nodes: list[RawNode], static: set[str], needed: set[str],
                       path: Path) -> dict[str, RawTensor]:
    """Infer shapes; while data-path shapes are missing, evaluate shape arithmetic and infer again."""
    tensors = _tensor_types(_infer(model, path))
    values = _initializer_values(model)
    computed: dict[str, np.ndarray] = {}
    for _ in range(_MAX_FOLD_ROUNDS):
        if not any(_lacks_shape(tensors.get(n)) for n in needed):
            break
        shapes = {n: t.shape for n, t in tensors.items() if t.shape is not None}
        new = fold_static_values(nodes, static, {**values, **computed}, shapes)
        if not new:
            break
        computed.update(new)
        tensors = _tensor_types(_infer(_with_constants(model, computed), path))
    return tensors


def _initializer_values(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    """Values of the small initializers stored in the file (shape constants; never external weights)."""
    return {
        t.name: numpy_helper.to_array(t) for t in model.graph.initializer
        if t.data_location != TensorProto.EXTERNAL and math.prod(t.dims) <= MAX_ELEMENTS
        and t.data_type != TensorProto.STRING
    }


def _with_constants(model: onnx.ModelProto, values: Mapping[str, np.ndarray]) -> onnx.ModelProto:
    """A copy of ``model`` where the nodes computing ``values`` are replaced by initializers."""
    folded = onnx.ModelProto()
    folded.CopyFrom(model)
    kept = [n for n in folded.graph.node if not all(o in values for o in n.output if o)]
    del folded.graph.node[:]
    folded.graph.node.extend(kept)
    folded.graph.initializer.extend(numpy_helper.from_array(np.asarray(v), k) for k, v in values.items())
    return folded


def _graph_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    weights = {t.name for t in model.graph.initializer}
    return [v for v in model.graph.input if v.name not in weights]


def _graph_input_names(model: onnx.ModelProto) -> list[str]:
    return [v.name for v in _graph_inputs(model)]


def _opset(model: onnx.ModelProto) -> int:
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def _dtype(elem_type: int) -> tuple[str, int]:
    """Element type name and bits (sub-byte types such as int4 count their real width)."""
    if elem_type in (TensorProto.STRING, TensorProto.UNDEFINED):
        return TensorProto.DataType.Name(elem_type).lower(), 0
    np_type = np.dtype(helper.tensor_dtype_to_np_dtype(elem_type))
    name = TensorProto.DataType.Name(elem_type).lower()
    bits = 4 if "4" in name and name.endswith(("int4", "e2m1")) else np_type.itemsize * 8
    return name, bits


def _raw_initializer(tensor: TensorProto) -> RawInitializer:
    dtype, bits = _dtype(tensor.data_type)
    return RawInitializer(tuple(int(d) for d in tensor.dims), dtype, bits,
                          tensor.data_type in _FLOAT_TYPES)


def _raw_tensor(value: onnx.ValueInfoProto) -> RawTensor | None:
    if not value.type.HasField("tensor_type"):
        return None
    tensor_type = value.type.tensor_type
    dtype, bits = _dtype(tensor_type.elem_type)
    shape: tuple[int, ...] | None = None
    if tensor_type.HasField("shape"):
        dims = tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shape = tuple(int(d.dim_value) for d in dims)
    return RawTensor(shape, dtype, bits)


def _tensor_types(model: onnx.ModelProto) -> dict[str, RawTensor]:
    types: dict[str, RawTensor] = {}
    for value in [*model.graph.input, *model.graph.value_info, *model.graph.output]:
        raw = _raw_tensor(value)
        if raw is not None and (raw.shape is not None or value.name not in types):
            types[value.name] = raw
    for tensor in model.graph.initializer:
        dtype, bits = _dtype(tensor.data_type)
        types[tensor.name] = RawTensor(tuple(int(d) for d in tensor.dims), dtype, bits)
    return types


def _lacks_shape(raw: RawTensor | None) -> bool:
    return raw is None or raw.shape is None


def _attr_value(attr: onnx.AttributeProto) -> object:
    if attr.type in _SUBGRAPH_TYPES:
        return None  # subgraphs are read for their outer-scope inputs only
    if attr.type == onnx.AttributeProto.TENSOR:
        small = attr.t.data_location != TensorProto.EXTERNAL and math.prod(attr.t.dims) <= MAX_ELEMENTS
        return numpy_helper.to_array(attr.t) if small else tuple(int(d) for d in attr.t.dims)
    value = helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in value)
    return value


def _outer_inputs(graph: onnx.GraphProto) -> set[str]:
    """Names a subgraph reads without defining them (tensors of the enclosing scopes)."""
    defined = {i.name for i in graph.input} | {t.name for t in graph.initializer}
    used: set[str] = set()
    for node in graph.node:
        used.update(n for n in node.input if n)
        for attr in node.attribute:
            for sub in [attr.g] if attr.type == onnx.AttributeProto.GRAPH else list(attr.graphs):
                used |= _outer_inputs(sub)
        defined.update(node.output)
    return used - defined


def _raw_node(index: int, node: onnx.NodeProto) -> RawNode:
    implicit: set[str] = set()
    for attr in node.attribute:
        if attr.type == onnx.AttributeProto.GRAPH:
            implicit |= _outer_inputs(attr.g)
        elif attr.type == onnx.AttributeProto.GRAPHS:
            for sub in attr.graphs:
                implicit |= _outer_inputs(sub)
    return RawNode(
        index=index, name=node.name or f"{node.op_type}_{index}", op_type=node.op_type,
        inputs=tuple(node.input), outputs=tuple(node.output),
        attrs={a.name: _attr_value(a) for a in node.attribute},
        metadata={p.key: p.value for p in node.metadata_props},
        implicit_inputs=tuple(sorted(implicit - set(node.input))), domain=node.domain,
    )


def _fill_missing_weights(model: onnx.ModelProto, base: Path) -> None:
    """Replace initializers whose external data file is absent by zeros of the same dims and type."""
    for position, tensor in enumerate(model.graph.initializer):
        if tensor.data_location != TensorProto.EXTERNAL:
            continue
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        if location and (base / location).is_file():
            onnx.external_data_helper.load_external_data_for_tensor(tensor, str(base))
            tensor.data_location = TensorProto.DEFAULT
            del tensor.external_data[:]
            continue
        zeros = np.zeros(tuple(tensor.dims), dtype=helper.tensor_dtype_to_np_dtype(tensor.data_type))
        model.graph.initializer[position].CopyFrom(numpy_helper.from_array(zeros, tensor.name))


def _shapes_by_running(model: onnx.ModelProto, names: list[str], path: Path) -> dict[str, RawTensor]:
    """Shapes of ``names`` from one onnxruntime run on zeros (every tensor made a graph output)."""
    from core import ort_runtime

    runnable = onnx.ModelProto()
    runnable.CopyFrom(model)
    _fill_missing_weights(runnable, path.parent)
    present = {o.name for o in runnable.graph.output}
    for name in names:
        if name not in present:
            runnable.graph.output.append(onnx.ValueInfoProto(name=name))
    log.info("%s: %d tensors lack static shapes; running onnxruntime on zeros", path, len(names))
    try:
        measured = ort_runtime.run_for_shapes(runnable.SerializeToString())
    except RematError as exc:
        raise RematError(f"{path}: shape inference left {len(names)} tensor(s) without static shapes "
                         f"({', '.join(names[:3])}) and running the model to measure them failed: {exc}") from exc
    result = {}
    for name, (shape, np_name) in measured.items():
        elem = helper.np_dtype_to_tensor_dtype(np.dtype(np_name))
        dtype, bits = _dtype(elem)
        result[name] = RawTensor(shape, dtype, bits)
    return result
