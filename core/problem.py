"""The scheduling problem: graph, system, costs, budgets and objective, frozen and index-addressed.

Solvers receive one :class:`SchedulingProblem` and nothing else. Devices, memories and links are
addressed by their position in the system; derived lookups are built once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from core.costs import CostTable, build_cost_table
from core.errors import RematError
from core.graph import TrainingGraph
from core.system import MemoryKind, System


class Objective(StrEnum):
    TIME = "time"
    ENERGY = "energy"


@dataclass(frozen=True, eq=False)
class SchedulingProblem:
    """Everything a solver needs.

    Attributes
    ----------
    budgets_bytes:
        What a schedule may hold in each memory (index = position in ``system.memories``),
        static memory included.
    static_bytes:
        Memory held for the whole step in each memory (parameters, gradients, optimizer state, the
        input batch). With ``place_parameters``, the parameter state of each operator is left out:
        it lives where the schedule places it (:attr:`core.schedule.Schedule.placement`).
    objective:
        Minimize serial step time, or energy under ``time_limit_s``.
    time_limit_s:
        With the energy objective: the serial time a schedule may take (None: no limit).
    place_parameters:
        The weights of an operator (with their gradients and optimizer state,
        ``TrainingNode.param_state_bytes``) must be resident in the memory of every device that runs
        the operator or its backward node; the schedule decides which memory holds them.
    """

    graph: TrainingGraph
    system: System
    costs: CostTable
    budgets_bytes: tuple[int, ...]
    static_bytes: tuple[int, ...]
    objective: Objective = Objective.TIME
    time_limit_s: float | None = None
    place_parameters: bool = False

    @property
    def n_nodes(self) -> int:
        return len(self.graph.nodes)

    @property
    def n_devices(self) -> int:
        return len(self.system.devices)

    @property
    def n_memories(self) -> int:
        return len(self.system.memories)

    @cached_property
    def device_memory(self) -> tuple[int, ...]:
        """``device_memory[d]``: index of the memory device d computes out of."""
        names = [m.name for m in self.system.memories]
        return tuple(names.index(d.memory) for d in self.system.devices)

    @cached_property
    def link_index(self) -> dict[tuple[int, int], int]:
        """``(src_memory, dst_memory) -> link position`` for every link of the system."""
        names = [m.name for m in self.system.memories]
        return {(names.index(l.src), names.index(l.dst)): k for k, l in enumerate(self.system.links)}

    @cached_property
    def storage_memories(self) -> tuple[int, ...]:
        return tuple(
            i for i, m in enumerate(self.system.memories) if m.kind is MemoryKind.STORAGE
        )

    @cached_property
    def parameter_owner(self) -> tuple[int | None, ...]:
        """``parameter_owner[k]``: the node whose parameter state node k needs (itself, the forward
        node of a backward node), or None."""
        nodes = self.graph.nodes
        owner: list[int | None] = []
        for node in nodes:
            if node.param_state_bytes > 0:
                owner.append(node.id)
            elif node.forward_id is not None and nodes[node.forward_id].param_state_bytes > 0:
                owner.append(node.forward_id)
            else:
                owner.append(None)
        return tuple(owner)

    @property
    def total_static_bytes(self) -> int:
        """Static memory over all memories, parameter state included wherever it is placed."""
        placed = sum(n.param_state_bytes for n in self.graph.nodes) if self.place_parameters else 0
        return sum(self.static_bytes) + placed

    def memory_name(self, index: int) -> str:
        return self.system.memories[index].name

    def device_name(self, index: int) -> str:
        return self.system.devices[index].name

    def restricted_to_device(self, device: int) -> SchedulingProblem:
        """The same problem on device ``device`` alone (its memory and budget only).

        Used for the best-single-device comparison of multi-device schedules.
        """
        from core.system import System as _System

        dev = self.system.devices[device]
        mem_index = self.device_memory[device]
        memory = self.system.memories[mem_index]
        system = _System(
            name=f"{self.system.name} / {dev.name}",
            devices=(dev,),
            memories=(memory,),
            links=(),
            description=self.system.description,
            sources=self.system.sources,
        )
        costs = CostTable(
            self.costs.compute_time_s[:, [device]],
            self.costs.compute_energy_j[:, [device]],
            self.costs.copy_time_s[:0],
            self.costs.copy_energy_j[:0],
        )
        return SchedulingProblem(
            graph=self.graph,
            system=system,
            costs=costs,
            budgets_bytes=(self.budgets_bytes[mem_index],),
            static_bytes=(self.total_static_bytes,),
            objective=self.objective,
            time_limit_s=self.time_limit_s,
        )


def build_problem(
    graph: TrainingGraph,
    system: System,
    budgets_bytes: dict[str, int] | None = None,
    *,
    objective: Objective = Objective.TIME,
    time_limit_s: float | None = None,
    static_memory: str | None = None,
    costs: CostTable | None = None,
    place_parameters: bool | None = None,
) -> SchedulingProblem:
    """Assemble a problem from user choices (shared by the command line and the window).

    ``budgets_bytes`` maps memory names to budgets; memories not named keep their own budget (or
    capacity). Static memory goes to ``static_memory`` (default: the memory of the first device).
    ``place_parameters`` (default: with several devices, when the graph knows its operators' weights)
    leaves each operator's parameter state out of the static memory, for the schedule to place.
    """
    if not system.devices:
        raise RematError(f"system {system.name!r} has no device: add at least one device")
    names = [m.name for m in system.memories]
    budgets = {m.name: m.effective_budget for m in system.memories}
    for name, value in (budgets_bytes or {}).items():
        if name not in budgets:
            raise RematError(
                f"unknown memory {name!r} in --budget; memories of {system.name!r}: {', '.join(names)}"
            )
        if value <= 0:
            raise RematError(f"budget for memory {name!r} must be positive, got {value}")
        budgets[name] = value
    home = static_memory or system.devices[0].memory
    if home not in budgets:
        raise RematError(f"unknown memory {home!r} for static memory; memories: {', '.join(names)}")
    param_state = sum(n.param_state_bytes for n in graph.nodes)
    if place_parameters is None:
        place_parameters = len(system.devices) > 1 and param_state > 0
    # A weight two operators share counts in both of them: never let the rest go negative.
    home_static = max(0, graph.static_bytes - param_state) if place_parameters else graph.static_bytes
    static = tuple(home_static if name == home else 0 for name in names)
    return SchedulingProblem(
        graph=graph,
        system=system,
        costs=costs if costs is not None else build_cost_table(graph, system),
        budgets_bytes=tuple(budgets[name] for name in names),
        static_bytes=static,
        objective=objective,
        time_limit_s=time_limit_s,
        place_parameters=place_parameters,
    )
