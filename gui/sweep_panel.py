"""The sweep panel: budgets, solvers and machines to sweep, Run/Cancel, the overhead curve and its rows.

Rows and curve are :meth:`solvers.sweep.SweepPoint.row`, the numbers ``main.py sweep`` writes;
clicking a point of the curve (or a row) opens that point's schedule in the timeline.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

import solvers
from core.errors import RematError
from core.system import System
from core.units import format_bytes
from gui.session import Session
from gui.sweep_plot import SweepPlot
from solvers.sweep import parse_fractions

COLUMNS = ("series", "% of peak", "status", "overhead")


def _checkable(text: str, checked: bool, enabled: bool = True, tip: str = "") -> QtWidgets.QListWidgetItem:
    item = QtWidgets.QListWidgetItem(text)
    flags = QtCore.Qt.ItemFlag.ItemIsUserCheckable | (QtCore.Qt.ItemFlag.ItemIsEnabled if enabled
                                                        else QtCore.Qt.ItemFlag.NoItemFlags)
    item.setFlags(flags)
    item.setCheckState(QtCore.Qt.CheckState.Checked if checked else QtCore.Qt.CheckState.Unchecked)
    item.setToolTip(tip)
    return item


class SweepPanel(QtWidgets.QWidget):
    def __init__(self, session: Session, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.sweeps = session.sweeps
        self._build()
        self.sweeps.started.connect(self._on_started)
        self.sweeps.point_added.connect(self._on_point_added)
        self.sweeps.finished.connect(self._on_finished)
        self.sweeps.running_changed.connect(self._on_running_changed)
        self.sweeps.cleared.connect(self._on_cleared)
        session.settings_changed.connect(self._on_settings_changed)

    def _build(self) -> None:
        self.fractions = QtWidgets.QLineEdit("0.5:1.0:0.1")
        self.fractions.setToolTip("Budgets as fractions of the no-recomputation peak: START:STOP:STEP or a list "
                                  "such as 0.6,0.8,1.0 (as main.py sweep --budgets)")
        self.time_limit = QtWidgets.QDoubleSpinBox(minimum=0.5, maximum=3600, value=10.0, suffix=" s per point")
        self.solver_list = QtWidgets.QListWidget()
        # available solvers first: the short list shows what can run without scrolling
        ranked = sorted(solvers.solvers(), key=lambda info: not info.availability()[0])
        for info in ranked:
            available, reason = info.availability()
            self.solver_list.addItem(_checkable(info.name, info.name == self.session.settings.solver and available,
                                                available, info.description + ("" if available else f"\n{reason}")))
        self.system_list = QtWidgets.QListWidget()
        self.system_list.addItem(_checkable("the machine in the editor", True, tip="The machine being edited"))
        from gui.system_editor import preset_entries

        for name, description in preset_entries():
            self.system_list.addItem(_checkable(f"preset: {name}", False, tip=description))
        for widget in (self.solver_list, self.system_list):
            widget.setMaximumHeight(120)
        self.run_button = QtWidgets.QPushButton("Run sweep")
        self.cancel_button = QtWidgets.QPushButton("Cancel", enabled=False)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.sweeps.cancel)
        self.progress = QtWidgets.QProgressBar(textVisible=True)
        self.progress.setFormat("%v of %m points")
        self.state = QtWidgets.QLabel("Click a point of the curve to open its schedule.")
        self.state.setWordWrap(True)
        self.plot = SweepPlot()
        self.plot.point_clicked.connect(self._on_plot_clicked)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.sweeps.open_point(row))
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self._layout()

    def _layout(self) -> None:
        form = QtWidgets.QFormLayout()
        form.addRow("Budgets", self.fractions)
        form.addRow("Time limit", self.time_limit)
        form.addRow("Solvers", self.solver_list)
        form.addRow("Machines", self.system_list)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        left = QtWidgets.QVBoxLayout()
        left.addLayout(form)
        left.addLayout(buttons)
        left.addWidget(self.progress)
        left.addWidget(self.state)
        left.addStretch(1)
        holder = QtWidgets.QWidget()
        holder.setLayout(left)
        holder.setMaximumWidth(380)
        split = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        split.addWidget(self.plot)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([700, 360])
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(4, 4, 4, 4)
        row.addWidget(holder)
        row.addWidget(split, 1)

    # -- actions -----------------------------------------------------------------------------
    def checked_solvers(self) -> list[str]:
        return [self.solver_list.item(i).text() for i in range(self.solver_list.count())
                if self.solver_list.item(i).checkState() == QtCore.Qt.CheckState.Checked]

    def checked_systems(self) -> list[System]:
        """The machine in the editor and/or the checked presets."""
        from gui.system_editor import load_preset

        chosen: list[System] = []
        for i in range(self.system_list.count()):
            item = self.system_list.item(i)
            if item.checkState() != QtCore.Qt.CheckState.Checked:
                continue
            chosen.append(self.session.system if i == 0 else load_preset(item.text().removeprefix("preset: ")))
        return chosen

    def run(self) -> bool:
        """Start the sweep the widgets describe; False (and an error) when they describe none."""
        try:
            fractions = parse_fractions(self.fractions.text())
            systems = self.checked_systems()
        except RematError as exc:
            self.session.error.emit("Cannot sweep", str(exc))
            return False
        if not systems:
            self.session.error.emit("Cannot sweep", "check at least one machine")
            return False
        options = solvers.SolveOptions(time_limit_s=self.time_limit.value(),
                                       mip_gap=self.session.settings.gap_percent / 100.0)
        return self.sweeps.start(fractions, self.checked_solvers(), systems, options)

    # -- slots -------------------------------------------------------------------------------
    def _on_settings_changed(self) -> None:
        """Before any sweep, follow the solver panel's choice (afterwards the user's checks stay)."""
        if self.sweeps.points or self.sweeps.is_running:
            return
        for i in range(self.solver_list.count()):
            item = self.solver_list.item(i)
            if item.flags() & QtCore.Qt.ItemFlag.ItemIsEnabled:
                on = item.text() == self.session.settings.solver
                item.setCheckState(QtCore.Qt.CheckState.Checked if on else QtCore.Qt.CheckState.Unchecked)
                if on:
                    self.solver_list.scrollToItem(item)

    def _on_started(self, expected: int) -> None:
        self.progress.setRange(0, max(1, expected))
        self.progress.setValue(0)
        self.state.setText("Running…")

    def _on_cleared(self) -> None:
        self.table.setRowCount(0)
        self.plot.set_rows([])
        self.progress.setValue(0)

    def _on_point_added(self, index: int) -> None:
        point = self.sweeps.points[index]
        row = point.row()
        self.table.insertRow(index)
        overhead = "—" if row["overhead"] is None else f"{100 * float(row['overhead']):.2f} %"  # type: ignore[arg-type]
        cells = (str(row["series"]), f"{100 * float(row['fraction']):.1f}",  # type: ignore[arg-type]
                 str(row["status"]), overhead)
        tip = (f"budget {format_bytes(int(row['budget_bytes']))}, solved in {float(row['wall_s']):.2f} s"  # type: ignore[arg-type]
               + (", the smaller budget's schedule was better and is kept" if row["reused_previous"] else "")
               + "\nDouble-click to open its schedule")
        for column, text in enumerate(cells):
            item = QtWidgets.QTableWidgetItem(text)
            item.setToolTip(tip)
            self.table.setItem(index, column, item)
        self.plot.set_rows(self.sweeps.rows())
        self.progress.setMaximum(max(self.progress.maximum(), index + 1))
        self.progress.setValue(index + 1)

    def _on_finished(self, text: str) -> None:
        self.state.setText(f"Sweep {text}. Click a point of the curve to open its schedule.")
        self.table.resizeColumnsToContents()

    def _on_running_changed(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _on_plot_clicked(self, series: str, fraction: float) -> None:
        index = self.sweeps.find_point(series, fraction)
        if index >= 0 and not self.sweeps.open_point(index):
            self.session.status.emit("That point has no schedule to open")
