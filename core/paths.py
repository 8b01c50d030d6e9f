"""The one place that knows where bundled resources live."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESOURCES = REPO_ROOT / "resources"
MODELS_DIR = RESOURCES / "models"
DEVICES_DIR = RESOURCES / "devices"
SCHEMAS_DIR = RESOURCES / "schemas"
TEMPLATES_DIR = RESOURCES / "templates"

#: What every checkout has beside it: benchmark graphs and oracles of known optima (may be absent).
SHARED_DIR = REPO_ROOT.parent / "shared"
#: The standard training graphs of the rematerialization literature.
BENCHMARK_GRAPHS = SHARED_DIR / "benchmarks" / "graphs"

#: The model the app and ``make run`` open when none is given.
DEFAULT_SAMPLE_MODEL = MODELS_DIR / "resnet18_bs32.onnx"
