"""Schedule JSON: round trip of every field, schema, atomic write, malformed files, model matching.

``SCHEDULE_CASES`` (hand-made problems and schedules, each checked by the simulator) are shared by
the other export tests.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from core.errors import RematError
from core.export import check_schedule_matches, read_schedule_json, write_schedule_json
from core.export.schedule_json import SCHEMA_PATH, schedule_document
from core.graph import NodeKind, TrainingGraph, TrainingNode
from core.metrics import trace_metrics
from core.problem import Objective, SchedulingProblem, build_problem
from core.schedule import Compute, Copy, Free, Schedule
from core.simulate import simulate
from core.stages import closed_form_r, decode_stages, plain_stages
from tests.helpers import chain_training_graph, make_graph, one_device_problem, two_device_system

Case = tuple[SchedulingProblem, Schedule]


def plain_case() -> Case:
    graph = chain_training_graph(3)
    graph = TrainingGraph(graph.name, graph.nodes, static_bytes=100)
    problem = one_device_problem(graph)
    return problem, decode_stages(problem, *plain_stages(graph))


def recompute_case() -> Case:
    problem = one_device_problem(make_graph([1, 1, 1], [(), (0,), (0, 1)], [2, 3, 5]))
    steps = (Compute(0, 0), Compute(1, 0), Free(0, 0), Compute(0, 0), Compute(2, 0),
             Free(0, 0), Free(1, 0), Free(2, 0))
    return problem, Schedule(steps)


def checkpointed_chain_case() -> Case:
    """Chain of 4 with f1 and f2 never checkpointed: the backward pass recomputes them."""
    graph = chain_training_graph(4)
    problem = one_device_problem(graph, budget=60)
    _, S = plain_stages(graph)
    S[:, 1] = False
    S[:, 2] = False
    return problem, decode_stages(problem, closed_form_r(graph, S), S)


def two_device_case() -> Case:
    """CPU and GPU with their own memories, a disk: copies both ways, a page-out and a page-in."""
    graph = make_graph([4 * 10**8, 5 * 10**8, 6 * 10**8, 7 * 10**8], [(), (0,), (1,), (0, 2)],
                       [0.5, 1.0, 1.5, 2.0], static_bytes=10**8)
    problem = build_problem(graph, two_device_system(), {"ram": 2 * 10**9, "vram": 10**9})
    steps = (
        Compute(0, 0), Copy(0, 0, 1), Copy(0, 0, 2), Free(0, 0),  # keep 0 on the GPU, page it out
        Compute(1, 1), Free(0, 1), Copy(1, 1, 0), Free(1, 1),  # f1 on the GPU, result back to RAM
        Compute(2, 0), Free(1, 0), Copy(0, 2, 0), Free(0, 2),  # f2 on the CPU, page 0 back in
        Compute(3, 0), Free(0, 0), Free(2, 0), Free(3, 0),
    )
    return problem, Schedule(steps)


def remote_read_case() -> Case:
    """The GPU reads f0 straight from host RAM over a direct-access link: no copy in its memory."""
    import dataclasses

    graph = make_graph([4 * 10**8, 5 * 10**8, 6 * 10**8], [(), (0,), (0, 1)], [0.5, 1.0, 1.5])
    system = two_device_system()
    links = tuple(dataclasses.replace(link, direct_access=True) if (link.src, link.dst) == ("ram", "vram")
                  else link for link in system.links)
    problem = build_problem(graph, dataclasses.replace(system, links=links), {"vram": 12 * 10**8})
    steps = (Compute(0, 0), Compute(1, 1, ((0, 0),)), Compute(2, 1, ((0, 0),)), Free(0, 0), Free(1, 1),
             Free(2, 1))
    return problem, Schedule(steps)


def placed_parameters_case() -> Case:
    """Two devices placing an operator's weights in the GPU memory, named in the schedule."""
    import dataclasses

    graph = make_graph([10**8, 10**8, 10**8], [(), (0,), (1,)], [1.0, 1.0, 1.0])
    nodes = list(graph.nodes)
    nodes[0] = dataclasses.replace(nodes[0], param_state_bytes=3 * 10**8)
    nodes[2] = dataclasses.replace(nodes[2], forward_id=0, kind=NodeKind.BACKWARD)
    graph = dataclasses.replace(graph, nodes=tuple(nodes), static_bytes=3 * 10**8 + 5)
    problem = build_problem(graph, two_device_system(), place_parameters=True)
    steps = (Compute(0, 1), Copy(0, 1, 0), Free(0, 1), Compute(1, 0), Free(0, 0), Copy(1, 0, 1), Free(1, 0),
             Compute(2, 1), Free(1, 1), Free(2, 1))
    return problem, Schedule(steps, placement=((0, 1),))


SCHEDULE_CASES: dict[str, Callable[[], Case]] = {
    "plain": plain_case,
    "recompute": recompute_case,
    "checkpointed_chain": checkpointed_chain_case,
    "two_devices": two_device_case,
    "remote_read": remote_read_case,
    "placed_parameters": placed_parameters_case,
}


def rich_graph() -> TrainingGraph:
    """Every TrainingNode field set to something other than its default."""
    nodes = (
        TrainingNode(0, "conv", NodeKind.FORWARD, "Conv", 64, (), flops=1e6, bytes_accessed=2e3,
                     onnx_name="/conv/Conv", module_scope="features.0", shapes=((1, 4, 2, 2),)),
        TrainingNode(1, "drop", NodeKind.FORWARD, "Dropout", 64, (0,), random=True, cost_s=0.25,
                     device_cost_s=(("gpu", 0.125),)),
        TrainingNode(2, "loss", NodeKind.LOSS, "SoftmaxCrossEntropy", 4, (1,)),
        TrainingNode(3, "conv_grad", NodeKind.BACKWARD, "ConvGrad", 64, (2, 0), forward_id=0,
                     cost_s=0.5, shapes=((1, 4, 2, 2), (4,))),
    )
    return TrainingGraph("rich", nodes, static_bytes=48, param_bytes=16, source="rich.onnx",
                         optimizer="adam", warnings=("op X has no FLOP rule",),
                         copy_cost_s=((0, "ram", "vram", 0.75),))


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, SchedulingProblem, Schedule]:
    problem, schedule = two_device_case()
    path = tmp_path / "s.json"
    write_schedule_json(path, problem, schedule, simulate(problem, schedule), {"solver": "hand"})
    return path, problem, schedule


@pytest.mark.parametrize("name", sorted(SCHEDULE_CASES))
def test_round_trip_rebuilds_problem_and_schedule(name: str, tmp_path: Path) -> None:
    problem, schedule = SCHEDULE_CASES[name]()
    trace = simulate(problem, schedule)
    assert trace.ok, trace.violations
    path = tmp_path / "s.json"
    meta = {"solver": "hand", "status": "FEASIBLE", "wall_s": 0.5, "dims": {"batch": 8}}
    write_schedule_json(path, problem, schedule, trace, meta)
    got, got_schedule, got_meta = read_schedule_json(path)
    assert got.graph == problem.graph and got.system == problem.system
    for field in ("compute_time_s", "compute_energy_j", "copy_time_s", "copy_energy_j"):
        np.testing.assert_array_equal(getattr(got.costs, field), getattr(problem.costs, field))
    assert (got.budgets_bytes, got.static_bytes) == (problem.budgets_bytes, problem.static_bytes)
    assert (got.objective, got.time_limit_s) == (problem.objective, problem.time_limit_s)
    assert got_schedule == schedule
    assert got_meta == meta
    assert trace_metrics(got, simulate(got, got_schedule)) == json.loads(path.read_text())["metrics"]


def test_every_node_system_and_problem_field_survives(tmp_path: Path) -> None:
    graph = rich_graph()
    problem = build_problem(graph, two_device_system(), {"vram": 4096}, objective=Objective.ENERGY,
                            time_limit_s=3.5, static_memory="vram")
    schedule = Schedule((Compute(0, 1), Compute(1, 1), Compute(2, 1), Compute(3, 1)))
    path = tmp_path / "rich.json"
    write_schedule_json(path, problem, schedule, simulate(problem, schedule), {})
    got, got_schedule, _ = read_schedule_json(path)
    assert got.graph == graph
    assert got.system == problem.system
    assert got.objective is Objective.ENERGY and got.time_limit_s == 3.5
    assert got.static_bytes == (0, 48, 0)
    assert got.costs.copy_time_s[0, 0] == 0.75  # the per-node copy override, through the cost table
    assert got_schedule == schedule


def test_file_follows_schema_and_layout(written: tuple[Path, SchedulingProblem, Schedule]) -> None:
    path, problem, _ = written
    document = json.loads(path.read_text())
    jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text())).validate(document)
    assert (document["format"], document["version"]) == ("remat-studio.schedule", 1)
    assert document["steps"][0] == {"op": "compute", "node": 0, "node_name": "n0", "device": "cpu"}
    assert document["steps"][1] == {"op": "copy", "node": 0, "node_name": "n0", "src": "ram", "dst": "vram"}
    assert document["steps"][3] == {"op": "free", "node": 0, "node_name": "n0", "memory": "ram"}
    assert document["problem"]["budgets_bytes"] == {"ram": 2 * 10**9, "vram": 10**9, "disk": 10**12}
    assert document["metrics"]["page_count"] == 2
    assert len(document["costs"]["copy_time_s"]) == len(problem.system.links)


def test_meta_is_made_plain_json(tmp_path: Path) -> None:
    problem, schedule = recompute_case()
    meta = {"model": tmp_path / "m.onnx", "bound": float("-inf"), "gap": np.float64(0.5), "dims": {"b": 2}}
    path = tmp_path / "s.json"
    write_schedule_json(path, problem, schedule, simulate(problem, schedule), meta)
    _, _, got = read_schedule_json(path)
    assert got == {"model": str(tmp_path / "m.onnx"), "bound": None, "gap": 0.5, "dims": {"b": 2}}


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    problem, schedule = plain_case()
    trace = simulate(problem, schedule)
    path = tmp_path / "s.json"
    path.write_text("old")
    write_schedule_json(path, problem, schedule, trace, {})
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]
    with pytest.raises(RematError, match="cannot write"):
        write_schedule_json(tmp_path / "missing" / "s.json", problem, schedule, trace, {})


def _set(path: tuple[object, ...], value: object) -> Callable[[dict], None]:
    def mutate(document: dict) -> None:
        target = document
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return mutate


_DELETE = object()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set(("format",), "something.else"), "not a Remat Studio schedule file"),
        (_set(("version",), 2), "version 2 was written by a newer"),
        (_set(("graph",), _DELETE), "field (top level): 'graph' is a required property"),
        (_set(("graph", "nodes", 1, "size_bytes"), "big"), "field graph/nodes/1/size_bytes"),
        (_set(("graph", "nodes", 1, "id"), 5), "field graph/nodes/1/id"),
        (_set(("graph", "nodes", 1, "deps"), [3]), "field graph/nodes/1/deps"),
        (_set(("graph", "nodes", 0, "kind"), "sideways"), "field graph/nodes/0/kind"),
        (_set(("system", "devices", 1, "memory"), "hbm"), "field system/devices/1/memory: unknown memory 'hbm'"),
        (_set(("system", "links", 0, "dst"), "hbm"), "field system/links/0/dst"),
        (_set(("costs", "compute_time_s", 2), [1.0]), "field costs/compute_time_s: expected 4 rows of 2"),
        (_set(("costs", "copy_time_s", 1), [0.5, "x", 0.5, 0.5]), "field costs/copy_time_s/1/1: 'x' is not"),
        (_set(("costs", "compute_energy_j", 0), [-1.0, 0.5]), "field costs/compute_energy_j/0/0: -1.0"),
        (_set(("costs", "compute_time_s", 3), [True, 0.5]), "field costs/compute_time_s/3/0: True"),
        (_set(("problem", "budgets_bytes", "ram"), -1), "field problem/budgets_bytes/ram"),
        (_set(("problem", "static_bytes"), {"ram": 1}), "field problem/static_bytes: names memories"),
        (_set(("steps", 4, "device"), "tpu"), "field steps/4/device: unknown device 'tpu'"),
        (_set(("steps", 1, "op"), "move"), "field steps/1/op"),
        (_set(("steps", 1, "dst"), _DELETE), "field steps/1: 'dst' is a required property"),
        (_set(("steps", 2, "node"), 9), "field steps/2/node: no node 9"),
        (_set(("steps", 2, "node_name"), "n3"), "field steps/2/node_name"),
    ],
)
def test_malformed_file_names_file_and_field(
    written: tuple[Path, SchedulingProblem, Schedule], mutate: Callable[[dict], None], expected: str
) -> None:
    path = written[0]
    document = json.loads(path.read_text())
    mutate(document)
    path.write_text(json.dumps(document))
    with pytest.raises(RematError) as info:
        read_schedule_json(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("{not json", "not valid JSON (line 1, column 2"), ("[]", "not a Remat Studio schedule file")],
)
def test_unreadable_file(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(RematError, match=expected.replace("(", r"\(")):
        read_schedule_json(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RematError, match="does not exist"):
        read_schedule_json(tmp_path / "nope.json")


def test_schedule_matches_its_own_problem(written: tuple[Path, SchedulingProblem, Schedule]) -> None:
    path, problem, _ = written
    check_schedule_matches(problem, path)
    check_schedule_matches(problem, json.loads(path.read_text()))


def test_schedule_of_another_model_is_refused(written: tuple[Path, SchedulingProblem, Schedule]) -> None:
    path, _, _ = written
    other = build_problem(chain_training_graph(3), two_device_system())
    with pytest.raises(RematError) as info:
        check_schedule_matches(other, path)
    assert str(info.value) == (f"schedule file {path} was made for model 'g' (4 nodes), not for 'chain3' "
                               "(7 nodes); solve again for this model")


def test_schedule_for_other_dimensions_is_refused(written: tuple[Path, SchedulingProblem, Schedule]) -> None:
    path, problem, _ = written
    graph = problem.graph
    bigger = tuple(TrainingNode(n.id, n.name, n.kind, n.op_type, 2 * n.size_bytes, n.deps, cost_s=n.cost_s)
                   for n in graph.nodes)
    other = build_problem(TrainingGraph(graph.name, bigger), two_device_system())
    with pytest.raises(RematError, match=r"node 0 is 'n0' .* there but 'n0' .* here"):
        check_schedule_matches(other, path)


def test_schedule_for_another_system_is_refused(written: tuple[Path, SchedulingProblem, Schedule]) -> None:
    path, problem, _ = written
    with pytest.raises(RematError, match="made for system 'two' with devices"):
        check_schedule_matches(one_device_problem(problem.graph), path)


def test_document_is_not_shared_with_the_problem() -> None:
    problem, schedule = two_device_case()
    document = schedule_document(problem, schedule, simulate(problem, schedule))
    before = copy.deepcopy(document)
    document["costs"]["compute_time_s"][0][0] = 99.0
    assert problem.costs.compute_time_s[0, 0] == before["costs"]["compute_time_s"][0][0]


def test_published_schema_and_reader_both_refuse_non_numeric_costs(
    written: tuple[Path, SchedulingProblem, Schedule],
) -> None:
    """The reader checks cost matrices with NumPy instead of the schema: same rule, same answer."""
    path = written[0]
    schema = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    document = json.loads(path.read_text())
    document["costs"]["copy_time_s"][0][0] = "slow"
    assert not schema.is_valid(document)
    path.write_text(json.dumps(document))
    with pytest.raises(RematError, match="costs/copy_time_s/0/0"):
        read_schedule_json(path)


def test_meta_the_reader_would_refuse_is_not_written(tmp_path: Path) -> None:
    problem, schedule = recompute_case()
    path = tmp_path / "s.json"
    with pytest.raises(ValueError, match="schedule meta field dims/batch"):
        write_schedule_json(path, problem, schedule, simulate(problem, schedule), {"dims": {"batch": "8"}})
    assert not path.exists()
