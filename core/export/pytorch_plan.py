"""A PyTorch plan: the schedule mapped back to ``nn.Module`` paths, for a training script to apply.

The plan (versioned JSON, schema in ``resources/schemas/plan.schema.json``) says, for the model the
schedule came from:

- ``checkpoint``: the largest modules whose internal activations the schedule drops and recomputes;
  the helper wraps each with ``torch.utils.checkpoint.checkpoint(..., use_reentrant=False)``.
- ``selective``: for a module of which the schedule recomputes only some ops, the ops to recompute by
  ONNX op type and occurrence within the module (a selective-checkpoint policy; the rest is saved).
- ``placement``: the device each module runs on, and the devices' torch names.
- ``modules``: what the helper checks before touching the model (names, output shapes).
- ``predicted``: saved-activation bytes without and with the plan, from the training graph.

Nothing here imports torch: the generated helper (``resources/templates/remat_plan.py``) does.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from core.errors import RematError
from core.graph import NodeKind, TrainingGraph
from core.jsonfile import atomic_write_text
from core.paths import TEMPLATES_DIR
from core.problem import SchedulingProblem
from core.trace import StepRole, Trace

PLAN_FORMAT = "remat-studio.plan"
PLAN_VERSION = 1
HELPER_TEMPLATE = TEMPLATES_DIR / "remat_plan.py"
#: Torch device type for each device kind of the system model.
TORCH_DEVICE_TYPES = {"cpu": "cpu", "gpu": "cuda", "npu": "cpu", "mcu": "cpu"}


@dataclass(frozen=True)
class _ModuleTree:
    """Forward nodes per module path (every ancestor path included) and each node's module."""

    nodes: dict[str, tuple[int, ...]]
    scope_of: dict[int, str]


def _module_tree(graph: TrainingGraph) -> _ModuleTree:
    members: dict[str, list[int]] = {}
    scope_of: dict[int, str] = {}
    for node in graph.nodes:
        if node.kind is not NodeKind.FORWARD or not node.module_scope:
            continue
        scope_of[node.id] = node.module_scope
        parts = node.module_scope.split(".")
        for depth in range(1, len(parts) + 1):
            members.setdefault(".".join(parts[:depth]), []).append(node.id)
    return _ModuleTree({k: tuple(v) for k, v in members.items()}, scope_of)


def _internal_nodes(graph: TrainingGraph, members: tuple[int, ...]) -> tuple[int, ...]:
    """Nodes of a module whose outputs are read only by forward nodes inside it."""
    inside = set(members)
    internal = []
    for node_id in members:
        forward_users = [u for u in graph.users[node_id] if graph.nodes[u].kind is not NodeKind.BACKWARD]
        if forward_users and all(u in inside for u in forward_users):
            internal.append(node_id)
    return tuple(internal)


def _module_inputs(graph: TrainingGraph, members: tuple[int, ...]) -> set[int]:
    inside = set(members)
    return {d for m in members for d in graph.nodes[m].deps if d not in inside}


def _saved_for_backward(graph: TrainingGraph) -> set[int]:
    """Forward nodes whose buffers some backward node reads (what autograd saves)."""
    return {
        d for node in graph.nodes if node.kind is NodeKind.BACKWARD for d in node.deps
        if graph.nodes[d].kind is NodeKind.FORWARD
    }


def _choose_checkpoints(graph: TrainingGraph, tree: _ModuleTree, dropped: set[int]) -> list[str]:
    """Top-down: a module is checkpointed when the schedule drops all of its internal activations."""
    chosen: list[str] = []
    for path in sorted(tree.nodes, key=lambda p: (p.count("."), p)):
        if any(path == c or path.startswith(c + ".") for c in chosen):
            continue
        internal = _internal_nodes(graph, tree.nodes[path])
        if internal and all(i in dropped for i in internal):
            chosen.append(path)
    return chosen


def _selective(graph: TrainingGraph, tree: _ModuleTree, dropped: set[int], covered: list[str]) -> dict:
    """Selective policies for what no checkpointed module covers: region -> ops (type, occurrence).

    Recomputing a node re-runs its region's forward from the region's saved inputs, so a region must
    hold every dropped node a recomputation passes through: each connected group of dropped forward
    nodes goes to the smallest module holding all of them (a nested region merges into the outer
    one). Within the region the policy recomputes the listed ops and saves every other.
    """
    def is_covered(path: str) -> bool:
        return any(path == c or path.startswith(c + ".") for c in covered)

    todo = {n for n in dropped if n in tree.scope_of and not graph.nodes[n].random
            and not is_covered(tree.scope_of[n])}
    regions: dict[str, set[int]] = {}
    for group in _connected(graph, todo):
        region = _common_scope([tree.scope_of[n] for n in group])
        regions.setdefault(region, set()).update(group)
    for region in sorted(regions, key=lambda p: -p.count(".") - bool(p)):
        outer = next((r for r in regions if r != region and _contains(r, region)), None)
        if outer is not None:
            regions[outer] |= regions.pop(region)
    policy: dict[str, list[dict[str, object]]] = {}
    for region, nodes in sorted(regions.items()):
        seen: Counter[str] = Counter()
        ops = []
        for node_id in sorted(n for n, scope in tree.scope_of.items() if _contains(region, scope)):
            op_type = graph.nodes[node_id].op_type
            if node_id in nodes:
                ops.append({"op_type": op_type, "occurrence": seen[op_type], "node": graph.nodes[node_id].name})
            seen[op_type] += 1
        policy[region] = ops
    return policy


def _all_scoped(tree: _ModuleTree) -> tuple[int, ...]:
    """Every forward node with a module scope: the members of the root region ``""``."""
    return tuple(sorted(tree.scope_of))


def _connected(graph: TrainingGraph, nodes: set[int]) -> list[set[int]]:
    """Groups of ``nodes`` joined by a dependency between two of them."""
    parent = {n: n for n in nodes}

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for n in nodes:
        for dep in graph.nodes[n].deps:
            if dep in nodes:
                parent[find(n)] = find(dep)
    groups: dict[int, set[int]] = {}
    for n in nodes:
        groups.setdefault(find(n), set()).add(n)
    return list(groups.values())


def _common_scope(scopes: list[str]) -> str:
    """The deepest module path that is, or contains, every path of ``scopes``."""
    parts = [s.split(".") for s in scopes]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return ".".join(common)


def _contains(outer: str, inner: str) -> bool:
    return outer == "" or inner == outer or inner.startswith(outer + ".")


def build_plan(problem: SchedulingProblem, trace: Trace, *, model: str = "", model_file: str = "") -> dict:
    """The plan for the schedule replayed in ``trace`` (see the module docstring)."""
    graph = problem.graph
    tree = _module_tree(graph)
    if not tree.nodes:
        raise RematError(
            f"model {graph.name!r} carries no module scopes (no pkg.torch.onnx.name_scopes metadata and no "
            "/module/path/Op node names): export it from PyTorch with torch.onnx.export to get a plan"
        )
    dropped = {t.node for t in trace.timings if t.role is StepRole.RECOMPUTE}
    paged = {t.node for t in trace.timings if t.role is StepRole.PAGE_OUT}
    first_device: dict[int, str] = {}
    for t in trace.timings:
        if t.role is StepRole.COMPUTE:
            first_device.setdefault(t.node, t.lane)
    checkpoints = _choose_checkpoints(graph, tree, dropped)
    selective = _selective(graph, tree, dropped, checkpoints)
    saved = _saved_for_backward(graph)
    by_name = {n.name: n.id for n in graph.nodes}
    # What the plan recomputes instead of saving, and the region inputs it saves instead.
    covered = {i for path in checkpoints for i in _internal_nodes(graph, tree.nodes[path])}
    covered |= {by_name[str(op["node"])] for ops in selective.values() for op in ops}
    regions = [*checkpoints, *selective]
    inputs = {i for path in regions for i in _module_inputs(graph, tree.nodes.get(path, _all_scoped(tree)))}
    size = {n.id: n.size_bytes for n in graph.nodes}
    modules = {}
    for path, members in sorted(tree.nodes.items()):
        devices = Counter(first_device.get(m, "") for m in members)
        last = graph.nodes[members[-1]]
        modules[path] = {
            "device": devices.most_common(1)[0][0],
            "activations": "recompute" if any(path == c or path.startswith(c + ".") for c in checkpoints)
            else "keep",
            "paged": sorted(graph.nodes[m].name for m in members if m in paged),
            "output_shape": list(last.shapes[0]) if last.shapes else None,
            "onnx_nodes": [graph.nodes[m].onnx_name or graph.nodes[m].name for m in members],
        }
    return {
        "format": PLAN_FORMAT,
        "version": PLAN_VERSION,
        "model": {"name": model or graph.name, "file": model_file, "forward_nodes": len(graph.forward_nodes())},
        "checkpoint": checkpoints,
        "selective": selective,
        "placement": {
            "devices": {d.name: {"kind": d.kind, "torch": TORCH_DEVICE_TYPES.get(d.kind, "cpu")}
                        for d in problem.system.devices},
            "modules": {path: info["device"] for path, info in modules.items()},
        },
        "modules": modules,
        "predicted": {
            "saved_bytes_plain": sum(size[i] for i in saved),
            "saved_bytes_plan": sum(size[i] for i in (saved - covered) | (inputs - covered)),
            "recomputed_nodes": len(dropped),
        },
    }


def write_plan(path: Path, plan: dict) -> None:
    """Write ``plan`` atomically (a crash never leaves half a file)."""
    atomic_write_text(path, json.dumps(plan, indent=2) + "\n")


def write_helper(path: Path) -> None:
    """Copy the self-contained helper that applies plans (``from remat_plan import apply_plan``)."""
    text = HELPER_TEMPLATE.read_text(encoding="utf-8").replace("{{PLAN_VERSION}}", str(PLAN_VERSION))
    Path(path).write_text(text, encoding="utf-8")


def export_plan(schedule_path: Path, out: Path, *, helper: Path | None = None) -> list[Path]:
    """Read a schedule JSON, write its plan to ``out`` (and the helper), return the paths written."""
    from core.export.schedule_json import read_schedule_json
    from core.simulate import simulate

    problem, schedule, meta = read_schedule_json(Path(schedule_path))
    trace = simulate(problem, schedule)
    if not trace.ok:
        raise RematError(f"{schedule_path}: the schedule is invalid ({trace.violations[0].message}); "
                         "solve again before exporting a plan")
    plan = build_plan(problem, trace, model=str(meta.get("model", "")), model_file=str(meta.get("model_path", "")))
    write_plan(Path(out), plan)
    written = [Path(out)]
    if helper is not None:
        write_helper(Path(helper))
        written.append(Path(helper))
    return written
