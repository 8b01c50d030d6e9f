"""The one-device problem a stage solver works on, its pre-check, and how stage matrices become schedules.

A problem with several devices is planned on its best single device, with the semantics of
:meth:`core.problem.SchedulingProblem.restricted_to_device` (that device's memory and budget, all
static memory charged to it); the steps returned name that device and memory of the original problem.
Every candidate (R, S) is decoded by :func:`core.stages.decode_stages` and replayed by the simulator
before it counts: the value of a candidate is the simulated objective, never a model's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.feasibility import smallest_feasible_budget
from core.graph import no_recompute_peak, working_set_bytes
from core.problem import Objective, SchedulingProblem
from core.schedule import Compute, Free, Schedule
from core.simulate import simulate
from core.stages import closed_form_r, decode_stages, plain_stages
from core.units import format_bytes
from solvers.base import SolveResult, SolveStatus
from solvers.checkmate.reduce import Instance, build_instance, last_read, recompute_mask


@dataclass(frozen=True, eq=False)
class Candidate:
    """A valid schedule: simulated objective (problem units), its stage matrices and where it came from.

    ``R`` and ``S`` are None for a schedule outside the stage form (``schedule`` holds it): it still
    counts as an incumbent and a cutoff, but cannot warm-start a stage model.
    """

    value: float
    R: np.ndarray | None
    S: np.ndarray | None
    source: str
    schedule: Schedule | None = None

    @property
    def staged(self) -> bool:
        return self.R is not None and self.S is not None


def objective_costs(problem: SchedulingProblem, device: int) -> np.ndarray:
    """Per-node objective cost on ``device``: time or dynamic energy."""
    table = problem.costs.compute_time_s if problem.objective is Objective.TIME else problem.costs.compute_energy_j
    return np.asarray(table[:, device], dtype=float)


def best_device(problem: SchedulingProblem) -> int:
    """The device to plan on: cheapest every-node-once cost among those whose budget can fit a schedule.

    When no device can fit one, the device whose budget is closest to fitting (for the message).
    """
    def room(d: int) -> int:
        memory = problem.device_memory[d]
        return problem.budgets_bytes[memory] - smallest_needed(problem, d)

    fitting = [d for d in range(problem.n_devices) if room(d) >= 0]
    if not fitting:
        return max(range(problem.n_devices), key=room)
    return min(fitting, key=lambda d: (objective_costs(problem, d).sum(), -room(d)))


def smallest_needed(problem: SchedulingProblem, device: int) -> int:
    """Smallest budget for ``device``'s memory under which its one-device problem could be feasible."""
    memory = problem.device_memory[device]
    return smallest_feasible_budget(problem, memory) - problem.static_bytes[memory] + sum(problem.static_bytes)


def no_recompute_budget(problem: SchedulingProblem) -> int:
    """Budget (static included) at which the plain order fits on a one-device problem."""
    return no_recompute_peak(problem.graph) - problem.graph.static_bytes + problem.static_bytes[0]


def precheck(name: str, problem: SchedulingProblem, sub: SchedulingProblem, device: int,
             started: float) -> SolveResult | None:
    """The answer known without solving (FORMULATIONS.md section 6), or None.

    Below the largest working set plus static memory: INFEASIBLE, naming that budget. At or above
    the no-recomputation peak: the plain order, OPTIMAL. Energy under a time limit: not this model.
    """
    def done(status: SolveStatus, message: str, **kw: object) -> SolveResult:
        return SolveResult(status, name, message=message, wall_s=time.perf_counter() - started, **kw)  # type: ignore[arg-type]

    if problem.objective is Objective.ENERGY and problem.time_limit_s is not None:
        return done(SolveStatus.ERROR, f"{name} minimizes energy without a time limit; for a limit of "
                    f"{problem.time_limit_s:g} s use milp-highs or milp-scip")
    budget, need = sub.budgets_bytes[0], smallest_needed(problem, device)
    if budget < need:
        node = max(sub.graph.nodes, key=lambda n: working_set_bytes(sub.graph, n.id)) if sub.graph.nodes else None
        where = f"node {node.name!r} needs its inputs and output at once; " if node is not None else ""
        return done(SolveStatus.INFEASIBLE, (
            f"budget {format_bytes(budget)} ({budget} bytes) of memory {sub.memory_name(0)!r} is below the "
            f"smallest feasible budget {format_bytes(need)} ({need} bytes): {where}static memory "
            f"{format_bytes(sub.static_bytes[0])}; raise the budget to at least {need} bytes"),
            stats={"min_feasible_budget": need, "device": problem.device_name(device)})
    if budget >= no_recompute_budget(sub):
        R, S = plain_stages(sub.graph)
        schedule = lift(decode_stages(sub, R, S), device, problem.device_memory[device])
        value = float(objective_costs(sub, 0).sum())
        return done(SolveStatus.OPTIMAL, "the budget holds the no-recomputation peak: every node once",
                    schedule=schedule, objective=value, bound=value, gap=0.0,
                    stats={"no_recompute_budget": no_recompute_budget(sub), "device": problem.device_name(device)})
    return None


def one_device(problem: SchedulingProblem, device: int) -> SchedulingProblem:
    """``problem`` on ``device`` alone (itself when it has one device and one memory)."""
    if problem.n_devices == 1 and problem.n_memories == 1:
        return problem
    return problem.restricted_to_device(device)


def lift(schedule: Schedule, device: int, memory: int) -> Schedule:
    """Steps of a one-device schedule, renamed to ``device`` and ``memory`` of the original problem."""
    steps = [Compute(s.node, device) if isinstance(s, Compute) else Free(s.node, memory) for s in schedule.steps]
    return Schedule(tuple(steps))


def lower(schedule: Schedule, device: int, memory: int) -> Schedule | None:
    """The inverse of :func:`lift`, or None when the schedule uses anything else."""
    steps: list[Compute | Free] = []
    for s in schedule.steps:
        if isinstance(s, Compute) and s.device == device and not s.remote:
            steps.append(Compute(s.node, 0))
        elif isinstance(s, Free) and s.memory == memory:
            steps.append(Free(s.node, 0))
        else:
            return None
    return Schedule(tuple(steps))


class StageSpace:
    """One-device problem, the (possibly fused) graph the stage models see, and candidate checking.

    ``stage_problem`` is the problem whose graph the matrices index; ``expand`` turns its schedules
    into schedules of ``problem`` (identity unless chains were fused).
    """

    def __init__(self, problem: SchedulingProblem, stage_problem: SchedulingProblem, instance: Instance,
                 expand: Callable[[Schedule], Schedule] | None = None) -> None:
        self.problem = problem
        self.stage_problem = stage_problem
        self.instance = instance
        self.expand = expand
        self.never_recompute = np.array([node.random for node in stage_problem.graph.nodes], dtype=bool)
        self.last = last_read(instance, recompute_mask(instance) & ~self.never_recompute)

    @classmethod
    def build(cls, problem: SchedulingProblem, stage_problem: SchedulingProblem | None = None,
              extra_bytes: np.ndarray | None = None,
              expand: Callable[[Schedule], Schedule] | None = None) -> StageSpace:
        stage = stage_problem or problem
        capacity = problem.budgets_bytes[0] - problem.static_bytes[0]
        instance = build_instance(stage.graph, objective_costs(stage, 0), capacity, extra_bytes=extra_bytes)
        return cls(problem, stage, instance, expand)

    @property
    def recomputable(self) -> np.ndarray:
        """Nodes any schedule may recompute (random ones keep their output: their state is not replayed)."""
        return recompute_mask(self.instance) & ~self.never_recompute

    def schedule(self, R: np.ndarray, S: np.ndarray) -> Schedule:
        """The schedule of ``problem`` that (R, S) decode to."""
        decoded = decode_stages(self.stage_problem, R, S, device=0)
        return self.expand(decoded) if self.expand is not None else decoded

    def schedule_of(self, candidate: Candidate) -> Schedule:
        """The schedule of ``problem`` a candidate stands for."""
        if candidate.schedule is not None:
            return candidate.schedule
        assert candidate.R is not None and candidate.S is not None
        return self.schedule(candidate.R, candidate.S)

    def evaluate(self, R: np.ndarray | None, S: np.ndarray, source: str) -> Candidate | None:
        """The cheaper valid one of (R, S) and (closed-form R, S) after dropping useless checkpoints.

        ``R=None``: the closed-form R only.
        """
        S = S & (np.arange(len(S))[:, None] <= self.last[None, :]) & np.tri(len(S), k=-1, dtype=bool)
        best: Candidate | None = None
        options = [closed_form_r(self.stage_problem.graph, S)] + ([] if R is None else [R])
        for candidate_r, candidate_s in [useful_stages(self.instance, r, S) for r in options]:
            if (candidate_r & ~np.eye(len(S), dtype=bool) & self.never_recompute[None, :]).any():
                continue
            value = self.simulated(self.schedule(candidate_r, candidate_s))
            if value is not None and (best is None or value < best.value):
                best = Candidate(value, candidate_r, candidate_s, source)
        return best

    def simulated(self, schedule: Schedule) -> float | None:
        """Simulated objective of a schedule of ``problem``, None when the simulator rejects it."""
        trace = simulate(self.problem, schedule)
        if not trace.ok:
            return None
        return trace.serial_time_s if self.problem.objective is Objective.TIME else trace.dynamic_energy_j

    def model_value(self, value: float) -> float:
        """A simulated objective in the models' scaled units."""
        return value / self.instance.cost_unit

    def from_schedule(self, schedule: Schedule | None, source: str) -> Candidate | None:
        """A valid schedule of ``problem`` as a candidate: in stage form when it fits it, or when
        running each stage's computations in id order (:func:`stages_in_id_order`) still fits the
        budget; otherwise as it is (no stage matrices). None when the simulator rejects it."""
        if schedule is None or self.expand is not None:
            return None
        stages = stages_from_schedule(self.instance.n, schedule)
        staged = None if stages is None else self.evaluate(*stages, source)
        if staged is None:
            loose = stages_in_id_order(self.instance.n, schedule)
            staged = None if loose is None else self.evaluate(*loose, f"{source}, in id order")
        value = None if self.recomputes_random(schedule) else self.simulated(schedule)
        if value is None or (staged is not None and staged.value <= value):
            return staged
        return Candidate(value, None, None, source, schedule)

    def recomputes_random(self, schedule: Schedule) -> bool:
        """Whether ``schedule`` computes a random node (Dropout) twice: its random state is not replayed."""
        seen: set[int] = set()
        for step in schedule.steps:
            if isinstance(step, Compute):
                if step.node in seen and self.never_recompute[step.node]:
                    return True
                seen.add(step.node)
        return False


def useful_stages(instance: Instance, R: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R, S) without what nothing needs, until nothing more can go.

    A non-frontier computation goes when its node is already a checkpoint of the stage, or when no
    later computation of the stage reads it and the next stage does not keep it; a checkpoint goes
    when no computation of its stage reads it and the next stage does not keep it. Dropping them
    (from the end of each stage back, from the last stage back) keeps every dependency and
    persistence and lowers cost and memory; the stage models count such checkpoints as held all
    stage, so a schedule must be rid of them to be a start for them.
    """
    R, S = R.copy(), S.copy()
    T, n = R.shape
    while True:
        changed = False
        for t in range(T - 1, -1, -1):
            keep = S[t + 1] if t + 1 < T else np.zeros(n, dtype=bool)
            read = np.zeros(n, dtype=bool)
            for k in np.flatnonzero(R[t])[::-1]:
                k = int(k)
                if k != t and (S[t, k] or not (keep[k] or read[k])):
                    R[t, k], changed = False, True
                    continue
                read[list(instance.deps[k])] = True
            idle = S[t] & ~read & ~keep
            if idle.any():
                S[t] &= ~idle
                changed = True
        if not changed:
            return R, S


def stages_from_schedule(n: int, schedule: Schedule) -> tuple[np.ndarray, np.ndarray] | None:
    """(R, S) of a one-device schedule in the stage form, or None when it is not in that form.

    Stage t ends with the first computation of node t; its computations must be in ascending id
    order. ``S[t]`` is what is resident just before stage t's first computation.
    """
    R = np.zeros((n, n), dtype=bool)
    S = np.zeros((n, n), dtype=bool)
    resident: set[int] = set()
    stage, previous, opened = 0, -1, False
    for step in schedule.steps:
        if isinstance(step, Free):
            resident.discard(step.node)
            continue
        if not isinstance(step, Compute):
            return None
        k = step.node
        if stage >= n or k > stage or k <= previous or step.device != 0:
            return None
        if not opened:
            S[stage, list(resident)] = True
            opened = True
        R[stage, k] = True
        resident.add(k)
        previous = k
        if k == stage:
            stage, previous, opened = stage + 1, -1, False
    return (R, S) if stage == n else None


def stages_in_id_order(n: int, schedule: Schedule) -> tuple[np.ndarray, np.ndarray] | None:
    """(R, S) of a one-device schedule whose first computations are in id order, each stage's
    computations taken as a set (run in id order when decoded, which may need more memory).

    None when a node is first computed out of id order or the schedule is not on one device.
    """
    R = np.zeros((n, n), dtype=bool)
    S = np.zeros((n, n), dtype=bool)
    resident: set[int] = set()
    stage, opened = 0, False
    for step in schedule.steps:
        if isinstance(step, Free):
            resident.discard(step.node)
            continue
        if not isinstance(step, Compute) or step.device != 0 or stage >= n or step.node > stage:
            return None
        if not opened:
            S[stage, list(resident)] = True
            opened = True
        R[stage, step.node] = True
        resident.add(step.node)
        if step.node == stage:
            stage, opened = stage + 1, False
    return (R, S) if stage == n else None

