"""Parsing and printing sizes and durations the way people type them."""

from __future__ import annotations

import re

from core.errors import RematError

_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
    "t": 1000**4, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text: str, *, what: str = "size") -> int:
    """``"8GiB"`` -> 8589934592. Accepts B, kB/MB/GB/TB (powers of 1000) and KiB/MiB/GiB/TiB.

    Raises :class:`RematError` naming ``what`` for anything else, including negative sizes.
    """
    if text.strip().startswith("-"):
        raise RematError(f"{what}: size must be positive, got {text!r}")
    match = _SIZE.match(text)
    if not match or match.group(2).lower() not in _UNITS:
        raise RematError(
            f"{what}: cannot read {text!r} as a size; write a positive number with an optional unit "
            "such as 512MiB, 8GiB or 3.5GB"
        )
    value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if value <= 0:
        raise RematError(f"{what}: size must be positive, got {text!r}")
    return round(value)


def format_bytes(size: float) -> str:
    """``8589934592`` -> ``"8.00 GiB"``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_seconds(seconds: float) -> str:
    if seconds == 0:
        return "0 s"
    if abs(seconds) < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if abs(seconds) < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"
