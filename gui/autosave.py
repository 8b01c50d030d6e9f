"""Autosave to a recovery file, and finding that file again after a crash.

While the work has unsaved changes, the session is written every ``interval_s`` to one recovery
project file (atomically, like any project). A clean exit or an explicit save removes it; finding it
at start-up therefore means the last session ended without closing: the window offers to recover it.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path

from PySide6 import QtCore

from gui.session import Session

log = logging.getLogger(__name__)

RECOVERY_NAME = "recovery.rsproj"
INTERVAL_S = 30.0


def default_recovery_path() -> Path:
    """Where the recovery file lives: the per-user application data folder."""
    folder = QtCore.QStandardPaths.writableLocation(QtCore.QStandardPaths.StandardLocation.AppDataLocation)
    return Path(folder or Path.home() / ".remat-studio") / RECOVERY_NAME


def recovery_note(path: Path) -> str:
    """'autosaved 2025-01-31 14:02' for the recovery question."""
    stamp = datetime.datetime.fromtimestamp(path.stat().st_mtime)
    return f"autosaved {stamp:%Y-%m-%d %H:%M}"


class Autosaver(QtCore.QObject):
    """Writes ``session`` to ``path`` every ``interval_s`` while it has unsaved changes."""

    saved = QtCore.Signal(str)

    def __init__(self, session: Session, path: Path | None = None, interval_s: float = INTERVAL_S) -> None:
        super().__init__(session)
        self.session = session
        self.path = Path(path) if path is not None else default_recovery_path()
        self._saved_revision = -1
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(max(1, int(interval_s * 1000)))
        self.timer.timeout.connect(self.save_now)
        self.timer.start()
        session.projects.saved.connect(self._on_saved)

    def pending_recovery(self) -> Path | None:
        """The recovery file a previous session left behind, if any."""
        return self.path if self.path.is_file() else None

    def save_now(self) -> bool:
        """Write the recovery file if anything changed since the last write (and the work is unsaved)."""
        session = self.session
        if not session.dirty or session.graph is None or session.revision == self._saved_revision:
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("cannot create the recovery folder %s: %s", self.path.parent, exc)
            return False
        if not session.projects.save(self.path, as_copy=True):
            log.warning("autosave to %s failed", self.path)
            return False
        self._saved_revision = session.revision
        self.saved.emit(str(self.path))
        return True

    def _on_saved(self, _path: str) -> None:
        self.discard()  # an explicit save holds everything the recovery file did

    def discard(self) -> None:
        """Remove the recovery file (after a save or a clean exit)."""
        self._saved_revision = self.session.revision
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot remove the recovery file %s: %s", self.path, exc)

    def stop(self) -> None:
        self.timer.stop()
