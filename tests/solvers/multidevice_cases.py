"""Problems for the several-device tests: XEngine's unit instances and small hand-made systems.

XEngine gives copy costs per edge (producer, consumer) and direction; the app charges a copy per
buffer (producer) and direction. Where two edges of one producer carry different costs in the same
direction (only multi_skip_copy: edges 1->2 / 1->3 and 2->3 / 2->6), :func:`per_buffer_copy_costs`
takes the cheaper one, which is what a per-buffer copy (one transfer, read by every consumer on the
destination device) costs; the expected optimum is unchanged (checked against the per-edge
reference model in the tests).
"""

from __future__ import annotations

import json

from core.graph import NodeKind, TrainingGraph, TrainingNode
from core.paths import SHARED_DIR
from core.problem import Objective, SchedulingProblem, build_problem
from core.system import Device, Link, Memory, MemoryKind, System

ORACLES = SHARED_DIR / "oracles" / "xengine_cases.json"


def xengine_cases() -> list[dict]:
    """The ten published instances of the shared oracle file."""
    return list(json.loads(ORACLES.read_text())["cases"])


def per_buffer_copy_costs(case: dict) -> dict[tuple[int, int, int], float]:
    """``(producer, from_device, to_device) -> time``: the cheapest edge of each producer and direction."""
    costs: dict[tuple[int, int, int], float] = {}
    for entry in case["copy"]:
        producer = case["edges"][entry["edge"]][0]
        key = (producer, entry["from"], entry["to"])
        costs[key] = min(costs.get(key, float(entry["cost"])), float(entry["cost"]))
    return costs


def xengine_graph(case: dict) -> TrainingGraph:
    n = len(case["memory"])
    deps: list[list[int]] = [[] for _ in range(n)]
    for u, v in case["edges"]:
        deps[v].append(u)
    n_dev = len(case["cost"])
    nodes = tuple(
        TrainingNode(
            id=i, name=f"v{i}", kind=NodeKind.FORWARD, op_type="Op", size_bytes=int(case["memory"][i]),
            deps=tuple(sorted(deps[i])),
            device_cost_s=tuple((f"dev{d}", float(case["cost"][d][i])) for d in range(n_dev)),
        )
        for i in range(n)
    )
    copy = tuple(
        (node, f"mem{src}", f"mem{dst}", cost)
        for (node, src, dst), cost in sorted(per_buffer_copy_costs(case).items())
    )
    return TrainingGraph(name=case["name"], nodes=nodes, copy_cost_s=copy)


def xengine_system(case: dict) -> System:
    """One device per cost row, each with its own memory; links both ways (absent copy cost = 0)."""
    n_dev = len(case["cost"])
    big = int(max(case["budget"]) * 10)
    devices = tuple(Device(f"dev{d}", "cpu", f"mem{d}", peak_flops=1e12, mem_bandwidth_bytes_s=1e11)
                    for d in range(n_dev))
    memories = tuple(Memory(f"mem{d}", big, budget_bytes=int(case["budget"][d])) for d in range(n_dev))
    # Copies cost what the instance says (graph overrides); a link with infinite bandwidth costs 0.
    links = tuple(Link(f"mem{a}", f"mem{b}", float("inf")) for a in range(n_dev) for b in range(n_dev) if a != b)
    return System(name=f"xengine-{case['name']}", devices=devices, memories=memories, links=links)


def xengine_problem(case: dict) -> SchedulingProblem:
    return build_problem(xengine_graph(case), xengine_system(case))


# ----------------------------------------------------------------------------- hand-made systems
def chain_graph(sizes: list[int], costs: dict[str, list[float]], name: str = "chain") -> TrainingGraph:
    """A forward chain, a loss and the mirrored backward chain; per-device costs by device name."""
    n = len(sizes)
    deps: list[tuple[int, ...]] = [(i - 1,) if i else () for i in range(n)]
    all_sizes = [*sizes, sizes[-1]]
    deps.append((n - 1,))
    prev = n
    for i in reversed(range(n)):
        all_sizes.append(sizes[i])
        deps.append((prev, i))
        prev = len(all_sizes) - 1
    kinds = [NodeKind.FORWARD] * n + [NodeKind.LOSS] + [NodeKind.BACKWARD] * n
    nodes = []
    for i, (size, dep, kind) in enumerate(zip(all_sizes, deps, kinds, strict=True)):
        forward = i if i <= n else 2 * n - i
        per_device = tuple((dev, float(values[min(forward, n - 1)] * (2 if kind is NodeKind.BACKWARD else 1)))
                           for dev, values in costs.items())
        nodes.append(TrainingNode(id=i, name=f"{kind.value[0]}{forward}", kind=kind, op_type="Op",
                                  size_bytes=size, deps=dep, device_cost_s=per_device))
    return TrainingGraph(name=name, nodes=tuple(nodes))


def cpu_gpu_system(gpu_bytes: int, cpu_bytes: int) -> System:
    """A slow CPU with large RAM and a fast GPU with small memory, joined by a PCIe-like link."""
    return System(
        name="cpu+gpu",
        devices=(
            Device("cpu", "cpu", "ram", peak_flops=1e11, mem_bandwidth_bytes_s=1e10, active_power_w=60.0),
            Device("gpu", "gpu", "vram", peak_flops=1e13, mem_bandwidth_bytes_s=1e12, active_power_w=250.0),
        ),
        memories=(Memory("ram", cpu_bytes), Memory("vram", gpu_bytes)),
        links=(Link("ram", "vram", 1e9, 0.0, 1e-10), Link("vram", "ram", 1e9, 0.0, 1e-10)),
    )


def storage_system(name: str, ram_bytes: int, power_w: float, storage_bw: float,
                   storage_energy_per_byte: float, storage_name: str = "sd") -> System:
    """One device with RAM plus a storage memory (SD card, flash) reached by a link each way."""
    return System(
        name=name,
        devices=(Device("cpu", "cpu", "ram", peak_flops=1e10, mem_bandwidth_bytes_s=4e9,
                        active_power_w=power_w),),
        memories=(Memory("ram", ram_bytes), Memory(storage_name, 10**12, MemoryKind.STORAGE)),
        links=(Link("ram", storage_name, storage_bw, 0.0, storage_energy_per_byte),
               Link(storage_name, "ram", storage_bw, 0.0, storage_energy_per_byte)),
    )


def problem_on(graph: TrainingGraph, system: System, budgets: dict[str, int] | None = None, *,
               objective: Objective = Objective.TIME, time_limit_s: float | None = None) -> SchedulingProblem:
    return build_problem(graph, system, budgets, objective=objective, time_limit_s=time_limit_s)
