"""Making a node's inputs resident on a device: keep, copy, page in, or recompute (iteratively).

A missing input is fetched from another memory that holds it when a link exists and fetching is no
dearer than recomputing it; otherwise it is recomputed on the same device, which may need its own
missing inputs, and so on back to buffers that are resident somewhere (or to graph inputs, which
need nothing). An explicit stack replaces recursion, so chains of thousands of evicted buffers
need no Python recursion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from solvers.greedy.state import GreedyState, Stuck


@dataclass
class Pins:
    """The pins one operation holds, released together when it is done or abandoned."""

    memory: int
    held: list[int] = field(default_factory=list)

    def add(self, state: GreedyState, node: int) -> None:
        state.pin(node, self.memory)
        self.held.append(node)

    def release_all(self, state: GreedyState) -> None:
        for node in self.held:
            state.unpin(node, self.memory)
        self.held.clear()


def best_fetch(state: GreedyState, node: int, memory: int) -> tuple[int, float] | None:
    """The memory to copy ``node`` from into ``memory`` at the lowest cost, or None."""
    t = state.tables
    best: tuple[int, float] | None = None
    for src in state.memories_holding(node):
        link = t.links.get((src, memory))
        if link is not None and (best is None or t.copy_cost[link][node] < best[1]):
            best = (src, t.copy_cost[link][node])
    return best


def recompute_estimate(state: GreedyState, node: int, device: int) -> float:
    """Cost of recomputing ``node`` on ``device``, with its missing inputs fetched or recomputed once."""
    t = state.tables
    memory = t.device_memory[device]
    cost = t.cost[device][node]
    for dep in t.deps[node]:
        if not state.resident(dep, memory):
            fetch = best_fetch(state, dep, memory)
            cost += t.cost[device][dep] if fetch is None else min(fetch[1], t.cost[device][dep])
    return cost


@dataclass
class _Frame:
    """A node whose inputs are being made resident; the first ``done`` of ``deps`` are pinned.

    Order: the missing inputs are rebuilt first, while as little as possible is pinned, the one
    whose inputs take the most room first (it needs the most beyond what stays pinned after it);
    then the resident inputs are pinned, those that could not be rebuilt in one step first. Until
    their turn, resident inputs are *spared*: evicted only when nothing else is left (and then
    rebuilt when their turn comes, with the others pinned).
    """

    node: int
    pins: Pins
    deps: tuple[int, ...]
    spared: tuple[int, ...]
    done: int = 0


def _frame(state: GreedyState, node: int, memory: int, pins: Pins, resident_first: bool = False) -> _Frame:
    """The frame of ``node``; its resident inputs are spared until their turn comes.

    With ``resident_first`` the resident inputs are pinned before the missing ones are rebuilt
    (the other order, tried after running out of memory with the first one).
    """
    keep: list[int] = []
    missing: list[int] = []
    cheap: list[int] = []
    for dep in state.tables.deps[node]:
        if not state.resident(dep, memory):
            missing.append(dep)
        elif state.rank(dep, memory) == 0:
            cheap.append(dep)
        else:
            keep.append(dep)
    spared = (*keep, *cheap)
    for dep in spared:
        state.spare(dep, memory)
    # Sethi-Ullman: the rebuild needing the most room beyond its own result goes first
    ws, sizes = state.tables.working_set, state.tables.sizes
    missing.sort(key=lambda dep: sizes[dep] - ws[dep])
    order = (*keep, *cheap, *missing) if resident_first else (*missing, *keep, *cheap)
    return _Frame(node, pins, order, spared)


def make_inputs_resident(
    state: GreedyState, node: int, device: int, pins: Pins, *, resident_first: bool = False,
) -> None:
    """Make every input of ``node`` resident in ``device``'s memory, pinned in ``pins``.

    DTR's rematerialization, with an explicit stack: inputs are taken one at a time; a resident one
    is pinned, a missing one is fetched or, when that is dearer or impossible, recomputed after its
    own inputs (a new frame). Only the inputs of the nodes on the current path are pinned, so a deep
    chain of evicted buffers needs little memory at once. Raises
    :class:`solvers.greedy.state.Stuck` when memory runs out; every pin is released by then except
    those in ``pins``, which the caller releases. ``resident_first`` orders the node's own inputs
    (see :func:`_frame`).
    """
    memory = state.tables.device_memory[device]
    stack = [_frame(state, node, memory, pins, resident_first)]
    try:
        while True:
            frame = stack[-1]
            if frame.done < len(frame.deps):
                dep = frame.deps[frame.done]
                if _bring(state, dep, device, memory, frame.pins):
                    frame.done += 1
                else:
                    stack.append(_frame(state, dep, memory, Pins(memory)))
                continue
            if len(stack) == 1:
                return
            state.compute(frame.node, device)
            stack.pop()
            _release_frame(state, frame)
            stack[-1].pins.add(state, frame.node)
            stack[-1].done += 1
    finally:
        _unspare(state, stack[0])
        for frame in stack[1:]:
            _release_frame(state, frame)


def _bring(state: GreedyState, dep: int, device: int, memory: int, pins: Pins) -> bool:
    """Pin ``dep`` if resident, else fetch and pin it when that is cheapest; False: recompute it."""
    if not state.resident(dep, memory):
        source = best_fetch(state, dep, memory)
        can_recompute = state.weights_here(dep, memory)
        if source is None and not can_recompute:
            raise Stuck(f"node {dep} can be neither copied to memory {memory} nor recomputed there (its "
                        "weights live elsewhere)")
        if source is None or (can_recompute and source[1] > recompute_estimate(state, dep, device)):
            return False
        state.copy(dep, source[0], memory)
    pins.add(state, dep)
    return True


def _unspare(state: GreedyState, frame: _Frame) -> None:
    for dep in frame.spared:
        state.unspare(dep, frame.pins.memory)


def _release_frame(state: GreedyState, frame: _Frame) -> None:
    """Unpin a frame's inputs; those no longer needed (see ``needed``) and pinned by nobody go."""
    _unspare(state, frame)
    held = list(frame.pins.held)
    frame.pins.release_all(state)
    for dep in held:
        if state.held[dep] and not state.needed(dep) and not state.is_pinned(dep):
            state.free_everywhere(dep)
