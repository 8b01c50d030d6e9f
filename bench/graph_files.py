"""The benchmark training graphs of ../shared/benchmarks/graphs (node-link JSON), for benchmarks and tests."""

from __future__ import annotations

from pathlib import Path

from core.graph import TrainingGraph
from core.nodelink import load_nodelink
from core.paths import BENCHMARK_GRAPHS

__all__ = ["BENCHMARK_GRAPHS", "graph_path", "load_graph"]


def graph_path(name: str) -> Path:
    """``vgg16_bs256_train`` -> its file under :data:`core.paths.BENCHMARK_GRAPHS`."""
    return BENCHMARK_GRAPHS / f"{name}.json"


def load_graph(path: str | Path) -> TrainingGraph:
    """The training graph of one benchmark file (costs in the file's units, sizes in bytes)."""
    return load_nodelink(path)
