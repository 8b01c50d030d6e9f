"""A memory budget: a slider with marks (smallest feasible budget, no-recomputation peak) and a typed value."""

from __future__ import annotations

import itertools

from PySide6 import QtCore, QtGui, QtWidgets

from core.errors import RematError
from core.units import format_bytes, parse_size

STEPS = 1000
_DRAG_IDS = itertools.count(1)


class MarkedSlider(QtWidgets.QSlider):
    """A horizontal slider that draws labelled marks under its groove."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(QtCore.Qt.Orientation.Horizontal, parent)
        self.setRange(0, STEPS)
        self.marks: list[tuple[float, str, str]] = []  # (fraction 0..1, label, colour)
        self.setMinimumHeight(38)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.marks:
            return
        painter = QtGui.QPainter(self)
        metrics = painter.fontMetrics()
        handle = 10
        span = self.width() - 2 * handle
        for fraction, label, colour in self.marks:
            if not 0 <= fraction <= 1:
                continue
            x = int(handle + fraction * span)
            painter.setPen(QtGui.QPen(QtGui.QColor(colour), 2))
            painter.drawLine(x, self.height() - 14, x, self.height() - 4)
            width = metrics.horizontalAdvance(label)
            tx = min(max(0, x - width // 2), self.width() - width)
            painter.drawText(tx, self.height() - 16, label)
        painter.end()


class BudgetEditor(QtWidgets.QWidget):
    """Emits ``budget_edited(bytes, drag_id)``: one drag id per slider drag, None for typed values."""

    budget_edited = QtCore.Signal(object, object)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.maximum = 1
        self.value_bytes = 0
        self._drag: int | None = None
        self.slider = MarkedSlider()
        self.edit = QtWidgets.QLineEdit()
        self.edit.setPlaceholderText("e.g. 6GiB")
        self.edit.setMaximumWidth(110)
        self.edit.setToolTip("Type a size with a unit: 512MiB, 6GiB, 3.5GB")
        self.hint = QtWidgets.QLabel("")
        self.hint.setStyleSheet("color: #555555")
        self.slider.sliderPressed.connect(self._on_pressed)
        self.slider.sliderReleased.connect(self._on_released)
        self.slider.valueChanged.connect(self._on_slider)
        self.edit.editingFinished.connect(self._on_typed)
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.edit)
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(self.hint)

    def set_range(self, maximum: int, smallest: int, peak: int) -> None:
        self.maximum = max(1, int(maximum))
        marks = []
        if smallest:
            marks.append((smallest / self.maximum, "min", "#D55E00"))
        if peak:
            marks.append((peak / self.maximum, "no-remat peak", "#0072B2"))
        self.slider.marks = marks
        self.hint.setText(f"smallest feasible {format_bytes(smallest)} · no recomputation {format_bytes(peak)}"
                          if peak else "")
        self.slider.update()

    def set_value(self, size_bytes: int) -> None:
        self.value_bytes = int(size_bytes)
        self.slider.blockSignals(True)
        self.slider.setValue(round(min(1.0, size_bytes / self.maximum) * STEPS))
        self.slider.blockSignals(False)
        if not self.edit.hasFocus():
            self.edit.setText(format_bytes(size_bytes).replace(" ", ""))
        self.edit.setStyleSheet("")

    def _on_pressed(self) -> None:
        self._drag = next(_DRAG_IDS)

    def _on_released(self) -> None:
        self._drag = None

    def _on_slider(self, value: int) -> None:
        size = max(1, round(value / STEPS * self.maximum))
        self.budget_edited.emit(size, self._drag if self._drag is not None else next(_DRAG_IDS))

    def _on_typed(self) -> None:
        text = self.edit.text().strip()
        if not text or text == format_bytes(self.value_bytes).replace(" ", ""):
            return
        try:
            size = parse_size(text, what="budget")
        except RematError as exc:
            self.edit.setStyleSheet("border: 2px solid #D62728")
            self.edit.setToolTip(str(exc))
            return
        self.edit.setToolTip("Type a size with a unit: 512MiB, 6GiB, 3.5GB")
        self.budget_edited.emit(size, None)
