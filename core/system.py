"""The machine a model trains on: devices, memories and the links between memories.

- A :class:`Device` computes out of exactly one :class:`Memory`; several devices may share one
  (unified-memory boards).
- A memory no device computes from is *storage* (host RAM used for swapping, flash, SD card): copies
  to and from it are paging.
- A :class:`Link` joins two memories in one direction; presets write both directions.

Everything is addressed by name here; a :class:`core.problem.SchedulingProblem` turns names into
indices once. Loading, saving and presets live in :mod:`core.system_io`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MemoryKind(StrEnum):
    DEVICE = "device"
    STORAGE = "storage"


@dataclass(frozen=True)
class Memory:
    name: str
    capacity_bytes: int
    kind: MemoryKind = MemoryKind.DEVICE
    #: What a schedule may use; ``None`` means the whole capacity.
    budget_bytes: int | None = None

    @property
    def effective_budget(self) -> int:
        return self.capacity_bytes if self.budget_bytes is None else self.budget_bytes


@dataclass(frozen=True)
class Device:
    """A processor with roofline figures (FORMULATIONS.md section 4)."""

    name: str
    kind: str  # "cpu", "gpu", "npu", "mcu"
    memory: str
    peak_flops: float  # FLOP/s at the precision used for training
    mem_bandwidth_bytes_s: float
    launch_overhead_s: float = 0.0
    efficiency: float = 1.0  # fraction of peak FLOP/s reached by real kernels
    active_power_w: float = 0.0
    idle_power_w: float = 0.0


@dataclass(frozen=True)
class Link:
    """A one-way path for copies from memory ``src`` to memory ``dst``.

    With ``direct_access`` the devices computing out of ``dst`` may also read a buffer that lives
    in ``src`` over the link without copying it into ``dst`` first (zero-copy access to pinned host
    memory, peer access between GPUs): each such read costs one transfer and takes no room in
    ``dst``. XEngine's model charges every cross-device input this way. A link with
    ``allows_copies`` False carries such reads only: no buffer is ever copied into ``dst``.
    """

    src: str
    dst: str
    bandwidth_bytes_s: float
    latency_s: float = 0.0
    energy_per_byte_j: float = 0.0
    direct_access: bool = False
    allows_copies: bool = True


@dataclass(frozen=True)
class System:
    name: str
    devices: tuple[Device, ...]
    memories: tuple[Memory, ...]
    links: tuple[Link, ...] = ()
    description: str = ""
    #: Where the figures come from (vendor datasheets, measurements), one entry per source.
    sources: tuple[str, ...] = ()

    def device(self, name: str) -> Device:
        for device in self.devices:
            if device.name == name:
                return device
        raise KeyError(name)

    def memory(self, name: str) -> Memory:
        for memory in self.memories:
            if memory.name == name:
                return memory
        raise KeyError(name)

    def link(self, src: str, dst: str) -> Link | None:
        for link in self.links:
            if link.src == src and link.dst == dst:
                return link
        return None

    def compute_memories(self) -> tuple[Memory, ...]:
        used = {d.memory for d in self.devices}
        return tuple(m for m in self.memories if m.name in used)

    def storage_memories(self) -> tuple[Memory, ...]:
        return tuple(m for m in self.memories if m.kind is MemoryKind.STORAGE)
