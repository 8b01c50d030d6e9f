"""Node-link training graphs (Checkmate's and Moccasin's benchmark files) as training graphs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import RematError
from core.graph import NodeKind, no_recompute_peak
from core.nodelink import load_nodelink, nodelink_graph
from core.paths import BENCHMARK_GRAPHS

GRAPHS = BENCHMARK_GRAPHS
needs_graphs = pytest.mark.skipif(not GRAPHS.is_dir(), reason="shared benchmark graphs are not present")


def checkmate_doc() -> dict:
    """f0 -> f1 -> Loss -> f1_backward -> f0_backward (reads f0), Checkmate style."""
    nodes = [
        {"id": 0, "name": "f0", "backward": False, "cost_cpu": 3, "cost_ram": 100},
        {"id": 1, "name": "f1", "backward": False, "cost_cpu": 5, "cost_ram": 50},
        {"id": 2, "name": "Loss", "backward": True, "cost_cpu": 1, "cost_ram": 8},
        {"id": 3, "name": "f1_backward", "backward": True, "cost_cpu": 10, "cost_ram": 100},
        {"id": 4, "name": "f0_backward", "backward": True, "cost_cpu": 6, "cost_ram": 1},
    ]
    links = [{"source": s, "target": t} for s, t in [(0, 1), (1, 2), (2, 3), (0, 3), (3, 4), (0, 4)]]
    return {"directed": True, "multigraph": False, "graph": {"name": "tiny"}, "nodes": nodes, "links": links}


def test_checkmate_dialect() -> None:
    graph = nodelink_graph(checkmate_doc(), "tiny.json", name="tiny")
    assert [n.kind for n in graph.nodes] == [NodeKind.FORWARD, NodeKind.FORWARD, NodeKind.LOSS,
                                             NodeKind.BACKWARD, NodeKind.BACKWARD]
    assert [n.deps for n in graph.nodes] == [(), (0,), (1,), (0, 2), (0, 3)]
    assert [n.cost_s for n in graph.nodes] == [3, 5, 1, 10, 6]
    assert [n.size_bytes for n in graph.nodes] == [100, 50, 8, 100, 1]
    assert graph.nodes[3].forward_id == 1 and graph.nodes[4].forward_id == 0
    # f0 (100) lives through the whole step; the peak is reached while f1_backward runs.
    assert no_recompute_peak(graph) == 100 + 8 + 100


def test_moccasin_dialect_uses_graph_order() -> None:
    doc = {"graph": {"name": "r", "order": [0, 2, 1]}, "links": [{"0": 0, "1": 2}, {"0": 2, "1": 1}],
           "nodes": [{"name": 0, "duration": 1, "out_cost": 10, "param_cost": 0},
                     {"name": 1, "duration": 2, "out_cost": 20, "param_cost": 0},
                     {"name": 2, "duration": 3, "out_cost": 30, "param_cost": 0}]}
    graph = nodelink_graph(doc, "r.json")
    assert [(n.name, n.deps, n.size_bytes, n.cost_s) for n in graph.nodes] == [
        ("0", (), 10, 1.0), ("2", (0,), 30, 3.0), ("1", (1,), 20, 2.0)]


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d["nodes"][1].pop("cost_ram"), "field nodes/1/cost_ram"),
    (lambda d: d["nodes"][1].update(cost_cpu=-2), "field nodes/1/cost_cpu"),
    (lambda d: d["links"].append({"source": 4, "target": 0}), "goes against the node order"),
    (lambda d: d["links"].append({"source": 0, "target": 9}), "field links/6/target: no node 9"),
    (lambda d: d["nodes"][2].update(id=1), "duplicate node ids"),
    (lambda d: d.pop("links"), "not a node-link graph"),
])
def test_malformed_files_name_the_field(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    doc = checkmate_doc()
    mutate(doc)
    with pytest.raises(RematError, match=message):
        nodelink_graph(doc, "bad.json")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(RematError, match="not found"):
        load_nodelink(tmp_path / "absent.json")
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(checkmate_doc())[:50])
    with pytest.raises(RematError, match="not valid JSON"):
        load_nodelink(cut)


@needs_graphs
@pytest.mark.parametrize("path", sorted(GRAPHS.glob("*.json")), ids=lambda p: p.stem)
def test_every_benchmark_graph_loads(path: Path) -> None:
    raw = json.loads(path.read_text())
    graph = load_nodelink(path)
    assert len(graph.nodes) == len(raw["nodes"])
    assert graph.edge_count == len(raw["links"])
    if "_train" in path.stem:
        assert sum(n.kind is NodeKind.LOSS for n in graph.nodes) == 1
        backward = graph.backward_nodes()
        assert backward and all(n.forward_id is not None for n in backward if n.name.endswith("_backward"))


@needs_graphs
def test_vgg16_figures() -> None:
    """VGG16's peak and size as the benchmark file defines them (node sizes summed independently)."""
    raw = json.loads((GRAPHS / "vgg16_bs256_train.json").read_text())
    graph = load_nodelink(GRAPHS / "vgg16_bs256_train.json")
    assert sum(n.size_bytes for n in graph.nodes) == sum(n["cost_ram"] for n in raw["nodes"])
    assert len(graph.nodes) == 45 and graph.nodes[22].kind is NodeKind.LOSS
