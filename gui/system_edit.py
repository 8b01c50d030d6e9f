"""Pure edits of a :class:`core.system.System` made by the system editor (no Qt, easy to test)."""

from __future__ import annotations

import dataclasses

from core.errors import RematError
from core.system import Device, Link, Memory, System


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    index = 2
    while f"{name}-{index}" in taken:
        index += 1
    return f"{name}-{index}"


def merge_systems(base: System, extra: System) -> System:
    """``base`` plus the devices, memories and links of ``extra`` (names made unique)."""
    memory_names = {m.name for m in base.memories}
    renamed: dict[str, str] = {}
    memories = list(base.memories)
    for memory in extra.memories:
        new = _unique(memory.name, memory_names)
        memory_names.add(new)
        renamed[memory.name] = new
        memories.append(dataclasses.replace(memory, name=new))
    device_names = {d.name for d in base.devices}
    devices = list(base.devices)
    for device in extra.devices:
        new = _unique(device.name, device_names)
        device_names.add(new)
        devices.append(dataclasses.replace(device, name=new, memory=renamed[device.memory]))
    links = list(base.links) + [dataclasses.replace(l, src=renamed[l.src], dst=renamed[l.dst]) for l in extra.links]
    name = extra.name if not base.devices else f"{base.name} + {extra.name}"
    sources = tuple(dict.fromkeys(base.sources + extra.sources))
    return dataclasses.replace(base, name=name, devices=tuple(devices), memories=tuple(memories),
                               links=tuple(links), sources=sources)


def remove_device(system: System, name: str) -> System:
    return dataclasses.replace(system, devices=tuple(d for d in system.devices if d.name != name))


def remove_memory(system: System, name: str) -> System:
    """Remove memory ``name`` with the devices computing from it and its links."""
    return dataclasses.replace(
        system,
        memories=tuple(m for m in system.memories if m.name != name),
        devices=tuple(d for d in system.devices if d.memory != name),
        links=tuple(l for l in system.links if name not in (l.src, l.dst)),
    )


def add_link(system: System, src: str, dst: str, bandwidth_bytes_s: float, latency_s: float = 0.0,
             both_ways: bool = True) -> System:
    """Add a link (both directions by default), replacing any existing link between the pair."""
    names = {m.name for m in system.memories}
    if src not in names or dst not in names or src == dst:
        raise RematError(f"a link joins two different memories of the machine; got {src!r} -> {dst!r}")
    if bandwidth_bytes_s <= 0:
        raise RematError(f"link {src} -> {dst}: bandwidth must be positive")
    pairs = {(src, dst), (dst, src)} if both_ways else {(src, dst)}
    kept = [l for l in system.links if (l.src, l.dst) not in pairs]
    new = [Link(a, b, bandwidth_bytes_s, latency_s) for a, b in sorted(pairs)]
    return dataclasses.replace(system, links=tuple(kept + new))


def remove_link(system: System, src: str, dst: str) -> System:
    return dataclasses.replace(system, links=tuple(l for l in system.links if (l.src, l.dst) != (src, dst)))


def devices_of(system: System, memory: str) -> tuple[Device, ...]:
    return tuple(d for d in system.devices if d.memory == memory)


def memory_by_name(system: System, name: str) -> Memory:
    return system.memory(name)
