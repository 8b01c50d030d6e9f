"""Small graphs and systems shared by the tests (built by hand, with known answers)."""

from __future__ import annotations

from core.graph import NodeKind, TrainingGraph, TrainingNode
from core.problem import SchedulingProblem, build_problem
from core.system import Device, Link, Memory, MemoryKind, System


def make_graph(
    sizes: list[int], deps: list[tuple[int, ...]], costs: list[float] | None = None,
    *, static_bytes: int = 0, name: str = "g",
) -> TrainingGraph:
    """A training graph from sizes and dependency lists; costs are device-independent."""
    costs = costs if costs is not None else [1.0] * len(sizes)
    nodes = tuple(
        TrainingNode(id=i, name=f"n{i}", kind=NodeKind.FORWARD, op_type="Op", size_bytes=s,
                     deps=tuple(d), cost_s=c)
        for i, (s, d, c) in enumerate(zip(sizes, deps, costs, strict=True))
    )
    return TrainingGraph(name=name, nodes=nodes, static_bytes=static_bytes)


def chain_training_graph(length: int, size: int = 10, cost: float = 1.0) -> TrainingGraph:
    """A forward chain f0..f(l-1), a loss, and the mirrored backward chain (each b_i reads f_i)."""
    sizes: list[int] = []
    deps: list[tuple[int, ...]] = []
    for i in range(length):
        sizes.append(size)
        deps.append((i - 1,) if i else ())
    loss = length
    sizes.append(size)
    deps.append((length - 1,))
    prev = loss
    for i in reversed(range(length)):
        sizes.append(size)
        deps.append((prev, i))
        prev = len(sizes) - 1
    return make_graph(sizes, deps, [cost] * len(sizes), name=f"chain{length}")


def one_device_system(capacity: int = 10**12, flops: float = 1e12) -> System:
    return System(
        name="one",
        devices=(Device("cpu", "cpu", "ram", peak_flops=flops, mem_bandwidth_bytes_s=1e11, active_power_w=10.0,
                        idle_power_w=1.0),),
        memories=(Memory("ram", capacity),),
    )


def two_device_system(capacity: int = 10**12) -> System:
    return System(
        name="two",
        devices=(
            Device("cpu", "cpu", "ram", peak_flops=1e11, mem_bandwidth_bytes_s=1e10, active_power_w=50.0,
                   idle_power_w=5.0),
            Device("gpu", "gpu", "vram", peak_flops=1e13, mem_bandwidth_bytes_s=1e12, active_power_w=200.0,
                   idle_power_w=20.0),
        ),
        memories=(Memory("ram", capacity), Memory("vram", capacity),
                  Memory("disk", capacity, MemoryKind.STORAGE)),
        links=(
            Link("ram", "vram", 1e10, 1e-5, 1e-10), Link("vram", "ram", 1e10, 1e-5, 1e-10),
            Link("ram", "disk", 1e9, 1e-4, 1e-9), Link("disk", "ram", 1e9, 1e-4, 1e-9),
        ),
    )


def one_device_problem(graph: TrainingGraph, budget: int | None = None) -> SchedulingProblem:
    budgets = {"ram": budget} if budget is not None else None
    return build_problem(graph, one_device_system(), budgets)
