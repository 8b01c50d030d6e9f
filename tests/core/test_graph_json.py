"""The project's graph/problem JSON format: known contents, topological sorting, field-naming errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from core.errors import RematError
from core.graph import NodeKind
from core.graph_json import graph_from_document, load_graph_json
from core.paths import RESOURCES
from core.problem import Objective, build_problem

SYSTEM = {
    "format": "remat-studio.system", "version": 1, "name": "two",
    "memories": [{"name": "ram", "capacity_bytes": 10**9, "kind": "device"},
                 {"name": "vram", "capacity_bytes": 10**8, "kind": "device"}],
    "devices": [{"name": "cpu", "kind": "cpu", "memory": "ram", "peak_flops": 1e11, "mem_bandwidth_bytes_s": 1e10},
                {"name": "gpu", "kind": "gpu", "memory": "vram", "peak_flops": 1e13, "mem_bandwidth_bytes_s": 1e12}],
    "links": [{"src": "ram", "dst": "vram", "bandwidth_bytes_s": 1e10},
              {"src": "vram", "dst": "ram", "bandwidth_bytes_s": 1e10}],
}


def document() -> dict:
    return {
        "format": "remat-studio.graph", "version": 1, "name": "two_layers", "static_bytes": "1MiB",
        "nodes": [
            # Listed out of order on purpose: relu before the fc1 it reads.
            {"name": "relu", "op_type": "Relu", "size_bytes": "2MiB", "deps": ["fc1"], "cost_s": 0.1},
            {"name": "fc1", "op_type": "Gemm", "size_bytes": 2097152, "device_cost_s": {"cpu": 4.0, "gpu": 0.5}},
            {"name": "loss", "kind": "loss", "size_bytes": 64, "deps": ["relu"], "cost_s": 0.01},
            {"name": "relu.grad", "kind": "backward", "forward": "relu", "size_bytes": "2MiB",
             "deps": ["loss", 0], "cost_s": 0.1},
        ],
        "copy_cost_s": [{"node": "fc1", "src": "ram", "dst": "vram", "time_s": 0.25}],
        "system": copy.deepcopy(SYSTEM), "budgets": {"vram": "5MiB"}, "objective": "energy", "time_limit_s": 9.0,
    }


def test_contents_and_topological_order() -> None:
    doc = graph_from_document(document(), "g.json")
    graph = doc.graph
    assert [n.name for n in graph.nodes] == ["fc1", "relu", "loss", "relu.grad"]
    assert [n.deps for n in graph.nodes] == [(), (0,), (1,), (1, 2)]
    assert graph.nodes[0].size_bytes == graph.nodes[1].size_bytes == 2 * 2**20
    assert graph.nodes[3].kind is NodeKind.BACKWARD and graph.nodes[3].forward_id == 1
    assert graph.static_bytes == 2**20 and graph.copy_cost_s == ((0, "ram", "vram", 0.25),)
    assert doc.budgets_bytes == {"vram": 5 * 2**20}
    assert doc.objective is Objective.ENERGY and doc.time_limit_s == 9.0
    assert doc.system is not None and [d.name for d in doc.system.devices] == ["cpu", "gpu"]


def test_costs_reach_the_problem() -> None:
    doc = graph_from_document(document(), "g.json")
    problem = build_problem(doc.graph, doc.system, doc.budgets_bytes)
    assert problem.costs.compute_time_s[0].tolist() == [4.0, 0.5]  # per device
    assert problem.costs.compute_time_s[1].tolist() == [0.1, 0.1]  # the same everywhere
    link = problem.link_index[(0, 1)]
    assert problem.costs.copy_time_s[link, 0] == 0.25  # the override
    assert problem.costs.copy_time_s[link, 1] == pytest.approx(2 * 2**20 / 1e10)  # bandwidth model


def _set(path: list, value: object):  # type: ignore[no-untyped-def]
    def mutate(doc: dict) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


@pytest.mark.parametrize(("mutate", "message"), [
    (_set(["nodes", 0, "deps"], ["conv9"]), "field nodes/0/deps/0: no node named 'conv9'"),
    (_set(["nodes", 1, "deps"], ["relu"]), "is on a dependency cycle"),
    (_set(["nodes", 1, "size_bytes"], -5), "field nodes/1/size_bytes"),
    (_set(["nodes", 2, "name"], "relu"), "field nodes/2/name: 'relu' appears twice"),
    (_set(["nodes", 2, "kind"], "sideways"), "field nodes/2/kind"),
    (_set(["nodes", 3, "forward"], "ghost"), "field nodes/3/forward: no node named 'ghost'"),
    (_set(["budgets", "hbm"], 10), "field budgets/hbm: no memory 'hbm'"),
    (_set(["copy_cost_s", 0, "node"], "ghost"), "field copy_cost_s/0/node"),
    (_set(["system", "devices", 0, "memory"], "nowhere"), "field system: field devices/0/memory"),
    (_set(["format"], "something-else"), "field format"),
    (_set(["surprise"], 1), "field (top level)"),
])
def test_mistakes_name_the_field(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    doc = document()
    mutate(doc)
    with pytest.raises(RematError, match=message.replace("(", r"\(").replace(")", r"\)")):
        graph_from_document(doc, "g.json")


def test_budgets_without_a_system_are_refused() -> None:
    doc = document()
    del doc["system"]
    with pytest.raises(RematError, match="budgets need a system"):
        graph_from_document(doc, "g.json")


def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "g.json"
    path.write_text(json.dumps(document())[:120])
    with pytest.raises(RematError, match=r"g\.json is not valid JSON.*cut short"):
        load_graph_json(path)


@pytest.mark.parametrize("path", sorted((RESOURCES / "examples" / "xengine").glob("[a-z]*_*.json")),
                         ids=lambda p: p.stem)
def test_bundled_xengine_examples_load(path: Path) -> None:
    doc = load_graph_json(path)
    assert doc.system is not None and set(doc.budgets_bytes) == {m.name for m in doc.system.memories}
    assert all(len(n.device_cost_s) == len(doc.system.devices) for n in doc.graph.nodes)
