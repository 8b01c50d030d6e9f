"""``chen-sqrt``: Chen et al. 2016 segment checkpointing on the best single device.

Candidates: the plain order (when it fits, nothing is recomputed); every k-th boundary for k around
sqrt(n), over the articulation points of the forward graph and over all forward nodes; and Chen's
budget-guided segments over a grid of segment sizes. Each candidate's S gives R in closed form
(:func:`core.stages.closed_form_r`); candidates are tried cheapest first, decoded with
:func:`core.stages.decode_stages` and replayed until one fits the device's budget.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from core.feasibility import infeasibility_reason
from core.problem import SchedulingProblem
from core.schedule import Compute, Free, Schedule
from core.stages import decode_stages
from solvers.base import CancelToken, ProgressCallback, SolveOptions, SolveResult, SolveStatus
from solvers.baseline import plain_peak_bytes, plain_schedule
from solvers.chen_segments import (
    articulation_points,
    budget_guided,
    checkpoint_candidates,
    every_kth,
    fast_closed_form_r,
    forward_side,
    segment_stages,
    segment_thresholds,
    sqrt_segment_lengths,
)
from solvers.heuristic_common import (
    no_schedule,
    objective_table,
    verified_result,
    within_time_limit,
)

log = logging.getLogger(__name__)

NAME = "chen-sqrt"
#: Stage matrices are n x n: beyond this many nodes they cost too much memory and time.
MAX_NODES = 6000


@dataclass(frozen=True)
class Segmentation:
    """One candidate: its checkpoints, how it was chosen, and the stage matrices it implies."""

    variant: str
    checkpoints: tuple[int, ...]
    R: np.ndarray
    S: np.ndarray

    @property
    def counts(self) -> np.ndarray:
        """How many times each node is computed."""
        counts: np.ndarray = self.R.sum(axis=0)
        return counts

    def peak_lower_bound(self, sizes: np.ndarray) -> float:
        """Bytes resident when some frontier node runs: what stage t keeps into t + 1, plus node t.

        A buffer of S[t] and S[t + 1] is never freed within stage t, and node t is computed there, so
        the decoded schedule's peak is at least this: a cheap filter before decoding.
        """
        across = np.zeros(len(sizes))
        across[:-1] = (self.S[:-1] & self.S[1:]).astype(float) @ sizes
        return float((across + sizes).max()) if len(sizes) else 0.0


def segmentations(problem: SchedulingProblem) -> list[tuple[str, tuple[int, ...]]]:
    """Every distinct candidate checkpoint set, with the variant that proposed it first."""
    graph = problem.graph
    fwd = forward_side(graph)
    everything = checkpoint_candidates(graph, fwd)
    pools = {"articulation": articulation_points(graph, fwd, everything), "all": everything}
    proposals: list[tuple[str, tuple[int, ...]]] = []
    for pool_name, pool in pools.items():
        for k in sqrt_segment_lengths(len(pool)):
            proposals.append((f"sqrt k={k} ({pool_name})", every_kth(pool, k)))
    for pool_name, pool in pools.items():
        for threshold in segment_thresholds(graph, fwd):
            proposals.append((f"budget {threshold:.3g} B ({pool_name})", budget_guided(graph, fwd, pool, threshold)))
    seen: dict[tuple[int, ...], str] = {}
    for variant, checkpoints in proposals:
        if checkpoints and checkpoints not in seen:
            seen[checkpoints] = variant
    return [(variant, checkpoints) for checkpoints, variant in seen.items()]


def build(problem: SchedulingProblem, variant: str, checkpoints: tuple[int, ...]) -> Segmentation:
    """Stage matrices of one checkpoint set (see :func:`solvers.chen_segments.segment_stages`)."""
    S = segment_stages(problem.graph, forward_side(problem.graph), checkpoints)
    return Segmentation(variant, checkpoints, fast_closed_form_r(problem.graph, S), S)


def dynamic_peak_bytes(problem: SchedulingProblem, schedule: Schedule) -> int:
    """Peak of the buffers a one-memory schedule holds (static memory not included)."""
    sizes = [node.size_bytes for node in problem.graph.nodes]
    usage = peak = 0
    for step in schedule.steps:
        if isinstance(step, Compute):
            usage += sizes[step.node]
            peak = max(peak, usage)
        elif isinstance(step, Free):
            usage -= sizes[step.node]
    return peak


def solve(
    problem: SchedulingProblem,
    options: SolveOptions,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SolveResult:
    """The cheapest candidate segmentation that fits some single device (see the module docstring)."""
    started = time.perf_counter()
    reason = infeasibility_reason(problem)
    if reason is not None:
        return no_schedule(problem, NAME, SolveStatus.INFEASIBLE, reason, started, on_progress)
    plain = _plain_if_it_fits(problem)
    if plain is not None:
        plain_stats: dict[str, object] = {"variant": "plain (fits without checkpointing)", "checkpoints": [],
                                          "device": problem.device_name(plain)}
        return verified_result(problem, NAME, plain_schedule(problem, plain), started, on_progress, plain_stats,
                               mip_gap=options.mip_gap)
    if problem.n_nodes > MAX_NODES:
        return no_schedule(problem, NAME, SolveStatus.NO_SOLUTION,
                           f"{NAME} builds n x n stage matrices; {problem.n_nodes} nodes is more than "
                           f"{MAX_NODES}: use the greedy solver", started, on_progress)
    candidates: list[Segmentation] = []
    for variant, checkpoints in segmentations(problem):
        if cancel is not None and cancel.is_set():
            return no_schedule(problem, NAME, SolveStatus.CANCELLED, "cancelled", started, on_progress)
        if candidates and time.perf_counter() - started > options.time_limit_s:
            log.info("%s: time limit reached after %d candidates", NAME, len(candidates))
            break
        candidates.append(build(problem, variant, checkpoints))
    found = _cheapest_fitting(problem, candidates)
    if found is None:
        message = (f"none of {len(candidates)} segmentations fits any single device's budget; raise the "
                   "budget or use a solver that recomputes more selectively (greedy, checkmate)")
        return no_schedule(problem, NAME, SolveStatus.NO_SOLUTION, message, started, on_progress,
                           {"candidates": len(candidates)})
    seg, device = found
    schedule = decode_stages(problem, seg.R, seg.S, device)
    stats: dict[str, object] = {
        "variant": seg.variant, "checkpoints": list(seg.checkpoints), "segments": len(seg.checkpoints) + 1,
        "device": problem.device_name(device), "candidates": len(candidates),
        "recomputations": int(seg.counts.sum()) - problem.n_nodes,
    }
    return verified_result(problem, NAME, schedule, started, on_progress, stats, mip_gap=options.mip_gap)


def _plain_if_it_fits(problem: SchedulingProblem) -> int | None:
    """The cheapest device on which the plain order fits (no recomputation is ever cheaper)."""
    table = objective_table(problem)
    times = problem.costs.compute_time_s.sum(axis=0)
    fitting = [
        d for d in range(problem.n_devices)
        if plain_peak_bytes(problem, d) <= problem.budgets_bytes[problem.device_memory[d]]
        and within_time_limit(problem, float(times[d]))
    ]
    return min(fitting, key=lambda d: (float(table[:, d].sum()), d)) if fitting else None


def _cheapest_fitting(problem: SchedulingProblem, candidates: list[Segmentation]) -> tuple[Segmentation, int] | None:
    """Candidate and device pairs cheapest first; the first whose replay fits its memory's budget."""
    table = objective_table(problem)
    times = problem.costs.compute_time_s
    pairs = sorted(
        ((float(seg.counts @ table[:, d]), index, d) for index, seg in enumerate(candidates)
         for d in range(problem.n_devices)),
    )
    sizes = np.array([node.size_bytes for node in problem.graph.nodes], dtype=float)
    floors = [seg.peak_lower_bound(sizes) for seg in candidates]
    peaks: dict[int, int] = {}
    for _, index, d in pairs:
        seg = candidates[index]
        memory = problem.device_memory[d]
        if not within_time_limit(problem, float(seg.counts @ times[:, d])):
            continue
        if problem.static_bytes[memory] + floors[index] > problem.budgets_bytes[memory]:
            continue
        if index not in peaks:
            peaks[index] = dynamic_peak_bytes(problem, decode_stages(problem, seg.R, seg.S, 0))
        if problem.static_bytes[memory] + peaks[index] <= problem.budgets_bytes[memory]:
            return seg, d
    return None
