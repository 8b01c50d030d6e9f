"""The portfolio backend: HiGHS and SCIP racing on one stage model, and what the race may claim.

The conformance tests run "checkmate-portfolio" on small graphs, whose models are below the racing
size (they go to HiGHS alone); here the race itself runs (``min_columns=0``) against exhaustive
search, and :func:`combine` is checked on hand-made outcomes: only a backend that proved something
makes the race claim it.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from core.errors import RematError
from core.simulate import simulate
from solvers.base import SolveOptions, SolveStatus
from solvers.checkmate.highs_backend import run_milp as highs
from solvers.checkmate.milp import MilpOutcome
from solvers.checkmate.pipeline import solve_with
from solvers.checkmate.race import STRAGGLER_GRACE_S, combine, race, split_params
from solvers.checkmate.scip_backend import run_milp as scip
from tests.solvers.brute_force import stage_optimum
from tests.solvers.checkmate_cases import small_cases

#: How long the deaf backend would take if the race waited for it.
SLEEPS_S = 20.0


def _outcome(objective=None, bound=None, *, optimal=False, infeasible=False, exhausted=False, cancelled=False):
    x = None if objective is None else np.zeros(3)
    return MilpOutcome(x, objective, bound, optimal, infeasible, cancelled, exhausted, "s")


def test_the_best_vector_and_the_largest_bound_win_and_only_a_proof_is_optimal() -> None:
    stopped_early = _outcome(10.0, 7.0)
    prover = _outcome(11.0, 9.0, optimal=True)
    both = combine([stopped_early, prover], ["a", "b"], user_cancelled=False)
    assert both.objective == 10.0 and both.bound == 9.0 and both.optimal
    neither = combine([_outcome(10.0, 7.0), _outcome(12.0, 8.0)], ["a", "b"], user_cancelled=True)
    assert not neither.optimal and neither.cancelled and neither.bound == 8.0
    # "infeasible" only when nobody found a vector
    assert not combine([_outcome(5.0, 5.0), _outcome(infeasible=True)], ["a", "b"], False).infeasible
    assert combine([_outcome(), _outcome(infeasible=True)], ["a", "b"], False).infeasible


def test_library_options_need_the_backend_prefix() -> None:
    assert split_params({"highs:presolve": "off", "scip:limits/nodes": 5}, ["highs", "scip"]) == [
        {"presolve": "off"}, {"limits/nodes": 5}]
    with pytest.raises(RematError, match="prefix it with one of highs:, scip:"):
        split_params({"presolve": "off"}, ["highs", "scip"])


@pytest.mark.parametrize(("name", "problem"), small_cases()[::7])
def test_racing_both_libraries_finds_the_exhaustive_optimum(name, problem) -> None:
    expected = stage_optimum(problem)
    result = solve_with("race", race({"highs": highs, "scip": scip}, min_columns=0), problem,
                        SolveOptions(time_limit_s=60.0, mip_gap=0.0), None, None)
    if expected is None:
        assert result.status is SolveStatus.INFEASIBLE, result.message
        return
    assert result.status is SolveStatus.OPTIMAL, result.message
    assert result.objective == pytest.approx(expected)
    trace = simulate(problem, result.schedule)  # solve_with is below solvers.run, which would replay it
    assert trace.ok and trace.serial_time_s == pytest.approx(result.objective)


def test_a_decided_race_does_not_wait_for_a_part_that_does_not_hear_the_stop() -> None:
    """SCIP in presolve can miss the stop until its own limit; the race answers without it."""
    name, problem = small_cases()[7]
    expected = stage_optimum(problem)
    assert expected is not None, name
    released = threading.Event()

    def deaf(model, request):  # type: ignore[no-untyped-def]
        released.wait(SLEEPS_S)  # ignores request.cancel, as a library in a phase without callbacks does
        return MilpOutcome(None, None, None, False, False, False, False, "deaf: timelimit")

    options = SolveOptions(time_limit_s=60.0, mip_gap=0.0, params={"theta0": 0, "starts": False, "focus": False})
    started = time.perf_counter()
    result = solve_with("race", race({"highs": highs, "deaf": deaf}, min_columns=0), problem, options, None, None)
    took = time.perf_counter() - started
    released.set()
    assert result.status is SolveStatus.OPTIMAL and result.objective == pytest.approx(expected)
    assert took < STRAGGLER_GRACE_S + 2.0 < SLEEPS_S
