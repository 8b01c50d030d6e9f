"""Solver choice, limits, Run/Cancel, a live chart of incumbent and bound, and status text.

The choices are the session's :class:`gui.session_types.SolverSettings`: the panel renders them and
writes every edit back through ``session.set_settings``.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

import pyqtgraph as pg  # isort: skip  (after PySide6)
import solvers
from core.problem import Objective
from gui.session import Session
from gui.session_types import SolverSettings
from solvers import Progress


class SolverPanel(QtWidgets.QWidget):
    def __init__(self, session: Session, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._series: dict[str, tuple[list[float], list[float]]] = {"incumbent": ([], []), "bound": ([], [])}
        self._build()
        self._on_settings_changed()
        session.settings_changed.connect(self._on_settings_changed)
        session.solve_started.connect(self._on_solve_started)
        session.solve_progress.connect(self._on_solve_progress)
        session.solve_running.connect(self._on_solve_running)
        session.result_changed.connect(self._on_result_changed)

    def _build(self) -> None:
        self.solver = QtWidgets.QComboBox()
        model = QtGui.QStandardItemModel(self.solver)
        for info in solvers.solvers():
            available, reason = info.availability()
            item = QtGui.QStandardItem(info.name)
            item.setData(info.name, QtCore.Qt.ItemDataRole.UserRole)
            kinds = ", ".join(k for k, on in (("exact", info.exact), ("several devices", info.multi_device),
                                              ("paging", info.paging), ("energy", info.energy)) if on)
            item.setToolTip(f"{info.description}" + (f"\n({kinds})" if kinds else "")
                            + ("" if available else f"\nUnavailable: {reason}"))
            item.setEnabled(available)
            model.appendRow(item)
        self.solver.setModel(model)
        self.time_limit = QtWidgets.QDoubleSpinBox(minimum=0.5, maximum=86400, value=30.0, suffix=" s", decimals=1)
        self.gap = QtWidgets.QDoubleSpinBox(minimum=0.0, maximum=100.0, value=0.01, suffix=" %", decimals=3)
        self.objective = QtWidgets.QComboBox()
        self.objective.addItem("Time (serial step time)", Objective.TIME.value)
        self.objective.addItem("Energy (under the time limit)", Objective.ENERGY.value)
        self.compare = QtWidgets.QCheckBox("Compare with each device alone")
        self.compare.setToolTip("After the solve, also solve on each device alone: the summary then shows the "
                                "gain over the best single device (machines with several devices)")
        for signal in (self.solver.currentIndexChanged, self.time_limit.valueChanged, self.gap.valueChanged,
                       self.objective.currentIndexChanged, self.compare.toggled):
            signal.connect(self._on_edited)
        self.run_button = QtWidgets.QPushButton("Run")
        self.run_button.setDefault(True)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.session.cancel_solve)
        self.status = QtWidgets.QLabel("Idle")
        self.status.setWordWrap(True)
        self.chart = self._build_chart()
        form = QtWidgets.QFormLayout()
        form.addRow("Solver", self.solver)
        form.addRow("Time limit", self.time_limit)
        form.addRow("Relative gap", self.gap)
        form.addRow("Objective", self.objective)
        form.addRow("", self.compare)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        column = QtWidgets.QVBoxLayout(self)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addWidget(self.status)
        column.addWidget(self.chart, 1)

    def _build_chart(self) -> pg.PlotWidget:
        chart = pg.PlotWidget(background="w")
        chart.setLabel("bottom", "elapsed", units="s")
        chart.setLabel("left", "objective")
        chart.showGrid(x=True, y=True, alpha=0.2)
        chart.addLegend(offset=(-10, 10))
        self.incumbent_curve = chart.plot([], [], pen=pg.mkPen("#0072B2", width=2), name="incumbent",
                                          symbol="o", symbolSize=5, symbolBrush="#0072B2")
        self.bound_curve = chart.plot([], [], pen=pg.mkPen("#D55E00", width=2, style=QtCore.Qt.PenStyle.DashLine),
                                      name="bound")
        chart.setMinimumHeight(160)
        return chart

    def select_solver(self, name: str) -> bool:
        """Choose ``name`` if it is available; False otherwise."""
        index = self.solver.findData(name, QtCore.Qt.ItemDataRole.UserRole)
        model = self.solver.model()
        if index < 0 or not model.item(index).isEnabled():  # type: ignore[attr-defined]
            return False
        self.solver.setCurrentIndex(index)
        return True

    def settings(self) -> SolverSettings:
        """What the widgets show, as settings."""
        return SolverSettings(solver=str(self.solver.currentData(QtCore.Qt.ItemDataRole.UserRole) or ""),
                              time_limit_s=self.time_limit.value(), gap_percent=self.gap.value(),
                              objective=Objective(self.objective.currentData()),
                              compare_single=self.compare.isChecked())

    def options(self) -> solvers.SolveOptions:
        return self.settings().options()

    def run(self) -> bool:
        return self.session.solve()

    # -- slots -------------------------------------------------------------------------------
    def _on_edited(self, *_args: object) -> None:
        self.session.set_settings(self.settings())

    def _on_settings_changed(self) -> None:
        settings = self.session.settings
        widgets = (self.solver, self.time_limit, self.gap, self.objective, self.compare)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            if not self.select_solver(settings.solver):
                self.solver.setCurrentIndex(-1)
            self.time_limit.setValue(settings.time_limit_s)
            self.gap.setValue(settings.gap_percent)
            self.objective.setCurrentIndex(max(0, self.objective.findData(settings.objective.value)))
            self.compare.setChecked(settings.compare_single)
        finally:
            for widget in widgets:
                widget.blockSignals(False)

    def _on_solve_started(self, name: str) -> None:
        for xs, ys in self._series.values():
            xs.clear()
            ys.clear()
        self.incumbent_curve.setData([], [])
        self.bound_curve.setData([], [])
        self.status.setText(f"Running {name}…")

    def _on_solve_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if not running and self.status.text().startswith("Running"):
            self.status.setText("Stopped: see the status bar")

    def _on_solve_progress(self, progress: Progress) -> None:
        for key, value, curve in (("incumbent", progress.incumbent, self.incumbent_curve),
                                  ("bound", progress.bound, self.bound_curve)):
            if value is not None:
                xs, ys = self._series[key]
                xs.append(progress.elapsed_s)
                ys.append(value)
                curve.setData(xs, ys)
        # time starts at 0 (pyqtgraph would centre a lone first point on itself)
        self.chart.setXRange(0, max(0.1, *self._series["incumbent"][0], *self._series["bound"][0]), padding=0.05)
        self.status.setText(progress.describe(" · "))

    def _on_result_changed(self) -> None:
        record = self.session.record
        if record is None:
            if not self.session.runner.is_running:  # a new model: nothing of the last solve applies
                self._on_solve_started("")
                self.status.setText("Idle")
            return
        result = record.result
        gap = f", gap {100 * result.gap:.2f} %" if result.gap is not None else ""
        objective = f"{result.objective:.6g}" if result.objective is not None else "—"
        self.status.setText(f"{record.label or result.solver}: {result.status.value} in {result.wall_s:.2f} s, "
                            f"objective {objective}{gap}")
