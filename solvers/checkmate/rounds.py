"""Incumbent, proven bound and threshold rounds of one exact one-device solve.

Every schedule computes each node at least once, so its cost is at least ``L0 = sum c_i``, and a
schedule that recomputes node i costs at least ``L0 + c_i``. For a threshold ``theta`` let ``P(theta)``
be the stage model in which only nodes with ``c_i < theta`` may be recomputed:

* every schedule cheaper than ``L0 + theta`` lies in ``P(theta)``, so for a dual bound ``B`` of
  ``P(theta)``, ``min(B, L0 + theta)`` bounds the unrestricted model from below;
* with an incumbent of cost ``UB`` and ``theta = UB - L0``, every strictly better schedule lies in
  ``P(theta)``: solving it (warm-started, or cut off at ``UB``) is exact.

Rounds: thresholds ``theta0 * L0``, growing by ``theta_growth`` (default sqrt 2), capped at the
incumbent's overhead, where the round is exact. A round whose optimum ``V`` has ``V - L0 < theta``
ends the solve; one whose optimum is larger makes ``V`` the incumbent and the next round exact. On
the benchmark graphs
the optimal overhead is a few percent, so the early models let only cheap nodes be recomputed, are a
fraction of the full model and give a near-optimal incumbent quickly: the cutoff it provides is what
makes the exact round fast (SCIP proves random layered n=100 at 90 % in 15 s with the optimum as its
cutoff, in 317 s with the greedy schedule's).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping

import numpy as np

from solvers.base import CancelToken, Progress, ProgressCallback, SolveOptions, SolveResult, SolveStatus, relative_gap
from solvers.checkmate.formulation import (
    BUILD_S_PER_COLUMN,
    MAX_COLUMNS,
    build_stage_model,
    estimated_columns,
    solution_vector,
)
from solvers.checkmate.lp_rounding import lp_start
from solvers.checkmate.milp import Backend, MilpOutcome, MilpRequest
from solvers.checkmate.model import StageModel
from solvers.checkmate.published import build_published_model
from solvers.checkmate.space import Candidate, StageSpace, lift
from solvers.checkmate.starts import schedule_starts

log = logging.getLogger(__name__)

DEFAULT_THETA0 = 0.0025
DEFAULT_GROWTH = 2.0 ** 0.5
#: The LP-rounding start is skipped on larger models: its LP alone took over 60 s on ResNet50
#: (285,000 columns), and the rounds' own root LPs give the same bound where they finish.
LP_START_MAX_COLUMNS = 60_000
#: Share of the time limit the eviction starts may take (the greedy start always runs: about a second).
STARTS_SHARE = 0.25
#: Share of the time limit the LP-rounding start may take.
LP_START_SHARE = 0.2
#: Focused rounds (:meth:`Search.focused`): fractions of the recomputable nodes, their time share, gap.
FOCUS_FRACTIONS = (0.1, 0.2, 0.4)
FOCUS_SHARE = 0.3
FOCUS_GAP = 1e-4
#: Seconds kept back from the limit for the answer: a backend's grace past its deadline
#: (:data:`solvers.highs_common.DEADLINE_GRACE_S`), decoding, lifting and the simulator's check.
FINISH_RESERVE_S = 0.4


class Search:
    """State of one solve: incumbent, proven lower bound (problem units), statistics."""

    def __init__(self, name: str, space: StageSpace, options: SolveOptions, started: float,
                 on_progress: ProgressCallback | None, cancel: CancelToken | None,
                 library_params: Mapping[str, object]) -> None:
        self.name, self.space, self.options, self.started = name, space, options, started
        self.on_progress, self.cancel, self.library_params = on_progress, cancel, library_params
        self.unit = space.instance.cost_unit
        self.L0 = space.instance.trivial_bound
        self.bound = self.L0 * self.unit
        self.best: Candidate | None = None
        self.cancelled = False
        self.infeasible = False
        self.focus_found = False
        self.stats: dict[str, object] = {"trivial_bound": self.bound, "starts": {}, "rounds": []}
        self.columns = estimated_columns(space.instance, space.recomputable)
        self.too_large = self.columns > int(options.params.get("max_columns", MAX_COLUMNS))  # type: ignore[call-overload]

    def left_s(self) -> float:
        """Seconds the rounds may still use (the finishing reserve excluded)."""
        return self.options.time_limit_s - FINISH_RESERVE_S - (time.perf_counter() - self.started)

    def stopped(self) -> bool:
        self.cancelled = self.cancelled or (self.cancel is not None and self.cancel.is_set())
        return self.cancelled or self.left_s() <= 0 or self.proven()

    def proven(self) -> bool:
        gap = relative_gap(self.best.value, self.bound) if self.best is not None else None
        return gap is not None and gap <= max(self.options.mip_gap, 1e-9)

    def offer(self, candidate: Candidate | None) -> None:
        if candidate is not None and (self.best is None or candidate.value < self.best.value):
            self.best = candidate
            self.emit(candidate.value, self.bound, f"incumbent from {candidate.source}")

    def emit(self, incumbent: float | None, bound: float | None, message: str) -> None:
        if self.on_progress is not None:
            elapsed = time.perf_counter() - self.started
            self.on_progress(Progress(elapsed, incumbent, bound, relative_gap(incumbent, bound), message))

    def start(self, device: int, memory: int) -> None:
        """Offer every start; the LP relaxation also raises the bound."""
        deadline = self.started + STARTS_SHARE * self.options.time_limit_s
        for candidate in schedule_starts(self.space, self.options, device, memory, self.cancel, deadline):
            self.stats["starts"][candidate.source] = candidate.value  # type: ignore[index]
            self.offer(candidate)
        if self.stopped() or self.columns > LP_START_MAX_COLUMNS:
            return
        limit_s = min(self.left_s(), LP_START_SHARE * self.options.time_limit_s)
        request = MilpRequest(time_limit_s=limit_s, threads=self.options.threads, cancel=self.cancel)
        samples = int(self.options.params.get("samples", 24))  # type: ignore[call-overload]
        candidates, lp_value = lp_start(self.space, request, seed=self.options.seed, samples=samples)
        if lp_value is not None:
            self.bound = max(self.bound, lp_value * self.unit)
            self.stats["lp_bound"] = lp_value * self.unit
        if candidates:
            best = min(candidates, key=lambda c: c.value)
            self.stats["starts"]["lp-rounding"] = best.value  # type: ignore[index]
            self.offer(best)
        self.emit(self.best.value if self.best else None, self.bound, "starts done")

    def focused(self, backend: Backend) -> None:
        """Focused rounds (a heuristic): only the nodes cheapest per byte may be recomputed.

        Recomputing a large buffer that is cheap to rebuild frees the most memory for the least
        time, so the optimum often recomputes only such nodes: letting only the ``f`` cheapest per
        byte (for ``f`` in :data:`FOCUS_FRACTIONS` of the recomputable nodes) be recomputed gives
        small models whose optima are schedules of the whole problem, often optimal ones (random
        layered n=100 at 80 %: 40 of 100 nodes, the optimum in 6 s; ResNet50 at 80 %: 35 of 353,
        the optimum in 5 s). Their bounds prove nothing and are not used. They stop at the first
        that improves the incumbent, or after :data:`FOCUS_SHARE` of the time limit.
        """
        if self.too_large:
            return
        inst = self.space.instance
        nodes = np.flatnonzero(self.space.recomputable)
        order = nodes[np.argsort(inst.costs[nodes] / np.maximum(inst.sizes[nodes], 1), kind="stable")]
        fractions = self.options.params.get("focus_fractions", FOCUS_FRACTIONS)
        ends = time.perf_counter() + FOCUS_SHARE * self.options.time_limit_s
        counts = sorted({max(1, math.ceil(float(f) * len(order))) for f in fractions})  # type: ignore[attr-defined]
        for count in counts:
            if self.stopped() or time.perf_counter() >= ends or count >= len(order):
                return
            mask = np.zeros(inst.n, dtype=bool)
            mask[order[:count]] = True
            if not self._buildable(mask):
                return
            before = self.best.value if self.best is not None else math.inf
            model = build_stage_model(inst, mask)
            warm = self._warm(model)
            cutoff = self.space.model_value(before) if self.best is not None else None
            outcome = self._solve(backend, model, math.inf, min(self.left_s(), ends - time.perf_counter()), warm,
                                  cutoff, focus=count)
            if outcome.cancelled or (self.best is not None and self.best.value < before):
                self.focus_found = self.best is not None and self.best.value < before
                return

    def _buildable(self, mask: np.ndarray) -> bool:
        """Whether the model with recomputable ``mask`` could be built in half the time left."""
        return estimated_columns(self.space.instance, mask) * BUILD_S_PER_COLUMN < 0.5 * self.left_s()

    def _warm(self, model: StageModel) -> np.ndarray | None:
        if self.best is None or self.best.R is None or self.best.S is None:
            return None
        return solution_vector(model, self.space.instance.deps, self.best.R, self.best.S)

    def rounds(self, backend: Backend) -> None:
        """Thresholds ``theta0 * L0``, growing, until one round is exact (see the module docstring).

        After a focused round found the incumbent, the first round is the exact one.
        """
        theta = float(self.options.params.get("theta0", DEFAULT_THETA0)) * self.L0  # type: ignore[arg-type]
        growth = float(self.options.params.get("theta_growth", DEFAULT_GROWTH))  # type: ignore[arg-type]
        if theta <= 0 or self.focus_found:
            theta = math.inf
        if self.too_large:
            log.warning("%s: the stage model would have about %d columns; not solved", self.name, self.columns)
            return
        while not self.stopped():
            exact = theta >= self._overhead() or self._full(theta)
            allowed = self.space.recomputable & (self.space.instance.costs < min(theta, self._overhead()))
            if not self._buildable(allowed):
                log.info("%s: no time left to build the next model", self.name)
                return
            outcome = self.round(backend, min(theta, self._overhead()), self.left_s())
            if exact or outcome.cancelled:
                return
            if outcome.x is not None and outcome.optimal:
                theta = self._overhead()  # P(theta)'s optimum is the incumbent: the next round is exact
                continue
            theta = self._next_threshold(theta, growth)

    def _next_threshold(self, theta: float, growth: float) -> float:
        """``theta * growth``, further while that would let no more node be recomputed."""
        costs = self.space.instance.costs[self.space.recomputable]
        allowed = int((costs < theta).sum())
        while theta < self._overhead() and not self._full(theta):
            theta *= growth
            if int((costs < theta).sum()) > allowed:
                break
        return theta

    def published(self, backend: Backend) -> None:
        """One solve of the published model (no reductions, no starts): for cross-checks."""
        if self.too_large:
            return
        model = build_published_model(self.space.instance)
        self._solve(backend, model, math.inf, self.left_s(), warm=None, cutoff=None)

    def round(self, backend: Backend, theta: float, limit_s: float) -> MilpOutcome:
        """Solve ``P(theta)`` (scaled units), warm-started with the incumbent where it fits."""
        mask = self.space.recomputable & (self.space.instance.costs < theta)
        model = build_stage_model(self.space.instance, mask)
        cutoff = self.space.model_value(self.best.value) if self.best is not None else None
        return self._solve(backend, model, theta, limit_s, self._warm(model), cutoff)

    def _solve(self, backend: Backend, model: StageModel, theta: float, limit_s: float,
               warm: np.ndarray | None, cutoff: float | None, *, focus: int | None = None) -> MilpOutcome:
        """Solve one model; ``focus`` (the number of nodes it lets be recomputed) marks a focused round,
        whose schedule counts but whose bound proves nothing."""
        full = self._full(theta)
        limit_s = min(limit_s, self.left_s())  # the model was built since the caller looked at the clock
        label = f"threshold {theta * self.unit:.4g}" if focus is None else f"focused on {focus} nodes"
        request = MilpRequest(
            time_limit_s=max(0.05, limit_s), mip_gap=self.options.mip_gap if focus is None else FOCUS_GAP,
            threads=self.options.threads, seed=self.options.seed, warm_start=warm, cutoff=cutoff,
            on_progress=self._relay(theta, full, proves=focus is None), cancel=self.cancel,
            params=self.library_params,
        )
        self.emit(self.best.value if self.best else None, self.bound,
                  f"solving {model.name} model, {label}: {model.n_cols} columns")
        outcome = backend(model, request)
        if outcome.x is not None:
            R, S = model.decode(outcome.x)
            self.offer(self.space.evaluate(R, S, f"MILP ({model.name}, {label})"))
        if focus is None:
            self._raise_bound(outcome, theta, full, cutoff)
        self.cancelled = self.cancelled or outcome.cancelled
        self.stats["rounds"].append({  # type: ignore[attr-defined]
            "theta": theta * self.unit, "focus": focus,
            "recomputable": int(((model.R >= 0) & ~np.eye(model.n, dtype=bool)).any(axis=0).sum()),
            **model.stats(), "status": outcome.status, "warm_start": warm is not None,
            "objective": None if outcome.objective is None else outcome.objective * self.unit,
            "bound": self.bound, "wall_s": round(outcome.wall_s, 3),
        })
        log.info("%s: round theta=%.6g %s, bound %.6g", self.name, theta * self.unit, outcome.status, self.bound)
        return outcome

    def _raise_bound(self, outcome: MilpOutcome, theta: float, full: bool, cutoff: float | None) -> None:
        if outcome.infeasible:
            value = math.inf
            self.infeasible = self.infeasible or full
        elif outcome.exhausted and cutoff is not None:
            value = cutoff
        else:
            value = outcome.bound if outcome.bound is not None else -math.inf
        if not full:
            value = min(value, self.L0 + theta)
        self.bound = max(self.bound, value * self.unit)

    def _relay(self, theta: float, full: bool, proves: bool = True):  # type: ignore[no-untyped-def]
        def relay(incumbent: float | None, bound: float | None, message: str) -> None:
            if not proves:
                bound = None  # a focused model's bound says nothing about the whole problem
            inc = None if incumbent is None else incumbent * self.unit
            if self.best is not None:
                inc = self.best.value if inc is None else min(inc, self.best.value)
            b = self.bound if bound is None else bound
            if bound is not None:
                b = max(self.bound, (b if full else min(b, self.L0 + theta)) * self.unit)
            self.emit(inc, b, message)
        return relay

    def _overhead(self) -> float:
        """The incumbent's overhead in scaled units (inf without one): the exact threshold."""
        return math.inf if self.best is None else self.space.model_value(self.best.value) - self.L0

    def _full(self, theta: float) -> bool:
        return bool((self.space.instance.costs[self.space.recomputable] < theta).all())

    def result(self, device: int, memory: int) -> SolveResult:
        wall = time.perf_counter() - self.started
        best = self.best
        if best is None:
            if self.cancelled:
                return SolveResult(SolveStatus.CANCELLED, self.name, bound=self.bound, wall_s=wall,
                                   message="cancelled before any schedule was found", stats=self.stats)
            if self.infeasible:
                return SolveResult(SolveStatus.INFEASIBLE, self.name, wall_s=wall, stats=self.stats, message=(
                    "no stage schedule fits the budget (proven by the MILP); raise the budget"))
            reason = (f"the stage model would have about {self.columns} columns, too many to solve exactly"
                      if self.too_large else f"no schedule found within {self.options.time_limit_s:g} s")
            return SolveResult(SolveStatus.NO_SOLUTION, self.name, bound=self.bound, wall_s=wall, stats=self.stats,
                               message=reason)
        bound = min(self.bound, best.value)
        gap = relative_gap(best.value, bound)
        status = (SolveStatus.CANCELLED if self.cancelled else
                  SolveStatus.OPTIMAL if self.proven() else SolveStatus.FEASIBLE)
        schedule = lift(self.space.schedule_of(best), device, memory)
        message = f"{status.value.lower()}: best from {best.source}, gap {gap:.3g}"
        if self.too_large:
            message += (f"; the stage model would have about {self.columns} columns, too many to solve exactly: "
                        "fuse element-wise chains or coarsen the graph")
        return SolveResult(status, self.name, schedule, best.value, bound, gap, wall, message, stats=self.stats)
