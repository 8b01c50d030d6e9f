"""Full-size exports of well-known networks: ``inspect --json`` finds their published parameter counts.

Each network is built at its published size (the torchvision / Hugging Face layer layout in
tests/core/torch_models.py and torch_transformers.py), exported to ONNX at opset 17 and stripped of its
weights (architecture only, external data deleted). The importer must report the parameter count
published with the network, and the training graph's memory figures must be consistent with it.
(ViT and BERT are covered at a reduced size, with every other architecture, in test_real_exports.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from cli import main  # noqa: E402
from tests.core import torch_models as tm  # noqa: E402
from tests.core import torch_transformers as tt  # noqa: E402
from tests.core.torch_export import export_architecture_only  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.slow]

IMAGE = (1, 3, 64, 64)
TOKENS = (1, 16)

#: name -> (constructor, example input, input names, published parameter count)
PUBLISHED = {
    "resnet50": (lambda: tm.ResNet(), lambda: torch.zeros(IMAGE), ["input"], 25_557_032),
    "mobilenet_v2": (lambda: tm.MobileNet(False), lambda: torch.zeros(IMAGE), ["input"], 3_504_872),
    "efficientnet_b0": (lambda: tm.MobileNet(True), lambda: torch.zeros(IMAGE), ["input"], 5_288_548),
    "densenet121": (lambda: tm.DenseNet(), lambda: torch.zeros(IMAGE), ["input"], 7_978_856),
    "gpt2_small": (lambda: tt.GPTDecoder(), lambda: torch.zeros(TOKENS, dtype=torch.long), ["input_ids"],
                   124_439_808),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_inspect_finds_the_published_parameter_count(name: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    make, example, input_names, published = PUBLISHED[name]
    torch.manual_seed(0)
    model = make()
    assert sum(p.numel() for p in model.parameters()) == published  # the layout is the published one
    path = export_architecture_only(model, (example(),), tmp_path / f"{name}.onnx", input_names=input_names)
    del model
    assert not list(tmp_path.glob("*.data"))  # the weights are really gone
    assert main(["inspect", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["param_count"] == published
    assert report["param_bytes"] == 4 * published  # float32
    assert report["unknown_op_types"] == []
    assert report["onnx_node_count"] > report["data_path_op_count"] > 0
    # Forward nodes, a loss, and at most one backward node per operator.
    assert report["data_path_op_count"] < report["training_node_count"] <= 2 * report["data_path_op_count"] + 1
    assert report["static_bytes"] >= 2 * report["param_bytes"]
    assert report["min_feasible_budget_bytes"] <= report["no_recompute_peak_bytes"]
