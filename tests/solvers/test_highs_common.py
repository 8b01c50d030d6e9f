"""solvers.highs_common.run: HiGHS stops at the caller's deadline or cancel, whatever its own limit says."""

from __future__ import annotations

import threading
import time

import highspy
import numpy as np
import pytest

from solvers.highs_common import CANCEL_GRACE_S, DEADLINE_GRACE_S, new_highs, run

#: Slack for thread start-up and a busy machine.
SLACK_S = 1.0


def _hard_knapsack(seed: int = 3, items: int = 400, rows: int = 30) -> highspy.Highs:
    """A multi-dimensional knapsack HiGHS needs far more than a few seconds for; its own limit is 600 s."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(20, 100, size=(rows, items)).astype(float)
    h = new_highs(time_limit_s=600, mip_gap=0.0, threads=1, seed=0)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = items, rows
    lp.col_cost_ = list(-(weights.sum(axis=0) / rows + rng.integers(0, 20, size=items)))
    lp.col_lower_, lp.col_upper_ = [0.0] * items, [1.0] * items
    lp.row_lower_ = [-highspy.kHighsInf] * rows
    lp.row_upper_ = list(weights.sum(axis=1) / 2)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = list(range(0, rows * items + 1, items))
    lp.a_matrix_.index_ = list(np.tile(np.arange(items), rows))
    lp.a_matrix_.value_ = list(weights.ravel())
    lp.integrality_ = [highspy.HighsVarType.kInteger] * items
    h.passModel(lp)
    return h


def test_run_returns_at_the_deadline_and_is_not_a_cancel() -> None:
    h = _hard_knapsack()
    started = time.perf_counter()
    outcome = run(h, None, deadline=started + 1.0)
    took = time.perf_counter() - started
    assert 1.0 <= took <= 1.0 + DEADLINE_GRACE_S + SLACK_S
    assert not outcome.cancelled
    # The bound heard in HiGHS's callbacks survives, and bounds the empty knapsack's objective 0.
    assert outcome.dual_bound is not None and outcome.dual_bound <= 0.0
    if outcome.finished:  # stopped in a callback: HiGHS says why, and it was not optimal
        assert h.modelStatusToString(h.getModelStatus()) != "Optimal"
    else:
        assert outcome.timed_out


def test_run_hears_a_cancel_within_its_grace() -> None:
    h = _hard_knapsack()
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    started = time.perf_counter()
    outcome = run(h, cancel)
    assert time.perf_counter() - started <= 0.5 + CANCEL_GRACE_S + SLACK_S
    assert outcome.cancelled and not outcome.timed_out


def test_run_without_deadline_or_cancel_finishes_the_model() -> None:
    h = _hard_knapsack(items=12, rows=3)
    outcome = run(h, None)
    assert outcome.finished and not outcome.cancelled and not outcome.timed_out
    assert h.modelStatusToString(h.getModelStatus()) == "Optimal"


def test_callbacks_hear_the_run_and_nothing_after_it_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    h = _hard_knapsack()
    improving, bounds = [], []
    outcome = run(h, None, on_bound=lambda primal, dual: bounds.append(dual), deadline=time.perf_counter() + 1.0,
                  on_improving=improving.append)
    assert improving and bounds  # a second of branch and bound finds solutions and reports bounds
    # Going on without HiGHS at once (no grace): whatever it does afterwards is not heard.
    monkeypatch.setattr("solvers.highs_common.DEADLINE_GRACE_S", 0.0)
    h = _hard_knapsack(seed=4)
    late: list[object] = []
    outcome = run(h, None, on_bound=lambda primal, dual: late.append(dual), deadline=time.perf_counter() + 0.5,
                  on_improving=late.append)
    heard = len(late)
    time.sleep(1.0)
    assert len(late) == heard
    assert outcome.finished or outcome.timed_out
