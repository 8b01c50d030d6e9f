"""The layered layout: forward layers by longest path, backward mirrored, collapse by module scope."""

from __future__ import annotations

import itertools

import pytest

from core.graph import NodeKind
from gui.graph_layout import PITCH_Y, group_nodes, layout_graph, scope_prefix
from tests.gui.graphs import mirrored_graph


@pytest.mark.parametrize(("scope", "depth", "expected"), [
    ("layer1.0.conv1", 1, "layer1"), ("layer1.0.conv1", 2, "layer1.0"), ("", 2, ""), ("a", 3, "a"),
])
def test_scope_prefix(scope, depth, expected):
    assert scope_prefix(scope, depth) == expected


def test_forward_layers_follow_longest_paths_and_backward_mirrors_them():
    graph = mirrored_graph(3, branches=2)
    layout = layout_graph(graph)
    by_node = {n.members[0]: n for n in layout.nodes}
    for node in graph.nodes:
        if node.kind is NodeKind.FORWARD:
            for dep in node.deps:
                assert by_node[node.id].y > by_node[dep].y  # every forward edge points down
        if node.kind is NodeKind.BACKWARD:
            partner = by_node[node.forward_id]
            assert by_node[node.id].y == partner.y  # same layer as the node it differentiates
            assert by_node[node.id].x > max(n.x for n in layout.nodes if n.kind is not NodeKind.BACKWARD)
    # the two branches of a block share a layer
    assert by_node[graph.nodes[1].id].y == by_node[graph.nodes[2].id].y == PITCH_Y


def test_saved_activation_edges_are_kept_apart():
    graph = mirrored_graph(2)
    layout = layout_graph(graph)
    kinds = {n.key: n.kind for n in layout.nodes}
    assert layout.saved_edges
    assert all(kinds[a] is NodeKind.FORWARD and kinds[b] is NodeKind.BACKWARD for a, b in layout.saved_edges)
    assert not any(kinds[a] is NodeKind.FORWARD and kinds[b] is NodeKind.BACKWARD for a, b in layout.edges)


def test_boxes_do_not_overlap_within_a_layer():
    layout = layout_graph(mirrored_graph(5, branches=3))
    rows: dict[float, list[float]] = {}
    for node in layout.nodes:
        rows.setdefault(node.y, []).append(node.x)
    for xs in rows.values():
        xs.sort()
        assert all(b - a >= 150 for a, b in itertools.pairwise(xs))


def test_collapse_by_scope_folds_each_block_and_its_gradients():
    graph = mirrored_graph(4, branches=2)
    boxes = group_nodes(graph, collapse_depth=1)
    # stem, 4 blocks, loss; then the backward mirror of each
    assert len(boxes) == 2 * 6 - 1
    assert all(graph.nodes[m].kind is graph.nodes[b[0]].kind for b in boxes for m in b)
    layout = layout_graph(graph, collapse_depth=1)
    assert layout.collapsed and {n.op_type for n in layout.nodes if len(n.members) > 1} == {"Module"}
    assert sorted(m for n in layout.nodes for m in n.members) == list(range(len(graph.nodes)))
