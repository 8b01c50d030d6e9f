"""The node-link training graphs of the rematerialization literature (NetworkX JSON), as training graphs.

Two dialects are read:

- **Checkmate** (Jain et al., MLSys 2020): nodes ``{id, name, cost_cpu, cost_ram, backward}``, links
  ``{source, target}``; ids are a topological order. ``cost_cpu`` is the profiled compute cost (the
  graphs' own units), ``cost_ram`` the bytes of the node's output. The node named ``Loss`` is the loss;
  a backward node ``X_backward`` mirrors the forward node ``X``.
- **Moccasin** random layered DAGs: nodes ``{name, duration, out_cost, param_cost}``, links ``{"0", "1"}``
  and a topological order in ``graph.order``. All nodes are forward nodes (the graphs are generic DAGs).

Costs are device-independent (``TrainingNode.cost_s``), so every device of a system runs a node in the
same time: the benchmark protocol of those papers.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from core.errors import RematError
from core.graph import NodeKind, TrainingGraph, TrainingNode


def is_nodelink(document: object) -> bool:
    """Whether ``document`` looks like NetworkX node-link data."""
    return isinstance(document, dict) and isinstance(document.get("nodes"), list) and "links" in document


def load_nodelink(path: str | Path) -> TrainingGraph:
    """Read a node-link training graph file; RematError naming the field for malformed files."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RematError(f"graph file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RematError(f"{path} is not valid JSON: {exc}") from exc
    return nodelink_graph(document, str(path), name=path.stem)


def nodelink_graph(document: Any, where: str, name: str = "graph") -> TrainingGraph:
    """The training graph of node-link ``document`` (``where`` names it in error messages)."""
    if not is_nodelink(document):
        raise RematError(f"{where}: not a node-link graph: expected top-level fields 'nodes' (a list) and 'links'")
    links = document["links"]
    if not isinstance(links, list):
        raise RematError(f"{where}: field links: expected a list of {{source, target}} objects")
    moccasin = bool(links) and isinstance(links[0], dict) and "0" in links[0]
    key, size_key, cost_key = ("name", "out_cost", "duration") if moccasin else ("id", "cost_ram", "cost_cpu")
    raw_nodes = document["nodes"]
    order = _order(document, raw_nodes, key, where)
    position = {node_key: pos for pos, node_key in enumerate(order)}
    deps = _deps(links, position, ("0", "1") if moccasin else ("source", "target"), where)
    by_key = {node[key]: (index, node) for index, node in enumerate(raw_nodes)}
    names = {pos: str(by_key[k][1].get("name", k)) for pos, k in enumerate(order)}
    nodes = []
    for pos, node_key in enumerate(order):
        index, raw = by_key[node_key]
        backward = bool(raw.get("backward", False))
        nodes.append(TrainingNode(
            id=pos, name=names[pos], kind=_kind(names[pos], backward), op_type="Op",
            size_bytes=int(_number(raw, size_key, index, where)),
            deps=tuple(sorted(deps[pos])), cost_s=_number(raw, cost_key, index, where),
        ))
    nodes = _link_backward(nodes)
    title = document.get("graph", {}).get("name") if isinstance(document.get("graph"), dict) else None
    return TrainingGraph(name=name, nodes=tuple(nodes), source=str(title or where),
                         warnings=() if not moccasin else ("a generic DAG: every node is treated as forward",))


def _order(document: dict[str, Any], raw_nodes: list[Any], key: str, where: str) -> list[Any]:
    for index, node in enumerate(raw_nodes):
        if not isinstance(node, dict) or key not in node:
            raise RematError(f"{where}: field nodes/{index}/{key}: missing (every node needs one)")
    keys = [node[key] for node in raw_nodes]
    if len(set(keys)) != len(keys):
        raise RematError(f"{where}: field nodes: duplicate node {key}s")
    graph = document.get("graph")
    order = graph.get("order") if isinstance(graph, dict) else None
    if order is None:
        return sorted(keys) if all(isinstance(k, int) for k in keys) else keys
    if sorted(map(str, order)) != sorted(map(str, keys)):
        raise RematError(f"{where}: field graph/order: must list every node exactly once")
    return list(order)


def _deps(links: list[Any], position: dict[Any, int], ends: tuple[str, str], where: str) -> list[set[int]]:
    deps: list[set[int]] = [set() for _ in position]
    for index, link in enumerate(links):
        if not isinstance(link, dict) or any(end not in link for end in ends):
            raise RematError(f"{where}: field links/{index}: expected {{{ends[0]!r}, {ends[1]!r}}}")
        src, dst = link[ends[0]], link[ends[1]]
        for end, value in zip(ends, (src, dst), strict=True):
            if value not in position:
                raise RematError(f"{where}: field links/{index}/{end}: no node {value!r}")
        if position[src] >= position[dst]:
            raise RematError(f"{where}: field links/{index}: {src!r} -> {dst!r} goes against the node order "
                             "(the graph must be acyclic and its ids a topological order)")
        deps[position[dst]].add(position[src])
    return deps


def _number(raw: dict[str, Any], field: str, index: int, where: str) -> float:
    value = raw.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise RematError(f"{where}: field nodes/{index}/{field}: expected a non-negative number, got {value!r}")
    return float(value)


def _kind(name: str, backward: bool) -> NodeKind:
    # Checkmate marks its loss node as backward: the name decides.
    if name.lower() == "loss":
        return NodeKind.LOSS
    return NodeKind.BACKWARD if backward else NodeKind.FORWARD


def _link_backward(nodes: list[TrainingNode]) -> list[TrainingNode]:
    """Set ``forward_id`` of ``X_backward`` to the id of ``X`` (Checkmate's naming)."""
    forward = {n.name: n.id for n in nodes if n.kind is NodeKind.FORWARD}
    out = []
    for node in nodes:
        if node.kind is NodeKind.BACKWARD and node.name.endswith("_backward"):
            fid = forward.get(node.name[: -len("_backward")])
            if fid is not None:
                node = dataclasses.replace(node, forward_id=fid)
        out.append(node)
    return out
