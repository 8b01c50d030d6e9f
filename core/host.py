"""What can be read about this machine without running anything: CPU model, usable CPUs, RAM.

Used by the ``this-cpu`` preset (:mod:`core.system_io`) and written into calibration files.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

from core.units import format_bytes


@dataclass(frozen=True)
class HostInfo:
    """What can be read about this machine without running anything."""

    cpu_model: str
    cpu_count: int
    ram_bytes: int | None


def host_info() -> HostInfo:
    """CPU model, usable CPU count and RAM of this machine (cgroup limit included where set)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return HostInfo(cpu_model=_cpu_model(), cpu_count=max(1, cpus), ram_bytes=_ram_bytes())


def describe_this_cpu() -> str:
    """One line such as ``"AMD EPYC, 2 CPUs, 23.54 GiB RAM"`` for reports and calibration files."""
    info = host_info()
    ram = "" if info.ram_bytes is None else f", {format_bytes(info.ram_bytes)} RAM"
    return f"{info.cpu_model}, {info.cpu_count} CPU{'s' if info.cpu_count != 1 else ''}{ram}"


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    # x86 writes "model name"; Arm boards write "Model" (Raspberry Pi) or only "Hardware".
    for key in ("model name", "Model", "Hardware"):
        for line in lines:
            name, sep, value = line.partition(":")
            if sep and name.strip() == key and value.strip():
                return value.strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def _ram_bytes() -> int | None:
    try:
        total: int | None = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = None
    # In a container the cgroup limit, not the host's RAM, is what a process can use.
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text(encoding="utf-8").strip()
        except OSError:
            continue
        if text.isdigit() and int(text) > 0:
            total = int(text) if total is None else min(total, int(text))
    return total


