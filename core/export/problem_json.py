"""The problem part of a schedule file: training graph, system, cost table, budgets, objective.

:func:`problem_document` turns a :class:`core.problem.SchedulingProblem` into plain JSON data (every
:class:`core.graph.TrainingNode` field, every figure of devices, memories and links, costs as nested
lists); :func:`problem_from_document` rebuilds it from a schema-checked document, checking what the
schema cannot say (ids are positions, names resolve, matrix shapes match). Errors name the file and
the field.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from core.costs import CostTable
from core.errors import RematError
from core.graph import NodeKind, TrainingGraph, TrainingNode
from core.problem import Objective, SchedulingProblem
from core.system import Device, Link, Memory, MemoryKind, System


def problem_document(problem: SchedulingProblem) -> dict[str, Any]:
    """``{"graph": ..., "system": ..., "costs": ..., "problem": ...}`` for ``problem``.

    Values may still hold tuples and NumPy arrays; the schedule writer makes them plain JSON.
    """
    graph, system, costs = problem.graph, problem.system, problem.costs
    names = [m.name for m in system.memories]
    return {
        "graph": {
            "name": graph.name, "source": graph.source, "static_bytes": graph.static_bytes,
            "param_bytes": graph.param_bytes, "optimizer": graph.optimizer, "warnings": graph.warnings,
            "copy_cost_s": graph.copy_cost_s, "read_cost_s": graph.read_cost_s,
            "nodes": [dataclasses.asdict(node) for node in graph.nodes],
        },
        "system": {
            "name": system.name, "description": system.description, "sources": system.sources,
            "devices": [dataclasses.asdict(d) for d in system.devices],
            "memories": [dataclasses.asdict(m) for m in system.memories],
            "links": [dataclasses.asdict(link) for link in system.links],
        },
        "costs": {field.name: getattr(costs, field.name) for field in dataclasses.fields(CostTable)},
        "problem": {
            "budgets_bytes": dict(zip(names, problem.budgets_bytes, strict=True)),
            "static_bytes": dict(zip(names, problem.static_bytes, strict=True)),
            "objective": problem.objective.value,
            "time_limit_s": problem.time_limit_s,
            "place_parameters": problem.place_parameters,
        },
    }


def _node_from_dict(entry: dict[str, Any]) -> TrainingNode:
    return TrainingNode(
        id=entry["id"], name=entry["name"], kind=NodeKind(entry["kind"]),
        op_type=entry.get("op_type", ""), size_bytes=entry["size_bytes"], deps=tuple(entry["deps"]),
        flops=float(entry.get("flops", 0.0)), bytes_accessed=float(entry.get("bytes_accessed", 0.0)),
        forward_id=entry.get("forward_id"), onnx_name=entry.get("onnx_name", ""),
        module_scope=entry.get("module_scope", ""), random=entry.get("random", False),
        cost_s=entry.get("cost_s"),
        device_cost_s=tuple((str(name), float(cost)) for name, cost in entry.get("device_cost_s", ())),
        shapes=tuple(tuple(shape) for shape in entry.get("shapes", ())),
        param_state_bytes=int(entry.get("param_state_bytes", 0)),
    )


def _graph_from_dict(doc: dict[str, Any], where: str) -> TrainingGraph:
    for position, entry in enumerate(doc["nodes"]):
        if entry["id"] != position:
            raise RematError(f"{where}: field graph/nodes/{position}/id: is {entry['id']}, must equal "
                             f"the node's position {position}")
        for dep in entry["deps"]:
            if dep >= position:
                raise RematError(f"{where}: field graph/nodes/{position}/deps: node {entry['name']!r} "
                                 f"reads node {dep}, which does not precede it")
    return TrainingGraph(
        name=doc["name"], nodes=tuple(_node_from_dict(entry) for entry in doc["nodes"]),
        static_bytes=doc["static_bytes"], param_bytes=doc.get("param_bytes", 0),
        source=doc.get("source", ""), optimizer=doc.get("optimizer", "sgd"),
        warnings=tuple(doc.get("warnings", ())),
        copy_cost_s=tuple((int(n), str(s), str(d), float(t)) for n, s, d, t in doc.get("copy_cost_s", ())),
        read_cost_s=tuple((int(n), int(r), str(s), str(d), float(t))
                          for n, r, s, d, t in doc.get("read_cost_s", ())),
    )


def _unique(names: list[str], where: str, field: str) -> None:
    for position, name in enumerate(names):
        if names.index(name) != position:
            raise RematError(f"{where}: field {field}/{position}/name: {name!r} appears twice")


def _system_from_dict(doc: dict[str, Any], where: str) -> System:
    memories = tuple(
        Memory(m["name"], m["capacity_bytes"], MemoryKind(m["kind"]), m.get("budget_bytes"))
        for m in doc["memories"]
    )
    names = [m.name for m in memories]
    _unique(names, where, "system/memories")
    _unique([d["name"] for d in doc["devices"]], where, "system/devices")
    for position, device in enumerate(doc["devices"]):
        if device["memory"] not in names:
            raise RematError(f"{where}: field system/devices/{position}/memory: unknown memory "
                             f"{device['memory']!r}; memories: {', '.join(names)}")
    for position, link in enumerate(doc["links"]):
        for end in ("src", "dst"):
            if link[end] not in names:
                raise RematError(f"{where}: field system/links/{position}/{end}: unknown memory "
                                 f"{link[end]!r}; memories: {', '.join(names)}")
    return System(
        name=doc["name"], devices=tuple(Device(**d) for d in doc["devices"]), memories=memories,
        links=tuple(Link(**link) for link in doc["links"]), description=doc.get("description", ""),
        sources=tuple(doc.get("sources", ())),
    )


def _matrix(doc: dict[str, Any], key: str, shape: tuple[int, int], where: str) -> np.ndarray:
    rows = doc[key]
    if len(rows) != shape[0] or any(len(row) != shape[1] for row in rows):
        found = f"{len(rows)} rows of lengths {sorted({len(r) for r in rows})}"
        raise RematError(f"{where}: field costs/{key}: expected {shape[0]} rows of {shape[1]} numbers, "
                         f"found {found}")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
                raise RematError(f"{where}: field costs/{key}/{r}/{c}: {value!r} is not a non-negative number")
    return np.array(rows, dtype=float).reshape(shape)


def _reads(rows: Any, n_link: int, n: int, where: str) -> tuple[tuple[int, int, int, float], ...]:
    out = []
    for r, (link, reader, node, time) in enumerate(rows):
        if not (0 <= link < n_link and 0 <= reader < n and 0 <= node < n) or time < 0:
            raise RematError(f"{where}: field costs/read_time_s/{r}: link {link}, reader {reader}, node {node} "
                             f"or time {time} is out of range")
        out.append((int(link), int(reader), int(node), float(time)))
    return tuple(out)


def _per_memory(doc: dict[str, Any], key: str, names: list[str], where: str) -> tuple[int, ...]:
    values = doc[key]
    if set(values) != set(names):
        raise RematError(f"{where}: field problem/{key}: names memories {sorted(values)}, expected "
                         f"exactly the system's memories {names}")
    return tuple(int(values[name]) for name in names)


def problem_from_document(document: dict[str, Any], where: str = "schedule") -> SchedulingProblem:
    """Rebuild the problem stored in a (schema-checked) schedule document."""
    graph = _graph_from_dict(document["graph"], where)
    system = _system_from_dict(document["system"], where)
    n, n_dev, n_link = len(graph.nodes), len(system.devices), len(system.links)
    costs_doc = document["costs"]
    costs = CostTable(
        compute_time_s=_matrix(costs_doc, "compute_time_s", (n, n_dev), where),
        compute_energy_j=_matrix(costs_doc, "compute_energy_j", (n, n_dev), where),
        copy_time_s=_matrix(costs_doc, "copy_time_s", (n_link, n), where),
        copy_energy_j=_matrix(costs_doc, "copy_energy_j", (n_link, n), where),
        read_time_s=_reads(costs_doc.get("read_time_s", ()), n_link, n, where),
    )
    names = [m.name for m in system.memories]
    problem_doc = document["problem"]
    return SchedulingProblem(
        graph=graph, system=system, costs=costs,
        budgets_bytes=_per_memory(problem_doc, "budgets_bytes", names, where),
        static_bytes=_per_memory(problem_doc, "static_bytes", names, where),
        objective=Objective(problem_doc["objective"]),
        time_limit_s=problem_doc.get("time_limit_s"),
        place_parameters=bool(problem_doc.get("place_parameters", False)),
    )
