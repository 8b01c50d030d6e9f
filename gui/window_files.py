"""What the window does with files: models, projects (with recovery), exports and pictures.

Every failure is a dialog that names the file and says what to do; the session is left as it was.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore

from core.errors import RematError
from core.paths import MODELS_DIR
from core.project import SUFFIX as PROJECT_SUFFIX
from gui.autosave import recovery_note
from gui.exports import export_plan, export_schedule, save_scene_picture, save_widget_picture

if TYPE_CHECKING:
    from gui.main_window import MainWindow

log = logging.getLogger(__name__)

MODEL_SUFFIXES = (".onnx", ".json")
MODEL_FILTER = "Models (*.onnx *.json);;All files (*)"
PROJECT_FILTER = f"Remat Studio projects (*{PROJECT_SUFFIX});;All files (*)"
MAX_RECENT = 8


class WindowFiles(QtCore.QObject):
    """File actions of ``window``; questions and messages go through ``window.dialogs``."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.dialogs = window.dialogs
        projects = self.session.projects
        projects.failed.connect(self._on_project_failed)
        projects.model_missing.connect(self._on_model_missing)
        projects.opened.connect(self._on_project_file)
        projects.saved.connect(self._on_project_file)

    # -- models and projects ----------------------------------------------------------------
    def confirm_discard(self, doing: str) -> bool:
        """True when there is no unsaved work, or the user saved or dropped it."""
        if not self.session.dirty or self.session.graph is None:
            return True
        answer = self.dialogs.ask_save(self.window, f"{doing} replaces the work open now, which has unsaved "
                                                    "changes. Save them first?")
        return answer == "discard" or (answer == "save" and self.save_project())

    def open_path(self, path: Path) -> None:
        """A model or a project, by its suffix (menus, recent files, drops)."""
        if path.suffix.lower() == PROJECT_SUFFIX:
            self.open_project(path)
        else:
            self.open_model(path)

    def open_model(self, path: Path, dims: dict[str, int] | None = None) -> None:
        if self.confirm_discard("Opening another model"):
            self.session.open_model(path, dims)

    def open_model_dialog(self) -> None:
        start = str(self.session.model_path.parent) if self.session.model_path else str(MODELS_DIR)
        path = self.dialogs.choose_file(self.window, "Open model", start, MODEL_FILTER)
        if path:
            self.open_model(Path(path))

    def open_project(self, path: Path, *, recovered: bool = False) -> None:
        if recovered or self.confirm_discard("Opening a project"):
            self.session.projects.open(path, recovered=recovered)

    def open_project_dialog(self) -> None:
        start = str(self.session.project_path.parent) if self.session.project_path else ""
        path = self.dialogs.choose_file(self.window, "Open project", start, PROJECT_FILTER)
        if path:
            self.open_project(Path(path))

    def save_project(self) -> bool:
        if self.session.project_path is None:
            return self.save_project_as()
        return self.session.projects.save(self.session.project_path)

    def save_project_as(self) -> bool:
        stem = self.session.model_path.stem if self.session.model_path else "work"
        path = self.dialogs.choose_save_file(self.window, "Save project", f"{stem}{PROJECT_SUFFIX}", PROJECT_FILTER)
        if not path:
            return False
        target = Path(path) if Path(path).suffix else Path(path).with_suffix(PROJECT_SUFFIX)
        return self.session.projects.save(target)

    def offer_recovery(self) -> bool:
        """Ask to reopen the recovery file a crashed session left; True when it is being opened."""
        autosaver = self.window.autosaver
        path = autosaver.pending_recovery() if autosaver else None
        if path is None:
            return False
        if self.dialogs.ask(self.window, "Recover unsaved work?",
                            f"Remat Studio did not close cleanly last time. Recover the work "
                            f"{recovery_note(path)}?\n\n{path}"):
            self.open_project(path, recovered=True)
            return True
        autosaver.discard()
        return False

    def _on_project_failed(self, path: str, message: str) -> None:
        self.dialogs.error(self.window, "Cannot open the project", f"{path}\n\n{message}")
        autosaver = self.window.autosaver
        recovery = autosaver.pending_recovery() if autosaver else None
        if recovery is not None and Path(path).resolve() != recovery.resolve() and self.dialogs.ask(
                self.window, "Open the recovery copy?",
                f"A recovery copy of unsaved work exists ({recovery_note(recovery)}). Open it instead?"):
            self.open_project(recovery, recovered=True)

    def _on_model_missing(self, project: str, model: str) -> None:
        name = Path(model).name
        path = self.dialogs.choose_file(self.window, f"Where is {name} now? (the project's model moved)",
                                        str(Path(project).parent), MODEL_FILTER)
        if path:
            self.session.projects.open(project, path)
        else:
            self.dialogs.error(self.window, "Project not opened",
                               f"{project}\n\nIts model {model} is not there any more; open the project again and "
                               "point to the model file. The work open now stays as it is.")

    # -- recent files ------------------------------------------------------------------------
    def _on_project_file(self, path: str) -> None:
        self.remember(Path(path))
        self.window.update_title()

    def recent_files(self) -> list[str]:
        value = self.window.settings.value("recent", [], type=list)
        return [str(v) for v in value or []]

    def remember(self, path: Path) -> None:
        autosaver = self.window.autosaver
        if autosaver is not None and path.resolve() == autosaver.path.resolve():
            return  # the recovery file is no recent file
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.window.settings.setValue("recent", recent[:MAX_RECENT])
        self.window.refresh_recent()

    # -- exports -----------------------------------------------------------------------------
    def export_dialog(self, kind: str, file_filter: str, suffix: str) -> None:
        stem = self.session.model_path.stem if self.session.model_path else "schedule"
        path = self.dialogs.choose_save_file(self.window, "Export", f"{stem}{suffix}", file_filter)
        if path:
            self.export(kind, path)

    def export(self, kind: str, path: str | Path) -> bool:
        """Export the shown result (``schedule``, ``perfetto``, ``csv``, ``plan``) or a picture of a view
        (``graph``, ``timeline``, ``sweep``)."""
        window, record = self.window, self.session.record
        model = str(self.session.model_path) if self.session.model_path else None
        try:
            if kind == "graph":
                save_scene_picture(window.graph_view.scene, path)
            elif kind in ("timeline", "sweep"):
                widget = window.timeline.plots if kind == "timeline" else window.sweep_panel.plot
                save_widget_picture(widget, widget.scene(), path)
            elif record is None:
                raise RematError("there is no schedule to export: run a solver first")
            elif kind == "plan":
                written = export_plan(path, record, model_path=model)
                window.statusBar().showMessage("Wrote " + ", ".join(str(p) for p in written), 8000)
                return True
            else:
                export_schedule(kind, path, record, model_path=model)
        except (RematError, OSError, ValueError) as exc:
            self.dialogs.error(window, "Export failed", f"{path}\n\n{exc}")
            return False
        window.statusBar().showMessage(f"Exported {path}", 5000)
        return True

    def picture_dialog(self, which: str) -> None:
        path = self.dialogs.choose_save_file(self.window, f"Save {which} picture", f"{which}.png",
                                             "PNG (*.png);;SVG (*.svg)")
        if path:
            self.export(which, path)
