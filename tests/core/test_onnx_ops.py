"""FLOP rules: closed forms for the compute-bound ops, conventions for the rest."""

from __future__ import annotations

import pytest

from core.onnx_ops import UNKNOWN_FLOPS_PER_ELEMENT, NodeShapes, known_op_type, op_cost


def cost(op: str, inputs: list, outputs: list, **attrs: object):  # type: ignore[no-untyped-def]
    return op_cost(NodeShapes(op, tuple(inputs), tuple(outputs), attrs))


def test_conv_is_two_macs_per_weight_per_output_pixel() -> None:
    # ResNet stem: 32x3x224x224 -> 32x64x112x112 with a 7x7 kernel, no bias.
    result = cost("Conv", [(32, 3, 224, 224), (64, 3, 7, 7)], [(32, 64, 112, 112)], kernel_shape=[7, 7])
    assert result.flops == 2 * 32 * 64 * 112 * 112 * 3 * 7 * 7
    assert result.cost_known


def test_conv_bias_adds_one_flop_per_output() -> None:
    with_bias = cost("Conv", [(1, 8, 4, 4), (16, 8, 3, 3), (16,)], [(1, 16, 4, 4)])
    without = cost("Conv", [(1, 8, 4, 4), (16, 8, 3, 3)], [(1, 16, 4, 4)])
    assert with_bias.flops - without.flops == 16 * 4 * 4


def test_depthwise_conv_uses_one_input_channel_per_group() -> None:
    # 32 groups of 1 channel: weight (32, 1, 3, 3).
    result = cost("Conv", [(2, 32, 56, 56), (32, 1, 3, 3)], [(2, 32, 56, 56)], group=32)
    assert result.flops == 2 * 2 * 32 * 56 * 56 * 9


def test_conv_transpose_scatters_each_input_element() -> None:
    # U-Net up-sampling: 8x1024x16x16 -> 8x512x32x32, weight (1024, 512, 2, 2), bias.
    result = cost("ConvTranspose", [(8, 1024, 16, 16), (1024, 512, 2, 2), (512,)], [(8, 512, 32, 32)])
    assert result.flops == 2 * 8 * 1024 * 16 * 16 * 512 * 4 + 8 * 512 * 32 * 32


@pytest.mark.parametrize(("trans_a", "a_shape"), [(0, (64, 784)), (1, (784, 64))])
def test_gemm_is_2mnk_plus_bias(trans_a: int, a_shape: tuple[int, int]) -> None:
    result = cost("Gemm", [a_shape, (1024, 784), (1024,)], [(64, 1024)], transA=trans_a, transB=1)
    assert result.flops == 2 * 64 * 1024 * 784 + 64 * 1024


@pytest.mark.parametrize(
    ("a", "b", "out", "expected"),
    [
        ((8, 12, 512, 64), (8, 12, 64, 512), (8, 12, 512, 512), 2 * 8 * 12 * 512 * 512 * 64),
        ((8, 512, 768), (768, 3072), (8, 512, 3072), 2 * 8 * 512 * 3072 * 768),  # broadcast weight
        ((768,), (768, 10), (10,), 2 * 10 * 768),  # 1-D left operand
    ],
)
def test_matmul_batched_and_broadcast(a: tuple, b: tuple, out: tuple, expected: int) -> None:
    assert cost("MatMul", [a, b], [out]).flops == expected


def test_pooling_counts_window_elements() -> None:
    result = cost("MaxPool", [(32, 64, 112, 112)], [(32, 64, 56, 56)], kernel_shape=[3, 3])
    assert result.flops == 32 * 64 * 56 * 56 * 9
    assert cost("GlobalAveragePool", [(32, 2048, 7, 7)], [(32, 2048, 1, 1)]).flops == 32 * 2048 * 49


@pytest.mark.parametrize("op", ["Concat", "Transpose", "Gather", "Slice", "Pad", "Resize", "Where", "Cast"])
def test_data_movement_has_no_flops(op: str) -> None:
    result = cost(op, [(4, 8)], [(4, 8)])
    assert result.flops == 0 and result.cost_known


@pytest.mark.parametrize(("op", "per_element"), [("Relu", 1), ("Sigmoid", 4), ("Erf", 6), ("Softmax", 5),
                                                  ("LayerNormalization", 8), ("BatchNormalization", 4)])
def test_elementwise_costs_per_output_element(op: str, per_element: int) -> None:
    assert cost(op, [(2, 3, 5)], [(2, 3, 5)]).flops == per_element * 30


def test_binary_broadcast_counts_output_elements() -> None:
    assert cost("Add", [(8, 512, 768), (768,)], [(8, 512, 768)]).flops == 8 * 512 * 768


def test_dropout_is_random() -> None:
    assert cost("Dropout", [(4, 4)], [(4, 4)]).random
    assert not cost("Relu", [(4, 4)], [(4, 4)]).random


def test_lstm_counts_gate_matmuls() -> None:
    # seq 10, batch 2, input 16, hidden 32, one direction: W is (1, 4*32, 16).
    result = cost("LSTM", [(10, 2, 16), (1, 128, 16), (1, 128, 32)], [(10, 1, 2, 32)])
    assert result.flops == 10 * 2 * (2 * 4 * 32 * (16 + 32) + 8 * 4 * 32)


def test_unknown_op_is_a_pessimistic_estimate() -> None:
    result = cost("MyCustomOp", [(4, 4)], [(4, 4), (2,)])
    assert not result.cost_known
    assert result.flops == UNKNOWN_FLOPS_PER_ELEMENT * (16 + 2)
    assert not known_op_type("MyCustomOp") and known_op_type("Conv")


def test_missing_weight_shape_falls_back_to_estimate() -> None:
    result = cost("Conv", [(1, 3, 8, 8), None], [(1, 4, 8, 8)])
    assert not result.cost_known
