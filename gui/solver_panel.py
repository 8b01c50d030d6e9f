"""Solver choice, limits, Run/Cancel, a live chart of incumbent and bound, and status text."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

import pyqtgraph as pg  # isort: skip  (after PySide6)
import solvers
from core.problem import Objective
from gui.session import Session
from solvers import Progress, SolveOptions


class SolverPanel(QtWidgets.QWidget):
    def __init__(self, session: Session, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._times: list[float] = []
        self._incumbents: list[float] = []
        self._bound_times: list[float] = []
        self._bounds: list[float] = []
        self._build()
        session.solve_started.connect(self._on_solve_started)
        session.solve_progress.connect(self._on_solve_progress)
        session.solve_running.connect(self._on_solve_running)
        session.result_changed.connect(self._on_result_changed)
        session.error.connect(self._on_error)

    def _build(self) -> None:
        self.solver = QtWidgets.QComboBox()
        model = QtGui.QStandardItemModel(self.solver)
        for info in solvers.solvers():
            available, reason = info.availability()
            item = QtGui.QStandardItem(info.name)
            item.setData(info.name, QtCore.Qt.ItemDataRole.UserRole)
            item.setToolTip(info.description + ("" if available else f"\nUnavailable: {reason}"))
            item.setEnabled(available)
            model.appendRow(item)
        self.solver.setModel(model)
        self.select_solver("greedy")
        self.time_limit = QtWidgets.QDoubleSpinBox(minimum=0.5, maximum=86400, value=30.0, suffix=" s", decimals=1)
        self.gap = QtWidgets.QDoubleSpinBox(minimum=0.0, maximum=100.0, value=0.01, suffix=" %", decimals=3)
        self.objective = QtWidgets.QComboBox()
        self.objective.addItem("Time (serial step time)", Objective.TIME.value)
        self.objective.addItem("Energy (under the time limit)", Objective.ENERGY.value)
        self.objective.currentIndexChanged.connect(
            lambda _i: self.session.set_objective(Objective(self.objective.currentData())))
        self.run_button = QtWidgets.QPushButton("Run")
        self.run_button.setDefault(True)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.session.cancel_solve)
        self.status = QtWidgets.QLabel("Idle")
        self.status.setWordWrap(True)
        self.chart = pg.PlotWidget(background="w")
        self.chart.setLabel("bottom", "elapsed", units="s")
        self.chart.setLabel("left", "objective")
        self.chart.showGrid(x=True, y=True, alpha=0.2)
        self.chart.addLegend(offset=(-10, 10))
        self.incumbent_curve = self.chart.plot([], [], pen=pg.mkPen("#0072B2", width=2), name="incumbent",
                                               stepMode=None, symbol="o", symbolSize=5, symbolBrush="#0072B2")
        self.bound_curve = self.chart.plot([], [], pen=pg.mkPen("#D55E00", width=2, style=QtCore.Qt.PenStyle.DashLine),
                                           name="bound")
        self.chart.setMinimumHeight(160)
        form = QtWidgets.QFormLayout()
        form.addRow("Solver", self.solver)
        form.addRow("Time limit", self.time_limit)
        form.addRow("Relative gap", self.gap)
        form.addRow("Objective", self.objective)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        column = QtWidgets.QVBoxLayout(self)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addWidget(self.status)
        column.addWidget(self.chart, 1)

    def select_solver(self, name: str) -> None:
        index = self.solver.findData(name, QtCore.Qt.ItemDataRole.UserRole)
        model = self.solver.model()
        if index >= 0 and model.item(index).isEnabled():  # type: ignore[attr-defined]
            self.solver.setCurrentIndex(index)

    def options(self) -> SolveOptions:
        return SolveOptions(time_limit_s=self.time_limit.value(), mip_gap=self.gap.value() / 100.0)

    def run(self) -> bool:
        return self.session.solve(str(self.solver.currentData(QtCore.Qt.ItemDataRole.UserRole)), self.options())

    # -- slots -------------------------------------------------------------------------------
    def _on_solve_started(self, name: str) -> None:
        self._times.clear()
        self._incumbents.clear()
        self._bound_times.clear()
        self._bounds.clear()
        self.incumbent_curve.setData([], [])
        self.bound_curve.setData([], [])
        self.status.setText(f"Running {name}…")

    def _on_solve_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _on_solve_progress(self, progress: Progress) -> None:
        if progress.incumbent is not None:
            self._times.append(progress.elapsed_s)
            self._incumbents.append(progress.incumbent)
            self.incumbent_curve.setData(self._times, self._incumbents)
        if progress.bound is not None:
            self._bound_times.append(progress.elapsed_s)
            self._bounds.append(progress.bound)
            self.bound_curve.setData(self._bound_times, self._bounds)
        parts = [f"{progress.elapsed_s:.1f} s"]
        if progress.incumbent is not None:
            parts.append(f"incumbent {progress.incumbent:.6g}")
        if progress.bound is not None:
            parts.append(f"bound {progress.bound:.6g}")
        if progress.gap is not None:
            parts.append(f"gap {100 * progress.gap:.2f} %")
        if progress.message:
            parts.append(progress.message)
        self.status.setText(" · ".join(parts))

    def _on_result_changed(self) -> None:
        record = self.session.record
        if record is None:
            return
        result = record.result
        gap = f", gap {100 * result.gap:.2f} %" if result.gap is not None else ""
        self.status.setText(f"{result.solver}: {result.status.value} in {result.wall_s:.2f} s, objective "
                            f"{result.objective:.6g}{gap}")

    def _on_error(self, title: str, _message: str) -> None:
        if not self.session.runner.is_running:
            self.status.setText(f"{title}: see the message")
