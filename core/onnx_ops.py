"""FLOP rules for ONNX operators: pure Python over shapes and attributes (no ``onnx`` import).

Conventions (also the ones the roofline cost model in :mod:`core.costs` expects):

- A multiply-add counts as 2 FLOPs (Conv, ConvTranspose, Gemm, MatMul, recurrent cells).
- Element-wise arithmetic counts 1 FLOP per output element; transcendental functions count the
  small constant in :data:`UNARY_FLOPS` (a polynomial or table evaluation, as in common profilers).
- Data movement (Concat, Gather, Transpose, Pad, Resize, Cast, ...) counts 0 FLOPs: its cost is
  the bytes it reads and writes, which the importer adds up for every operator.
- An op type no rule knows is estimated at :data:`UNKNOWN_FLOPS_PER_ELEMENT` FLOPs per output
  element (more than any element-wise rule, so a schedule does not treat it as free) and is
  reported with ``cost_known=False``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Shape = tuple[int, ...]

#: FLOPs per output element for op types no rule knows (a deliberately pessimistic guess).
UNKNOWN_FLOPS_PER_ELEMENT = 10.0

#: Element-wise ops with one data input: FLOPs per output element.
UNARY_FLOPS: dict[str, float] = {
    "Relu": 1, "Neg": 1, "Abs": 1, "Sign": 1, "Floor": 1, "Ceil": 1, "Round": 1, "Reciprocal": 1,
    "Not": 1, "IsNaN": 1, "IsInf": 1, "LeakyRelu": 2, "PRelu": 2, "ThresholdedRelu": 1,
    "Clip": 2, "Shrink": 2, "HardSigmoid": 3, "HardSwish": 4, "Celu": 4, "Elu": 4, "Selu": 4,
    "Sqrt": 4, "Exp": 4, "Log": 4, "Sigmoid": 4, "Softplus": 5, "Softsign": 3, "Tanh": 6,
    "Erf": 6, "Sin": 6, "Cos": 6, "Tan": 6, "Asin": 6, "Acos": 6, "Atan": 6, "Sinh": 6,
    "Cosh": 6, "Asinh": 6, "Acosh": 6, "Atanh": 6, "Mish": 10, "Gelu": 8, "FastGelu": 8,
    "QuickGelu": 5, "BitwiseNot": 1,
}

#: Element-wise ops with several (broadcast) inputs: FLOPs per output element per extra input.
BINARY_FLOPS: dict[str, float] = {
    "Add": 1, "Sub": 1, "Mul": 1, "Div": 1, "Pow": 4, "Mod": 1, "Max": 1, "Min": 1, "Sum": 1,
    "Mean": 1, "Equal": 1, "Less": 1, "LessOrEqual": 1, "Greater": 1, "GreaterOrEqual": 1,
    "And": 1, "Or": 1, "Xor": 1, "BitShift": 1, "BitwiseAnd": 1, "BitwiseOr": 1, "BitwiseXor": 1,
}

#: Pure data movement: 0 FLOPs, cost is bytes.
MEMORY_BOUND: frozenset[str] = frozenset({
    "Concat", "Split", "Slice", "Gather", "GatherElements", "GatherND", "Scatter", "ScatterND",
    "ScatterElements", "Transpose", "Expand", "Pad", "Resize", "Upsample", "Where", "Cast",
    "CastLike", "Tile", "DepthToSpace", "SpaceToDepth", "Trilu", "OneHot", "ConstantOfShape",
    "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Shape", "Size", "Compress",
    "ReverseSequence", "NonZero", "EyeLike", "Range", "CenterCropPad", "Col2Im", "SequenceConstruct",
})

#: Reductions: FLOPs per input element.
REDUCE_FLOPS: dict[str, float] = {
    "ReduceMean": 1, "ReduceSum": 1, "ReduceMax": 1, "ReduceMin": 1, "ReduceProd": 1,
    "ReduceL1": 2, "ReduceL2": 2, "ReduceSumSquare": 2, "ReduceLogSum": 2, "ReduceLogSumExp": 6,
    "ArgMax": 1, "ArgMin": 1, "TopK": 1, "CumSum": 1, "GlobalAveragePool": 1, "GlobalMaxPool": 1,
    "GlobalLpPool": 2, "LpNormalization": 3, "MeanVarianceNormalization": 6,
}

#: Normalizations: FLOPs per output element (statistics, normalize, scale and shift).
NORM_FLOPS: dict[str, float] = {
    "BatchNormalization": 4, "LayerNormalization": 8, "InstanceNormalization": 8,
    "GroupNormalization": 8, "SimplifiedLayerNormalization": 6, "RMSNormalization": 6,
    "SkipLayerNormalization": 9, "LRN": 8,
}

#: Softmax-like: max, subtract, exponentiate, sum, divide (or log).
SOFTMAX_FLOPS: dict[str, float] = {"Softmax": 5, "LogSoftmax": 6, "Hardmax": 2}

#: Ops that draw random numbers: a recomputation must replay their seed.
RANDOM_OPS: frozenset[str] = frozenset({
    "Dropout", "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
    "Multinomial", "Bernoulli",
})

#: Gates of the recurrent cells (LSTM: input, output, forget, cell).
_RNN_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


@dataclass(frozen=True)
class NodeShapes:
    """What a FLOP rule may look at: op type, attributes and static shapes (None when unknown)."""

    op_type: str
    inputs: tuple[Shape | None, ...]
    outputs: tuple[Shape | None, ...]
    attrs: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class OpCost:
    flops: float
    cost_known: bool = True
    random: bool = False


def numel(shape: Sequence[int] | None) -> int:
    """Element count of a static shape (0 for an unknown shape)."""
    return 0 if shape is None else math.prod(shape)


def _out_elems(node: NodeShapes) -> int:
    return sum(numel(s) for s in node.outputs[:1])


def _in_elems(node: NodeShapes) -> int:
    return numel(node.inputs[0]) if node.inputs else 0


def conv_flops(node: NodeShapes) -> float:
    """Conv: each output element is a dot product over ``C/groups x kernel`` (weight dims 1..)."""
    weight = node.inputs[1] if len(node.inputs) > 1 else None
    if weight is None:
        return float("nan")
    out = _out_elems(node)
    bias = out if len(node.inputs) > 2 and node.inputs[2] is not None else 0
    return 2.0 * out * math.prod(weight[1:]) + bias


def conv_transpose_flops(node: NodeShapes) -> float:
    """ConvTranspose: each input element scatters into ``M/groups x kernel`` outputs."""
    weight = node.inputs[1] if len(node.inputs) > 1 else None
    if weight is None:
        return float("nan")
    bias = _out_elems(node) if len(node.inputs) > 2 and node.inputs[2] is not None else 0
    return 2.0 * _in_elems(node) * math.prod(weight[1:]) + bias


def gemm_flops(node: NodeShapes) -> float:
    """Gemm: ``alpha * op(A) @ op(B) + beta * C`` -> 2MNK (+ MN for C)."""
    a = node.inputs[0]
    if a is None or len(a) != 2:
        return float("nan")
    k = a[0] if node.attrs.get("transA", 0) else a[1]
    out = _out_elems(node)
    bias = out if len(node.inputs) > 2 and node.inputs[2] is not None else 0
    return 2.0 * out * k + bias


def matmul_flops(node: NodeShapes) -> float:
    """MatMul with numpy semantics (batched, broadcast, 1-D operands): 2 x output elements x K."""
    a = node.inputs[0]
    if a is None or not a:
        return float("nan")
    k = a[-1]
    return 2.0 * max(_out_elems(node), 1) * k


def pool_flops(node: NodeShapes) -> float:
    """MaxPool/AveragePool/LpPool: one operation per window element per output element."""
    kernel = node.attrs.get("kernel_shape")
    if not isinstance(kernel, Sequence):
        return float("nan")
    return float(_out_elems(node) * math.prod(int(k) for k in kernel))


def rnn_flops(node: NodeShapes) -> float:
    """RNN/GRU/LSTM over the whole sequence: gate matmuls (input and recurrent) plus cell updates."""
    x, w = node.inputs[0], node.inputs[1] if len(node.inputs) > 1 else None
    if x is None or w is None:
        return float("nan")
    gates = _RNN_GATES[node.op_type]
    seq, batch, in_size = (x[1], x[0], x[2]) if node.attrs.get("layout", 0) else x[:3]
    dirs, hidden = w[0], w[1] // gates
    per_step = 2.0 * gates * hidden * (in_size + hidden) + 8.0 * gates * hidden
    return dirs * seq * batch * per_step


def _elementwise(node: NodeShapes, per_element: float) -> float:
    extra = max(len([s for s in node.inputs if s is not None]) - 1, 1)
    return float(per_element * extra * _out_elems(node))


def op_cost(node: NodeShapes) -> OpCost:
    """FLOPs of one forward evaluation of ``node``; ``cost_known`` False for estimates."""
    op = node.op_type
    random = op in RANDOM_OPS
    flops = _rule_flops(node)
    if flops is None or math.isnan(flops):
        return OpCost(UNKNOWN_FLOPS_PER_ELEMENT * sum(numel(s) for s in node.outputs), False, random)
    return OpCost(flops, True, random)


def _rule_flops(node: NodeShapes) -> float | None:
    op = node.op_type
    simple = _SHAPE_RULES.get(op)
    if simple is not None:
        return simple(node)
    if op in MEMORY_BOUND:
        return 0.0
    if op in UNARY_FLOPS:
        return float(UNARY_FLOPS[op] * _out_elems(node))
    if op in BINARY_FLOPS:
        return _elementwise(node, BINARY_FLOPS[op])
    if op in REDUCE_FLOPS:
        return float(REDUCE_FLOPS[op] * _in_elems(node))
    if op in NORM_FLOPS:
        return float(NORM_FLOPS[op] * _out_elems(node))
    if op in SOFTMAX_FLOPS:
        return float(SOFTMAX_FLOPS[op] * _out_elems(node))
    if op in RANDOM_OPS:
        # Dropout: draw a mask, compare, multiply and scale.
        return float(3 * _out_elems(node))
    return None


_SHAPE_RULES = {
    "Conv": conv_flops,
    "ConvInteger": conv_flops,
    "ConvTranspose": conv_transpose_flops,
    "Gemm": gemm_flops,
    "MatMul": matmul_flops,
    "MatMulInteger": matmul_flops,
    "MaxPool": pool_flops,
    "AveragePool": pool_flops,
    "LpPool": pool_flops,
    "RNN": rnn_flops,
    "GRU": rnn_flops,
    "LSTM": rnn_flops,
}


def known_op_type(op_type: str) -> bool:
    """Whether a FLOP rule exists for ``op_type`` (control flow and custom ops have none)."""
    return (
        op_type in _SHAPE_RULES or op_type in MEMORY_BOUND or op_type in UNARY_FLOPS
        or op_type in BINARY_FLOPS or op_type in REDUCE_FLOPS or op_type in NORM_FLOPS
        or op_type in SOFTMAX_FLOPS or op_type in RANDOM_OPS
    )
