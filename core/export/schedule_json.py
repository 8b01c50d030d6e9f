"""Schedule JSON: a versioned, self-contained file another tool can replay on its own.

The document holds the training graph (every :class:`core.graph.TrainingNode` field), the system
(devices, memories, links with all their figures), the cost table (nested lists), budgets and static
bytes per memory, the objective, the steps (devices and memories by name), the simulator's metrics
and how the schedule was made (``meta``). Its JSON Schema is ``resources/schemas/schedule.schema.json``.

Reading rebuilds the :class:`core.problem.SchedulingProblem` from the document alone (the model is
not imported again), so ``main.py validate`` replays a schedule with nothing but the file.
"""

from __future__ import annotations

import json
import math
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import RematError
from core.export.problem_json import problem_document, problem_from_document
from core.jsonfile import atomic_write_text
from core.metrics import trace_metrics
from core.paths import SCHEMAS_DIR
from core.problem import SchedulingProblem
from core.schedule import Compute, Copy, Free, Schedule, Step
from core.trace import Trace

FORMAT = "remat-studio.schedule"
VERSION = 1
SCHEMA_PATH = SCHEMAS_DIR / "schedule.schema.json"


# ---------------------------------------------------------------------------------------------- writing


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready Python data: tuples to lists, NumPy scalars to numbers, paths to strings,
    non-finite floats to None (strict JSON has no Infinity)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def step_to_dict(problem: SchedulingProblem, step: Step) -> dict[str, object]:
    """One step as it appears in the file (devices and memories by name)."""
    name = problem.graph.nodes[step.node].name
    if isinstance(step, Compute):
        entry: dict[str, object] = {"op": "compute", "node": step.node, "node_name": name,
                                    "device": problem.device_name(step.device)}
        if step.remote:
            entry["remote"] = [[dep, problem.memory_name(src)] for dep, src in step.remote]
        return entry
    if isinstance(step, Copy):
        return {"op": "copy", "node": step.node, "node_name": name,
                "src": problem.memory_name(step.src), "dst": problem.memory_name(step.dst)}
    return {"op": "free", "node": step.node, "node_name": name, "memory": problem.memory_name(step.memory)}


def schedule_document(
    problem: SchedulingProblem, schedule: Schedule, trace: Trace, meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The schedule file's content as a dict (see the module docstring for the layout)."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        **problem_document(problem),
        "steps": [step_to_dict(problem, step) for step in schedule.steps],
        "placement": [[node, problem.memory_name(memory)] for node, memory in schedule.placement],
        "metrics": trace_metrics(problem, trace),
        "meta": dict(meta or {}),
    }
    return _plain(document)  # type: ignore[no-any-return]


def write_schedule_json(
    path: str | os.PathLike[str],
    problem: SchedulingProblem,
    schedule: Schedule,
    trace: Trace,
    meta: dict[str, Any] | None = None,
) -> None:
    """Write the schedule file (atomically: a temporary file, then ``os.replace``).

    Parameters
    ----------
    path:
        Where to write.
    problem, schedule, trace:
        The problem, the schedule and the simulator's replay of it (metrics come from ``trace``).
    meta:
        How the schedule was made: solver, status, wall_s, bound, gap, model path, dims, ...
    """
    document = schedule_document(problem, schedule, trace, meta)
    # The rest of the document is made here; meta comes from the caller, so check it before writing
    # a file the reader would refuse.
    import jsonschema.exceptions

    error = jsonschema.exceptions.best_match(_meta_validator().iter_errors(document["meta"]))
    if error is not None:
        raise ValueError(f"schedule meta field {_field(error.absolute_path)}: {error.message}")
    atomic_write_text(path, json.dumps(document, indent=1, allow_nan=False) + "\n")


# ---------------------------------------------------------------------------------------------- reading


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with every local ``$ref`` replaced by its definition (the schema has no cycles)."""
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    inlined = {k: _inline_refs(v, defs) for k, v in node.items() if k not in ("$ref", "$defs")}
    if "$ref" in node:
        return {**_inline_refs(defs[node["$ref"].removeprefix("#/$defs/")], defs), **inlined}
    return inlined


@cache
def _validator() -> Any:
    """The schema's validator, tuned for speed without changing what it accepts.

    References are inlined (about 40 % faster on large graphs) and the entries of the cost matrices
    are left to :func:`core.export.problem_json.problem_from_document`, which checks the same rule
    (non-negative numbers) in a plain loop: entry by entry through jsonschema, the matrices took
    most of the validation time.
    """
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    defs = dict(schema["$defs"])
    defs["matrix"] = {"type": "array", "items": {"type": "array"}}
    return jsonschema.Draft202012Validator(_inline_refs(schema, defs))


@cache
def _meta_validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(_validator().schema["properties"]["meta"])


def _field(path: Any) -> str:
    return "/".join(str(part) for part in path) or "(top level)"


def read_schedule_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a schedule file and check it against the JSON Schema.

    Raises :class:`RematError` naming the file and the offending field when the file is missing,
    is not JSON, is not a schedule file, has a newer version or breaks the schema.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RematError(f"schedule file {source} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RematError(f"cannot read schedule file {source}: {exc}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RematError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    check_document(document, str(source))
    return document  # type: ignore[no-any-return]


def check_document(document: Any, where: str) -> None:
    """Check format, version and schema of a loaded schedule document; ``where`` names it in errors."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else type(document).__name__
        raise RematError(f"{where}: not a Remat Studio schedule file (field format is {found!r}, "
                         f"expected {FORMAT!r})")
    version = document.get("version")
    if isinstance(version, int) and version > VERSION:
        raise RematError(f"{where}: schedule file version {version} was written by a newer Remat Studio; "
                         f"this one reads version {VERSION}")
    import jsonschema.exceptions

    error = jsonschema.exceptions.best_match(_validator().iter_errors(document))
    if error is not None:
        raise RematError(f"{where}: field {_field(error.absolute_path)}: {error.message}")


def read_schedule_json(path: str | os.PathLike[str]) -> tuple[SchedulingProblem, Schedule, dict[str, Any]]:
    """Read a schedule file back: the problem rebuilt from the document, the schedule and ``meta``.

    Raises
    ------
    RematError
        When the file is malformed: the message names the file and the field.
    """
    document = read_schedule_document(path)
    where = str(path)
    problem = problem_from_document(document, where)
    schedule = schedule_from_document(document, problem, where)
    return problem, schedule, dict(document["meta"])


def _index(names: list[str], name: str, where: str, field: str, what: str) -> int:
    if name not in names:
        raise RematError(f"{where}: field {field}: unknown {what} {name!r}; {what}s: {', '.join(names)}")
    return names.index(name)


def schedule_from_document(
    document: dict[str, Any], problem: SchedulingProblem, where: str = "schedule"
) -> Schedule:
    """The steps of a (schema-checked) document as a :class:`Schedule` addressed by index."""
    devices = [d.name for d in problem.system.devices]
    memories = [m.name for m in problem.system.memories]
    steps: list[Step] = []
    for position, entry in enumerate(document["steps"]):
        field, node = f"steps/{position}", entry["node"]
        if node >= problem.n_nodes:
            raise RematError(f"{where}: field {field}/node: no node {node} (the graph has "
                             f"{problem.n_nodes} nodes)")
        expected = problem.graph.nodes[node].name
        if entry.get("node_name", expected) != expected:
            raise RematError(f"{where}: field {field}/node_name: {entry['node_name']!r} but node {node} "
                             f"is {expected!r}")
        if entry["op"] == "compute":
            remote = tuple((int(dep), _index(memories, src, where, f"{field}/remote/{j}", "memory"))
                           for j, (dep, src) in enumerate(entry.get("remote", ())))
            steps.append(Compute(node, _index(devices, entry["device"], where, f"{field}/device", "device"),
                                 remote))
        elif entry["op"] == "copy":
            src = _index(memories, entry["src"], where, f"{field}/src", "memory")
            steps.append(Copy(node, src, _index(memories, entry["dst"], where, f"{field}/dst", "memory")))
        else:
            steps.append(Free(node, _index(memories, entry["memory"], where, f"{field}/memory", "memory")))
    placement = tuple((int(node), _index(memories, name, where, f"placement/{j}", "memory"))
                      for j, (node, name) in enumerate(document.get("placement", ())))
    for j, (node, _memory) in enumerate(placement):
        if not 0 <= node < problem.n_nodes:
            raise RematError(f"{where}: field placement/{j}: no node {node}")
    return Schedule(tuple(steps), placement)


# ---------------------------------------------------------------------------------------------- matching


def check_schedule_matches(
    problem: SchedulingProblem, path_or_doc: str | os.PathLike[str] | dict[str, Any]
) -> None:
    """Refuse a schedule file made for another model or system than ``problem``'s.

    The graph must have the same name, node count, and node names, sizes and dependencies; the system
    the same device and memory names. Raises :class:`RematError` (exit status 2 on the command line)
    saying which model the file was made for.
    """
    if isinstance(path_or_doc, dict):
        document, where = path_or_doc, "schedule document"
        check_document(document, where)
    else:
        document, where = read_schedule_document(path_or_doc), str(path_or_doc)
    graph_doc, graph = document["graph"], problem.graph
    nodes = graph_doc["nodes"]
    made_for = (f"schedule file {where} was made for model {graph_doc['name']!r} ({len(nodes)} nodes), "
                f"not for {graph.name!r} ({len(graph.nodes)} nodes)")
    if graph_doc["name"] != graph.name or len(nodes) != len(graph.nodes):
        raise RematError(f"{made_for}; solve again for this model")
    for entry, node in zip(nodes, graph.nodes, strict=True):
        mine = (node.name, node.size_bytes, tuple(node.deps))
        theirs = (entry["name"], entry["size_bytes"], tuple(entry["deps"]))
        if mine != theirs:
            raise RematError(f"{made_for}: node {node.id} is {theirs[0]!r} ({theirs[1]} bytes, reads "
                             f"{list(theirs[2])}) there but {mine[0]!r} ({mine[1]} bytes, reads "
                             f"{list(mine[2])}) here (other dimensions?); solve again for this model")
    system_doc = document["system"]
    for key, mine_names in (("devices", [d.name for d in problem.system.devices]),
                            ("memories", [m.name for m in problem.system.memories])):
        theirs_names = [entry["name"] for entry in system_doc[key]]
        if theirs_names != mine_names:
            raise RematError(f"schedule file {where} was made for system {system_doc['name']!r} with "
                             f"{key} {theirs_names}, not for {problem.system.name!r} with {key} "
                             f"{mine_names}; solve again for this system")
