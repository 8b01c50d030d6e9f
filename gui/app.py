"""Start the window: ``run_app(model_path, dims)`` (what ``main.py`` with no command does)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6 import QtGui, QtWidgets

from core.paths import DEFAULT_SAMPLE_MODEL
from gui.gc_guard import GuiThreadCollector

log = logging.getLogger(__name__)


def default_model() -> Path | None:
    """The bundled sample, when it is installed."""
    return DEFAULT_SAMPLE_MODEL if DEFAULT_SAMPLE_MODEL.exists() else None


def create_window(model_path: Path | None = None, dims: dict[str, int] | None = None, *,
                  recovery_path: Path | None = None, offer_recovery: bool = True, **window_args: object):  # type: ignore[no-untyped-def]
    """Build the session, its autosave and the main window; then recover a crashed session's work
    (if the user wants it) or open ``model_path`` (default: the bundled sample, or a project file)."""
    from core.project import SUFFIX
    from gui.autosave import Autosaver
    from gui.main_window import MainWindow
    from gui.session import Session

    session = Session()
    autosaver = Autosaver(session, recovery_path)
    window = MainWindow(session, autosaver=autosaver, **window_args)  # type: ignore[arg-type]
    if offer_recovery and window.files.offer_recovery():
        return session, window
    path = Path(model_path) if model_path is not None else default_model()
    if path is not None and path.suffix.lower() == SUFFIX:
        window.files.open_project(path)
    elif path is not None:
        session.open_model(path, dims)
    return session, window


def run_app(model_path: Path | str | None = None, dims: dict[str, int] | None = None) -> int:
    """Open the window on ``model_path`` (the bundled sample when None) and run until it closes."""
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName("Remat Studio")
    app.setOrganizationName("RematStudio")
    app.setWindowIcon(QtGui.QIcon.fromTheme("applications-science"))
    collector = GuiThreadCollector(app).start()  # Qt garbage must never be destroyed in a worker thread
    _session, window = create_window(Path(model_path) if model_path else None, dims)
    window.show()
    try:
        return int(app.exec())
    finally:
        collector.stop()
