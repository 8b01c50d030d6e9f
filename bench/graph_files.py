"""Read the benchmark graphs (NetworkX node-link JSON) into training graphs, for the benchmarks.

Two dialects: Checkmate's (nodes with id/cost_cpu/cost_ram/backward, links source/target) and
Moccasin's random layered DAGs (nodes name/duration/out_cost, links "0"/"1", a topological order in
``graph.order``). Uses :func:`core.nodelink.load_nodelink` when the tree has it.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.graph import NodeKind, TrainingGraph, TrainingNode


def load_graph(path: str | Path) -> TrainingGraph:
    """The training graph of one benchmark file (costs in the file's units, sizes in bytes)."""
    try:
        from core.nodelink import load_nodelink  # type: ignore[import-not-found]
    except ImportError:
        return _load_plain(Path(path))
    return load_nodelink(path)


def _load_plain(path: Path) -> TrainingGraph:
    data = json.loads(path.read_text())
    links = data["links"]
    if links and "source" in links[0]:
        edges = [(link["source"], link["target"]) for link in links]
        key = "id"
    else:
        edges = [(link["0"], link["1"]) for link in links]
        key = "name"
    order = data.get("graph", {}).get("order") or [node[key] for node in data["nodes"]]
    position = {name: pos for pos, name in enumerate(order)}
    by_name = {node[key]: node for node in data["nodes"]}
    deps: dict[int, list[int]] = {pos: [] for pos in range(len(order))}
    for src, dst in edges:
        deps[position[dst]].append(position[src])
    nodes = []
    for pos, name in enumerate(order):
        raw = by_name[name]
        backward = bool(raw.get("backward", False))
        nodes.append(TrainingNode(
            id=pos, name=str(raw.get("name", name)), kind=NodeKind.BACKWARD if backward else NodeKind.FORWARD,
            op_type="Op", size_bytes=int(raw.get("cost_ram", raw.get("out_cost", 0))),
            deps=tuple(sorted(set(deps[pos]))), cost_s=float(raw.get("cost_cpu", raw.get("duration", 0))),
        ))
    return TrainingGraph(name=path.stem, nodes=tuple(nodes))
