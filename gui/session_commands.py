"""Undoable edits of the session (QUndoStack commands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtGui

from core.system import System
from core.units import format_bytes

if TYPE_CHECKING:
    from gui.session import Session

#: Command id shared by budget edits, so ``mergeWith`` can fold a slider drag into one step.
BUDGET_COMMAND_ID = 1001


class SetBudgetCommand(QtGui.QUndoCommand):
    def __init__(self, session: Session, memory: str, old: int, new: int, drag: int | None) -> None:
        super().__init__(f"Budget of {memory}: {format_bytes(new)}")
        self._session = session
        self.memory = memory
        self.old = old
        self.new = new
        self.drag = drag

    def id(self) -> int:
        return BUDGET_COMMAND_ID

    def mergeWith(self, other: QtGui.QUndoCommand) -> bool:
        if not (isinstance(other, SetBudgetCommand) and self.drag is not None and other.drag == self.drag
                and other.memory == self.memory):
            return False
        self.new = other.new
        self.setText(f"Budget of {self.memory}: {format_bytes(self.new)}")
        return True

    def redo(self) -> None:
        self._session.apply_budget(self.memory, self.new)

    def undo(self) -> None:
        self._session.apply_budget(self.memory, self.old)


class SetSystemCommand(QtGui.QUndoCommand):
    def __init__(self, session: Session, old: System, old_budgets: dict[str, int], new: System, text: str) -> None:
        super().__init__(text)
        self._session = session
        self._old = old
        self._old_budgets = old_budgets
        self._new = new
        self._new_budgets: dict[str, int] | None = None

    def redo(self) -> None:
        self._session.apply_system(self._new, self._new_budgets)
        self._new_budgets = dict(self._session.budgets)

    def undo(self) -> None:
        self._session.apply_system(self._old, self._old_budgets)
