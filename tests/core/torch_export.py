"""Export a torch model to an architecture-only ONNX file (weights moved out, then deleted)."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import onnx
import torch

#: The dynamo exporter (torch >= 2.5) needs onnxscript; the legacy TorchScript exporter does not.
HAVE_ONNXSCRIPT = importlib.util.find_spec("onnxscript") is not None


def export_architecture_only(
    model: torch.nn.Module, args: tuple, path: Path, *, input_names: list[str],
    dynamic_axes: dict[str, dict[int, str]] | None = None, dynamo: bool = False, opset: int = 17,
    optimize: bool = True,
) -> Path:
    """Export ``model`` without its weights: legacy exporter in training mode (BatchNorm and Dropout
    as in training), dynamo exporter in eval mode (its training-mode graph drops BatchNorm).

    ``optimize`` (dynamo only) runs onnxscript's optimizer, which folds BatchNorm into convolutions,
    pre-transposes weights and merges initializers with equal values: the file's parameters then
    differ from the module's. The weights go to external data, which is then deleted: the file keeps
    every initializer's dims and type, as a model shared without its weights does.
    """
    model.train(not dynamo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            shapes = None
            if dynamic_axes:
                shapes = {name: {axis: torch.export.Dim(dim) for axis, dim in axes.items()}
                          for name, axes in dynamic_axes.items()}
            # Its native opset is 18; converting down to 17 goes through onnx's C API, which drops
            # the node metadata (pkg.torch.onnx.name_scopes) that carries module paths.
            torch.onnx.export(model, args, str(path), input_names=input_names,
                              opset_version=max(opset, 18), dynamo=True, optimize=optimize,
                              dynamic_shapes=shapes, external_data=True)
        else:
            torch.onnx.export(model, args, str(path), input_names=input_names, opset_version=opset,
                              dynamo=False, dynamic_axes=dynamic_axes, do_constant_folding=False,
                              training=torch.onnx.TrainingMode.TRAINING)
    proto = onnx.load(str(path))
    data = path.with_suffix(".onnx.data")
    onnx.save_model(proto, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=data.name, size_threshold=1024)
    data.unlink()
    return path
