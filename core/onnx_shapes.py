"""Evaluating the shape arithmetic of an ONNX graph with numpy (no ``onnx`` import).

PyTorch exports compute reshape targets at run time (``Shape -> Gather -> Concat -> Reshape``).
ONNX's own inference (even with ``data_prop``) gives up on some of these chains, for instance around
``nn.MultiheadAttention``. Given the shapes known so far, :func:`fold_static_values` computes the
values of the static tensors (those that depend on shapes only, see :mod:`core.onnx_dataflow`) with
a small numpy interpreter; :mod:`core.onnx_import` writes them back as constants and infers again.
Op types the interpreter does not know simply stay unknown (onnxruntime is the last resort).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from core.onnx_dataflow import RawNode

#: Largest tensor the interpreter computes (shape arithmetic is tiny; masks can be large).
MAX_ELEMENTS = 1 << 20

Values = dict[str, np.ndarray]


def _axes(node: RawNode, values: Sequence[np.ndarray], position: int = 1) -> tuple[int, ...] | None:
    if len(values) > position:
        return tuple(int(a) for a in values[position].reshape(-1))
    axes = node.attrs.get("axes")
    return tuple(int(a) for a in axes) if isinstance(axes, Sequence) else None  # type: ignore[union-attr]


def _slice(node: RawNode, v: Sequence[np.ndarray]) -> np.ndarray:
    data, starts, ends = v[0], v[1].reshape(-1), v[2].reshape(-1)
    axes = v[3].reshape(-1) if len(v) > 3 else np.arange(len(starts))
    steps = v[4].reshape(-1) if len(v) > 4 else np.ones(len(starts), dtype=np.int64)
    index = [slice(None)] * data.ndim
    for s, e, a, st in zip(starts, ends, axes, steps, strict=True):
        index[int(a)] = slice(int(s), int(e), int(st))
    return data[tuple(index)]


def _unsqueeze(node: RawNode, v: Sequence[np.ndarray]) -> np.ndarray:
    out = v[0]
    axes = _axes(node, v) or ()
    rank = out.ndim + len(axes)
    for axis in sorted(a % rank for a in axes):
        out = np.expand_dims(out, axis)
    return out


def _squeeze(node: RawNode, v: Sequence[np.ndarray]) -> np.ndarray:
    axes = _axes(node, v)
    return np.squeeze(v[0], axis=axes) if axes else np.squeeze(v[0])


def _reshape(node: RawNode, v: Sequence[np.ndarray]) -> np.ndarray:
    target = [int(d) for d in v[1].reshape(-1)]
    if not node.attrs.get("allowzero", 0):
        target = [v[0].shape[i] if d == 0 else d for i, d in enumerate(target)]
    return v[0].reshape(target)


def _cast(node: RawNode, v: Sequence[np.ndarray]) -> np.ndarray:
    to = node.attrs.get("to")
    dtypes = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64}
    if to not in dtypes:
        raise KeyError(to)
    return v[0].astype(dtypes[to])  # type: ignore[index]


def _div(node: RawNode, v: Sequence[np.ndarray]) -> np.ndarray:
    if np.issubdtype(v[0].dtype, np.integer):
        return np.trunc(v[0] / v[1]).astype(v[0].dtype)
    return v[0] / v[1]


_RULES: dict[str, Callable[[RawNode, Sequence[np.ndarray]], Any]] = {
    "Identity": lambda n, v: v[0],
    "Gather": lambda n, v: np.take(v[0], v[1], axis=int(n.attrs.get("axis", 0))),  # type: ignore[call-overload]
    "Concat": lambda n, v: np.concatenate(v, axis=int(n.attrs.get("axis", 0))),  # type: ignore[call-overload]
    "Slice": _slice, "Unsqueeze": _unsqueeze, "Squeeze": _squeeze, "Reshape": _reshape, "Cast": _cast,
    "Add": lambda n, v: v[0] + v[1], "Sub": lambda n, v: v[0] - v[1], "Mul": lambda n, v: v[0] * v[1],
    "Div": _div, "Mod": lambda n, v: np.fmod(v[0], v[1]) if n.attrs.get("fmod") else np.mod(v[0], v[1]),
    "Neg": lambda n, v: -v[0], "Abs": lambda n, v: np.abs(v[0]), "Sqrt": lambda n, v: np.sqrt(v[0]),
    "Floor": lambda n, v: np.floor(v[0]), "Ceil": lambda n, v: np.ceil(v[0]),
    "Equal": lambda n, v: v[0] == v[1], "Less": lambda n, v: v[0] < v[1],
    "Greater": lambda n, v: v[0] > v[1], "Not": lambda n, v: ~v[0], "And": lambda n, v: v[0] & v[1],
    "Or": lambda n, v: v[0] | v[1], "Where": lambda n, v: np.where(v[0], v[1], v[2]),
    "Max": lambda n, v: np.maximum.reduce(v), "Min": lambda n, v: np.minimum.reduce(v),
    "Range": lambda n, v: np.arange(v[0].item(), v[1].item(), v[2].item()).astype(v[0].dtype),
    "ConstantOfShape": lambda n, v: np.full([int(d) for d in v[0]], _fill(n), dtype=_fill(n).dtype),
    "Expand": lambda n, v: v[0] * np.ones([int(d) for d in v[1]], dtype=v[0].dtype),
    "Tile": lambda n, v: np.tile(v[0], [int(d) for d in v[1]]),
    "ReduceProd": lambda n, v: np.prod(v[0], keepdims=bool(n.attrs.get("keepdims", 1))),
    "Transpose": lambda n, v: np.transpose(v[0], _ints(n.attrs.get("perm"))),
}


def _ints(value: object) -> list[int] | None:
    return [int(v) for v in value] if isinstance(value, Sequence) else None


def _fill(node: RawNode) -> np.ndarray:
    value = node.attrs.get("value")
    return value.reshape(-1)[:1].reshape(()) if isinstance(value, np.ndarray) else np.array(0.0, np.float32)


def _constant(node: RawNode) -> np.ndarray | None:
    for key in ("value", "value_int", "value_ints", "value_float", "value_floats"):
        value = node.attrs.get(key)
        if isinstance(value, np.ndarray):
            return value
        if value is not None:
            dtype = np.int64 if "int" in key else np.float32
            return np.array(value, dtype=dtype)
    return None


def _evaluate(node: RawNode, values: Values, shapes: Mapping[str, tuple[int, ...]]) -> np.ndarray | None:
    if node.op_type == "Constant":
        return _constant(node)
    if node.op_type in ("Shape", "Size"):
        shape = shapes.get(node.inputs[0])
        if shape is None:
            return None
        if node.op_type == "Size":
            return np.array(int(np.prod(shape)), dtype=np.int64)
        start, end = node.attrs.get("start", 0), node.attrs.get("end")
        return np.array(shape[int(start):None if end is None else int(end)], dtype=np.int64)  # type: ignore[call-overload]
    rule = _RULES.get(node.op_type)
    reads = [n for n in node.inputs if n]
    if rule is None or len(node.outputs) != 1 or any(n not in values for n in reads):
        return None
    args = [values[n] if n else np.array([], dtype=np.int64) for n in node.inputs]
    try:
        result = np.asarray(rule(node, args))
    except (KeyError, ValueError, IndexError, TypeError):
        return None
    return result if result.size <= MAX_ELEMENTS else None


def fold_static_values(
    nodes: Sequence[RawNode], static: set[str], values: Mapping[str, np.ndarray],
    shapes: Mapping[str, tuple[int, ...]],
) -> Values:
    """Values of the static tensors computable from ``values`` (constants) and known ``shapes``."""
    known: Values = dict(values)
    for node in nodes:
        if not node.outputs or not all(o in static for o in node.outputs if o):
            continue
        if node.outputs[0] in known:
            continue
        result = _evaluate(node, known, shapes)
        if result is not None:
            known[node.outputs[0]] = result
    return {k: v for k, v in known.items() if k not in values}
