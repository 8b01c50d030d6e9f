"""Links between memories: a table with add and remove (edits go through the session, undoable)."""

from __future__ import annotations

from PySide6 import QtWidgets

from core.errors import RematError
from gui import system_edit
from gui.session import Session


class LinksTable(QtWidgets.QWidget):
    def __init__(self, session: Session, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.table = QtWidgets.QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["From", "To", "GB/s", "Latency (µs)"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setToolTip("Copies and paging move buffers along these links")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.src = QtWidgets.QComboBox()
        self.dst = QtWidgets.QComboBox()
        self.bandwidth = QtWidgets.QDoubleSpinBox(minimum=0.001, maximum=10000, value=16.0, suffix=" GB/s")
        add = QtWidgets.QPushButton("Link both ways")
        add.clicked.connect(self.add_link)
        remove = QtWidgets.QPushButton("Remove selected")
        remove.clicked.connect(self.remove_selected)
        # a narrow column beside the memory cards: pick the pair, then the bandwidth
        pair = QtWidgets.QHBoxLayout()
        pair.addWidget(self.src, 1)
        pair.addWidget(QtWidgets.QLabel("↔"))
        pair.addWidget(self.dst, 1)
        rate = QtWidgets.QHBoxLayout()
        rate.addWidget(self.bandwidth, 1)
        rate.addWidget(add)
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QtWidgets.QLabel("<b>Links between memories</b>"))
        column.addLayout(pair)
        column.addLayout(rate)
        column.addWidget(self.table, 1)
        column.addWidget(remove)
        session.system_changed.connect(self._on_system_changed)
        self._on_system_changed()

    def _on_system_changed(self) -> None:
        system = self.session.system
        names = [m.name for m in system.memories]
        for combo in (self.src, self.dst):
            combo.clear()
            combo.addItems(names)
        if len(names) > 1:
            self.dst.setCurrentIndex(1)
        self.table.setRowCount(len(system.links))
        for r, link in enumerate(system.links):
            for c, text in enumerate((link.src, link.dst, f"{link.bandwidth_bytes_s / 1e9:.4g}",
                                      f"{link.latency_s * 1e6:.3g}")):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def add_link(self) -> None:
        try:
            system = system_edit.add_link(self.session.system, self.src.currentText(), self.dst.currentText(),
                                          self.bandwidth.value() * 1e9)
        except RematError as exc:
            self.session.error.emit("Cannot add link", str(exc))
            return
        self.session.set_system(system, f"Link {self.src.currentText()} ↔ {self.dst.currentText()}")

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        system = self.session.system
        links = [system.links[r] for r in rows if r < len(system.links)]
        for link in links:
            system = system_edit.remove_link(system, link.src, link.dst)
        if links:
            self.session.set_system(system, "Remove links")
