"""The one place that knows where bundled resources live."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESOURCES = REPO_ROOT / "resources"
MODELS_DIR = RESOURCES / "models"
DEVICES_DIR = RESOURCES / "devices"
SCHEMAS_DIR = RESOURCES / "schemas"
TEMPLATES_DIR = RESOURCES / "templates"

#: The standard training graphs of the rematerialization literature, beside the checkout (may be absent).
BENCHMARK_GRAPHS = REPO_ROOT.parent / "shared" / "benchmarks" / "graphs"

#: The model the app and ``make run`` open when none is given.
DEFAULT_SAMPLE_MODEL = MODELS_DIR / "resnet18_bs32.onnx"
