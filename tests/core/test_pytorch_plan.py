"""The PyTorch plan built from a schedule: module choice, selective ops, placement, predictions."""

from __future__ import annotations

import json

import pytest

from core.errors import RematError
from core.export.pytorch_plan import build_plan, write_helper, write_plan
from core.graph import NodeKind, TrainingGraph, TrainingNode
from core.schedule import Compute, Schedule
from core.simulate import simulate
from core.stages import closed_form_r, decode_stages, plain_stages
from tests.helpers import one_device_problem


def _node(i: int, name: str, kind: NodeKind, deps: tuple[int, ...], scope: str = "", op: str = "Op") -> TrainingNode:
    return TrainingNode(id=i, name=name, kind=kind, op_type=op, size_bytes=10, deps=deps, cost_s=1.0,
                        module_scope=scope, shapes=((2, 5),))


def _two_block_graph() -> TrainingGraph:
    """block.0 = (fc1 -> relu -> fc2), block.1 = (fc1 -> relu -> fc2); backward mirrors it."""
    F, B, L = NodeKind.FORWARD, NodeKind.BACKWARD, NodeKind.LOSS
    nodes = [
        _node(0, "b0.fc1", F, (), "block.0.fc1", "Gemm"),
        _node(1, "b0.relu", F, (0,), "block.0.act", "Relu"),
        _node(2, "b0.fc2", F, (1,), "block.0.fc2", "Gemm"),
        _node(3, "b1.fc1", F, (2,), "block.1.fc1", "Gemm"),
        _node(4, "b1.relu", F, (3,), "block.1.act", "Relu"),
        _node(5, "b1.fc2", F, (4,), "block.1.fc2", "Gemm"),
        _node(6, "loss", L, (5,)),
        _node(7, "grad b1.fc2", B, (6, 4)),
        _node(8, "grad b1.relu", B, (7, 4)),
        _node(9, "grad b1.fc1", B, (8, 2)),
        _node(10, "grad b0.fc2", B, (9, 1)),
        _node(11, "grad b0.relu", B, (10, 1)),
        _node(12, "grad b0.fc1", B, (11,)),
    ]
    return TrainingGraph(name="two-blocks", nodes=tuple(nodes))


def _schedule_dropping(graph: TrainingGraph, dropped: set[int]) -> Schedule:
    """Plain order, except that ``dropped`` buffers are not kept past their forward reader."""
    problem = one_device_problem(graph)
    _, S = plain_stages(graph)
    for i in dropped:
        S[i + 2:, i] = False
    return decode_stages(problem, closed_form_r(graph, S), S)


def test_checkpoints_the_largest_module_whose_internals_are_all_dropped() -> None:
    graph = _two_block_graph()
    problem = one_device_problem(graph)
    trace = simulate(problem, _schedule_dropping(graph, {3, 4}))
    assert trace.ok, trace.violations
    plan = build_plan(problem, trace)
    assert plan["checkpoint"] == ["block.1"]
    assert plan["modules"]["block.1.act"]["activations"] == "recompute"
    assert plan["modules"]["block.0.act"]["activations"] == "keep"
    assert plan["placement"]["modules"]["block.0.fc1"] == "cpu"
    # block.1's internal activations (fc1, relu outputs) are no longer saved; its input (b0.fc2) is
    assert plan["predicted"]["saved_bytes_plan"] < plan["predicted"]["saved_bytes_plain"]
    assert plan["predicted"]["saved_bytes_plain"] - plan["predicted"]["saved_bytes_plan"] == 10


def test_dropping_one_op_pulls_in_what_its_recompute_needs() -> None:
    # recomputing b0.relu needs b0.fc1, which nothing else keeps: both internals drop -> block.0
    graph = _two_block_graph()
    problem = one_device_problem(graph)
    trace = simulate(problem, _schedule_dropping(graph, {1}))
    assert trace.ok, trace.violations
    assert build_plan(problem, trace)["checkpoint"] == ["block.0"]


def test_partial_drop_becomes_a_selective_policy() -> None:
    graph = _two_block_graph()
    problem = one_device_problem(graph)
    _, S = plain_stages(graph)
    S[6:8, 4] = False  # drop b1.relu after the forward pass, recompute it once for its gradient ...
    S[4:, 3] = True  # ... but keep b1.fc1, so only the ReLU is recomputed
    trace = simulate(problem, decode_stages(problem, closed_form_r(graph, S), S))
    assert trace.ok, trace.violations
    assert trace.recompute_count == 1
    plan = build_plan(problem, trace)
    assert plan["checkpoint"] == []
    assert plan["selective"] == {"block.1.act": [{"op_type": "Relu", "occurrence": 0, "node": "b1.relu"}]}


def test_a_chain_of_drops_inside_a_block_becomes_one_policy_on_the_block() -> None:
    """fc1 and relu dropped, fc2 and tanh kept: recomputing relu re-runs fc1 from the block's input,
    so the policy sits on the block (leaf modules alone would only save the same bytes twice)."""
    F, B, L = NodeKind.FORWARD, NodeKind.BACKWARD, NodeKind.LOSS
    nodes = (
        _node(0, "stem", F, (), "stem", "Gemm"),
        _node(1, "fc1", F, (0,), "block.fc1", "Gemm"),
        _node(2, "relu", F, (1,), "block.act", "Relu"),
        _node(3, "fc2", F, (2,), "block.fc2", "Gemm"),
        _node(4, "tanh", F, (3,), "block.out", "Tanh"),
        _node(5, "loss", L, (4,)),
        _node(6, "grad tanh", B, (5, 4)),
        _node(7, "grad fc2", B, (6, 2)),
        _node(8, "grad relu", B, (7, 2)),
        _node(9, "grad fc1", B, (8, 0)),
        _node(10, "grad stem", B, (9,)),
    )
    graph = TrainingGraph(name="block", nodes=nodes)
    problem = one_device_problem(graph)
    trace = simulate(problem, _schedule_dropping(graph, {1, 2}))
    assert trace.ok and {t.node for t in trace.timings if t.role.value == "recompute"} == {1, 2}
    plan = build_plan(problem, trace)
    assert plan["checkpoint"] == []
    assert plan["selective"] == {"block": [{"op_type": "Gemm", "occurrence": 0, "node": "fc1"},
                                           {"op_type": "Relu", "occurrence": 0, "node": "relu"}]}
    # relu's output (10 bytes) is no longer saved; the block's input (stem) already was.
    assert plan["predicted"]["saved_bytes_plain"] - plan["predicted"]["saved_bytes_plan"] == 10


def test_a_graph_without_module_scopes_is_refused_with_a_reason() -> None:
    graph = TrainingGraph(name="flat", nodes=(_node(0, "a", NodeKind.FORWARD, ()),))
    problem = one_device_problem(graph)
    trace = simulate(problem, Schedule((Compute(0, 0),)))
    with pytest.raises(RematError, match="module scopes"):
        build_plan(problem, trace)


def test_plan_and_helper_files_are_written(tmp_path) -> None:
    graph = _two_block_graph()
    problem = one_device_problem(graph)
    trace = simulate(problem, _schedule_dropping(graph, set()))
    write_plan(tmp_path / "plan.json", build_plan(problem, trace))
    write_helper(tmp_path / "remat_plan.py")
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["format"] == "remat-studio.plan" and plan["checkpoint"] == []
    helper = (tmp_path / "remat_plan.py").read_text()
    assert "{{" not in helper and "def apply_plan" in helper
    compile(helper, "remat_plan.py", "exec")
