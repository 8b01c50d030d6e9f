"""Messages and questions to the user, behind one small interface so tests and scripts never block.

Messages are window-modal boxes opened with ``open()`` (the event loop keeps running). Questions
need an answer before the caller goes on, so they run a modal box: Qt serves events meanwhile.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from PySide6 import QtCore, QtWidgets

Button = QtWidgets.QMessageBox.StandardButton


class MessageBoxDialogs:
    """The real thing: QMessageBox and QFileDialog."""

    def __init__(self) -> None:
        self.last: QtWidgets.QMessageBox | None = None

    def error(self, parent: QtWidgets.QWidget | None, title: str, text: str) -> None:
        self._show(parent, QtWidgets.QMessageBox.Icon.Warning, title, text)

    def info(self, parent: QtWidgets.QWidget | None, title: str, text: str) -> None:
        self._show(parent, QtWidgets.QMessageBox.Icon.Information, title, text)

    def ask(self, parent: QtWidgets.QWidget | None, title: str, text: str) -> bool:
        """A yes/no question; True for yes."""
        answer = QtWidgets.QMessageBox.question(parent, title, text, Button.Yes | Button.No, Button.Yes)
        return answer == Button.Yes

    def ask_save(self, parent: QtWidgets.QWidget | None, text: str) -> str:
        """``"save"``, ``"discard"`` or ``"cancel"``: what to do with unsaved work."""
        answer = QtWidgets.QMessageBox.question(parent, "Unsaved work", text,
                                                Button.Save | Button.Discard | Button.Cancel, Button.Save)
        return {Button.Save: "save", Button.Discard: "discard"}.get(answer, "cancel")

    def choose_file(self, parent: QtWidgets.QWidget | None, title: str, start: str, file_filter: str) -> str | None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(parent, title, start, file_filter)
        return path or None

    def choose_save_file(self, parent: QtWidgets.QWidget | None, title: str, start: str,
                         file_filter: str) -> str | None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(parent, title, start, file_filter)
        return path or None

    def _show(self, parent: QtWidgets.QWidget | None, icon: QtWidgets.QMessageBox.Icon, title: str, text: str) -> None:
        box = QtWidgets.QMessageBox(icon, title, text, Button.Ok, parent)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        box.destroyed.connect(self._forget)
        self.last = box
        box.open()

    def _forget(self) -> None:
        self.last = None


@dataclass
class RecordingDialogs:
    """Records every message and answers questions from queues (tests and scripts).

    ``answers`` holds yes/no answers, ``files`` chosen paths (None: the user cancelled) and
    ``save_answers`` what to do with unsaved work; an empty queue answers no / cancel / discard.
    """

    messages: list[tuple[str, str, str]] = field(default_factory=list)
    answers: deque[bool] = field(default_factory=deque)
    files: deque[str | None] = field(default_factory=deque)
    save_answers: deque[str] = field(default_factory=deque)

    def __post_init__(self) -> None:
        self.answers, self.files, self.save_answers = deque(self.answers), deque(self.files), deque(self.save_answers)

    def error(self, parent: object, title: str, text: str) -> None:
        self.messages.append(("error", title, text))

    def info(self, parent: object, title: str, text: str) -> None:
        self.messages.append(("info", title, text))

    def ask(self, parent: object, title: str, text: str) -> bool:
        self.messages.append(("ask", title, text))
        return self.answers.popleft() if self.answers else False

    def ask_save(self, parent: object, text: str) -> str:
        self.messages.append(("ask_save", "Unsaved work", text))
        return self.save_answers.popleft() if self.save_answers else "discard"

    def choose_file(self, parent: object, title: str, start: str, file_filter: str) -> str | None:
        self.messages.append(("choose_file", title, start))
        return self.files.popleft() if self.files else None

    def choose_save_file(self, parent: object, title: str, start: str, file_filter: str) -> str | None:
        self.messages.append(("choose_save_file", title, start))
        return self.files.popleft() if self.files else None


ABOUT_TEXT = """<h3>Remat Studio</h3>
<p>Plan neural-network training under memory limits on one or several devices: which activations to
keep, recompute, copy or page, and where each operator runs.</p>
<p>Every figure comes from the built-in simulator. Ideas from Checkmate, XEngine and POET.</p>
<p>Open a model (File ▸ Open or drop a file on the window), describe the machine and its budgets,
press Run (Ctrl+R), then read placement, checkpoints and recomputation off the timeline.</p>"""
