"""The simulator: known figures on hand-made schedules, and every kind of violation."""

from __future__ import annotations

import pytest

from core.graph import no_recompute_peak
from core.problem import build_problem
from core.schedule import Compute, Copy, Free, Schedule
from core.simulate import simulate
from core.stages import decode_stages, plain_stages
from core.trace import StepRole
from tests.helpers import chain_training_graph, make_graph, one_device_problem, two_device_system


def test_plain_schedule_peak_equals_no_recompute_peak() -> None:
    graph = make_graph([3, 5, 7, 2], [(), (0,), (0, 1), (2,)], [1, 2, 3, 4], static_bytes=100)
    problem = one_device_problem(graph)
    trace = simulate(problem, decode_stages(problem, *plain_stages(graph)))
    assert trace.ok
    assert trace.peak_bytes[0] == no_recompute_peak(graph) == 100 + 3 + 5 + 7
    assert trace.serial_time_s == pytest.approx(10.0)
    assert trace.makespan_s == pytest.approx(10.0)
    assert (trace.compute_count, trace.recompute_count) == (4, 0)


def test_recompute_is_counted_and_timed() -> None:
    graph = make_graph([1, 1, 1], [(), (0,), (0, 1)], [2, 3, 5])
    problem = one_device_problem(graph)
    steps = (Compute(0, 0), Compute(1, 0), Free(0, 0), Compute(0, 0), Compute(2, 0))
    trace = simulate(problem, Schedule(steps))
    assert trace.ok
    assert trace.recompute_count == 1
    assert trace.serial_time_s == pytest.approx(12.0)
    assert [t.role for t in trace.timings][3] is StepRole.RECOMPUTE


@pytest.mark.parametrize(
    ("steps", "kind"),
    [
        ((Compute(1, 0),), "input_not_resident"),
        ((Compute(0, 0), Free(0, 0), Free(0, 0)), "not_resident"),
        ((Compute(0, 0), Compute(0, 0)), "already_resident"),
        ((Compute(0, 0),), "never_computed"),
        ((Compute(0, 0), Compute(7, 0)), "bad_index"),
    ],
)
def test_violations_are_reported(steps: tuple, kind: str) -> None:
    graph = make_graph([1, 1], [(), (0,)])
    trace = simulate(one_device_problem(graph), Schedule(steps))
    assert not trace.ok
    assert kind in {v.kind for v in trace.violations}


def test_budget_exceeded_names_memory_and_node() -> None:
    graph = make_graph([6, 6], [(), (0,)])
    trace = simulate(one_device_problem(graph, budget=11), Schedule((Compute(0, 0), Compute(1, 0))))
    (violation,) = trace.violations
    assert violation.kind == "budget_exceeded"
    assert "'ram'" in violation.message and "'n1'" in violation.message
    assert trace.peak_bytes == (12,)


def test_copies_overlap_with_compute_and_page_roles() -> None:
    graph = make_graph([10**9, 10**9], [(), (0,)], [1.0, 1.0])
    problem = build_problem(graph, two_device_system())
    steps = (
        Compute(0, 0), Copy(0, 0, 1), Copy(0, 0, 2), Free(0, 0), Compute(1, 1), Free(0, 1),
        Copy(0, 2, 0), Free(0, 2),
    )
    trace = simulate(problem, Schedule(steps))
    assert trace.ok, trace.violations
    roles = [t.role for t in trace.timings]
    assert roles.count(StepRole.PAGE_OUT) == 1 and roles.count(StepRole.PAGE_IN) == 1
    assert trace.copy_count == 1 and trace.page_count == 2
    ram_to_vram = 1e-5 + 1e9 / 1e10
    gpu_step = trace.timings[4]
    assert gpu_step.start_s == pytest.approx(1.0 + ram_to_vram)
    # the page-out runs on its own link, overlapped with the GPU copy, so the makespan is below serial
    assert trace.makespan_s < trace.serial_time_s
    lanes = {t.lane for t in trace.timings if t.role is not StepRole.FREE}
    assert lanes == {"cpu", "gpu", "ram->vram", "ram->disk", "disk->ram"}


def test_energy_counts_steps_links_and_idle_power() -> None:
    graph = make_graph([1, 1], [(), (0,)], [2.0, 3.0])
    problem = one_device_problem(graph)
    trace = simulate(problem, Schedule((Compute(0, 0), Compute(1, 0))))
    assert trace.dynamic_energy_j == pytest.approx(10.0 * 5.0)
    assert trace.energy_j == pytest.approx(trace.dynamic_energy_j)  # never idle on one device


def test_chain_training_graph_plain_decode_is_valid() -> None:
    graph = chain_training_graph(6)
    problem = one_device_problem(graph)
    trace = simulate(problem, decode_stages(problem, *plain_stages(graph)))
    assert trace.ok
    assert trace.peak_bytes[0] == no_recompute_peak(graph)


def _direct_access_problem(direct: bool = True):  # type: ignore[no-untyped-def]
    import dataclasses

    graph = make_graph([4 * 10**8, 5 * 10**8, 6 * 10**8], [(), (0,), (0, 1)], [0.5, 1.0, 1.5])
    system = two_device_system()
    links = tuple(dataclasses.replace(link, direct_access=direct and (link.src, link.dst) == ("ram", "vram"))
                  for link in system.links)
    return build_problem(graph, dataclasses.replace(system, links=links), {"vram": 12 * 10**8})


def test_remote_reads_cost_a_transfer_each_and_take_no_room() -> None:
    problem = _direct_access_problem()
    steps = (Compute(0, 0), Compute(1, 1, ((0, 0),)), Compute(2, 1, ((0, 0),)))
    trace = simulate(problem, Schedule(steps))
    assert trace.ok, trace.violations
    link = problem.link_index[(0, 1)]
    transfer = problem.costs.copy_time_s[link, 0]  # 4e8 bytes at 1e10 B/s plus 10 us
    assert transfer == pytest.approx(0.04001)
    compute = problem.costs.compute_time_s
    assert trace.serial_time_s == pytest.approx(compute[0, 0] + compute[1, 1] + compute[2, 1] + 2 * transfer)
    assert [(t.lane, t.node, t.index) for t in trace.remote_reads] == [("ram->vram", 0, 1), ("ram->vram", 0, 2)]
    assert trace.peak_bytes[1] == 11 * 10**8  # f1 and f2 on the GPU; f0 never enters its memory
    # The second read waits for the link and the first compute; the compute waits for its read.
    first, second = trace.remote_reads
    assert second.start_s >= first.end_s and trace.timings[2].start_s >= second.end_s


def test_remote_read_needs_a_direct_access_link_and_the_buffer_at_the_source() -> None:
    plain = _direct_access_problem(direct=False)
    trace = simulate(plain, Schedule((Compute(0, 0), Compute(1, 1, ((0, 0),)))))
    assert [v.kind for v in trace.violations][:1] == ["no_direct_access"]
    problem = _direct_access_problem()
    trace = simulate(problem, Schedule((Compute(0, 0), Free(0, 0), Compute(1, 1, ((0, 0),)))))
    assert "input_not_resident" in {v.kind for v in trace.violations}
    trace = simulate(problem, Schedule((Compute(0, 0), Compute(1, 1, ((2, 0),)))))
    assert "bad_remote_read" in {v.kind for v in trace.violations}


def _weighted_problem(place: bool):  # type: ignore[no-untyped-def]
    """f0 (weights 3e8 with their state) -> f1 -> its backward b1 -> b0 (reads f0's weights again)."""
    import dataclasses

    graph = make_graph([10**8, 10**8, 10**8, 10**8], [(), (0,), (1,), (2,)], [1.0, 1.0, 1.0, 1.0])
    nodes = list(graph.nodes)
    nodes[0] = dataclasses.replace(nodes[0], param_state_bytes=3 * 10**8)
    nodes[3] = dataclasses.replace(nodes[3], forward_id=0, kind=nodes[3].kind.BACKWARD)
    graph = dataclasses.replace(graph, nodes=tuple(nodes), static_bytes=3 * 10**8)
    return build_problem(graph, two_device_system(), place_parameters=place)


def test_parameters_live_where_their_operator_first_runs() -> None:
    problem = _weighted_problem(place=True)
    assert problem.static_bytes == (0, 0, 0)  # the weights are the schedule's to place
    steps = (Compute(0, 1), Copy(0, 1, 0), Free(0, 1), Compute(1, 0), Free(0, 0), Compute(2, 0), Free(1, 0),
             Copy(2, 0, 1), Free(2, 0), Compute(3, 1))
    trace = simulate(problem, Schedule(steps))
    assert trace.ok, trace.violations
    assert trace.memory_curves[1][0] == (-1, 3 * 10**8)  # on the GPU from the start
    assert trace.peak_bytes[1] == 3 * 10**8 + 2 * 10**8


def test_an_operator_runs_only_beside_its_weights() -> None:
    problem = _weighted_problem(place=True)
    steps = (Compute(0, 1), Copy(0, 1, 0), Compute(1, 0), Compute(2, 0), Compute(3, 0))  # b0 on the CPU
    kinds = [v.kind for v in simulate(problem, Schedule(steps)).violations]
    assert kinds == ["parameters_not_resident"]
    placed = simulate(problem, Schedule(steps, placement=((0, 0),)))  # weights in RAM: f0 on the GPU fails
    assert [v.kind for v in placed.violations] == ["parameters_not_resident"]
    assert placed.memory_curves[0][0] == (-1, 3 * 10**8)


def test_without_placement_static_memory_stays_where_it_was_put() -> None:
    problem = _weighted_problem(place=False)
    assert problem.static_bytes == (3 * 10**8, 0, 0)
    steps = (Compute(0, 1), Copy(0, 1, 0), Compute(1, 0), Compute(2, 0), Compute(3, 0))
    assert simulate(problem, Schedule(steps)).ok
