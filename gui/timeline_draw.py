"""Drawing a trace into pyqtgraph plots: lane bars and memory curves (shared by the timeline and the
comparison of two schedules).

Bars are drawn as one ``BarGraphItem`` per step role (12,000 bars build in milliseconds: ECOSYSTEM.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PySide6 import QtCore

import pyqtgraph as pg  # isort: skip  (after PySide6: pyqtgraph picks the binding already imported)
from core.problem import SchedulingProblem
from core.trace import StepRole, StepTiming, Trace
from gui import theme

MIB = 1024.0**2
BAR_HEIGHT = 0.8


@dataclass
class LaneIndex:
    """Bars of one lane sorted by start, for hit tests."""

    starts: np.ndarray
    ends: np.ndarray
    steps: np.ndarray  # positions in all_bars(trace)


@dataclass
class DrawnBars:
    lanes: list[str]
    items: dict[StepRole, pg.BarGraphItem] = field(default_factory=dict)
    count: int = 0
    index: dict[int, LaneIndex] = field(default_factory=dict)
    end_s: float = 0.0


def lane_names(problem: SchedulingProblem) -> list[str]:
    """One lane per device, then one per link (``src->dst``, as the simulator names them)."""
    return [d.name for d in problem.system.devices] + [f"{l.src}->{l.dst}" for l in problem.system.links]


def all_bars(trace: Trace) -> tuple[StepTiming, ...]:
    """What the lanes show: every step, then the remote reads (inputs read over direct-access links).

    Positions in this tuple are the "steps" of :class:`LaneIndex` and :func:`bar_at`.
    """
    return (*trace.timings, *trace.remote_reads)


def step_times(timings: Sequence[StepTiming], serial: bool) -> tuple[np.ndarray, np.ndarray]:
    """Start and duration of each timing: overlapped (queues) or serial (steps one after another)."""
    count = len(timings)
    starts = np.fromiter((t.serial_start_s if serial else t.start_s for t in timings), float, count)
    durations = np.fromiter((t.duration_s if serial else t.end_s - t.start_s for t in timings), float, count)
    return starts, durations


def draw_bars(plot: pg.PlotItem, problem: SchedulingProblem, trace: Trace, serial: bool = False) -> DrawnBars:
    """Clear ``plot`` and draw one lane per device and link with a bar per step, coloured by role."""
    plot.clear()
    drawn = DrawnBars(lane_names(problem))
    lane_of = {name: i for i, name in enumerate(drawn.lanes)}
    bars = all_bars(trace)
    starts, durations = step_times(bars, serial)
    roles = np.array([t.role.value for t in bars])
    lanes = np.array([lane_of.get(t.lane, -1) for t in bars], dtype=int)
    for role, colour in theme.ROLE_COLOURS.items():
        mask = (roles == role.value) & (lanes >= 0)
        if mask.any():
            item = pg.BarGraphItem(x0=starts[mask], width=durations[mask], y0=lanes[mask] - BAR_HEIGHT / 2,
                                   height=BAR_HEIGHT, brush=colour, pen=None)
            plot.addItem(item)
            drawn.items[role] = item
    visible = (roles != StepRole.FREE.value) & (lanes >= 0)
    drawn.count = int(visible.sum())
    for lane in range(len(drawn.lanes)):
        steps = np.flatnonzero(visible & (lanes == lane))
        steps = steps[np.argsort(starts[steps], kind="stable")]
        drawn.index[lane] = LaneIndex(starts[steps], starts[steps] + durations[steps], steps)
    plot.getAxis("left").setTicks([[(i, name) for i, name in enumerate(drawn.lanes)]])
    plot.setYRange(-0.6, len(drawn.lanes) - 0.4, padding=0)
    drawn.end_s = float((starts + durations).max()) if len(starts) else 1.0
    plot.setXRange(0, drawn.end_s or 1.0, padding=0.01)
    return drawn


def memory_top_mib(problem: SchedulingProblem, trace: Trace) -> float:
    """Top of the memory axis: the highest peak with some room, and every budget near it.

    A budget far above every peak (a 24 GiB card holding 600 MiB) would flatten the curves; its line
    is then off the top and its label says so.
    """
    peak = max(trace.peak_bytes, default=0) / MIB
    near = [b / MIB for b in problem.budgets_bytes if b / MIB <= 1.5 * max(peak, 1e-9)]
    return max([peak * 1.15, *(b * 1.08 for b in near)]) or 1.0


def draw_memory(plot: pg.PlotItem, problem: SchedulingProblem, trace: Trace,
                serial: bool = False) -> list[tuple[str, str]]:
    """Clear ``plot`` and draw memory over time per memory, with its budget as a dashed line.

    Returns the legend entries (text, colour); the caller shows them beside the plot, where they
    cannot cover a curve. The budget lines are dashed, in their memory's colour.
    """
    legend: list[tuple[str, str]] = []
    plot.clear()
    top = memory_top_mib(problem, trace)
    starts, durations = step_times(trace.timings, serial)  # memory curves count steps, not remote reads
    end = float((starts + durations).max()) if len(starts) else 0.0
    for m, curve in enumerate(trace.memory_curves):
        if len(curve) < 2 and trace.peak_bytes[m] == 0:
            continue
        colour, name = theme.device_colour(m), problem.memory_name(m)
        budget = problem.budgets_bytes[m] / MIB
        steps = np.array([s for s, _b in curve])
        values = np.array([b for _s, b in curve], dtype=float) / MIB
        clipped = np.clip(steps, 0, None)
        xs = np.where(steps >= 0, starts[clipped] + durations[clipped], 0.0)
        order = np.argsort(xs, kind="stable")
        # hold the last level to the end of the step, so a memory that never changes is a line too
        xs, values = np.append(xs[order], end), np.append(values[order], values[order][-1])
        shown = budget <= top
        legend.append((f"{name}, budget ┄ {budget:,.0f} MiB{'' if shown else ' (off the top)'}", colour))
        plot.plot(xs, values, stepMode=None, pen=pg.mkPen(colour, width=1.5))
        if shown:
            pen = pg.mkPen(colour, width=1, style=QtCore.Qt.PenStyle.DashLine)
            # unlabelled: the legend beside the plot names it (a label on the line would cover curves)
            plot.addItem(pg.InfiniteLine(pos=budget, angle=0, pen=pen))
    plot.setYRange(0, top, padding=0)
    return legend


def bar_at(plot: pg.PlotItem, drawn: DrawnBars | None, scene_pos: QtCore.QPointF) -> int | None:
    """Position in ``trace.timings`` of the bar under ``scene_pos`` in ``plot``, or None."""
    vb = plot.getViewBox()
    if drawn is None or not vb.sceneBoundingRect().contains(scene_pos):
        return None
    point = vb.mapSceneToView(scene_pos)
    lane = round(point.y())
    index = drawn.index.get(lane)
    if index is None or abs(point.y() - lane) > BAR_HEIGHT / 2 or not len(index.starts):
        return None
    slack = vb.viewPixelSize()[0] * 2
    i = int(np.searchsorted(index.starts, point.x() + slack, side="right")) - 1
    while i >= 0 and index.ends[i] + slack >= point.x():
        if index.starts[i] - slack <= point.x():
            return int(index.steps[i])
        i -= 1
    return None
