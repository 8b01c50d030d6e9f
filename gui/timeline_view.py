"""The timeline: one lane per device and per link, memory over time per memory, and a summary.

Hovering a bar shows what it is; clicking one selects its node in the session (and so in the graph);
a node selected elsewhere is outlined here.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

import pyqtgraph as pg  # isort: skip  (after PySide6: pyqtgraph picks the binding already imported)
from core.problem import SchedulingProblem
from core.trace import StepRole, Trace
from gui import theme
from gui.session import Session
from gui.timeline_draw import BAR_HEIGHT, DrawnBars, all_bars, bar_at, draw_bars, draw_memory, step_times
from gui.timeline_summary import summary_html

EMPTY_TEXT = "No schedule yet: choose a solver and press Run (Ctrl+R)."


class TimelineView(QtWidgets.QWidget):
    """Renders the session's shown result; ``rendered(float)`` reports seconds spent drawing."""

    rendered = QtCore.Signal(float)

    def __init__(self, session: Session, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.problem: SchedulingProblem | None = None
        self.trace: Trace | None = None
        self._stats: dict = {}
        self.drawn: DrawnBars | None = None
        self._build()
        session.result_changed.connect(self._on_result_changed)
        session.selection_changed.connect(self._on_selection_changed)

    @property
    def lanes(self) -> list[str]:
        return self.drawn.lanes if self.drawn else []

    @property
    def bar_items(self) -> dict[StepRole, pg.BarGraphItem]:
        return self.drawn.items if self.drawn else {}

    @property
    def bar_count(self) -> int:
        return self.drawn.count if self.drawn else 0

    def _build(self) -> None:
        self.axis_mode = QtWidgets.QComboBox()
        self.axis_mode.addItems(["Overlapped time", "Serial time"])
        self.axis_mode.setItemData(0, "Each device and link is a queue; steps overlap across queues",
                                   QtCore.Qt.ItemDataRole.ToolTipRole)
        self.axis_mode.setItemData(1, "Steps one after another, in schedule order", QtCore.Qt.ItemDataRole.ToolTipRole)
        self.axis_mode.currentIndexChanged.connect(lambda _i: self.redraw())
        self.legend = QtWidgets.QLabel("  ".join(
            f'<span style="color:{c}">■</span> {r.value.replace("_", " ")}' for r, c in theme.ROLE_COLOURS.items()))
        self.title = QtWidgets.QLabel("")
        self.memory_legend = QtWidgets.QLabel("")
        self.summary = QtWidgets.QLabel(EMPTY_TEXT)
        self.summary.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setWordWrap(True)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.lanes_plot = self.plots.addPlot(row=0, col=0)
        self.memory_plot = self.plots.addPlot(row=1, col=0)
        self.plots.ci.layout.setRowStretchFactor(0, 1)
        self.plots.ci.layout.setRowStretchFactor(1, 1)
        self.memory_plot.setXLink(self.lanes_plot)
        self.lanes_plot.invertY(True)
        self.lanes_plot.setMouseEnabled(x=True, y=False)
        self.memory_plot.setMouseEnabled(x=True, y=False)
        self.lanes_plot.setLabel("bottom", "time", units="s")
        self.memory_plot.setLabel("left", "memory (MiB)")
        self.memory_plot.setLabel("bottom", "time", units="s")
        self.memory_plot.showGrid(y=True, alpha=0.2)
        self.highlight = pg.BarGraphItem(x0=[], width=[], y0=[], height=[], brush=None,
                                         pen=pg.mkPen(theme.SELECTION_COLOUR, width=2.5))
        self.highlight.setZValue(10)
        self.lanes_plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.lanes_plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.legend)
        top.addWidget(QtWidgets.QLabel("Axis:"))
        top.addWidget(self.axis_mode)
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(top)
        column.addWidget(self.plots, 1)
        column.addWidget(self.memory_legend)
        column.addWidget(self.summary)

    # -- rendering ---------------------------------------------------------------------------
    def _on_result_changed(self) -> None:
        record = self.session.record
        if record is None or record.result.trace is None:
            self.clear()
            return
        self.title.setText(f"<b>{record.label or record.solver}</b> · {record.result.status.value}")
        self.set_trace(record.problem, record.result.trace, dict(record.result.stats))

    def clear(self) -> None:
        self.problem, self.trace, self.drawn = None, None, None
        self.lanes_plot.clear()
        self.memory_plot.clear()
        self.title.setText("")
        self.memory_legend.setText("")
        self.summary.setText(EMPTY_TEXT)

    def set_trace(self, problem: SchedulingProblem, trace: Trace, stats: dict | None = None) -> None:
        self.problem, self.trace = problem, trace
        self._stats = stats or {}
        self.redraw()

    @property
    def serial(self) -> bool:
        return self.axis_mode.currentIndex() == 1

    def redraw(self) -> None:
        if self.problem is None or self.trace is None:
            return
        started = time.perf_counter()
        self.drawn = draw_bars(self.lanes_plot, self.problem, self.trace, self.serial)
        self.lanes_plot.addItem(self.highlight)
        legend = draw_memory(self.memory_plot, self.problem, self.trace, self.serial)
        self.memory_legend.setText("memory: " + "  ".join(
            f'<span style="color:{c}">━</span> {text}' for text, c in legend))
        self.summary.setText(summary_html(self.problem, self.trace, self._stats))
        self._on_selection_changed(self.session.selected)
        self.rendered.emit(time.perf_counter() - started)

    # -- selection and hover -----------------------------------------------------------------
    def _on_selection_changed(self, node: int) -> None:
        if self.trace is None or node < 0 or self.drawn is None:
            self.highlight.setOpts(x0=[], width=[], y0=[], height=[])
            return
        bars = all_bars(self.trace)
        starts, durations = step_times(bars, self.serial)
        lane_of = {name: i for i, name in enumerate(self.lanes)}
        picked = [i for i, t in enumerate(bars) if t.node == node and t.role is not StepRole.FREE and t.lane in lane_of]
        self.highlight.setOpts(x0=starts[picked], width=np.maximum(durations[picked], 0.0),
                               y0=np.array([lane_of[bars[i].lane] for i in picked]) - BAR_HEIGHT / 2,
                               height=BAR_HEIGHT)

    def step_at(self, scene_pos: QtCore.QPointF) -> int | None:
        """Position in ``trace.timings`` of the bar under ``scene_pos``, or None."""
        return bar_at(self.lanes_plot, self.drawn, scene_pos) if self.trace is not None else None

    def describe(self, step: int) -> str:
        assert self.trace is not None and self.problem is not None
        return describe_step(self.problem, self.trace, step)

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
            self.session.select_node(all_bars(self.trace)[step].node)

    def export_scene(self) -> QtWidgets.QGraphicsScene:
        return self.plots.scene()

    def image(self) -> QtGui.QImage:
        return self.plots.grab().toImage()


def describe_step(problem: SchedulingProblem, trace: Trace, step: int) -> str:
    """Tooltip text of bar ``step`` (a position in :func:`all_bars`): node, role, lane, start, duration."""
    timing = all_bars(trace)[step]
    node = problem.graph.nodes[timing.node]
    return (f"{node.name} ({node.op_type}, {node.kind.value})\n{timing.role.value.replace('_', ' ')} on "
            f"{timing.lane}\nstart {timing.start_s:.6g} s, duration {timing.duration_s:.6g} s\n"
            f"step {timing.index}")
