"""The results list and the comparison of two schedules: metrics side by side, timelines aligned.

Every solve (and every sweep point opened) becomes a result of the session. Selecting one here shows
it everywhere else; picking two (A and B) compares them: the figures of both, B relative to A, and
their timelines on one time axis.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

import pyqtgraph as pg  # isort: skip  (after PySide6)
from core.metrics import trace_metrics
from core.units import format_bytes, format_seconds
from gui.session import Session
from gui.session_types import SolveRecord
from gui.timeline_draw import draw_bars

LIST_COLUMNS = ("result", "status", "serial time", "makespan", "recomputations", "peak", "from")


def metric_rows(record: SolveRecord) -> list[tuple[str, float | int, str]]:
    """(name, value, shown text) of the figures compared; every value comes from the simulator."""
    problem, trace = record.problem, record.result.trace
    assert trace is not None
    metrics = trace_metrics(problem, trace)
    rows: list[tuple[str, float | int, str]] = [
        ("serial time", trace.serial_time_s, format_seconds(trace.serial_time_s)),
        ("makespan", trace.makespan_s, format_seconds(trace.makespan_s)),
        ("energy", trace.energy_j, f"{trace.energy_j:.4g} J"),
        ("recomputations", trace.recompute_count, str(trace.recompute_count)),
        ("recompute overhead", float(metrics["recompute_overhead"]),  # type: ignore[arg-type]
         f"{100 * float(metrics['recompute_overhead']):.2f} %"),  # type: ignore[arg-type]
        ("copies", trace.copy_count, str(trace.copy_count)),
        ("pages", trace.page_count, str(trace.page_count)),
    ]
    for m, memory in enumerate(problem.system.memories):
        rows.append((f"peak {memory.name}", trace.peak_bytes[m], format_bytes(trace.peak_bytes[m])))
    return rows


def compare_rows(a: SolveRecord, b: SolveRecord) -> list[tuple[str, str, str, str]]:
    """(figure, A, B, B relative to A) for every figure either result has."""
    rows_a = {name: (value, text) for name, value, text in metric_rows(a)}
    rows_b = {name: (value, text) for name, value, text in metric_rows(b)}
    out = [("solver", a.solver, b.solver, ""), ("status", a.result.status.value, b.result.status.value, "")]
    for name in list(dict.fromkeys([*rows_a, *rows_b])):
        va, ta = rows_a.get(name, (None, "—"))
        vb, tb = rows_b.get(name, (None, "—"))
        relative = f"{100 * (vb / va - 1):+.1f} %" if va and vb is not None else ""
        out.append((name, ta, tb, relative))
    return out


class ResultsView(QtWidgets.QWidget):
    def __init__(self, session: Session, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._syncing = False
        self._build()
        session.results_changed.connect(self._on_results_changed)
        session.result_changed.connect(self._on_result_changed)
        self._on_results_changed()

    def _build(self) -> None:
        self.table = _table(LIST_COLUMNS)
        self.table.itemSelectionChanged.connect(self._on_table_selection)
        remove = QtWidgets.QPushButton("Remove")
        remove.clicked.connect(lambda: self.session.remove_result(self.table.currentRow()))
        self.pick_a, self.pick_b = QtWidgets.QComboBox(), QtWidgets.QComboBox()
        for combo in (self.pick_a, self.pick_b):
            combo.setMinimumContentsLength(18)
            combo.currentIndexChanged.connect(lambda _i: self.compare())
        self.metrics = _table(("figure", "A", "B", "B vs A"))
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.plot_a = self.plots.addPlot(row=0, col=0)
        self.plot_b = self.plots.addPlot(row=1, col=0)
        self.plot_b.setXLink(self.plot_a)  # one time axis: the two schedules line up
        for plot in (self.plot_a, self.plot_b):
            plot.invertY(True)
            plot.setMouseEnabled(x=True, y=False)
            plot.setLabel("bottom", "time", units="s")
        picks = QtWidgets.QHBoxLayout()
        for text, widget in (("A", self.pick_a), ("B", self.pick_b)):
            picks.addWidget(QtWidgets.QLabel(f"<b>{text}</b>"))
            picks.addWidget(widget, 1)
        picks.addWidget(remove)
        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.table, 2)
        left.addLayout(picks)
        left.addWidget(self.metrics, 3)
        holder = QtWidgets.QWidget()
        holder.setLayout(left)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        split.addWidget(holder)
        split.addWidget(self.plots)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([560, 840])
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(split)

    # -- rendering ---------------------------------------------------------------------------
    def _on_results_changed(self) -> None:
        records = self.session.results
        self._syncing = True
        try:
            self.table.setRowCount(len(records))
            for row, record in enumerate(records):
                for column, text in enumerate(_list_cells(record)):
                    self.table.setItem(row, column, QtWidgets.QTableWidgetItem(text))
            self.table.resizeColumnsToContents()
            self.table.setColumnWidth(0, min(self.table.columnWidth(0), 230))  # long labels elide
            labels = [r.label or r.solver for r in records]
            # a changed list compares its two newest results (the usual question: did that help?)
            for combo, default in ((self.pick_a, len(labels) - 2), (self.pick_b, len(labels) - 1)):
                combo.blockSignals(True)
                combo.clear()
                combo.addItems(labels)
                combo.setCurrentIndex(max(default, 0) if labels else -1)
                combo.blockSignals(False)
        finally:
            self._syncing = False
        self._on_result_changed()
        self.compare()

    def _on_result_changed(self) -> None:
        record = self.session.record
        row = self.session.results.index(record) if record in self.session.results else -1
        self._syncing = True
        try:
            self.table.selectRow(row) if row >= 0 else self.table.clearSelection()
        finally:
            self._syncing = False

    def _on_table_selection(self) -> None:
        if not self._syncing and self.table.currentRow() >= 0:
            self.session.show_result(self.table.currentRow())

    def pair(self) -> tuple[SolveRecord, SolveRecord] | None:
        records = self.session.results
        a, b = self.pick_a.currentIndex(), self.pick_b.currentIndex()
        if len(records) < 2 or not (0 <= a < len(records) and 0 <= b < len(records)):
            return None
        return records[a], records[b]

    def compare(self) -> None:
        """Show the chosen pair side by side (empty with fewer than two results)."""
        pair = self.pair()
        self.plot_a.clear()
        self.plot_b.clear()
        if pair is None:
            self.metrics.setRowCount(0)
            self.plot_a.setTitle("Solve twice (or open sweep points) to compare two schedules")
            self.plot_b.setTitle("")
            return
        rows = compare_rows(*pair)
        self.metrics.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                self.metrics.setItem(r, c, QtWidgets.QTableWidgetItem(text))
        self.metrics.resizeColumnsToContents()
        ends = []
        for plot, record, name in ((self.plot_a, pair[0], "A"), (self.plot_b, pair[1], "B")):
            assert record.result.trace is not None
            ends.append(draw_bars(plot, record.problem, record.result.trace).end_s)
            plot.setTitle(f"{name}: {record.label or record.solver}", size="9pt")
        self.plot_a.setXRange(0, max(ends) or 1.0, padding=0.01)


def _table(columns: tuple[str, ...]) -> QtWidgets.QTableWidget:
    table = QtWidgets.QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
    return table


def _list_cells(record: SolveRecord) -> tuple[str, ...]:
    trace = record.result.trace
    assert trace is not None
    compute = sorted(set(record.problem.device_memory))
    peak = max(trace.peak_bytes[m] for m in compute) if compute else 0
    return (record.label or record.solver, record.result.status.value, format_seconds(trace.serial_time_s),
            format_seconds(trace.makespan_s), str(trace.recompute_count), format_bytes(peak), record.source)
