"""A memory budget: a slider whose range follows the model, labelled marks under it, and a typed value.

The slider spans 0 to 1.25 x the no-recomputation peak (or the memory's capacity when that is
smaller), so the interesting region is the whole slider even on a 64 GiB memory; a typed value may
be anything positive (the slider then rests at its end).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from PySide6 import QtCore, QtGui, QtWidgets

from core.errors import RematError
from core.units import format_bytes, parse_size

STEPS = 1000
#: The slider reaches this multiple of the no-recomputation peak (unless the capacity is smaller).
RANGE_OVER_PEAK = 1.25
_DRAG_IDS = itertools.count(1)
TYPED_HINT = "Type a size with a unit: 512MiB, 6GiB, 3.5GB"


def slider_maximum(capacity: int, smallest: int, peak: int) -> int:
    """Top of the slider: 1.25 x the larger model figure, never above the capacity."""
    figure = max(peak, smallest)
    if figure <= 0:
        return max(1, capacity)
    return max(1, min(capacity, round(RANGE_OVER_PEAK * figure)))


@dataclass(frozen=True)
class Mark:
    value: int
    label: str
    colour: str


class MarksBar(QtWidgets.QWidget):
    """Ticks and labels under a slider, aligned with its groove; labels that would touch go a row down."""

    ROWS = 2

    def __init__(self, slider: QtWidgets.QSlider, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._slider = slider
        self.maximum = 1
        self.marks: list[Mark] = []
        line = self.fontMetrics().height()
        self.setFixedHeight(10 + self.ROWS * line)

    def set_marks(self, maximum: int, marks: list[Mark]) -> None:
        self.maximum = max(1, maximum)
        self.marks = [m for m in marks if 0 < m.value <= self.maximum]
        self.update()

    def x_of(self, value: int) -> float:
        """Pixel column of ``value`` in this widget, matching the slider handle's centre."""
        option = QtWidgets.QStyleOptionSlider()
        self._slider.initStyleOption(option)
        style = self._slider.style()
        groove = style.subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, option,
                                      QtWidgets.QStyle.SubControl.SC_SliderGroove, self._slider)
        handle = style.subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, option,
                                      QtWidgets.QStyle.SubControl.SC_SliderHandle, self._slider)
        span = max(1, groove.width() - handle.width())
        position = round(min(1.0, value / self.maximum) * STEPS)
        pixel = QtWidgets.QStyle.sliderPositionFromValue(0, STEPS, position, span)
        return self._slider.x() - self.x() + groove.x() + handle.width() / 2 + pixel

    def label_rects(self) -> list[tuple[Mark, QtCore.QRectF]]:
        """Where each label goes: centred on its tick, clamped inside, pushed down a row on overlap."""
        metrics = self.fontMetrics()
        line = metrics.height()
        placed: list[tuple[Mark, QtCore.QRectF]] = []
        for mark in sorted(self.marks, key=lambda m: m.value):
            width = metrics.horizontalAdvance(mark.label) + 4
            left = min(max(0.0, self.x_of(mark.value) - width / 2), self.width() - width)
            for row in range(self.ROWS):
                rect = QtCore.QRectF(left, 5 + row * line, width, line)
                if not any(rect.intersects(other) for _m, other in placed):
                    break
            placed.append((mark, rect))
        return placed

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        for mark, rect in self.label_rects():
            colour = QtGui.QColor(mark.colour)
            x = self.x_of(mark.value)
            painter.setPen(QtGui.QPen(colour, 2))
            painter.drawLine(QtCore.QPointF(x, 0), QtCore.QPointF(x, rect.top()))
            painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignCenter, mark.label)
        painter.end()


class BudgetEditor(QtWidgets.QWidget):
    """Emits ``budget_edited(bytes, drag_id)``: one drag id per slider drag, None for typed values."""

    budget_edited = QtCore.Signal(object, object)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.maximum = 1
        self.capacity = 0
        self.value_bytes = 0
        self._drag: int | None = None
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        self.slider.setRange(0, STEPS)
        self.marks = MarksBar(self.slider, self)
        self.edit = QtWidgets.QLineEdit()
        self.edit.setPlaceholderText("e.g. 6GiB")
        self.edit.setFixedWidth(100)
        self.edit.setToolTip(TYPED_HINT)
        self.hint = QtWidgets.QLabel("")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #444444")
        self.slider.sliderPressed.connect(self._on_pressed)
        self.slider.sliderReleased.connect(self._on_released)
        self.slider.valueChanged.connect(self._on_slider)
        self.edit.editingFinished.connect(self._on_typed)
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(0)
        grid.addWidget(self.slider, 0, 0)
        grid.addWidget(self.edit, 0, 1)
        grid.addWidget(self.marks, 1, 0)
        grid.addWidget(self.hint, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)

    def set_range(self, capacity: int, smallest: int, peak: int) -> None:
        """Fit the slider to the model (see :func:`slider_maximum`) and mark its two figures."""
        self.capacity = int(capacity)
        self.maximum = slider_maximum(self.capacity, smallest, peak)
        marks = []
        if smallest:
            marks.append(Mark(smallest, f"smallest feasible {_short(smallest)}", "#D55E00"))
        if peak:
            marks.append(Mark(peak, f"no-remat peak {_short(peak)}", "#0072B2"))
        self.marks.set_marks(self.maximum, marks)
        self.slider.setToolTip(f"0 to {format_bytes(self.maximum)}; type a value for more")
        self._update_hint()

    def set_value(self, size_bytes: int) -> None:
        self.value_bytes = int(size_bytes)
        self.slider.blockSignals(True)
        self.slider.setValue(round(min(1.0, size_bytes / self.maximum) * STEPS))
        self.slider.blockSignals(False)
        if not self.edit.hasFocus():
            self.edit.setText(_compact(size_bytes))
        self.edit.setStyleSheet("")
        self.edit.setToolTip(TYPED_HINT)
        self._update_hint()

    def _update_hint(self) -> None:
        parts = [f"slider 0 – {_short(self.maximum)}", f"capacity {_short(self.capacity)}"]
        if self.value_bytes > self.maximum:
            parts.insert(0, "budget above the slider's range")
        if self.capacity and self.value_bytes > self.capacity:
            parts.insert(0, "<span style='color:#D55E00'>over the capacity</span>")
        self.hint.setText(" · ".join(parts))

    def _on_pressed(self) -> None:
        self._drag = next(_DRAG_IDS)

    def _on_released(self) -> None:
        self._drag = None

    def _on_slider(self, value: int) -> None:
        size = max(1, round(value / STEPS * self.maximum))
        self.budget_edited.emit(size, self._drag if self._drag is not None else next(_DRAG_IDS))

    def _on_typed(self) -> None:
        text = self.edit.text().strip()
        if not text or text == _compact(self.value_bytes):
            return
        try:
            size = parse_size(text, what="budget")
        except RematError as exc:
            self.edit.setStyleSheet("border: 2px solid #D62728")
            self.edit.setToolTip(str(exc))
            return
        self.edit.setToolTip(TYPED_HINT)
        self.budget_edited.emit(size, None)


def _short(size_bytes: int) -> str:
    """``401.56 MiB`` -> ``402 MiB`` (marks and hints need no more digits)."""
    number, unit = format_bytes(size_bytes).split()
    value = float(number)
    return f"{value:.0f} {unit}" if value >= 100 else f"{value:.3g} {unit}"


def _compact(size_bytes: int) -> str:
    return format_bytes(size_bytes).replace(" ", "")
