"""Chen et al. 2016 segment checkpointing: where segments end, and the stage matrix S of a segmentation.

The forward pass is cut into segments that end at checkpoints. Checkpoints (and every backward
buffer) live from their computation to their last reader, as in the plain order. A buffer inside a
segment lives while the segment's own forward nodes read it, is dropped when the forward pass leaves
the segment, and comes back once: the segment is recomputed from its checkpoint at the first stage
that reads any of its buffers from outside (in a training graph, the first backward node of the
segment) and kept until each buffer's last reader. The final segment is never dropped, since the
backward pass needs it at once (as ``torch.utils.checkpoint.checkpoint_sequential`` does).
:func:`core.stages.closed_form_r` then gives the recomputations S implies.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Sequence

import numpy as np

from core.graph import NodeKind, TrainingGraph
from core.stages import last_uses


def forward_side(graph: TrainingGraph) -> np.ndarray:
    """``fwd[i]``: node i belongs to the forward pass (forward or loss).

    A graph with no backward node (a plain DAG such as the random layered benchmarks) is all forward:
    its segments then cut the whole order.
    """
    kinds = [node.kind for node in graph.nodes]
    if NodeKind.BACKWARD not in kinds:
        return np.ones(len(kinds), dtype=bool)
    return np.array([kind is not NodeKind.BACKWARD for kind in kinds], dtype=bool)


def checkpoint_candidates(graph: TrainingGraph, fwd: np.ndarray) -> list[int]:
    """Forward nodes that may end a segment (the loss is read at once by the backward pass: never)."""
    return [i for i in np.flatnonzero(fwd).tolist() if graph.nodes[i].kind is not NodeKind.LOSS]


def articulation_points(graph: TrainingGraph, fwd: np.ndarray, candidates: Sequence[int]) -> list[int]:
    """Candidates no forward edge jumps over in the id order.

    Every forward path from before such a node to after it passes through it, so a segment that ends
    there hands nothing but the checkpoint to the next one: the natural boundaries of branchy graphs.
    This is the order-based form of the articulation points of the forward graph (a cut vertex on a
    side branch would not separate the order, and so would not make a segment boundary).
    """
    n = len(graph.nodes)
    cover = np.zeros(n + 1, dtype=np.int64)
    for node in graph.nodes:
        if not fwd[node.id]:
            continue
        for dep in node.deps:
            if fwd[dep] and node.id - dep > 1:
                cover[dep + 1] += 1
                cover[node.id] -= 1
    jumped = np.cumsum(cover)[:n] > 0
    return [v for v in candidates if not jumped[v]]


def every_kth(pool: Sequence[int], k: int) -> tuple[int, ...]:
    """Chen's sqrt(n) rule: every ``k``-th node of ``pool`` ends a segment."""
    k = max(1, k)
    return tuple(v for index, v in enumerate(pool) if (index + 1) % k == 0)


def sqrt_segment_lengths(pool_size: int, spread: int = 2) -> list[int]:
    """Segment lengths around sqrt(pool_size): the textbook choice and a few neighbours."""
    centre = max(1, int(math.sqrt(pool_size)))
    return sorted({max(1, centre + delta) for delta in range(-spread, spread + 1)})


def budget_guided(graph: TrainingGraph, fwd: np.ndarray, pool: Sequence[int], segment_bytes: float) -> tuple[int, ...]:
    """Chen's greedy variant: close a segment at the first pool node once it holds ``segment_bytes``."""
    allowed = set(pool)
    held = 0
    checkpoints: list[int] = []
    for i in np.flatnonzero(fwd).tolist():
        held += graph.nodes[i].size_bytes
        if i in allowed and held > segment_bytes:
            checkpoints.append(i)
            held = 0
    return tuple(checkpoints)


def segment_thresholds(graph: TrainingGraph, fwd: np.ndarray, count: int = 16) -> list[float]:
    """Geometric grid of segment sizes for :func:`budget_guided`, from one buffer to the whole pass."""
    sizes = [graph.nodes[i].size_bytes for i in np.flatnonzero(fwd).tolist()]
    positive = [s for s in sizes if s > 0]
    if not positive:
        return []
    low, high = float(min(positive)), float(sum(positive))
    if high <= low:
        return [low]
    ratio = (high / low) ** (1.0 / (count - 1))
    return [low * ratio**j for j in range(count)]


def segment_stages(graph: TrainingGraph, fwd: np.ndarray, checkpoints: Sequence[int]) -> np.ndarray:
    """S of the segmentation ending at ``checkpoints`` (see the module docstring)."""
    n = len(graph.nodes)
    last = last_uses(graph)
    S = np.zeros((n, n), dtype=bool)
    ends = sorted(checkpoints)
    checkpoint_set = set(ends)
    users = graph.users
    restore = _restore_stages(graph, fwd, ends)
    for i in range(n):
        segment = bisect_left(ends, i)
        dropped = fwd[i] and i not in checkpoint_set and segment < len(ends)
        if not dropped:
            S[i + 1:last[i] + 1, i] = True
            continue
        end = ends[segment]
        inside = max((u for u in users[i] if u <= end), default=i)
        S[i + 1:inside + 1, i] = True
        back = restore[segment]
        if last[i] > end:
            # without a stage in between, dropping saves nothing: keep the buffer through
            start = i + 1 if back <= inside + 1 else back + 1
            S[start:last[i] + 1, i] = True
    return S


def _restore_stages(graph: TrainingGraph, fwd: np.ndarray, ends: Sequence[int]) -> list[int]:
    """Per segment: the first stage that reads one of its interior buffers from outside it."""
    n = len(graph.nodes)
    restore = [n] * len(ends)
    checkpoint_set = set(ends)
    for i in np.flatnonzero(fwd).tolist():
        segment = bisect_left(ends, i)
        if segment >= len(ends) or i in checkpoint_set:
            continue
        outside = [u for u in graph.users[i] if u > ends[segment]]
        if outside:
            restore[segment] = min(restore[segment], outside[0])
    return restore


def fast_closed_form_r(graph: TrainingGraph, S: np.ndarray) -> np.ndarray:
    """The same R as :func:`core.stages.closed_form_r`, visiting only the nodes each stage computes.

    The core version scans every earlier node of every stage (quadratic Python loop); here each
    stage walks its computed nodes from the highest id down with a heap, which gives the same
    closure because a node's dependencies always have smaller ids.
    """
    T, n = S.shape
    R = np.zeros((T, n), dtype=bool)
    deps = [tuple(set(node.deps)) for node in graph.nodes]
    for t in range(T):
        row, kept = R[t], S[t]
        row[t] = True
        if t + 1 < T:
            row |= S[t + 1] & ~kept
        heap = [-k for k in np.flatnonzero(row).tolist()]
        heapq.heapify(heap)
        while heap:
            k = -heapq.heappop(heap)
            for dep in deps[k]:
                if not kept[dep] and not row[dep]:
                    row[dep] = True
                    heapq.heappush(heap, -dep)
    return R
