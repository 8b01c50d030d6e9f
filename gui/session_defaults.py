"""What a session starts from: the model loader, the machine, and the words for a solve without a schedule."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.errors import RematError
from core.system import System
from solvers import SolveResult, SolveStatus

log = logging.getLogger(__name__)


def default_loader(path: Path, dims: dict[str, int]) -> Any:
    """``core.model_io.open_model``, imported when first used (ONNX loads only then)."""
    from core.model_io import open_model

    return open_model(path, dims or None)


def default_system() -> System:
    """The first bundled preset, or a plain one-GPU machine when no preset is installed."""
    try:
        from core.system_io import list_presets, load_system

        presets = list(list_presets())
        if presets:
            return load_system(str(presets[0]))
    except (ImportError, RematError, OSError):
        log.info("no device preset available; using a plain one-GPU machine")
    from core.system import Device, Memory

    return System(name="one GPU (generic)", devices=(Device("gpu", "gpu", "hbm", 100e12, 1.5e12, 5e-6, 0.5, 300, 50),),
                  memories=(Memory("hbm", 40 * 1024**3),))


def no_schedule_text(result: SolveResult) -> str:
    """What the user reads when a solve ends without a schedule (and that nothing was lost)."""
    texts = {
        SolveStatus.INFEASIBLE: "No schedule fits these budgets. Raise a budget or add a memory to page to.",
        SolveStatus.NO_SOLUTION: "The solver stopped before it found a schedule. Give it more time.",
    }
    head = texts.get(result.status, f"The solver ended with status {result.status.value}.")
    return f"{head}\n\n{result.message}".strip() + "\n\nThe previous result stays shown."
