"""Messages to the user, behind one small interface so tests and scripts never block on a modal box."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6 import QtCore, QtWidgets


class MessageBoxDialogs:
    """Shows a window-modal :class:`QMessageBox` with ``open()``: the event loop keeps running."""

    def __init__(self) -> None:
        self.last: QtWidgets.QMessageBox | None = None

    def error(self, parent: QtWidgets.QWidget | None, title: str, text: str) -> None:
        self._show(parent, QtWidgets.QMessageBox.Icon.Warning, title, text)

    def info(self, parent: QtWidgets.QWidget | None, title: str, text: str) -> None:
        self._show(parent, QtWidgets.QMessageBox.Icon.Information, title, text)

    def _show(self, parent: QtWidgets.QWidget | None, icon: QtWidgets.QMessageBox.Icon, title: str, text: str) -> None:
        box = QtWidgets.QMessageBox(icon, title, text, QtWidgets.QMessageBox.StandardButton.Ok, parent)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        box.destroyed.connect(self._forget)
        self.last = box
        box.open()

    def _forget(self) -> None:
        self.last = None


@dataclass
class RecordingDialogs:
    """Records every message instead of showing it (tests)."""

    messages: list[tuple[str, str, str]] = field(default_factory=list)

    def error(self, parent: object, title: str, text: str) -> None:
        self.messages.append(("error", title, text))

    def info(self, parent: object, title: str, text: str) -> None:
        self.messages.append(("info", title, text))


ABOUT_TEXT = """<h3>Remat Studio</h3>
<p>Plan neural-network training under memory limits on one or several devices: which activations to
keep, recompute, copy or page, and where each operator runs.</p>
<p>Every figure comes from the built-in simulator. Ideas from Checkmate, XEngine and POET.</p>"""
