"""The evictable buffers of one memory, grouped so that a victim is found without scanning them all.

Buffers are grouped by *rank* (how safely they come back, see :meth:`GreedyState.rank`) and by
*bucket* (binary exponent of their recompute cost per byte). Within a group, buffers of nearly the
same cost per byte are ordered by last use, so the stalest few of each group of the best rank hold
the lowest DTR score: only those are scored. Each group is a heap with lazy invalidation: a touch or
a move pushes a fresh entry, and entries that no longer match the buffer's stamp or group are
dropped when they surface.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping

Key = tuple[int, int]  # (rank, bucket)
EMPTY: Mapping[int, int] = {}
#: Bucket of buffers that cost nothing to recompute.
FREE_BUCKET = -(10**6)


def cost_bucket(cost: float, size: int) -> int:
    """Pool bucket of a buffer: the binary exponent of its recompute cost per byte."""
    if cost <= 0:
        return FREE_BUCKET
    return math.frexp(cost / size)[1]


class CandidatePool:
    def __init__(self) -> None:
        self.key_of: dict[int, Key] = {}
        self.stamp: dict[int, int] = {}
        self.members: dict[Key, set[int]] = {}
        self.heaps: dict[Key, list[tuple[int, int]]] = {}

    def __contains__(self, node: int) -> bool:
        return node in self.key_of

    def add(self, node: int, key: Key, tick: int) -> None:
        self.key_of[node] = key
        self.stamp[node] = tick
        self.members.setdefault(key, set()).add(node)
        self._push(key, node)

    def touch(self, node: int, tick: int) -> None:
        key = self.key_of.get(node)
        if key is not None:
            self.stamp[node] = tick
            self._push(key, node)

    def move(self, node: int, rank: int) -> None:
        """Put ``node`` in the group of rank ``rank`` (same bucket), keeping its stamp."""
        old = self.key_of.get(node)
        if old is None or old[0] == rank:
            return
        key = (rank, old[1])
        self._leave(node, old)
        self.key_of[node] = key
        self.members.setdefault(key, set()).add(node)
        self._push(key, node)

    def remove(self, node: int) -> None:
        key = self.key_of.pop(node, None)
        if key is not None:
            del self.stamp[node]
            self._leave(node, key)

    def best_rank(self, pinned: Mapping[int, int], per_bucket: int, spared: Mapping[int, int] = EMPTY) -> list[int]:
        """The stalest ``per_bucket`` buffers of every group of the lowest rank that has any.

        Buffers in ``pinned`` or ``spared`` are left out.
        """
        for rank in sorted({key[0] for key in self.members}):
            found = [node for key in self.members if key[0] == rank
                     for node in self._stalest(key, pinned, spared, per_bucket)]
            if found:
                return found
        return []

    def _stalest(self, key: Key, pinned: Mapping[int, int], spared: Mapping[int, int], count: int) -> list[int]:
        heap = self.heaps[key]
        taken: list[tuple[int, int]] = []
        found: list[int] = []
        while heap and len(found) < count:
            entry = heapq.heappop(heap)
            node = entry[1]
            if self.key_of.get(node) != key or self.stamp[node] != entry[0]:
                continue  # stale entry: the buffer was touched, moved or removed since
            taken.append(entry)
            if node not in pinned and node not in spared:
                found.append(node)
        for entry in taken:
            heapq.heappush(heap, entry)
        return found

    def _push(self, key: Key, node: int) -> None:
        heap = self.heaps.setdefault(key, [])
        heapq.heappush(heap, (self.stamp[node], node))
        if len(heap) > 4 * len(self.members[key]) + 64:  # too many stale entries: rebuild
            self.heaps[key] = [(self.stamp[n], n) for n in self.members[key]]
            heapq.heapify(self.heaps[key])

    def _leave(self, node: int, key: Key) -> None:
        members = self.members[key]
        members.discard(node)
        if not members:
            del self.members[key]
            del self.heaps[key]
