"""Plain-PyTorch re-implementations of well-known architectures, for real-export tests.

torchvision does not import beside this torch build, so the models are written out here following
torchvision's and the papers' definitions (same modules, same parameter counts at full size). Every
factory takes a ``scale`` so tests can export a small but structurally identical version.
"""

from __future__ import annotations

import torch
from torch import nn


def _bn_conv(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act: type | None = nn.ReLU,
             dilation: int = 1) -> nn.Sequential:
    pad = dilation * (k - 1) // 2
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, pad, dilation=dilation, groups=groups,
                                         bias=False), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act(inplace=True) if act in (nn.ReLU, nn.ReLU6) else act())
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        width = planes
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes * 4, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes * 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision ResNet with Bottleneck blocks (ResNet-50: layers (3, 4, 6, 3))."""

    def __init__(self, layers: tuple[int, ...] = (3, 4, 6, 3), num_classes: int = 1000, width: int = 64,
                 dilate_last: bool = False, head: bool = True) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = width
        for i, count in enumerate(layers):
            planes = width * 2**i
            dilation = 2 if dilate_last and i >= 2 else 1
            stride = 1 if i == 0 or dilation > 1 else 2
            blocks = []
            for j in range(count):
                blocks.append(Bottleneck(cin, planes, stride if j == 0 else 1, dilation))
                cin = planes * 4
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.n_layers, self.out_channels, self.head = len(layers), cin, head
        if head:
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.n_layers):
            x = getattr(self, f"layer{i + 1}")(x)
        if not self.head:
            return x
        return self.fc(torch.flatten(self.avgpool(x), 1))


class VGG(nn.Module):
    """torchvision VGG (configuration D = VGG16 without batch norm)."""

    CFG_D = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")

    def __init__(self, cfg: tuple = CFG_D, hidden: int = 4096, num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, int(v), 3, padding=1), nn.ReLU(inplace=True)]
                cin = int(v)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(cin * 49, hidden), nn.ReLU(True), nn.Dropout(),
            nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(), nn.Linear(hidden, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int, act: type = nn.ReLU6,
                 k: int = 3, se: bool = False) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = [] if expand == 1 else [_bn_conv(cin, hidden, 1, act=act)]
        layers.append(_bn_conv(hidden, hidden, k, stride, groups=hidden, act=act))
        if se:
            layers.append(SqueezeExcite(hidden, max(1, cin // 4)))
        layers += [nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.use_res = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_res else self.conv(x)


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, squeeze: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.act, self.gate = nn.SiLU(), nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(self.fc2(self.act(self.fc1(self.avgpool(x)))))


class MobileNet(nn.Module):
    """MobileNetV2 (``efficient=False``) or an EfficientNet-B0-like net (SiLU, SE, 5x5 kernels)."""

    V2 = ((1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 32, 3, 2, 3), (6, 64, 4, 2, 3), (6, 96, 3, 1, 3),
          (6, 160, 3, 2, 3), (6, 320, 1, 1, 3))
    B0 = ((1, 16, 1, 1, 3), (6, 24, 2, 2, 3), (6, 40, 2, 2, 5), (6, 80, 3, 2, 3), (6, 112, 3, 1, 5),
          (6, 192, 4, 2, 5), (6, 320, 1, 1, 3))

    def __init__(self, efficient: bool = False, num_classes: int = 1000, depth: float = 1.0) -> None:
        super().__init__()
        act = nn.SiLU if efficient else nn.ReLU6
        cfg, last = (self.B0, 1280) if efficient else (self.V2, 1280)
        layers: list[nn.Module] = [_bn_conv(3, 32, 3, 2, act=act)]
        cin = 32
        for t, c, n, s, k in cfg:
            for i in range(max(1, round(n * depth))):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t, act, k, se=efficient))
                cin = c
        layers.append(_bn_conv(cin, last, 1, act=act))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class DenseLayer(nn.Module):
    def __init__(self, cin: int, growth: int, bn_size: int = 4) -> None:
        super().__init__()
        self.norm1, self.relu1 = nn.BatchNorm2d(cin), nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(cin, bn_size * growth, 1, bias=False)
        self.norm2, self.relu2 = nn.BatchNorm2d(bn_size * growth), nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        x = self.conv1(self.relu1(self.norm1(torch.cat(features, 1))))
        return self.conv2(self.relu2(self.norm2(x)))


class DenseBlock(nn.ModuleDict):
    def __init__(self, count: int, cin: int, growth: int) -> None:
        super().__init__({f"denselayer{i + 1}": DenseLayer(cin + i * growth, growth) for i in range(count)})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


class DenseNet(nn.Module):
    """torchvision DenseNet (DenseNet-121: blocks (6, 12, 24, 16), growth 32)."""

    def __init__(self, blocks: tuple[int, ...] = (6, 12, 24, 16), growth: int = 32, init: int = 64,
                 num_classes: int = 1000) -> None:
        super().__init__()
        stem: list[tuple[str, nn.Module]] = [
            ("conv0", nn.Conv2d(3, init, 7, 2, 3, bias=False)), ("norm0", nn.BatchNorm2d(init)),
            ("relu0", nn.ReLU(inplace=True)), ("pool0", nn.MaxPool2d(3, 2, 1))]
        self.features = nn.Sequential()
        for name, module in stem:
            self.features.add_module(name, module)
        c = init
        for i, count in enumerate(blocks):
            self.features.add_module(f"denseblock{i + 1}", DenseBlock(count, c, growth))
            c += count * growth
            if i < len(blocks) - 1:
                self.features.add_module(f"transition{i + 1}", nn.Sequential(
                    nn.BatchNorm2d(c), nn.ReLU(inplace=True), nn.Conv2d(c, c // 2, 1, bias=False),
                    nn.AvgPool2d(2, 2)))
                c //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(c))
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = nn.functional.relu(self.features(x))
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(x, (1, 1)), 1))


class FCN(nn.Module):
    """FCN with a dilated ResNet backbone and the FCNHead of torchvision's segmentation models."""

    def __init__(self, layers: tuple[int, ...] = (3, 4, 6, 3), num_classes: int = 21, width: int = 64) -> None:
        super().__init__()
        self.backbone = ResNet(layers, width=width, dilate_last=True, head=False)
        c = self.backbone.out_channels
        self.classifier = nn.Sequential(nn.Conv2d(c, c // 4, 3, padding=1, bias=False),
                                        nn.BatchNorm2d(c // 4), nn.ReLU(), nn.Dropout(0.1),
                                        nn.Conv2d(c // 4, num_classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.classifier(self.backbone(x))
        return nn.functional.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)


from tests.core.torch_transformers import GPTDecoder, TextEncoder, ViT  # noqa: E402

__all__ = ["FCN", "VGG", "DenseNet", "GPTDecoder", "MobileNet", "ResNet", "TextEncoder", "ViT"]
