"""The results list of the session: every finished solve and opened sweep point, one of them shown.

A plain mixin of :class:`gui.session.Session` (which declares the signals it emits), kept apart so
each file stays about one thing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gui.session_types import SolveRecord

if TYPE_CHECKING:
    from PySide6 import QtCore


class ResultsMixin:
    """``results`` (a list of :class:`SolveRecord`) and ``record`` (the one shown)."""

    results: list[SolveRecord]
    record: SolveRecord | None
    results_changed: QtCore.SignalInstance
    result_changed: QtCore.SignalInstance

    def mark_dirty(self, dirty: bool = True) -> None:  # provided by the session
        raise NotImplementedError

    def add_result(self, record: SolveRecord, *, show: bool = True) -> None:
        """Append ``record`` to the results (and show it)."""
        self.results.append(record)
        self.results_changed.emit()
        self.mark_dirty()
        if show:
            self.show_result(len(self.results) - 1)

    def show_result(self, index: int) -> None:
        """Show result ``index`` in the timeline, the graph colours and the summary."""
        record = self.results[index] if 0 <= index < len(self.results) else None
        if record is not self.record:
            self.record = record
            self.result_changed.emit()

    def remove_result(self, index: int) -> None:
        if 0 <= index < len(self.results):
            removed = self.results.pop(index)
            self.results_changed.emit()
            self.mark_dirty()
            if removed is self.record:
                self.show_result(len(self.results) - 1)

    def set_results(self, records: list[SolveRecord], shown: int = -1) -> None:
        """Replace every result (a project file does this)."""
        self.results = list(records)
        self.record = None
        self.results_changed.emit()
        self.show_result(shown if shown >= 0 else len(self.results) - 1)
        if self.record is None:
            self.result_changed.emit()
