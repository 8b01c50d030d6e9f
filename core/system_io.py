"""System files: the bundled machine presets, reading and writing ``remat-studio.system`` JSON.

A system file lists memories, devices and links (see ``resources/schemas/system.schema.json``).
Hand-written files may give sizes with units (``"24GiB"``) and bandwidths as ``"25GB/s"``; saved
files always hold plain numbers. Every mistake in a file raises :class:`RematError` naming the file
and the JSON field path (``devices/1/memory``).

The ``this-cpu`` preset describes the machine the program runs on: its file holds generic per-CPU
figures and loading it fills in the CPU count, the RAM size and the CPU model read from this machine
(no benchmark; measured node times come from ``main.py calibrate``, see :mod:`core.calibration`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.errors import RematError
from core.host import describe_this_cpu, host_info
from core.jsonfile import atomic_write_text, check_schema, read_json
from core.paths import DEVICES_DIR
from core.system import Device, Link, Memory, MemoryKind, System
from core.units import format_bytes, parse_size

log = logging.getLogger(__name__)

SYSTEM_FORMAT = "remat-studio.system"
SYSTEM_VERSION = 1
#: Presets in the order the window and ``main.py systems`` list them; the first is the default.
CURATED_ORDER = ("desktop", "gpu-server", "jetson-orin", "raspberry-pi4", "cortex-m", "this-cpu")
THIS_CPU = "this-cpu"
SCHEMA = "system.schema.json"


# ---------------------------------------------------------------------------------------------- presets


def list_presets() -> list[str]:
    """Names of the bundled presets: the curated ones first, then any other file alphabetically."""
    found = {p.stem for p in DEVICES_DIR.glob("*.json")}
    curated = [name for name in CURATED_ORDER if name in found]
    return curated + sorted(found - set(curated))


def load_system(name_or_path: str | Path) -> System:
    """The system of a bundled preset (by name) or of a system JSON file (by path).

    The bundled ``this-cpu`` file (by name or path) is completed from this machine: CPU count,
    RAM and CPU model (:func:`host_info`). A saved copy of it loads as written.

    Raises
    ------
    RematError
        An unknown preset name (the message lists the valid ones), a missing or unreadable file,
        or a file that breaks the format (the message names the file and the field).
    """
    path = _resolve(name_or_path)
    system = system_from_dict(read_json(path, "system file"), str(path))
    if path.resolve() == (DEVICES_DIR / f"{THIS_CPU}.json").resolve():
        system = _fill_from_host(system)
    return system


def _resolve(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    if not isinstance(name_or_path, Path) and (DEVICES_DIR / f"{text}.json").is_file():
        return DEVICES_DIR / f"{text}.json"
    path = Path(name_or_path)
    if path.is_file():
        return path
    if isinstance(name_or_path, str) and "/" not in text and "\\" not in text and not text.endswith(".json"):
        raise RematError(f"unknown system preset {text!r}; presets: {', '.join(list_presets())} "
                         "(or give the path of an existing system JSON file)")
    raise RematError(f"system file {path} does not exist; give an existing system JSON file or one of "
                     f"the presets: {', '.join(list_presets())}")


# ---------------------------------------------------------------------------------------------- reading


def system_from_dict(doc: Any, where: str) -> System:
    """Build a :class:`System` from a parsed system document.

    ``where`` names the document in error messages (usually its file path). The document is
    checked against the JSON Schema first, then for what a schema cannot say: names must be unique,
    devices and links must name existing memories, devices compute out of device memories, budgets
    fit in their capacity.
    """
    check_schema(doc, SCHEMA, where, "see resources/schemas/system.schema.json for the format")
    memories = tuple(_memory(m, f"{where}: field memories/{i}") for i, m in enumerate(doc["memories"]))
    _check_unique([m.name for m in memories], where, "memories")
    kinds = {m.name: m.kind for m in memories}
    devices = tuple(_device(d, f"{where}: field devices/{i}") for i, d in enumerate(doc["devices"]))
    _check_unique([d.name for d in devices], where, "devices")
    for i, device in enumerate(devices):
        _check_memory(device.memory, kinds, f"{where}: field devices/{i}/memory")
        if kinds[device.memory] is MemoryKind.STORAGE:
            raise RematError(f"{where}: field devices/{i}/memory: device {device.name!r} computes out of "
                             f"{device.memory!r}, a storage memory; mark that memory \"kind\": \"device\" "
                             "or let the device compute out of another memory")
    links = tuple(_link(k, f"{where}: field links/{i}") for i, k in enumerate(doc.get("links", ())))
    _check_links(links, kinds, where)
    return System(name=doc["name"], devices=devices, memories=memories, links=links,
                  description=doc.get("description", ""), sources=tuple(doc.get("sources", ())))


def _size(value: int | str, what: str) -> int:
    return parse_size(value, what=what) if isinstance(value, str) else int(value)


def _rate(value: float | str, what: str) -> float:
    if isinstance(value, str):
        return float(parse_size(value.strip().removesuffix("s").strip().removesuffix("/"), what=what))
    return float(value)


def _memory(entry: dict[str, Any], where: str) -> Memory:
    capacity = _size(entry["capacity_bytes"], f"{where}/capacity_bytes")
    budget = entry.get("budget_bytes")
    budget_bytes = None if budget is None else _size(budget, f"{where}/budget_bytes")
    if budget_bytes is not None and budget_bytes > capacity:
        raise RematError(f"{where}/budget_bytes: budget {format_bytes(budget_bytes)} exceeds the capacity "
                         f"{format_bytes(capacity)}; lower the budget or remove it to use the whole memory")
    return Memory(entry["name"], capacity, MemoryKind(entry.get("kind", "device")), budget_bytes)


def _device(entry: dict[str, Any], where: str) -> Device:
    return Device(
        name=entry["name"], kind=entry["kind"], memory=entry["memory"],
        peak_flops=float(entry["peak_flops"]),
        mem_bandwidth_bytes_s=_rate(entry["mem_bandwidth_bytes_s"], f"{where}/mem_bandwidth_bytes_s"),
        launch_overhead_s=float(entry.get("launch_overhead_s", 0.0)),
        efficiency=float(entry.get("efficiency", 1.0)),
        active_power_w=float(entry.get("active_power_w", 0.0)),
        idle_power_w=float(entry.get("idle_power_w", 0.0)),
    )


def _link(entry: dict[str, Any], where: str) -> Link:
    return Link(src=entry["src"], dst=entry["dst"],
                bandwidth_bytes_s=_rate(entry["bandwidth_bytes_s"], f"{where}/bandwidth_bytes_s"),
                latency_s=float(entry.get("latency_s", 0.0)),
                energy_per_byte_j=float(entry.get("energy_per_byte_j", 0.0)),
                direct_access=bool(entry.get("direct_access", False)),
                allows_copies=bool(entry.get("allows_copies", True)))


def _check_unique(names: list[str], where: str, section: str) -> None:
    for position, name in enumerate(names):
        if names.index(name) != position:
            raise RematError(f"{where}: field {section}/{position}/name: {name!r} is already the name of "
                             f"{section}/{names.index(name)}; give every entry its own name")


def _check_memory(name: str, kinds: dict[str, MemoryKind], what: str) -> None:
    if name not in kinds:
        raise RematError(f"{what}: unknown memory {name!r}; memories: {', '.join(kinds)}")


def _check_links(links: tuple[Link, ...], kinds: dict[str, MemoryKind], where: str) -> None:
    seen: dict[tuple[str, str], int] = {}
    for i, link in enumerate(links):
        _check_memory(link.src, kinds, f"{where}: field links/{i}/src")
        _check_memory(link.dst, kinds, f"{where}: field links/{i}/dst")
        if link.src == link.dst:
            raise RematError(f"{where}: field links/{i}/dst: a link joins two different memories, "
                             f"not {link.src!r} to itself")
        if (link.src, link.dst) in seen:
            raise RematError(f"{where}: field links/{i}: a second link from {link.src!r} to {link.dst!r} "
                             f"(links/{seen[(link.src, link.dst)]} is the first); keep one per direction")
        seen[(link.src, link.dst)] = i


# ---------------------------------------------------------------------------------------------- writing


def system_to_dict(system: System) -> dict[str, Any]:
    """The system as a ``remat-studio.system`` document (plain numbers, no units)."""
    memories: list[dict[str, Any]] = []
    for m in system.memories:
        entry: dict[str, Any] = {"name": m.name, "capacity_bytes": m.capacity_bytes, "kind": m.kind.value}
        if m.budget_bytes is not None:
            entry["budget_bytes"] = m.budget_bytes
        memories.append(entry)
    devices = [{"name": d.name, "kind": d.kind, "memory": d.memory, "peak_flops": d.peak_flops,
                "mem_bandwidth_bytes_s": d.mem_bandwidth_bytes_s, "launch_overhead_s": d.launch_overhead_s,
                "efficiency": d.efficiency, "active_power_w": d.active_power_w, "idle_power_w": d.idle_power_w}
               for d in system.devices]
    links = [{"src": k.src, "dst": k.dst, "bandwidth_bytes_s": k.bandwidth_bytes_s, "latency_s": k.latency_s,
              "energy_per_byte_j": k.energy_per_byte_j, **({"direct_access": True} if k.direct_access else {}),
              **({} if k.allows_copies else {"allows_copies": False})}
             for k in system.links]
    return {"format": SYSTEM_FORMAT, "version": SYSTEM_VERSION, "name": system.name,
            "description": system.description, "sources": list(system.sources),
            "memories": memories, "devices": devices, "links": links}


def save_system(system: System, path: str | Path) -> None:
    """Write ``system`` to ``path`` atomically (temporary file in the same folder, then ``os.replace``)."""
    if not isinstance(system, System):
        raise TypeError(f"save_system(system, path) takes the System first, got {type(system).__name__}")
    atomic_write_text(path, json.dumps(system_to_dict(system), indent=2) + "\n")


# ---------------------------------------------------------------------------------------------- this machine


def _fill_from_host(system: System) -> System:
    """The ``this-cpu`` preset with this machine's CPU count, RAM and model name.

    The file's ``peak_flops`` is per CPU; the device's is that times the CPUs this process may use.
    """
    info = host_info()
    devices = tuple(replace(d, peak_flops=d.peak_flops * info.cpu_count) for d in system.devices)
    memories = system.memories
    if info.ram_bytes is not None:
        memories = tuple(replace(m, capacity_bytes=info.ram_bytes) if m.kind is MemoryKind.DEVICE else m
                         for m in memories)
    description = (f"This machine: {describe_this_cpu()}. {system.description}").strip()
    log.info("this-cpu preset: %s", description)
    return replace(system, name=f"This CPU ({info.cpu_model})", devices=devices, memories=memories,
                   description=description)
