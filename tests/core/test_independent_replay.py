"""An exported schedule replays on its own: a small replayer written here, over plain dicts only,
agrees with the simulator's figures and rejects what the simulator rejects.

The replayer knows nothing of core: it reads the JSON document (graph, system, costs, budgets,
steps) as another tool would.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.export import read_schedule_json, write_schedule_json
from core.simulate import simulate
from tests.core.test_export_schedule_json import SCHEDULE_CASES


@dataclass
class Replay:
    errors: list[str] = field(default_factory=list)
    serial_time_s: float = 0.0
    peak_bytes: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"compute": 0, "recompute": 0, "copy": 0,
                                                            "page": 0})


def _owner(nodes: list[dict], node: int) -> int | None:
    if nodes[node]["param_state_bytes"] > 0:
        return node
    forward = nodes[node]["forward_id"]
    return forward if forward is not None and nodes[forward]["param_state_bytes"] > 0 else None


def _weights_home(document: dict, devices: dict) -> dict[int, str]:
    """Where each operator's weights live: the placement, else the memory of its first compute."""
    if not document["problem"].get("place_parameters"):
        return {}
    nodes = document["graph"]["nodes"]
    home = {node: memory for node, memory in document.get("placement", [])}
    for step in document["steps"]:
        owner = _owner(nodes, step["node"]) if step["op"] == "compute" else None
        if owner is not None:
            home.setdefault(owner, devices[step["device"]][1])
    return home


def replay(document: dict) -> Replay:
    """Replay the steps of a schedule document with nothing but dicts and lists."""
    nodes = document["graph"]["nodes"]
    system, costs, problem = document["system"], document["costs"], document["problem"]
    devices = {d["name"]: (i, d["memory"]) for i, d in enumerate(system["devices"])}
    links = {(l["src"], l["dst"]): k for k, l in enumerate(system["links"])}
    storage = {m["name"] for m in system["memories"] if m["kind"] == "storage"}
    resident: dict[str, set[int]] = {m["name"]: set() for m in system["memories"]}
    used = dict(problem["static_bytes"])
    home = _weights_home(document, devices)
    for node, memory in home.items():
        used[memory] += nodes[node]["param_state_bytes"]
    out = Replay(peak_bytes=dict(used))
    computed: set[int] = set()

    def allocate(memory: str, node: int, index: int) -> None:
        if node in resident[memory]:
            out.errors.append(f"step {index}: node {node} already in {memory}")
            return
        resident[memory].add(node)
        used[memory] += nodes[node]["size_bytes"]
        out.peak_bytes[memory] = max(out.peak_bytes[memory], used[memory])
        if used[memory] > problem["budgets_bytes"][memory]:
            out.errors.append(f"step {index}: {memory} over budget")

    for index, step in enumerate(document["steps"]):
        node = step["node"]
        if step["op"] == "compute":
            device, memory = devices[step["device"]]
            owner = _owner(nodes, node) if problem.get("place_parameters") else None
            if owner is not None and home.get(owner) != memory:
                out.errors.append(f"step {index}: weights of {owner} not in {memory}")
            remote = {dep: src for dep, src in step.get("remote", [])}
            missing = [d for d in nodes[node]["deps"] if d not in remote and d not in resident[memory]]
            if missing:
                out.errors.append(f"step {index}: inputs {missing} not in {memory}")
            for dep, src in remote.items():
                link = links.get((src, memory))
                if link is None or not system["links"][link].get("direct_access", False):
                    out.errors.append(f"step {index}: no direct-access link {src}->{memory}")
                elif dep not in resident[src]:
                    out.errors.append(f"step {index}: remote input {dep} not in {src}")
                else:
                    out.serial_time_s += costs["copy_time_s"][link][dep]
            out.counts["recompute" if node in computed else "compute"] += 1
            computed.add(node)
            out.serial_time_s += costs["compute_time_s"][node][device]
            allocate(memory, node, index)
        elif step["op"] == "copy":
            src, dst = step["src"], step["dst"]
            if (src, dst) not in links:
                out.errors.append(f"step {index}: no link {src}->{dst}")
                continue
            if node not in resident[src]:
                out.errors.append(f"step {index}: node {node} not in {src}")
            out.counts["page" if src in storage or dst in storage else "copy"] += 1
            out.serial_time_s += costs["copy_time_s"][links[(src, dst)]][node]
            allocate(dst, node, index)
        else:
            if node not in resident[step["memory"]]:
                out.errors.append(f"step {index}: free of node {node} not in {step['memory']}")
                continue
            resident[step["memory"]].discard(node)
            used[step["memory"]] -= nodes[node]["size_bytes"]
    out.errors += [f"node {i} never computed" for i in range(len(nodes)) if i not in computed]
    return out


def _export(tmp_path: Path, name: str) -> Path:
    problem, schedule = SCHEDULE_CASES[name]()
    path = tmp_path / f"{name}.json"
    write_schedule_json(path, problem, schedule, simulate(problem, schedule), {"solver": "hand"})
    return path


@pytest.mark.parametrize("name", sorted(SCHEDULE_CASES))
def test_replayer_agrees_with_simulator(tmp_path: Path, name: str) -> None:
    path = _export(tmp_path, name)
    document = json.loads(path.read_text())
    mine = replay(document)
    problem, schedule, _ = read_schedule_json(path)
    trace = simulate(problem, schedule)
    assert trace.ok and not mine.errors, (trace.violations, mine.errors)
    assert mine.serial_time_s == pytest.approx(trace.serial_time_s, rel=1e-12)
    assert mine.serial_time_s == pytest.approx(document["metrics"]["serial_time_s"], rel=1e-12)
    assert mine.peak_bytes == document["metrics"]["peak_bytes"]
    assert list(mine.peak_bytes.values()) == list(trace.peak_bytes)
    assert mine.counts == {"compute": trace.compute_count, "recompute": trace.recompute_count,
                           "copy": trace.copy_count, "page": trace.page_count}


def test_cases_cover_recompute_copies_and_paging(tmp_path: Path) -> None:
    counts = {name: replay(json.loads(_export(tmp_path, name).read_text())).counts for name in SCHEDULE_CASES}
    assert counts["recompute"]["recompute"] == 1 and counts["checkpointed_chain"]["recompute"] > 1
    assert counts["two_devices"]["copy"] == 2 and counts["two_devices"]["page"] == 2


def _drop(index: int) -> Callable[[dict], None]:
    return lambda document: document["steps"].pop(index)


def _budget(memory: str, value: int) -> Callable[[dict], None]:
    return lambda document: document["problem"]["budgets_bytes"].__setitem__(memory, value)


def _swap(i: int, j: int) -> Callable[[dict], None]:
    def mutate(document: dict) -> None:
        steps = document["steps"]
        steps[i], steps[j] = steps[j], steps[i]
    return mutate


@pytest.mark.parametrize(
    ("name", "corrupt", "kind"),
    [
        ("two_devices", _drop(1), "input_not_resident"),  # the copy to the GPU is gone
        ("two_devices", _swap(4, 1), "input_not_resident"),  # GPU computes before its input arrives
        ("two_devices", _budget("vram", 8 * 10**8), "budget_exceeded"),
        ("recompute", _drop(3), "input_not_resident"),  # the recomputation is gone
        ("checkpointed_chain", _budget("ram", 30), "budget_exceeded"),
        ("plain", _drop(0), "input_not_resident"),
    ],
)
def test_corrupted_schedule_is_rejected_by_both(
    tmp_path: Path, name: str, corrupt: Callable[[dict], None], kind: str
) -> None:
    path = _export(tmp_path, name)
    document = copy.deepcopy(json.loads(path.read_text()))
    corrupt(document)
    path.write_text(json.dumps(document))
    problem, schedule, _ = read_schedule_json(path)
    trace = simulate(problem, schedule)
    assert not trace.ok
    assert kind in {v.kind for v in trace.violations}
    assert replay(document).errors
