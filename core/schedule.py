"""The schedule: an ordered list of steps, the one thing every solver returns.

Steps address nodes, devices and memories by index into the problem's graph and system. A compute of
a node that was computed before is a *recomputation*; the simulator tells them apart, the schedule
does not store it. Copies into a storage memory are page-outs; copies out of one are page-ins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Compute:
    """Run node ``node`` on device ``device``; its output is allocated in that device's memory.

    ``remote`` lists the inputs read over a direct-access link instead of from the device's own
    memory, as ``(input node, memory it is resident in)`` pairs (see :class:`core.system.Link`).
    """

    node: int
    device: int
    remote: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Copy:
    """Copy node ``node``'s buffer from memory ``src`` to memory ``dst`` along their link."""

    node: int
    src: int
    dst: int


@dataclass(frozen=True)
class Free:
    """Release node ``node``'s buffer in memory ``memory``."""

    node: int
    memory: int


Step = Compute | Copy | Free


@dataclass(frozen=True)
class Schedule:
    """The steps, and (for problems that place parameters) where each operator's weights live.

    ``placement`` pairs a node holding parameter state with the memory that holds it for the whole
    step; a node it does not name keeps its weights in the memory of the device that first computes
    it (see :attr:`core.problem.SchedulingProblem.place_parameters`).
    """

    steps: tuple[Step, ...]
    placement: tuple[tuple[int, int], ...] = ()

    def __len__(self) -> int:
        return len(self.steps)

    def computes(self) -> tuple[Compute, ...]:
        return tuple(s for s in self.steps if isinstance(s, Compute))
