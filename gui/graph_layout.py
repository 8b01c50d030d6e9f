"""Layered layout of a training graph, pure Python (runs off the GUI thread).

A full Sugiyama layout of a training graph is hopeless (forward-to-backward edges span O(n) layers:
ECOSYSTEM.md). Instead: the forward graph (and the loss) gets a longest-path layering and a few
barycenter sweeps; each backward node sits on the layer of the forward node it differentiates,
mirrored to the right; saved-activation edges (forward to backward) are kept apart and drawn on
demand. Large models can be collapsed by module scope: each run of consecutive nodes sharing a scope
prefix becomes one box (runs keep the collapsed graph acyclic).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from core.graph import NodeKind, TrainingGraph

NODE_WIDTH = 160.0
NODE_HEIGHT = 40.0
PITCH_X = 185.0
PITCH_Y = 64.0
#: Gap between the forward half and the mirrored backward half.
MIRROR_GAP = 120.0
SWEEPS = 4


@dataclass(frozen=True)
class LaidNode:
    """One box: a training node, or a collapsed run of nodes (``members``)."""

    key: int
    members: tuple[int, ...]
    #: The full name (tooltip); the box shows ``title`` over ``subtitle``.
    label: str
    op_type: str
    kind: NodeKind
    x: float
    y: float
    title: str = ""
    subtitle: str = ""


@dataclass(frozen=True)
class GraphLayout:
    nodes: tuple[LaidNode, ...]
    #: Data edges inside the forward half and inside the backward half (box keys).
    edges: tuple[tuple[int, int], ...]
    #: Forward-to-backward edges (saved activations), drawn only for the selected box.
    saved_edges: tuple[tuple[int, int], ...]
    #: Training node id -> box key.
    box_of: tuple[int, ...]
    collapsed: bool = False


def scope_prefix(scope: str, depth: int) -> str:
    return ".".join(scope.split(".")[:depth]) if scope else ""


def group_nodes(graph: TrainingGraph, collapse_depth: int = 0) -> list[list[int]]:
    """Boxes as lists of node ids: one per node, or runs of a shared scope prefix (forward side).

    Backward nodes follow their forward partner's box; nodes without a scope stay alone.
    """
    boxes: list[list[int]] = []
    box_of = [-1] * len(graph.nodes)
    last_prefix = None
    for node in graph.nodes:
        if node.kind is NodeKind.BACKWARD:
            continue
        prefix = scope_prefix(node.module_scope, collapse_depth) if collapse_depth > 0 else ""
        if prefix and prefix == last_prefix and node.kind is NodeKind.FORWARD:
            boxes[-1].append(node.id)
        else:
            boxes.append([node.id])
        last_prefix = prefix if node.kind is NodeKind.FORWARD else None
        box_of[node.id] = len(boxes) - 1
    mirror: dict[int, int] = {}
    for node in graph.nodes:
        if node.kind is not NodeKind.BACKWARD:
            continue
        partner = node.forward_id
        fwd_box = box_of[partner] if partner is not None and 0 <= partner < len(box_of) else -1
        if collapse_depth > 0 and fwd_box >= 0 and fwd_box in mirror:
            boxes[mirror[fwd_box]].append(node.id)
        else:
            boxes.append([node.id])
            if fwd_box >= 0:
                mirror.setdefault(fwd_box, len(boxes) - 1)
        box_of[node.id] = len(boxes) - 1
    return boxes


def layout_graph(graph: TrainingGraph, collapse_depth: int = 0) -> GraphLayout:
    """Lay out ``graph`` (see the module docstring). ``collapse_depth`` 0 shows every node."""
    boxes = group_nodes(graph, collapse_depth)
    box_of = [0] * len(graph.nodes)
    for key, members in enumerate(boxes):
        for member in members:
            box_of[member] = key
    kinds = [_box_kind(graph, members) for members in boxes]
    edges, saved = _box_edges(graph, box_of, kinds)
    forward_keys = [k for k, kind in enumerate(kinds) if kind is not NodeKind.BACKWARD]
    preds: dict[int, list[int]] = defaultdict(list)
    succs: dict[int, list[int]] = defaultdict(list)
    for a, b in edges:
        if kinds[a] is not NodeKind.BACKWARD and kinds[b] is not NodeKind.BACKWARD:
            preds[b].append(a)
            succs[a].append(b)
    layer = _longest_path_layers(forward_keys, preds)
    rows = _order_layers(forward_keys, layer, preds, succs)
    xs: dict[int, float] = {}
    ys: dict[int, float] = {}
    half = 0.0
    for index, row in enumerate(rows):
        for slot, key in enumerate(row):
            xs[key] = (slot - (len(row) - 1) / 2) * PITCH_X
            ys[key] = index * PITCH_Y
        half = max(half, (len(row) - 1) / 2 * PITCH_X)
    _place_backward(graph, boxes, kinds, box_of, layer, xs, ys, 2 * half + PITCH_X + MIRROR_GAP)
    nodes = tuple(
        LaidNode(key, tuple(members), _box_label(graph, members, collapse_depth), _box_op(graph, members),
                 kinds[key], xs[key], ys[key], *box_text(graph, members, collapse_depth))
        for key, members in enumerate(boxes)
    )
    return GraphLayout(nodes, tuple(edges), tuple(saved), tuple(box_of), collapse_depth > 0)


def _box_kind(graph: TrainingGraph, members: list[int]) -> NodeKind:
    return graph.nodes[members[0]].kind


def _box_label(graph: TrainingGraph, members: list[int], depth: int) -> str:
    first = graph.nodes[members[0]]
    if len(members) == 1:
        return first.name
    scope = scope_prefix(first.module_scope, depth)
    prefix = "∇ " if first.kind is NodeKind.BACKWARD else ""
    return f"{prefix}{scope} ({len(members)})"


def box_text(graph: TrainingGraph, members: list[int], depth: int) -> tuple[str, str]:
    """What a box shows: the op type (or ONNX leaf such as ``Relu_1``) over the module path.

    A full ONNX name (``/layer1/layer1.0/bn1/BatchNormalization``) never fits a box; the op type and
    the module path together say the same in two short lines (the painter elides the path from the
    left, keeping its most specific end).
    """
    first = graph.nodes[members[0]]
    backward = first.kind is NodeKind.BACKWARD
    mark = "∇ " if backward else ""
    if len(members) > 1:
        return scope_prefix(first.module_scope, depth), f"{mark}module · {len(members)} nodes"
    op = first.op_type.removesuffix("Grad") if backward else first.op_type
    leaf = (first.onnx_name or "").rsplit("/", 1)[-1]
    title = leaf if leaf.startswith(op) and leaf != op and len(leaf) <= len(op) + 4 else op
    if first.module_scope:
        subtitle = first.module_scope
    else:
        subtitle = first.name if first.name.lower() not in (title.lower(), op.lower()) else ""
    return mark + title, subtitle


def _box_op(graph: TrainingGraph, members: list[int]) -> str:
    return graph.nodes[members[0]].op_type if len(members) == 1 else "Module"


def _box_edges(graph: TrainingGraph, box_of: list[int], kinds: list[NodeKind]) -> tuple[list, list]:
    edges: set[tuple[int, int]] = set()
    saved: set[tuple[int, int]] = set()
    for node in graph.nodes:
        b = box_of[node.id]
        for dep in node.deps:
            a = box_of[dep]
            if a == b:
                continue
            crosses = kinds[a] is not NodeKind.BACKWARD and kinds[b] is NodeKind.BACKWARD
            is_loss_edge = kinds[a] is NodeKind.LOSS
            (saved if crosses and not is_loss_edge else edges).add((a, b))
    return sorted(edges), sorted(saved)


def _longest_path_layers(keys: list[int], preds: dict[int, list[int]]) -> dict[int, int]:
    layer: dict[int, int] = {}
    for key in keys:  # keys are in topological order (boxes follow node ids)
        layer[key] = max((layer[p] + 1 for p in preds.get(key, ()) if p in layer), default=0)
    return layer


def _order_layers(keys: list[int], layer: dict[int, int], preds: dict[int, list[int]],
                  succs: dict[int, list[int]]) -> list[list[int]]:
    """Barycenter sweeps: order each layer by the mean slot of its neighbours, down then up."""
    depth = max(layer.values(), default=-1) + 1
    rows: list[list[int]] = [[] for _ in range(depth)]
    for key in keys:
        rows[layer[key]].append(key)
    slot = {key: float(i) - (len(row) - 1) / 2 for row in rows for i, key in enumerate(row)}
    for sweep in range(SWEEPS):
        order = range(1, depth) if sweep % 2 == 0 else range(depth - 2, -1, -1)
        neighbours = preds if sweep % 2 == 0 else succs
        for index in order:
            row = rows[index]
            if len(row) < 2:
                continue
            centre = {k: _mean([slot[n] for n in neighbours.get(k, ()) if n in slot], slot[k]) for k in row}
            row.sort(key=lambda k: centre[k])
            for i, key in enumerate(row):
                slot[key] = float(i) - (len(row) - 1) / 2
    return rows


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _place_backward(graph: TrainingGraph, boxes: list[list[int]], kinds: list[NodeKind], box_of: list[int],
                    layer: dict[int, int], xs: dict[int, float], ys: dict[int, float], mirror_x: float) -> None:
    """Backward boxes: on their forward partner's layer, mirrored; then spread apart within a layer."""
    loss_layer = max(layer.values(), default=0)
    wanted: dict[int, list[tuple[float, int]]] = defaultdict(list)
    backward_layer: dict[int, int] = {}
    for key, members in enumerate(boxes):
        if kinds[key] is not NodeKind.BACKWARD:
            continue
        partner = graph.nodes[members[0]].forward_id
        if partner is not None and box_of[partner] in layer:
            row, x = layer[box_of[partner]], mirror_x - xs[box_of[partner]]
        else:
            deps = [backward_layer[box_of[d]] for m in members for d in graph.nodes[m].deps
                    if box_of[d] in backward_layer]
            row, x = (min(deps) if deps else loss_layer), mirror_x
        backward_layer[key] = row
        wanted[row].append((x, key))
    for row, items in wanted.items():
        items.sort()
        last = -float("inf")
        for x, key in items:
            x = max(x, last + PITCH_X)
            xs[key], ys[key] = x, row * PITCH_Y
            last = x
