"""Graphs, systems and problems shared by the baseline solver tests (no-remat, chen-sqrt, greedy)."""

from __future__ import annotations

import dataclasses

import pytest

from core.graph import NodeKind, TrainingGraph, no_recompute_peak
from core.paths import BENCHMARK_GRAPHS
from core.problem import SchedulingProblem, build_problem
from core.system import Device, Link, Memory, MemoryKind, System
from tests.helpers import chain_training_graph, one_device_system

BENCHMARKS = BENCHMARK_GRAPHS
BENCHMARK_NAMES = sorted(p.stem for p in BENCHMARKS.glob("*.json")) if BENCHMARKS.is_dir() else []


def benchmark_graph(name: str) -> TrainingGraph:
    """One benchmark graph; the test is skipped where the benchmark files are absent."""
    path = BENCHMARKS / f"{name}.json"
    if not path.is_file():
        pytest.skip(f"benchmark graph {path} is not available")
    from bench.graph_files import load_graph

    return load_graph(path)


def at_fraction(graph: TrainingGraph, fraction: float) -> SchedulingProblem:
    """``graph`` on one device with a budget at ``fraction`` of its no-recomputation peak."""
    return build_problem(graph, one_device_system(), {"ram": int(fraction * no_recompute_peak(graph))})


def unit_cost_sum(problem: SchedulingProblem) -> float:
    return float(problem.costs.compute_time_s[:, 0].sum())


def kinded_chain(length: int) -> TrainingGraph:
    """:func:`tests.helpers.chain_training_graph` with forward, loss and backward kinds set."""
    graph = chain_training_graph(length)
    kinds = [NodeKind.FORWARD] * length + [NodeKind.LOSS] + [NodeKind.BACKWARD] * length
    nodes = tuple(dataclasses.replace(n, kind=k) for n, k in zip(graph.nodes, kinds, strict=True))
    return dataclasses.replace(graph, nodes=nodes)


def roofline_chain(length: int, flops: float = 1e9) -> TrainingGraph:
    """A chain whose costs come from the devices' roofline figures (so devices differ)."""
    graph = chain_training_graph(length)
    nodes = tuple(dataclasses.replace(n, cost_s=None, flops=flops) for n in graph.nodes)
    return dataclasses.replace(graph, nodes=nodes)


def frugal_and_fast_system(capacity: int = 10**9) -> System:
    """A slow low-power device and a fast power-hungry one: energy and time disagree."""
    return System(
        name="frugal-fast",
        devices=(
            Device("little", "cpu", "ram", peak_flops=1e11, mem_bandwidth_bytes_s=1e12, active_power_w=5.0),
            Device("big", "gpu", "vram", peak_flops=1e12, mem_bandwidth_bytes_s=1e12, active_power_w=200.0),
        ),
        memories=(Memory("ram", capacity), Memory("vram", capacity)),
        links=(Link("ram", "vram", 1e10, 1e-6), Link("vram", "ram", 1e10, 1e-6)),
    )


def paging_system(bandwidth_bytes_s: float, capacity: int = 10**12) -> System:
    """One device whose memory pages to a storage memory over links of ``bandwidth_bytes_s``."""
    return System(
        name="paging",
        devices=(Device("cpu", "cpu", "ram", peak_flops=1e12, mem_bandwidth_bytes_s=1e11, active_power_w=10.0),),
        memories=(Memory("ram", capacity), Memory("disk", capacity, MemoryKind.STORAGE)),
        links=(Link("ram", "disk", bandwidth_bytes_s), Link("disk", "ram", bandwidth_bytes_s)),
    )
