"""solvers.scip_common.optimize: SCIP stops at the caller's deadline or cancel, whatever its own limit says."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from pyscipopt import quicksum

from solvers.scip_common import CANCEL_POLL_S, DEADLINE_GRACE_S, dual_bound, new_scip, optimize

#: Slack for thread start-up, SCIP's next interrupt check and a busy machine.
SLACK_S = 1.5


def _hard_knapsack(seed: int = 3, items: int = 400, rows: int = 30):  # type: ignore[no-untyped-def]
    """A multi-dimensional knapsack SCIP needs far more than a few seconds for; its own limit is 600 s."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(20, 100, size=(rows, items))
    scip = new_scip("knapsack", time_limit_s=600, mip_gap=0.0, seed=0)
    x = [scip.addVar(vtype="B", obj=-float(weights[:, j].mean() + rng.integers(0, 20))) for j in range(items)]
    for r in range(rows):
        scip.addCons(quicksum(float(weights[r, j]) * x[j] for j in range(items)) <= float(weights[r].sum() / 2))
    return scip


def test_optimize_stops_past_the_deadline_and_is_not_a_cancel() -> None:
    scip = _hard_knapsack()
    started = time.perf_counter()
    cancelled = optimize(scip, None, deadline=started + 1.0)
    took = time.perf_counter() - started
    assert 1.0 <= took <= 1.0 + DEADLINE_GRACE_S + CANCEL_POLL_S + SLACK_S
    assert not cancelled
    assert scip.getStatus() == "userinterrupt" and scip.getNSols() > 0


def test_optimize_hears_a_cancel() -> None:
    scip = _hard_knapsack()
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.perf_counter()
    assert optimize(scip, cancel)
    assert time.perf_counter() - started <= 0.5 + CANCEL_POLL_S + SLACK_S


def test_optimize_without_deadline_or_cancel_solves_the_model() -> None:
    scip = _hard_knapsack(items=12, rows=3)
    assert not optimize(scip, None)
    assert scip.getStatus() == "optimal"


def test_dual_bound_is_none_until_scip_has_one() -> None:
    scip = _hard_knapsack(items=40, rows=5)
    assert dual_bound(scip) is None  # not started: SCIP would crash if asked
    scip.presolve()
    assert scip.getDualbound() == -scip.infinity()  # no LP solved yet: SCIP's infinity, finite to numpy
    assert dual_bound(scip) is None
    small = _hard_knapsack(items=12, rows=3)
    optimize(small, None)
    assert dual_bound(small) == pytest.approx(small.getObjVal())
