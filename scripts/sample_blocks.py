"""Building blocks of the sample models: a small graph builder and one recipe per architecture.

Node names follow PyTorch's exporter (``/layer1/layer1.0/conv1/Conv``); weights are external data
that is not shipped (see make_sample_models.py).
"""

from __future__ import annotations

import math

from onnx import TensorProto, helper

WEIGHTS_FILE = "weights-not-shipped.bin"
Dim = int | str


class Builder:
    """Collects nodes, weights and graph inputs/outputs; names nodes by module scope."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.initializers: list = []
        self.inputs: list = []
        self.outputs: list = []
        self.param_count = 0
        self._offset = 0
        self._names: dict[str, int] = {}

    def input(self, name: str, shape: list[Dim], dtype: int = TensorProto.FLOAT) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, dtype, shape))
        return name

    def output(self, name: str, dtype: int = TensorProto.FLOAT) -> None:
        self.outputs.append(helper.make_tensor_value_info(name, dtype, None))

    def weight(self, name: str, dims: list[int], *, trained: bool = True) -> str:
        """A float32 tensor stored as external data that is not shipped (``trained``: a parameter)."""
        tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims)
        tensor.data_location = TensorProto.EXTERNAL
        size = 4 * math.prod(dims)
        for key, value in (("location", WEIGHTS_FILE), ("offset", str(self._offset)),
                           ("length", str(size))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        self._offset += size
        self.initializers.append(tensor)
        self.param_count += math.prod(dims) if trained else 0
        return name

    def ints(self, values: list[int], scope: str = "") -> str:
        """An int64 Constant node (shape arithmetic), as exporters emit them."""
        (out,) = self.node("Constant", [], scope, value=helper.make_tensor(
            "value", TensorProto.INT64, [len(values)], values))
        return out

    def node(self, op: str, inputs: list[str], scope: str, n_out: int = 1, **attrs: object) -> list[str]:
        base = f"/{scope}/{op}" if scope else f"/{op}"
        count = self._names.get(base, 0)
        self._names[base] = count + 1
        name = base if count == 0 else f"{base}_{count}"
        outputs = [f"{name}_output_{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))
        return outputs

    def op(self, op: str, inputs: list[str], scope: str, **attrs: object) -> str:
        return self.node(op, inputs, scope, **attrs)[0]


def _scope(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def conv(b: Builder, x: str, scope: str, path: str, cin: int, cout: int, k: int, stride: int = 1,
         bias: bool = False, groups: int = 1) -> str:
    inputs = [x, b.weight(f"{path}.weight", [cout, cin // groups, k, k])]
    if bias:
        inputs.append(b.weight(f"{path}.bias", [cout]))
    return b.op("Conv", inputs, scope, kernel_shape=[k, k], strides=[stride, stride],
                pads=[k // 2] * 4, group=groups)


def batchnorm(b: Builder, x: str, scope: str, path: str, c: int) -> str:
    return b.op("BatchNormalization", [x, b.weight(f"{path}.weight", [c]), b.weight(f"{path}.bias", [c]),
                                       b.weight(f"{path}.running_mean", [c], trained=False),
                                       b.weight(f"{path}.running_var", [c], trained=False)], scope)


def linear(b: Builder, x: str, scope: str, path: str, fin: int, fout: int) -> str:
    return b.op("Gemm", [x, b.weight(f"{path}.weight", [fout, fin]), b.weight(f"{path}.bias", [fout])],
                scope, transB=1)


def mlp(batch: int) -> Builder:
    b = Builder()
    x = b.op("Flatten", [b.input("input", [batch, 1, 28, 28])], "flatten")
    sizes = [784, 1024, 1024, 512, 10]
    for i in range(len(sizes) - 1):
        x = linear(b, x, f"layers/layers.{2 * i}", f"layers.{2 * i}", sizes[i], sizes[i + 1])
        if i < len(sizes) - 2:
            x = b.op("Relu", [x], f"layers/layers.{2 * i + 1}")
    b.nodes[-1].output[0] = "logits"
    b.output("logits")
    return b


def vgg11(batch: int) -> Builder:
    b = Builder()
    x, cin, idx = b.input("input", [batch, 3, 224, 224]), 3, 0
    for v in (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"):
        scope = f"features/features.{idx}"
        if v == "M":
            x = b.op("MaxPool", [x], scope, kernel_shape=[2, 2], strides=[2, 2])
            idx += 1
            continue
        x = conv(b, x, scope, f"features.{idx}", cin, int(v), 3, bias=True)
        x = b.op("Relu", [x], f"features/features.{idx + 1}")
        cin, idx = int(v), idx + 2
    x = b.op("AveragePool", [x], "avgpool", kernel_shape=[1, 1])
    x = b.op("Flatten", [x], "", axis=1)
    for i, (fin, fout) in enumerate(((512 * 7 * 7, 4096), (4096, 4096), (4096, 1000))):
        x = linear(b, x, f"classifier/classifier.{3 * i}", f"classifier.{3 * i}", fin, fout)
        if i < 2:
            x = b.op("Relu", [x], f"classifier/classifier.{3 * i + 1}")
            x = b.op("Dropout", [x], f"classifier/classifier.{3 * i + 2}")
    b.nodes[-1].output[0] = "logits"
    b.output("logits")
    return b


def _basic(b: Builder, x: str, name: str, cin: int, planes: int, stride: int, bottleneck: bool) -> str:
    layer = name.split(".")[0]
    scope = f"{layer}/{name}"
    widths = [(cin, planes, 1, 1), (planes, planes, 3, stride), (planes, planes * 4, 1, 1)] \
        if bottleneck else [(cin, planes, 3, stride), (planes, planes, 3, 1)]
    out = x
    for i, (ci, co, k, s) in enumerate(widths, start=1):
        out = conv(b, out, _scope(scope, f"conv{i}"), f"{name}.conv{i}", ci, co, k, s)
        out = batchnorm(b, out, _scope(scope, f"bn{i}"), f"{name}.bn{i}", co)
        if i < len(widths):
            out = b.op("Relu", [out], _scope(scope, "relu"))
    cout = widths[-1][1]
    if stride != 1 or cin != cout:
        x = conv(b, x, _scope(scope, "downsample", "downsample.0"), f"{name}.downsample.0", cin, cout, 1,
                 stride)
        x = batchnorm(b, x, _scope(scope, "downsample", "downsample.1"), f"{name}.downsample.1", cout)
    return b.op("Relu", [b.op("Add", [out, x], scope)], _scope(scope, "relu"))


def resnet(batch: int, blocks: tuple[int, ...], bottleneck: bool) -> Builder:
    b = Builder()
    x = b.input("input", [batch, 3, 224, 224])
    x = b.op("Relu", [batchnorm(b, conv(b, x, "conv1", "conv1", 3, 64, 7, 2), "bn1", "bn1", 64)], "relu")
    x = b.op("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, count in enumerate(blocks):
        planes = 64 * 2**stage
        for i in range(count):
            stride = 2 if stage > 0 and i == 0 else 1
            x = _basic(b, x, f"layer{stage + 1}.{i}", cin, planes, stride, bottleneck)
            cin = planes * 4 if bottleneck else planes
    x = b.op("Flatten", [b.op("GlobalAveragePool", [x], "avgpool")], "", axis=1)
    x = linear(b, x, "fc", "fc", cin, 1000)
    b.nodes[-1].output[0] = "logits"
    b.output("logits")
    return b


def unet(batch: int) -> Builder:
    b = Builder()
    x, cin, skips = b.input("input", [batch, 3, 256, 256]), 3, []
    widths = (64, 128, 256, 512)

    def double(x: str, scope: str, cin: int, cout: int) -> str:
        for j in range(2):
            path = f"{scope.replace('/', '.')}.conv.{3 * j}"
            x = conv(b, x, f"{scope}/conv/conv.{3 * j}", path, cin if j == 0 else cout, cout, 3)
            x = batchnorm(b, x, f"{scope}/conv/conv.{3 * j + 1}", f"{scope.replace('/', '.')}.conv."
                          f"{3 * j + 1}", cout)
            x = b.op("Relu", [x], f"{scope}/conv/conv.{3 * j + 2}")
        return x

    for i, w in enumerate(widths):
        x = double(x, f"down{i}", cin, w)
        skips.append(x)
        x = b.op("MaxPool", [x], f"pool{i}", kernel_shape=[2, 2], strides=[2, 2])
        cin = w
    x = double(x, "bottleneck", cin, 1024)
    cin = 1024
    for i, w in reversed(list(enumerate(widths))):
        x = b.op("ConvTranspose", [x, b.weight(f"up{i}.weight", [cin, w, 2, 2]),
                                   b.weight(f"up{i}.bias", [w])], f"up{i}", kernel_shape=[2, 2],
                 strides=[2, 2])
        x = b.op("Concat", [skips[i], x], f"decoder{i}", axis=1)
        x = double(x, f"decoder{i}", 2 * w, w)
        cin = w
    x = conv(b, x, "head", "head", cin, 2, 1, bias=True)
    b.nodes[-1].output[0] = "mask_logits"
    b.output("mask_logits")
    return b

