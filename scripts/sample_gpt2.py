"""GPT-2-small-shaped decoder (12 blocks, d=768, 12 heads) as PyTorch's exporter writes it.

The shape arithmetic of a real export is kept on purpose (``Shape -> Gather/Slice -> Concat ->
Reshape`` around every ``Conv1D`` and head split, ``Range`` for position ids, a sliced causal-mask
buffer): importers must fold it away, and it makes up most of the file's nodes.
"""

from __future__ import annotations

import math

from onnx import TensorProto, helper

from scripts.sample_blocks import WEIGHTS_FILE, Builder, Dim

D_MODEL, HEADS, LAYERS, VOCAB, CONTEXT = 768, 12, 12, 50257, 1024


def _float(b: Builder, value: float, scope: str) -> str:
    (out,) = b.node("Constant", [], scope, value=helper.make_tensor("value", TensorProto.FLOAT, [], [value]))
    return out


def _conv1d(b: Builder, x: str, scope: str, path: str, fin: int, fout: int) -> str:
    """HF Conv1D: x.view(-1, fin) @ W + b, viewed back to x.shape[:-1] + (fout,)."""
    shape = b.op("Shape", [x], scope)
    size_out = b.op("Concat", [b.op("Slice", [shape, b.ints([0], scope), b.ints([-1], scope)], scope),
                               b.ints([fout], scope)], scope, axis=0)
    last = b.op("Unsqueeze", [b.op("Gather", [shape, b.ints([-1], scope)], scope, axis=0),
                              b.ints([0], scope)], scope)
    flat_shape = b.op("Concat", [b.ints([-1], scope), b.op("Squeeze", [last, b.ints([0], scope)], scope)],
                      scope, axis=0)
    flat = b.op("Reshape", [x, flat_shape], scope)
    y = b.op("Gemm", [flat, b.weight(f"{path}.weight", [fin, fout]), b.weight(f"{path}.bias", [fout])],
             scope)
    return b.op("Reshape", [y, size_out], scope)


def _split_heads(b: Builder, x: str, scope: str, perm: list[int]) -> str:
    shape = b.op("Shape", [x], scope)
    new_shape = b.op("Concat", [b.op("Slice", [shape, b.ints([0], scope), b.ints([-1], scope)], scope),
                                b.ints([HEADS, D_MODEL // HEADS], scope)], scope, axis=0)
    return b.op("Transpose", [b.op("Reshape", [x, new_shape], scope)], scope, perm=perm)


def _attention(b: Builder, x: str, i: int) -> str:
    scope, path = f"transformer/h.{i}/attn", f"transformer.h.{i}.attn"
    qkv = _conv1d(b, x, f"{scope}/c_attn", f"{path}.c_attn", D_MODEL, 3 * D_MODEL)
    q, k, v = b.node("Split", [qkv, b.ints([D_MODEL] * 3, scope)], scope, n_out=3, axis=2)
    q = _split_heads(b, q, scope, [0, 2, 1, 3])
    k = _split_heads(b, k, scope, [0, 2, 3, 1])
    v = _split_heads(b, v, scope, [0, 2, 1, 3])
    w = b.op("Div", [b.op("MatMul", [q, k], scope), _float(b, math.sqrt(D_MODEL // HEADS), scope)], scope)
    # Causal mask: the (1, 1, 1024, 1024) buffer sliced to the current length, as HF GPT-2 does.
    q_len = b.op("Gather", [b.op("Shape", [q], scope), b.ints([2], scope)], scope, axis=0)
    k_len = b.op("Gather", [b.op("Shape", [k], scope), b.ints([3], scope)], scope, axis=0)
    start = b.op("Sub", [k_len, q_len], scope)
    rows = b.op("Slice", [f"{path}.bias", start, k_len, b.ints([2], scope)], scope)
    mask = b.op("Slice", [rows, b.ints([0], scope), k_len, b.ints([3], scope)], scope)
    w = b.op("Where", [mask, w, _float(b, -3.4028234663852886e38, scope)], scope)
    w = b.op("Dropout", [b.op("Softmax", [w], scope, axis=-1)], f"{scope}/attn_dropout")
    a = b.op("Transpose", [b.op("MatMul", [w, v], scope)], scope, perm=[0, 2, 1, 3])
    shape = b.op("Shape", [a], scope)
    merged = b.op("Concat", [b.op("Slice", [shape, b.ints([0], scope), b.ints([-2], scope)], scope),
                             b.ints([D_MODEL], scope)], scope, axis=0)
    a = b.op("Reshape", [a, merged], scope)
    a = _conv1d(b, a, f"{scope}/c_proj", f"{path}.c_proj", D_MODEL, D_MODEL)
    return b.op("Dropout", [a], f"{scope}/resid_dropout")


def _gelu_new(b: Builder, x: str, scope: str) -> str:
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the small-op chain of older exports."""
    cube = b.op("Mul", [b.op("Pow", [x, _float(b, 3.0, scope)], scope), _float(b, 0.044715, scope)], scope)
    inner = b.op("Mul", [b.op("Add", [x, cube], scope), _float(b, math.sqrt(2 / math.pi), scope)], scope)
    one_plus = b.op("Add", [b.op("Tanh", [inner], scope), _float(b, 1.0, scope)], scope)
    return b.op("Mul", [b.op("Mul", [x, _float(b, 0.5, scope)], scope), one_plus], scope)


def _layernorm(b: Builder, x: str, scope: str, path: str) -> str:
    return b.op("LayerNormalization", [x, b.weight(f"{path}.weight", [D_MODEL]),
                                       b.weight(f"{path}.bias", [D_MODEL])], scope, axis=-1, epsilon=1e-5)


def _block(b: Builder, x: str, i: int) -> str:
    scope, path = f"transformer/h.{i}", f"transformer.h.{i}"
    x = b.op("Add", [x, _attention(b, _layernorm(b, x, f"{scope}/ln_1", f"{path}.ln_1"), i)], scope)
    h = _layernorm(b, x, f"{scope}/ln_2", f"{path}.ln_2")
    h = _conv1d(b, h, f"{scope}/mlp/c_fc", f"{path}.mlp.c_fc", D_MODEL, 4 * D_MODEL)
    h = _gelu_new(b, h, f"{scope}/mlp/act")
    h = _conv1d(b, h, f"{scope}/mlp/c_proj", f"{path}.mlp.c_proj", 4 * D_MODEL, D_MODEL)
    h = b.op("Dropout", [h], f"{scope}/mlp/dropout")
    return b.op("Add", [x, h], scope)


def _mask_buffer(b: Builder, path: str) -> None:
    """The bool causal-mask buffer of one block (external, not shipped; a buffer, not a parameter)."""
    tensor = TensorProto(name=f"{path}.bias", data_type=TensorProto.BOOL, dims=[1, 1, CONTEXT, CONTEXT])
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", WEIGHTS_FILE), ("offset", "0"),
                       ("length", str(CONTEXT * CONTEXT))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    b.initializers.append(tensor)


def gpt2(batch: Dim, seq: Dim) -> Builder:
    b = Builder()
    ids = b.input("input_ids", [batch, seq], TensorProto.INT64)
    wte = b.weight("transformer.wte.weight", [VOCAB, D_MODEL])
    tokens = b.op("Gather", [wte, ids], "transformer/wte", axis=0)
    length = b.op("Gather", [b.op("Shape", [ids], "transformer"), b.ints([1], "transformer")], "transformer",
                  axis=0)
    zero = b.op("Squeeze", [b.ints([0], "transformer")], "transformer")
    one = b.op("Squeeze", [b.ints([1], "transformer")], "transformer")
    positions = b.op("Unsqueeze", [b.op("Range", [zero, b.op("Squeeze", [length], "transformer"), one],
                                        "transformer"), b.ints([0], "transformer")], "transformer")
    pos = b.op("Gather", [b.weight("transformer.wpe.weight", [CONTEXT, D_MODEL]), positions],
               "transformer/wpe", axis=0)
    x = b.op("Dropout", [b.op("Add", [tokens, pos], "transformer")], "transformer/drop")
    for i in range(LAYERS):
        _mask_buffer(b, f"transformer.h.{i}.attn")
        x = _block(b, x, i)
    x = _layernorm(b, x, "transformer/ln_f", "transformer.ln_f")
    # Tied output head: logits = x @ wte^T (no extra parameters).
    head = b.op("Transpose", [wte], "lm_head", perm=[1, 0])
    b.nodes.append(helper.make_node("MatMul", [x, head], ["logits"], name="/lm_head/MatMul"))
    b.output("logits")
    return b
