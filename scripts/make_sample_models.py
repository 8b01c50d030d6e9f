"""Write the bundled sample models to resources/models/ (architecture only, no downloads).

Each model is built node by node with ``onnx.helper`` at realistic shapes, opset 17, with node names
in the style of PyTorch's exporter (``/layer1/layer1.0/conv1/Conv``) so module scopes exist. Weights
are *external data pointing to a file that is not shipped*: the initializers keep their dims and
types (parameter counts and bytes are exact) while each file stays small. ``onnx.checker`` validates
every model against an empty stand-in weights file before it is written.

Usage: ``python scripts/make_sample_models.py [OUT_DIR]``
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import onnx
from onnx import helper

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.sample_blocks import WEIGHTS_FILE, Builder, mlp, resnet, unet, vgg11
from scripts.sample_gpt2 import gpt2

OPSET = 17


def to_model(builder: Builder, name: str) -> onnx.ModelProto:
    graph = helper.make_graph(builder.nodes, name, builder.inputs, builder.outputs,
                              initializer=builder.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="remat-studio sample models")
    model.ir_version = 8
    # Output shapes come from inference, so the recipes need not spell them out.
    inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    for output, typed in zip(model.graph.output, inferred.graph.output, strict=True):
        output.type.CopyFrom(typed.type)
    return model


def check(model: onnx.ModelProto) -> None:
    """Validate everything but the weights' presence: point the checker at an empty stand-in."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / WEIGHTS_FILE).write_bytes(b"")
        path = Path(tmp) / "model.onnx"
        onnx.save(model, str(path))
        onnx.checker.check_model(str(path))
        onnx.shape_inference.infer_shapes_path(str(path), str(path), strict_mode=True, data_prop=True)


SAMPLES = {
    "mlp_bs64.onnx": lambda: mlp(batch=64),
    "vgg11_bs32.onnx": lambda: vgg11(batch=32),
    "resnet18_bs32.onnx": lambda: resnet(batch=32, blocks=(2, 2, 2, 2), bottleneck=False),
    "resnet50_bs32.onnx": lambda: resnet(batch=32, blocks=(3, 4, 6, 3), bottleneck=True),
    "gpt2_small_bs8.onnx": lambda: gpt2(batch=8, seq=512),
    "gpt2_small_dynamic.onnx": lambda: gpt2(batch="batch", seq="sequence"),
    "unet_bs8.onnx": lambda: unet(batch=8),
}


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent.parent / "resources" / "models"
    out.mkdir(parents=True, exist_ok=True)
    for filename, make in SAMPLES.items():
        builder = make()
        model = to_model(builder, Path(filename).stem)
        check(model)
        onnx.save(model, str(out / filename))
        size = (out / filename).stat().st_size
        print(f"{filename}: {len(model.graph.node)} nodes, {builder.param_count:,} parameters, "
              f"{size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


