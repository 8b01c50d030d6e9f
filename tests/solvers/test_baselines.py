"""no-remat and chen-sqrt: known answers (sums of costs, peaks, closed forms), honest statuses."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import solvers
from core.graph import TrainingGraph, min_feasible_budget, no_recompute_peak
from core.paths import MODELS_DIR
from core.problem import Objective, build_problem
from core.simulate import simulate
from core.stages import closed_form_r, decode_stages, plain_stages
from solvers.baseline import plain_schedule
from solvers.chen import build
from solvers.chen_segments import (
    articulation_points,
    checkpoint_candidates,
    every_kth,
    fast_closed_form_r,
    forward_side,
    segment_stages,
)
from tests.helpers import chain_training_graph, make_graph, one_device_problem, two_device_system
from tests.solvers.baseline_cases import (
    BENCHMARK_NAMES,
    at_fraction,
    benchmark_graph,
    frugal_and_fast_system,
    kinded_chain,
    roofline_chain,
    unit_cost_sum,
)

BRANCHY = make_graph([4, 3, 5, 2, 6, 1], [(), (0,), (0,), (1, 2), (3, 0), (4, 2)], [1, 2, 3, 4, 5, 6])
SMALL_GRAPHS = {"chain6": chain_training_graph(6), "kinded9": kinded_chain(9), "branchy": BRANCHY}


@pytest.mark.parametrize("name", sorted(SMALL_GRAPHS))
def test_plain_schedule_is_the_decoded_plain_stages(name: str) -> None:
    graph = SMALL_GRAPHS[name]
    problem = one_device_problem(graph)
    assert plain_schedule(problem, 0) == decode_stages(problem, *plain_stages(graph))


@pytest.mark.parametrize("name", [*sorted(SMALL_GRAPHS), "vgg16_bs256_train", "resnet50_bs256_train"])
def test_no_remat_costs_the_sum_and_peaks_at_the_no_recompute_peak(name: str) -> None:
    graph = SMALL_GRAPHS[name] if name in SMALL_GRAPHS else benchmark_graph(name)
    problem = at_fraction(graph, 1.0)
    result = solvers.run("no-remat", problem)
    assert result.status is solvers.SolveStatus.OPTIMAL
    assert result.objective == pytest.approx(unit_cost_sum(problem))
    assert result.trace is not None and result.trace.recompute_count == 0
    assert result.trace.peak_bytes[0] == no_recompute_peak(graph)


def test_no_remat_below_the_peak_says_what_it_needs() -> None:
    graph = chain_training_graph(8)
    peak = no_recompute_peak(graph)
    result = solvers.run("no-remat", one_device_problem(graph, peak - 1))
    assert result.status is solvers.SolveStatus.NO_SOLUTION
    assert str(peak) in result.message and "recomputing solver" in result.message


@pytest.mark.parametrize("solver", ["no-remat", "chen-sqrt"])
def test_infeasible_below_min_feasible_budget_with_the_number(solver: str) -> None:
    graph = kinded_chain(8)
    need = min_feasible_budget(graph)
    result = solvers.run(solver, one_device_problem(graph, need - 1))
    assert result.status is solvers.SolveStatus.INFEASIBLE
    assert str(need) in result.message


@pytest.mark.parametrize(("objective", "device"), [(Objective.TIME, "big"), (Objective.ENERGY, "little")])
def test_no_remat_picks_the_best_single_device(objective: Objective, device: str) -> None:
    problem = build_problem(roofline_chain(5), frugal_and_fast_system(), objective=objective)
    result = solvers.run("no-remat", problem)
    assert result.stats["device"] == device
    table = problem.costs.compute_time_s if objective is Objective.TIME else problem.costs.compute_energy_j
    assert result.objective == pytest.approx(table.sum(axis=0).min())


def test_no_remat_respects_the_time_limit_of_an_energy_problem() -> None:
    graph = roofline_chain(5)
    fast = build_problem(graph, frugal_and_fast_system()).costs.compute_time_s.sum(axis=0).min()
    problem = build_problem(graph, frugal_and_fast_system(), objective=Objective.ENERGY, time_limit_s=1.5 * fast)
    result = solvers.run("no-remat", problem)
    assert result.stats["device"] == "big"  # the frugal device alone would break the limit
    assert result.trace is not None and result.trace.serial_time_s <= 1.5 * fast


@pytest.mark.parametrize("name", [*sorted(SMALL_GRAPHS), "fcn8_vgg_bs32_train"])
def test_chen_at_the_peak_recomputes_nothing(name: str) -> None:
    graph = SMALL_GRAPHS[name] if name in SMALL_GRAPHS else benchmark_graph(name)
    problem = at_fraction(graph, 1.0)
    result = solvers.run("chen-sqrt", problem)
    assert result.status is solvers.SolveStatus.OPTIMAL
    assert result.trace is not None and result.trace.recompute_count == 0
    assert result.objective == pytest.approx(unit_cost_sum(problem))


def _chain_recomputations(checkpoints: tuple[int, ...]) -> int:
    """Closed form on a chain: each non-checkpoint forward node before the last checkpoint, once.

    Those segments are dropped in the forward pass and recomputed once from their checkpoint when
    the backward pass reaches them; the final segment is kept for the backward pass that starts at once.
    """
    last = max(checkpoints)
    return sum(1 for i in range(last) if i not in checkpoints)


@pytest.mark.parametrize(("length", "k"), [(16, 1), (16, 2), (16, 3), (16, 4), (17, 5), (30, 6)])
def test_chen_segments_on_a_chain_match_the_closed_form(length: int, k: int) -> None:
    graph = kinded_chain(length)
    problem = one_device_problem(graph)
    checkpoints = every_kth(checkpoint_candidates(graph, forward_side(graph)), k)
    assert _chain_recomputations(checkpoints) == (length // k) * (k - 1)
    seg = build(problem, "test", checkpoints)
    trace = simulate(problem, decode_stages(problem, seg.R, seg.S))
    assert trace.ok
    assert trace.recompute_count == (length // k) * (k - 1)
    assert trace.serial_time_s == pytest.approx(len(graph) + (length // k) * (k - 1))
    assert trace.peak_bytes[0] <= no_recompute_peak(graph)


@pytest.mark.parametrize("fraction", [0.5, 0.7, 0.9])
def test_chen_on_a_chain_recomputes_what_its_checkpoints_imply(fraction: float) -> None:
    graph = kinded_chain(25)
    result = solvers.run("chen-sqrt", one_device_problem(graph, int(fraction * no_recompute_peak(graph))))
    assert result.status is solvers.SolveStatus.FEASIBLE
    assert result.trace is not None
    expected = _chain_recomputations(tuple(result.stats["checkpoints"]))  # type: ignore[arg-type]
    assert result.trace.recompute_count == expected
    assert result.objective == pytest.approx(len(graph) + expected)


def test_articulation_points_skip_nodes_an_edge_jumps_over() -> None:
    # 0 -> 1 -> 2 -> 3 -> 4 with a skip 1 -> 3: node 2 is jumped over, the others separate the order
    graph = make_graph([1] * 5, [(), (0,), (1,), (2, 1), (3,)])
    fwd = forward_side(graph)
    assert articulation_points(graph, fwd, checkpoint_candidates(graph, fwd)) == [0, 1, 3, 4]


def _random_stages(graph: TrainingGraph, seed: int) -> np.ndarray:
    n = len(graph.nodes)
    rng = np.random.default_rng(seed)
    return np.tril(rng.random((n, n)) < 0.4, k=-1)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", sorted(SMALL_GRAPHS))
def test_fast_closed_form_r_equals_the_core_one(name: str, seed: int) -> None:
    graph = SMALL_GRAPHS[name]
    S = _random_stages(graph, seed)
    assert (fast_closed_form_r(graph, S) == closed_form_r(graph, S)).all()


def test_segment_stages_keep_checkpoints_until_their_last_reader() -> None:
    graph = kinded_chain(8)
    S = segment_stages(graph, forward_side(graph), (3,))
    last_reader_of_f3 = len(graph.nodes) - 1 - 3  # b3
    assert S[4:last_reader_of_f3 + 1, 3].all() and not S[last_reader_of_f3 + 1:, 3].any()


@pytest.mark.parametrize(("name", "fraction"), [(n, f) for n in BENCHMARK_NAMES for f in (0.8, 0.9)])
def test_chen_on_benchmarks_is_valid_or_honest(name: str, fraction: float) -> None:
    graph = benchmark_graph(name)
    problem = at_fraction(graph, fraction)
    result = solvers.run("chen-sqrt", problem)
    assert result.status is not solvers.SolveStatus.ERROR, result.message
    if result.status is solvers.SolveStatus.INFEASIBLE:
        assert problem.budgets_bytes[0] < min_feasible_budget(graph)
    elif result.schedule is not None:
        assert result.trace is not None and result.trace.peak_bytes[0] <= problem.budgets_bytes[0]
        assert result.objective is not None and result.objective >= unit_cost_sum(problem) * (1 - 1e-12)


def test_chen_cancelled_before_it_starts() -> None:
    cancel = threading.Event()
    cancel.set()
    graph = kinded_chain(20)
    result = solvers.run("chen-sqrt", one_device_problem(graph, no_recompute_peak(graph) // 2), cancel=cancel)
    assert result.status is solvers.SolveStatus.CANCELLED and result.schedule is None


def test_chen_on_two_devices_uses_one() -> None:
    graph = kinded_chain(12)
    problem = build_problem(graph, two_device_system(), {"ram": no_recompute_peak(graph) // 2,
                                                          "vram": no_recompute_peak(graph) // 2})
    result = solvers.run("chen-sqrt", problem)
    assert result.schedule is not None
    assert len({step.device for step in result.schedule.computes()}) == 1


SAMPLES = sorted(MODELS_DIR.glob("*_bs*.onnx"))


@pytest.fixture(scope="module")
def sample_graphs():  # type: ignore[no-untyped-def]
    from core.model_io import open_model

    return {path.stem: open_model(path).training for path in SAMPLES}


@pytest.mark.parametrize("solver", ["no-remat", "chen-sqrt", "greedy"])
@pytest.mark.parametrize("name", [p.stem for p in SAMPLES])
@pytest.mark.parametrize("fraction", [0.5, 0.8])
def test_every_baseline_on_every_sample_model_is_valid_or_honest(sample_graphs, name: str, solver: str,
                                                                 fraction: float) -> None:
    """A simulator-valid schedule, an INFEASIBLE naming the smallest feasible budget when the budget is
    below it, or a NO_SOLUTION saying why, never anything else."""
    from tests.helpers import one_device_system

    graph = sample_graphs[name]
    budget = max(int(fraction * no_recompute_peak(graph)), graph.static_bytes + 1)
    result = solvers.run(solver, build_problem(graph, one_device_system(), {"ram": budget}), solvers.SolveOptions())
    if result.schedule is not None:
        assert result.trace is not None and result.trace.ok and result.status is not solvers.SolveStatus.ERROR
    elif budget < min_feasible_budget(graph):
        assert result.status is solvers.SolveStatus.INFEASIBLE and str(min_feasible_budget(graph)) in result.message
    else:
        assert result.status is solvers.SolveStatus.NO_SOLUTION and result.message
