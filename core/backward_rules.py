"""What the backward pass of each ONNX operator reads and costs (FORMULATIONS.md section 4).

What a gradient formula reads decides memory: a forward buffer that no backward node reads can be
freed as soon as the forward pass is done with it, one that is read must be kept (or recomputed).

- ReLU, Sigmoid, Tanh, Softmax and friends: their *output* (``dy * f'(y)``).
- Conv, Gemm, MatMul, pooling with a max, normalizations, GELU-like ops: their *inputs*
  (weights are static memory and always resident).
- Add, Sub, Concat, Split, views, data movement, sums and means: *nothing* but shapes.
- Mul and Div of two activations: both inputs; of an activation and a constant: nothing.
- Dropout: its mask, which ONNX writes as part of its output.
- Anything without a rule: all inputs and the output (conservative), and a warning.

Backward cost: FLOPs as a multiple of the forward FLOPs (about 2x for matmul and conv: one product
for the input gradient, one for the weight gradient; 1x when no input needs a gradient).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.onnx_ops import MEMORY_BOUND, REDUCE_FLOPS


@dataclass(frozen=True)
class BackwardRule:
    """What a backward node reads from the forward pass and what it costs."""

    reads_inputs: bool
    reads_output: bool
    #: Backward FLOPs / forward FLOPs when some input needs a gradient.
    flops_factor: float
    #: Backward FLOPs / forward FLOPs when only weight gradients are needed (no input needs one).
    weight_only_factor: float = 0.0
    known: bool = True


_OUTPUT = BackwardRule(reads_inputs=False, reads_output=True, flops_factor=1.0)
_INPUT = BackwardRule(reads_inputs=True, reads_output=False, flops_factor=1.0)
_NOTHING = BackwardRule(reads_inputs=False, reads_output=False, flops_factor=1.0)
_PRODUCT = BackwardRule(reads_inputs=True, reads_output=False, flops_factor=2.0, weight_only_factor=1.0)
_NORM = BackwardRule(reads_inputs=True, reads_output=False, flops_factor=2.0, weight_only_factor=1.0)
UNKNOWN_RULE = BackwardRule(reads_inputs=True, reads_output=True, flops_factor=2.0, weight_only_factor=1.0,
                            known=False)

#: Ops whose gradient is a function of their output.
OUTPUT_READERS = frozenset({
    "Relu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Exp", "Sqrt", "Reciprocal", "Elu", "Selu",
    "Celu", "Dropout", "HardSigmoid", "Hardmax",
})
#: Element-wise and structured ops whose gradient is a function of their inputs.
INPUT_READERS = frozenset({
    "MaxPool", "LpPool", "GlobalMaxPool", "LeakyRelu", "PRelu", "ThresholdedRelu", "Gelu", "FastGelu",
    "QuickGelu", "Erf", "Log", "Pow", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
    "Asinh", "Acosh", "Atanh", "HardSwish", "Softplus", "Softsign", "Mish", "Clip", "Abs", "Max", "Min",
    "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
    "ReduceLogSumExp", "Where", "LpNormalization", "Shrink", "CumSum", "TopK", "ArgMax", "ArgMin",
})
#: Products with weights: input gradient and weight gradient are one product each.
PRODUCTS = frozenset({"Conv", "ConvTranspose", "Gemm", "MatMul", "RNN", "GRU", "LSTM", "ConvInteger",
                      "MatMulInteger"})
NORMALIZATIONS = frozenset({
    "BatchNormalization", "LayerNormalization", "InstanceNormalization", "GroupNormalization",
    "SimplifiedLayerNormalization", "RMSNormalization", "SkipLayerNormalization", "LRN",
    "MeanVarianceNormalization",
})
#: Sums and shape moves: the gradient is routed or summed without reading any forward value.
ROUTERS = frozenset({"Add", "Sub", "Neg", "Sum", "Mean", "AveragePool", "GlobalAveragePool", "Sign",
                     "Floor", "Ceil", "Round"})
#: Products of two operands: the gradient of one is the other.
BILINEAR = frozenset({"Mul", "Div"})


def backward_rule(op_type: str, activation_inputs: int) -> BackwardRule:
    """The rule for ``op_type`` with ``activation_inputs`` non-constant inputs."""
    if op_type in PRODUCTS:
        return _PRODUCT
    if op_type in NORMALIZATIONS:
        return _NORM
    if op_type in OUTPUT_READERS:
        return _OUTPUT
    if op_type in INPUT_READERS:
        return _INPUT
    if op_type in BILINEAR:
        return _INPUT if activation_inputs > 1 or op_type == "Div" else _NOTHING
    if op_type in ROUTERS or op_type in MEMORY_BOUND:
        return _NOTHING
    if op_type in REDUCE_FLOPS:  # ReduceMean/ReduceSum and the remaining sums
        return _NOTHING
    return UNKNOWN_RULE
