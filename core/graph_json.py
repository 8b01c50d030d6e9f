"""The project's own graph/problem JSON format (``remat-studio.graph``; see docs/graph-format.md).

A training graph written by hand or by another tool: nodes with their buffer sizes, dependencies and
costs (one cost for every device, or one per device name), static memory, and per-buffer copy costs.
Optionally the file also carries the machine (a system document, as in ``resources/devices``), the
budgets per memory and the objective: then it is a whole scheduling problem, which is how the XEngine
unit instances are expressed. Nodes may be listed in any order that is a topological order of their
dependencies (deps by name or by position).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import RematError
from core.graph import NodeKind, TrainingGraph, TrainingNode
from core.jsonfile import check_schema, read_json
from core.problem import Objective
from core.system import System
from core.units import parse_size

FORMAT = "remat-studio.graph"
VERSION = 1
SCHEMA = "graph.schema.json"


@dataclass(frozen=True)
class GraphDocument:
    """What a graph file holds: the graph, and the parts of a problem it may carry."""

    graph: TrainingGraph
    system: System | None = None
    budgets_bytes: dict[str, int] = field(default_factory=dict)
    objective: Objective | None = None
    time_limit_s: float | None = None


def is_graph_document(document: object) -> bool:
    return isinstance(document, dict) and document.get("format") == FORMAT


def load_graph_json(path: str | Path) -> GraphDocument:
    """Read a ``remat-studio.graph`` file; RematError naming the file and field for every mistake."""
    path = Path(path)
    return graph_from_document(read_json(path, "graph file"), str(path), name=path.stem)


def graph_from_document(document: Any, where: str, name: str = "graph") -> GraphDocument:
    """Check ``document`` against the schema and the rules the schema cannot say, and build it."""
    if not is_graph_document(document):
        found = document.get("format") if isinstance(document, dict) else type(document).__name__
        raise RematError(f"{where}: field format: is {found!r}, expected {FORMAT!r}")
    version = document.get("version")
    if isinstance(version, int) and version > VERSION:
        raise RematError(f"{where}: graph file version {version} is newer than this program reads ({VERSION})")
    check_schema(document, SCHEMA, where)
    graph = _graph(document, where, name)
    system = _system(document, where)
    budgets = _budgets(document, system, where)
    objective = Objective(document["objective"]) if "objective" in document else None
    return GraphDocument(graph, system, budgets, objective, document.get("time_limit_s"))


def _graph(document: dict[str, Any], where: str, name: str) -> TrainingGraph:
    raw = document["nodes"]
    names = [entry["name"] for entry in raw]
    for position, entry in enumerate(names):
        if names.index(entry) != position:
            raise RematError(f"{where}: field nodes/{position}/name: {entry!r} appears twice")
    deps = [_resolve_deps(entry, position, names, where) for position, entry in enumerate(raw)]
    order = _topological(deps, names, where)
    new_id = {old: new for new, old in enumerate(order)}
    nodes = tuple(_node(raw[old], new_id, tuple(sorted(new_id[d] for d in deps[old])), names, where, old)
                  for old in order)
    copies = tuple(_copy(entry, names, new_id, where, i) for i, entry in enumerate(document.get("copy_cost_s", ())))
    reads = tuple(_read(entry, names, new_id, where, i) for i, entry in enumerate(document.get("read_cost_s", ())))
    return TrainingGraph(
        name=document.get("name", name), nodes=nodes,
        static_bytes=_size(document.get("static_bytes", 0), where, "static_bytes", allow_zero=True),
        param_bytes=_size(document.get("param_bytes", 0), where, "param_bytes", allow_zero=True),
        source=where, copy_cost_s=copies, read_cost_s=reads,
    )


def _resolve_deps(entry: dict[str, Any], position: int, names: list[str], where: str) -> set[int]:
    resolved: set[int] = set()
    for j, dep in enumerate(entry.get("deps", ())):
        if isinstance(dep, int):
            if not 0 <= dep < len(names):
                raise RematError(f"{where}: field nodes/{position}/deps/{j}: no node at position {dep}")
            resolved.add(dep)
        elif dep in names:
            resolved.add(names.index(dep))
        else:
            raise RematError(f"{where}: field nodes/{position}/deps/{j}: no node named {dep!r}")
    if position in resolved:
        raise RematError(f"{where}: field nodes/{position}/deps: node {names[position]!r} reads itself")
    return resolved


def _topological(deps: list[set[int]], names: list[str], where: str) -> list[int]:
    """Positions in a topological order, keeping the file's order wherever it already is one."""
    done: set[int] = set()
    order: list[int] = []
    while len(order) < len(deps):
        ready = [i for i in range(len(deps)) if i not in done and deps[i] <= done]
        if not ready:
            stuck = next(i for i in range(len(deps)) if i not in done)
            raise RematError(f"{where}: field nodes/{stuck}/deps: node {names[stuck]!r} is on a dependency "
                             "cycle; a training graph must be acyclic")
        first = ready[0]
        order.append(first)
        done.add(first)
    return order


def _node(entry: dict[str, Any], new_id: dict[int, int], deps: tuple[int, ...], names: list[str], where: str,
          position: int) -> TrainingNode:
    forward = entry.get("forward")
    if forward is not None and forward not in names:
        raise RematError(f"{where}: field nodes/{position}/forward: no node named {forward!r}")
    return TrainingNode(
        id=new_id[position], name=entry["name"], kind=NodeKind(entry.get("kind", "forward")),
        op_type=entry.get("op_type", "Op"),
        size_bytes=_size(entry["size_bytes"], where, f"nodes/{position}/size_bytes", allow_zero=True),
        deps=deps, flops=float(entry.get("flops", 0.0)), bytes_accessed=float(entry.get("bytes_accessed", 0.0)),
        forward_id=None if forward is None else new_id[names.index(forward)],
        onnx_name=entry.get("onnx_name", ""), module_scope=entry.get("module_scope", ""),
        random=bool(entry.get("random", False)), cost_s=entry.get("cost_s"),
        device_cost_s=tuple((str(k), float(v)) for k, v in entry.get("device_cost_s", {}).items()),
        param_state_bytes=_size(entry.get("param_state_bytes", 0), where, f"nodes/{position}/param_state_bytes",
                                allow_zero=True),
    )


def _copy(entry: dict[str, Any], names: list[str], new_id: dict[int, int], where: str,
          index: int) -> tuple[int, str, str, float]:
    if entry["node"] not in names:
        raise RematError(f"{where}: field copy_cost_s/{index}/node: no node named {entry['node']!r}")
    return new_id[names.index(entry["node"])], entry["src"], entry["dst"], float(entry["time_s"])


def _read(entry: dict[str, Any], names: list[str], new_id: dict[int, int], where: str,
          index: int) -> tuple[int, int, str, str, float]:
    for key in ("node", "reader"):
        if entry[key] not in names:
            raise RematError(f"{where}: field read_cost_s/{index}/{key}: no node named {entry[key]!r}")
    node, reader = names.index(entry["node"]), names.index(entry["reader"])
    return new_id[node], new_id[reader], entry["src"], entry["dst"], float(entry["time_s"])


def _size(value: Any, where: str, field_name: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, str):
        return parse_size(value, what=f"{where}: field {field_name}")
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (value == 0 and not allow_zero):
        raise RematError(f"{where}: field {field_name}: expected a size in bytes, got {value!r}")
    if value != int(value):
        raise RematError(f"{where}: field {field_name}: a size in bytes must be a whole number, got {value!r}")
    return int(value)


def _system(document: dict[str, Any], where: str) -> System | None:
    if "system" not in document:
        return None
    from core.system_io import system_from_dict

    return system_from_dict(document["system"], f"{where}: field system")


def _budgets(document: dict[str, Any], system: System | None, where: str) -> dict[str, int]:
    budgets = document.get("budgets", {})
    if budgets and system is None:
        raise RematError(f"{where}: field budgets: budgets need a system (add a 'system' field)")
    memories = [m.name for m in system.memories] if system else []
    out = {}
    for name, value in budgets.items():
        if name not in memories:
            raise RematError(f"{where}: field budgets/{name}: no memory {name!r}; memories: {', '.join(memories)}")
        out[name] = _size(value, where, f"budgets/{name}")
    return out
