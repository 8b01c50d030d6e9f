"""The timeline: one lane per device and per link, memory over time per memory, and a summary.

Bars are drawn as one ``BarGraphItem`` per step role (12,000 bars build in milliseconds: ECOSYSTEM.md).
Hovering a bar shows what it is; clicking one selects its node in the session (and so in the graph).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

import pyqtgraph as pg  # isort: skip  (after PySide6: pyqtgraph picks the binding already imported)
from core.problem import SchedulingProblem
from core.trace import StepRole, Trace
from gui import theme
from gui.session import Session
from gui.timeline_summary import summary_html

MIB = 1024.0**2
BAR_HEIGHT = 0.8


@dataclass
class LaneIndex:
    """Bars of one lane sorted by start, for hit tests."""

    starts: np.ndarray
    ends: np.ndarray
    steps: np.ndarray  # timing positions


class TimelineView(QtWidgets.QWidget):
    """Renders the session's last result; ``rendered(float)`` reports seconds spent drawing."""

    rendered = QtCore.Signal(float)

    def __init__(self, session: Session, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.problem: SchedulingProblem | None = None
        self.trace: Trace | None = None
        self.lanes: list[str] = []
        self.bar_items: dict[StepRole, pg.BarGraphItem] = {}
        self.bar_count = 0
        self._index: dict[int, LaneIndex] = {}
        self._build()
        session.result_changed.connect(self._on_result_changed)
        session.selection_changed.connect(self._on_selection_changed)

    def _build(self) -> None:
        self.axis_mode = QtWidgets.QComboBox()
        self.axis_mode.addItems(["Overlapped time (queues per device and link)", "Serial time (steps in order)"])
        self.axis_mode.currentIndexChanged.connect(lambda _i: self.redraw())
        self.legend = QtWidgets.QLabel("  ".join(
            f'<span style="color:{c}">■</span> {r.value.replace("_", " ")}' for r, c in theme.ROLE_COLOURS.items()))
        self.summary = QtWidgets.QLabel("No schedule yet: run a solver.")
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setWordWrap(True)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.lanes_plot = self.plots.addPlot(row=0, col=0)
        self.memory_plot = self.plots.addPlot(row=1, col=0)
        self.plots.ci.layout.setRowStretchFactor(0, 3)
        self.plots.ci.layout.setRowStretchFactor(1, 2)
        self.memory_plot.setXLink(self.lanes_plot)
        self.lanes_plot.invertY(True)
        self.lanes_plot.setMouseEnabled(x=True, y=False)
        self.memory_plot.setMouseEnabled(x=True, y=False)
        self.lanes_plot.setLabel("bottom", "time", units="s")
        self.memory_plot.setLabel("left", "memory (MiB)")
        self.memory_plot.setLabel("bottom", "time", units="s")
        self.memory_plot.showGrid(y=True, alpha=0.2)
        self.memory_plot.addLegend(offset=(10, 5))
        self.highlight = pg.BarGraphItem(x0=[], width=[], y0=[], height=[], brush=None,
                                         pen=pg.mkPen(theme.SELECTION_COLOUR, width=2.5))
        self.highlight.setZValue(10)
        self.lanes_plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.lanes_plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(QtWidgets.QLabel("Axis:"))
        top.addWidget(self.axis_mode)
        top.addStretch(1)
        top.addWidget(self.legend)
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(top)
        column.addWidget(self.plots, 1)
        column.addWidget(self.summary)

    # -- rendering ---------------------------------------------------------------------------
    def _on_result_changed(self) -> None:
        record = self.session.record
        if record is None or record.result.trace is None:
            self.clear()
            return
        self.set_trace(record.problem, record.result.trace, dict(record.result.stats))

    def clear(self) -> None:
        self.problem, self.trace = None, None
        self.lanes_plot.clear()
        self.memory_plot.clear()
        self.bar_items.clear()
        self.bar_count = 0
        self._index.clear()
        self.summary.setText("No schedule yet: run a solver.")

    def set_trace(self, problem: SchedulingProblem, trace: Trace, stats: dict | None = None) -> None:
        self.problem, self.trace = problem, trace
        self._stats = stats or {}
        self.redraw()

    def redraw(self) -> None:
        if self.problem is None or self.trace is None:
            return
        started = time.perf_counter()
        problem, trace = self.problem, self.trace
        self.lanes = [d.name for d in problem.system.devices] + [f"{l.src}->{l.dst}" for l in problem.system.links]
        self._draw_bars(trace)
        self._draw_memory(problem, trace)
        self.summary.setText(summary_html(problem, trace, self._stats))
        self._on_selection_changed(self.session.selected)
        elapsed = time.perf_counter() - started
        self.rendered.emit(elapsed)

    def _times(self, trace: Trace) -> tuple[np.ndarray, np.ndarray]:
        serial = self.axis_mode.currentIndex() == 1
        starts = np.fromiter((t.serial_start_s if serial else t.start_s for t in trace.timings), float,
                             len(trace.timings))
        durations = np.fromiter((t.duration_s if serial else t.end_s - t.start_s for t in trace.timings), float,
                                len(trace.timings))
        return starts, durations

    def _draw_bars(self, trace: Trace) -> None:
        plot = self.lanes_plot
        plot.clear()
        self.bar_items.clear()
        lane_of = {name: i for i, name in enumerate(self.lanes)}
        starts, durations = self._times(trace)
        roles = np.array([t.role.value for t in trace.timings])
        lanes = np.array([lane_of.get(t.lane, -1) for t in trace.timings])
        for role, colour in theme.ROLE_COLOURS.items():
            mask = (roles == role.value) & (lanes >= 0)
            if not mask.any():
                continue
            item = pg.BarGraphItem(x0=starts[mask], width=durations[mask], y0=lanes[mask] - BAR_HEIGHT / 2,
                                   height=BAR_HEIGHT, brush=colour, pen=None)
            plot.addItem(item)
            self.bar_items[role] = item
        plot.addItem(self.highlight)
        drawn = (roles != StepRole.FREE.value) & (lanes >= 0)
        self.bar_count = int(drawn.sum())
        self._index = {}
        for lane in range(len(self.lanes)):
            steps = np.flatnonzero(drawn & (lanes == lane))
            order = np.argsort(starts[steps], kind="stable")
            steps = steps[order]
            self._index[lane] = LaneIndex(starts[steps], starts[steps] + durations[steps], steps)
        plot.getAxis("left").setTicks([[(i, name) for i, name in enumerate(self.lanes)]])
        plot.setYRange(-0.6, len(self.lanes) - 0.4, padding=0)
        end = float((starts + durations).max()) if len(starts) else 1.0
        plot.setXRange(0, end or 1.0, padding=0.01)

    def _draw_memory(self, problem: SchedulingProblem, trace: Trace) -> None:
        plot = self.memory_plot
        plot.clear()
        starts, durations = self._times(trace)
        for m, curve in enumerate(trace.memory_curves):
            if len(curve) < 2 and trace.peak_bytes[m] == 0:
                continue
            colour = theme.device_colour(m)
            steps = np.array([s for s, _b in curve])
            values = np.array([b for _s, b in curve], dtype=float) / MIB
            xs = np.where(steps >= 0, starts[np.clip(steps, 0, None)] + durations[np.clip(steps, 0, None)], 0.0)
            order = np.argsort(xs, kind="stable")
            plot.plot(xs[order], values[order], stepMode=None, pen=pg.mkPen(colour, width=1.5),
                      name=problem.memory_name(m))
            budget = problem.budgets_bytes[m] / MIB
            pen = pg.mkPen(colour, width=1, style=QtCore.Qt.PenStyle.DashLine)
            line = pg.InfiniteLine(pos=budget, angle=0, pen=pen, label=f"budget {problem.memory_name(m)}",
                                   labelOpts={"position": 0.02, "color": colour})
            plot.addItem(line)

    # -- selection and hover -----------------------------------------------------------------
    def _on_selection_changed(self, node: int) -> None:
        if self.trace is None or node < 0:
            self.highlight.setOpts(x0=[], width=[], y0=[], height=[])
            return
        starts, durations = self._times(self.trace)
        lane_of = {name: i for i, name in enumerate(self.lanes)}
        picked = [i for i, t in enumerate(self.trace.timings)
                  if t.node == node and t.role is not StepRole.FREE and t.lane in lane_of]
        self.highlight.setOpts(x0=starts[picked], width=np.maximum(durations[picked], 0.0),
                               y0=np.array([lane_of[self.trace.timings[i].lane] for i in picked]) - BAR_HEIGHT / 2,
                               height=BAR_HEIGHT)

    def step_at(self, scene_pos: QtCore.QPointF) -> int | None:
        """Position in ``trace.timings`` of the bar under ``scene_pos``, or None."""
        vb = self.lanes_plot.getViewBox()
        if self.trace is None or not vb.sceneBoundingRect().contains(scene_pos):
            return None
        point = vb.mapSceneToView(scene_pos)
        lane = round(point.y())
        index = self._index.get(lane)
        if index is None or abs(point.y() - lane) > BAR_HEIGHT / 2 or not len(index.starts):
            return None
        slack = vb.viewPixelSize()[0] * 2
        i = int(np.searchsorted(index.starts, point.x() + slack, side="right")) - 1
        while i >= 0 and index.ends[i] + slack >= point.x():
            if index.starts[i] - slack <= point.x():
                return int(index.steps[i])
            i -= 1
        return None

    def describe(self, step: int) -> str:
        assert self.trace is not None and self.problem is not None
        timing = self.trace.timings[step]
        node = self.problem.graph.nodes[timing.node]
        return (f"{node.name} ({node.op_type}, {node.kind.value})\n{timing.role.value.replace('_', ' ')} on "
                f"{timing.lane}\nstart {timing.start_s:.6g} s, duration {timing.duration_s:.6g} s\n"
                f"step {timing.index}")

    def _on_mouse_moved(self, scene_pos: QtCore.QPointF) -> None:
        step = self.step_at(scene_pos)
        if step is None:
            QtWidgets.QToolTip.hideText()
            return
        view = self.plots
        global_pos = view.mapToGlobal(view.mapFromScene(scene_pos))
        QtWidgets.QToolTip.showText(global_pos, self.describe(step), view)

    def _on_mouse_clicked(self, event: object) -> None:
        step = self.step_at(event.scenePos())  # type: ignore[attr-defined]
        if step is not None and self.trace is not None:
            self.session.select_node(self.trace.timings[step].node)

    def export_scene(self) -> QtWidgets.QGraphicsScene:
        return self.plots.scene()

    def image(self) -> QtGui.QImage:
        return self.plots.grab().toImage()
