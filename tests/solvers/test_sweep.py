"""Budget sweeps: monotone curves, parsing, partial results on cancel."""

from __future__ import annotations

import itertools
import threading

import pytest

from core.errors import RematError
from core.simulate import simulate
from solvers import SolveStatus
from solvers.sweep import parse_fractions, run_sweep, with_budget_fraction
from tests.helpers import chain_training_graph, one_device_problem


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("0.5:1.0:0.25", (0.5, 0.75, 1.0)), ("0.8,0.6,1", (0.6, 0.8, 1.0)), ("0.9", (0.9,))],
)
def test_parse_fractions(spec: str, expected: tuple[float, ...]) -> None:
    assert parse_fractions(spec) == pytest.approx(expected)


@pytest.mark.parametrize("spec", ["", "a:b:c", "1:0.5:0.1", "0.5:1:0", "-0.5"])
def test_parse_fractions_rejects_nonsense(spec: str) -> None:
    with pytest.raises(RematError, match="--budgets"):
        parse_fractions(spec)


@pytest.mark.parametrize("solver", ["greedy", "checkmate-highs"])
def test_sweep_curve_is_monotone_and_every_point_replays(solver: str) -> None:
    problem = one_device_problem(chain_training_graph(8))
    points = run_sweep(problem, parse_fractions("0.3:1.0:0.1"), [solver])
    solved = [p for p in points if p.objective is not None]
    assert len(solved) >= 4
    overheads = [p.overhead for p in solved]
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(overheads))
    assert solved[-1].fraction == pytest.approx(1.0) and solved[-1].overhead == pytest.approx(0.0)
    for point in solved:
        at_budget = with_budget_fraction(problem, point.fraction)
        assert point.result.schedule is not None
        assert simulate(at_budget, point.result.schedule).ok
    assert all(p.status is SolveStatus.INFEASIBLE for p in points if p.objective is None)


def test_cancel_keeps_the_points_solved_so_far() -> None:
    problem = one_device_problem(chain_training_graph(6))
    cancel = threading.Event()
    seen = []

    def on_point(point):  # type: ignore[no-untyped-def]
        seen.append(point)
        if len(seen) == 2:
            cancel.set()

    points = run_sweep(problem, parse_fractions("0.5:1.0:0.1"), ["greedy"], on_point=on_point, cancel=cancel)
    assert len(points) == 2 and points == seen
