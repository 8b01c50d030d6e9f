"""Costs: time and energy of each node on each device, and of each buffer copied along each link.

The roofline model (FORMULATIONS.md section 4):
``time = launch_overhead + max(flops / (peak_flops * efficiency), bytes / bandwidth)``, replaced by
a node's given cost (benchmark graphs, calibration, user overrides) where one exists. Copies cost
``latency + bytes / bandwidth`` and ``energy_per_byte * bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from core.graph import TrainingGraph, TrainingNode
from core.system import Device, Link, System


@dataclass(frozen=True, eq=False)
class CostTable:
    """Arrays indexed like the problem: nodes by id, devices and links by position in the system.

    compute_time_s, compute_energy_j: shape (n_nodes, n_devices)
    copy_time_s, copy_energy_j: shape (n_links, n_nodes)
    read_time_s: per-edge times of remote reads that differ from ``copy_time_s``, as
    ``(link, reader, node, time_s)`` rows (see :meth:`read_time`)
    """

    compute_time_s: np.ndarray
    compute_energy_j: np.ndarray
    copy_time_s: np.ndarray
    copy_energy_j: np.ndarray
    read_time_s: tuple[tuple[int, int, int, float], ...] = ()

    @cached_property
    def _reads(self) -> dict[tuple[int, int, int], float]:
        return {(link, reader, node): time for link, reader, node, time in self.read_time_s}

    def read_time(self, link: int, reader: int, node: int) -> float:
        """Time for ``reader`` to read buffer ``node`` over direct-access ``link``."""
        return self._reads.get((link, reader, node), float(self.copy_time_s[link, node]))


def node_time_s(node: TrainingNode, device: Device) -> float:
    """Time of one evaluation of ``node`` on ``device``: its given cost, else the roofline."""
    for name, cost in node.device_cost_s:
        if name == device.name:
            return cost
    if node.cost_s is not None:
        return node.cost_s
    compute_s = node.flops / (device.peak_flops * device.efficiency) if device.peak_flops > 0 else 0.0
    memory_s = node.bytes_accessed / device.mem_bandwidth_bytes_s if device.mem_bandwidth_bytes_s > 0 else 0.0
    return device.launch_overhead_s + max(compute_s, memory_s)


def copy_time_s(size_bytes: int, link: Link) -> float:
    return link.latency_s + size_bytes / link.bandwidth_bytes_s


def build_cost_table(graph: TrainingGraph, system: System) -> CostTable:
    """Costs of every node on every device and every buffer on every link of ``system``."""
    n, n_dev, n_link = len(graph.nodes), len(system.devices), len(system.links)
    time = np.zeros((n, n_dev))
    for j, device in enumerate(system.devices):
        time[:, j] = [node_time_s(node, device) for node in graph.nodes]
    energy = time * np.array([d.active_power_w for d in system.devices])[None, :]
    sizes = np.array([node.size_bytes for node in graph.nodes], dtype=float)
    copy_time = np.zeros((n_link, n))
    copy_energy = np.zeros((n_link, n))
    for k, link in enumerate(system.links):
        copy_time[k] = link.latency_s + sizes / link.bandwidth_bytes_s
        copy_energy[k] = sizes * link.energy_per_byte_j
    link_index = {(link.src, link.dst): k for k, link in enumerate(system.links)}
    for node_id, src, dst, cost in graph.copy_cost_s:
        if (src, dst) in link_index:
            copy_time[link_index[(src, dst)], node_id] = cost
    reads = tuple((link_index[(src, dst)], reader, node_id, float(cost))
                  for node_id, reader, src, dst, cost in graph.read_cost_s if (src, dst) in link_index)
    return CostTable(time, energy, copy_time, copy_energy, reads)
