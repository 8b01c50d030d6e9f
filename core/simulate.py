"""The simulator: replay any schedule against its problem, independently of the solver that made it.

Memory (per memory, in step order): static bytes plus every resident buffer. A compute allocates its
output in the memory of its device while its inputs are resident, and the budget is checked at that
moment; a copy allocates in the destination memory; a free releases. This is the convention of
:func:`core.graph.no_recompute_peak` and of the stage-based MILPs.

Time: the *serial* time is the sum of step durations (the objective of the stage-based MILPs). The
*overlapped* timeline runs each device and each link as a queue in schedule order: a step starts when
its queue is free and its inputs are ready where it reads them. Memory figures follow step order, so
they bound what the overlapped run holds only as far as that run keeps step order per memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.problem import SchedulingProblem
from core.schedule import Compute, Copy, Free, Schedule, Step
from core.trace import StepRole, StepTiming, Trace, Violation

#: Violations are still counted past this many, but no longer described one by one.
MAX_VIOLATIONS = 200


@dataclass
class _State:
    """Mutable replay state, private to one call of :func:`simulate`."""

    problem: SchedulingProblem
    resident: list[set[int]]
    usage: list[int]
    peak: list[int]
    curves: list[list[tuple[int, int]]]
    computed: list[bool]
    ready_s: dict[tuple[int, int], float] = field(default_factory=dict)
    last_read_s: dict[tuple[int, int], float] = field(default_factory=dict)
    device_free_s: list[float] = field(default_factory=list)
    link_free_s: list[float] = field(default_factory=list)
    device_busy_s: list[float] = field(default_factory=list)
    serial_s: float = 0.0
    violations: list[Violation] = field(default_factory=list)
    violation_count: int = 0
    remote_reads: list[StepTiming] = field(default_factory=list)
    placement: dict[int, int] = field(default_factory=dict)

    def violate(self, kind: str, step: int | None, node: int | None, memory: int | None, msg: str) -> None:
        self.violation_count += 1
        if len(self.violations) < MAX_VIOLATIONS:
            self.violations.append(Violation(kind, step, node, memory, msg))

    def allocate(self, index: int, node: int, memory: int) -> None:
        problem = self.problem
        self.resident[memory].add(node)
        self.usage[memory] += problem.graph.nodes[node].size_bytes
        self.peak[memory] = max(self.peak[memory], self.usage[memory])
        self.curves[memory].append((index, self.usage[memory]))
        budget = problem.budgets_bytes[memory]
        if self.usage[memory] > budget:
            self.violate(
                "budget_exceeded", index, node, memory,
                f"step {index}: memory {problem.memory_name(memory)!r} holds {self.usage[memory]} bytes "
                f"after allocating {_name(problem, node)!r}, over its budget of {budget} bytes",
            )


def _name(problem: SchedulingProblem, node: int) -> str:
    return problem.graph.nodes[node].name


def simulate(problem: SchedulingProblem, schedule: Schedule) -> Trace:
    """Replay ``schedule`` against ``problem``.

    Returns a :class:`core.trace.Trace` whose ``violations`` list every step that cannot run (an input
    not resident where it is read, a budget exceeded, a copy without a link, a free of a buffer that
    is not there) and every node never computed. A schedule is valid when ``trace.ok``.
    """
    n_mem = problem.n_memories
    placement = parameter_placement(problem, schedule)
    static = list(problem.static_bytes)
    for node, memory in placement.items():
        static[memory] += problem.graph.nodes[node].param_state_bytes
    state = _State(
        problem=problem,
        resident=[set() for _ in range(n_mem)],
        usage=list(static),
        peak=list(static),
        curves=[[(-1, static[m])] for m in range(n_mem)],
        computed=[False] * problem.n_nodes,
        device_free_s=[0.0] * problem.n_devices,
        link_free_s=[0.0] * len(problem.system.links),
        device_busy_s=[0.0] * problem.n_devices,
        placement=placement,
    )
    for m in range(n_mem):
        if state.usage[m] > problem.budgets_bytes[m]:
            state.violate(
                "budget_exceeded", None, None, m,
                f"static memory ({state.usage[m]} bytes) alone exceeds the budget of memory "
                f"{problem.memory_name(m)!r} ({problem.budgets_bytes[m]} bytes)",
            )
    timings = [_replay_step(state, index, step) for index, step in enumerate(schedule.steps)]
    for node, done in enumerate(state.computed):
        if not done:
            state.violate("never_computed", None, node, None,
                          f"node {_name(problem, node)!r} is never computed")
    return _finish(state, schedule, timings)


def parameter_placement(problem: SchedulingProblem, schedule: Schedule) -> dict[int, int]:
    """``{node: memory}`` holding each operator's parameter state (empty unless the problem places
    parameters): the schedule's placement, else the memory of the device that first computes it."""
    if not problem.place_parameters:
        return {}
    placement = {node: memory for node, memory in schedule.placement
                 if 0 <= node < problem.n_nodes and 0 <= memory < problem.n_memories}
    owners = problem.parameter_owner
    for step in schedule.steps:
        if isinstance(step, Compute) and 0 <= step.node < problem.n_nodes and 0 <= step.device < problem.n_devices:
            owner = owners[step.node]
            if owner is not None and owner not in placement:
                placement[owner] = problem.device_memory[step.device]
    return placement


def _replay_step(state: _State, index: int, step: Step) -> StepTiming:
    problem = state.problem
    if not 0 <= step.node < problem.n_nodes:
        state.violate("bad_index", index, None, None, f"step {index}: no node {step.node} in the graph")
        return StepTiming(index, StepRole.FREE, step.node, "?", 0.0, 0.0, state.serial_s, 0.0, 0.0)
    if isinstance(step, Compute):
        return _compute(state, index, step)
    if isinstance(step, Copy):
        return _copy(state, index, step)
    return _free(state, index, step)


def _compute(state: _State, index: int, step: Compute) -> StepTiming:
    problem, node = state.problem, step.node
    if not 0 <= step.device < problem.n_devices:
        state.violate("bad_index", index, node, None, f"step {index}: no device {step.device} in the system")
        return StepTiming(index, StepRole.COMPUTE, node, "?", 0.0, 0.0, state.serial_s, 0.0, 0.0)
    memory = problem.device_memory[step.device]
    owner = problem.parameter_owner[node] if problem.place_parameters else None
    if owner is not None and state.placement.get(owner) != memory:
        held = state.placement.get(owner)
        state.violate(
            "parameters_not_resident", index, node, memory,
            f"step {index}: {_name(problem, node)!r} runs on {problem.device_name(step.device)!r}, but the "
            f"weights of {_name(problem, owner)!r} live in memory "
            f"{problem.memory_name(held) if held is not None else '?'!r}, not {problem.memory_name(memory)!r}",
        )
    remote = dict(step.remote)
    for dep in set(remote) - set(problem.graph.nodes[node].deps):
        state.violate("bad_remote_read", index, node, None,
                      f"step {index}: {_name(problem, node)!r} does not read {_name(problem, dep)!r}")
    start = state.device_free_s[step.device]
    read_s, read_j = 0.0, 0.0
    for dep in dict.fromkeys(problem.graph.nodes[node].deps):
        if dep in remote:
            end, duration, energy = _remote_read(state, index, step, dep, remote[dep], state.serial_s + read_s)
            start, read_s, read_j = max(start, end), read_s + duration, read_j + energy
        elif dep not in state.resident[memory]:
            state.violate(
                "input_not_resident", index, node, memory,
                f"step {index}: {_name(problem, node)!r} on {problem.device_name(step.device)!r} reads "
                f"{_name(problem, dep)!r}, which is not resident in memory {problem.memory_name(memory)!r}",
            )
        else:
            start = max(start, state.ready_s[(dep, memory)])
    if node in state.resident[memory]:
        state.violate(
            "already_resident", index, node, memory,
            f"step {index}: {_name(problem, node)!r} is computed again while already resident in "
            f"{problem.memory_name(memory)!r}",
        )
    else:
        state.allocate(index, node, memory)
    role = StepRole.RECOMPUTE if state.computed[node] else StepRole.COMPUTE
    state.computed[node] = True
    duration = float(problem.costs.compute_time_s[node, step.device])
    energy = float(problem.costs.compute_energy_j[node, step.device])
    end = start + duration
    for dep in set(problem.graph.nodes[node].deps):
        key = (dep, remote.get(dep, memory))
        state.last_read_s[key] = max(state.last_read_s.get(key, 0.0), end)
    state.device_free_s[step.device] = end
    state.device_busy_s[step.device] += duration
    state.ready_s[(node, memory)] = end
    timing = StepTiming(index, role, node, problem.device_name(step.device), start, end,
                        state.serial_s, duration + read_s, energy + read_j)
    state.serial_s += duration + read_s
    return timing


def _remote_read(state: _State, index: int, step: Compute, dep: int, src: int,
                 serial_start_s: float) -> tuple[float, float, float]:
    """Read input ``dep`` of ``step`` from memory ``src`` over a direct-access link.

    Returns (when the read ends, its duration, its energy); a read that cannot happen is a violation
    and costs nothing.
    """
    problem = state.problem
    memory = problem.device_memory[step.device]
    link = problem.link_index.get((src, memory)) if 0 <= src < problem.n_memories else None
    if link is None or not problem.system.links[link].direct_access:
        state.violate("no_direct_access", index, step.node, memory,
                      f"step {index}: {_name(problem, step.node)!r} reads {_name(problem, dep)!r} remotely, but "
                      f"no direct-access link leads from memory {src} to {problem.memory_name(memory)!r}")
        return 0.0, 0.0, 0.0
    if dep not in state.resident[src]:
        state.violate("input_not_resident", index, step.node, src,
                      f"step {index}: {_name(problem, step.node)!r} reads {_name(problem, dep)!r} from "
                      f"{problem.memory_name(src)!r}, where it is not resident")
        return 0.0, 0.0, 0.0
    start = max(state.link_free_s[link], state.ready_s[(dep, src)])
    duration = problem.costs.read_time(link, step.node, dep)
    energy = float(problem.costs.copy_energy_j[link, dep])
    state.link_free_s[link] = start + duration
    lane = f"{problem.memory_name(src)}->{problem.memory_name(memory)}"
    state.remote_reads.append(StepTiming(index, StepRole.REMOTE_READ, dep, lane, start, start + duration,
                                         serial_start_s, duration, energy))
    return start + duration, duration, energy


def _copy(state: _State, index: int, step: Copy) -> StepTiming:
    problem, node = state.problem, step.node
    link = problem.link_index.get((step.src, step.dst))
    if link is None:
        state.violate(
            "no_link", index, node, step.dst,
            f"step {index}: no link from memory {step.src} to memory {step.dst} to copy {_name(problem, node)!r}",
        )
        return StepTiming(index, StepRole.COPY, node, "?", 0.0, 0.0, state.serial_s, 0.0, 0.0)
    lane = f"{problem.memory_name(step.src)}->{problem.memory_name(step.dst)}"
    if not problem.system.links[link].allows_copies:
        state.violate("no_copies", index, node, step.dst,
                      f"step {index}: the link {lane} carries direct reads only; {_name(problem, node)!r} cannot "
                      "be copied along it")
    start = state.link_free_s[link]
    if node not in state.resident[step.src]:
        state.violate(
            "input_not_resident", index, node, step.src,
            f"step {index}: copy of {_name(problem, node)!r} from {problem.memory_name(step.src)!r}, "
            "where it is not resident",
        )
    else:
        start = max(start, state.ready_s[(node, step.src)])
        key = (node, step.src)
        state.last_read_s[key] = max(state.last_read_s.get(key, 0.0), start)
    if node in state.resident[step.dst]:
        state.violate("already_resident", index, node, step.dst,
                      f"step {index}: {_name(problem, node)!r} copied into {problem.memory_name(step.dst)!r}, "
                      "where it is already resident")
    else:
        state.allocate(index, node, step.dst)
    storage = problem.storage_memories
    role = (StepRole.PAGE_OUT if step.dst in storage
            else StepRole.PAGE_IN if step.src in storage else StepRole.COPY)
    duration = float(problem.costs.copy_time_s[link, node])
    energy = float(problem.costs.copy_energy_j[link, node])
    end = start + duration
    state.last_read_s[(node, step.src)] = max(state.last_read_s.get((node, step.src), 0.0), end)
    state.link_free_s[link] = end
    state.ready_s[(node, step.dst)] = end
    timing = StepTiming(index, role, node, lane, start, end, state.serial_s, duration, energy)
    state.serial_s += duration
    return timing


def _free(state: _State, index: int, step: Free) -> StepTiming:
    problem, node, memory = state.problem, step.node, step.memory
    if not 0 <= memory < problem.n_memories:
        state.violate("bad_index", index, node, None, f"step {index}: no memory {memory} in the system")
        return StepTiming(index, StepRole.FREE, node, "?", 0.0, 0.0, state.serial_s, 0.0, 0.0)
    at = 0.0
    if node not in state.resident[memory]:
        state.violate(
            "not_resident", index, node, memory,
            f"step {index}: free of {_name(problem, node)!r} in {problem.memory_name(memory)!r}, "
            "where it is not resident",
        )
    else:
        state.resident[memory].discard(node)
        state.usage[memory] -= problem.graph.nodes[node].size_bytes
        state.curves[memory].append((index, state.usage[memory]))
        at = max(state.ready_s[(node, memory)], state.last_read_s.get((node, memory), 0.0))
    return StepTiming(index, StepRole.FREE, node, problem.memory_name(memory), at, at, state.serial_s, 0.0, 0.0)


def _finish(state: _State, schedule: Schedule, timings: list[StepTiming]) -> Trace:
    problem = state.problem
    makespan = max((t.end_s for t in (*timings, *state.remote_reads)), default=0.0)
    dynamic = sum(t.energy_j for t in timings)
    idle = sum(
        device.idle_power_w * max(0.0, makespan - busy)
        for device, busy in zip(problem.system.devices, state.device_busy_s, strict=True)
    )
    roles = [t.role for t in timings]
    if state.violation_count > len(state.violations):
        extra = state.violation_count - len(state.violations)
        state.violations.append(Violation("truncated", None, None, None, f"... and {extra} more violations"))
    return Trace(
        schedule=schedule,
        timings=tuple(timings),
        serial_time_s=state.serial_s,
        makespan_s=makespan,
        energy_j=dynamic + idle,
        dynamic_energy_j=dynamic,
        peak_bytes=tuple(state.peak),
        memory_curves=tuple(tuple(c) for c in state.curves),
        compute_count=roles.count(StepRole.COMPUTE),
        recompute_count=roles.count(StepRole.RECOMPUTE),
        copy_count=roles.count(StepRole.COPY),
        page_count=roles.count(StepRole.PAGE_IN) + roles.count(StepRole.PAGE_OUT),
        violations=tuple(state.violations),
        remote_reads=tuple(state.remote_reads),
    )
