"""Turn the user's budget requests (``8GiB``, ``gpu=6GiB``, ``0.8``) into bytes per memory."""

from __future__ import annotations

from core.errors import RematError
from core.graph import TrainingGraph, no_recompute_peak
from core.system import System
from core.units import parse_size


def resolve_budgets(graph: TrainingGraph, system: System, specs: list[str]) -> dict[str, int]:
    """Budgets in bytes per memory name from ``--budget`` values.

    Each spec is ``MEMORY=SIZE`` (``gpu=6GiB``), ``MEMORY=FRACTION`` or a bare ``SIZE``/``FRACTION``
    that applies to every memory a device computes from. A fraction (a number without unit, at most
    10) means that share of the graph's no-recomputation peak.
    """
    peak = no_recompute_peak(graph)
    compute_memories = [m.name for m in system.compute_memories()]
    budgets: dict[str, int] = {}
    for spec in specs:
        name, _, value = spec.rpartition("=")
        targets = [name] if name else compute_memories
        if name and name not in {m.name for m in system.memories}:
            valid = ", ".join(m.name for m in system.memories)
            raise RematError(f"--budget {spec!r}: unknown memory {name!r}; memories of this system: {valid}")
        for target in targets:
            budgets[target] = _budget_bytes(value, peak, spec)
    return budgets


def _budget_bytes(value: str, peak: int, spec: str) -> int:
    try:
        fraction = float(value)
    except ValueError:
        return parse_size(value, what=f"--budget {spec!r}")
    if fraction <= 0:
        raise RematError(f"--budget {spec!r}: a budget must be positive")
    if fraction <= 10:
        return int(fraction * peak)
    return parse_size(value, what=f"--budget {spec!r}")
