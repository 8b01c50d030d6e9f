"""The main window: the graph in the middle, docks around it, menus, drag and drop, persisted layout."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from core.errors import RematError
from core.paths import MODELS_DIR
from gui.dialogs import ABOUT_TEXT, MessageBoxDialogs
from gui.exports import SCHEDULE_EXPORTS, export_schedule, save_scene_picture, save_widget_picture
from gui.graph_view import GraphView
from gui.properties_panel import PropertiesPanel
from gui.session import Session
from gui.solver_panel import SolverPanel
from gui.system_editor import SystemEditor
from gui.timeline_view import TimelineView

log = logging.getLogger(__name__)

MODEL_SUFFIXES = (".onnx", ".json")
MAX_RECENT = 8
LAYOUT_VERSION = 1


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, session: Session, *, dialogs: object | None = None,
                 settings: QtCore.QSettings | None = None) -> None:
        super().__init__()
        self.session = session
        self.dialogs = dialogs or MessageBoxDialogs()
        self.settings = settings or QtCore.QSettings("RematStudio", "Remat Studio")
        self.setWindowTitle("Remat Studio")
        self.setAcceptDrops(True)
        self.graph_view = GraphView(session)
        self.setCentralWidget(self.graph_view)
        self.properties = PropertiesPanel(session)
        self.solver_panel = SolverPanel(session)
        self.system_editor = SystemEditor(session)
        self.timeline = TimelineView(session)
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self._add_dock("properties", "Properties", self.properties, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("solver", "Solver", self.solver_panel, QtCore.Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("timeline", "Timeline", self.timeline, QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
        self._add_dock("system", "Machine and budgets", self.system_editor,
                       QtCore.Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["timeline"], self.docks["system"])
        self.docks["system"].raise_()
        self.model_label = QtWidgets.QLabel("No model")
        self.statusBar().addPermanentWidget(self.model_label)
        self._build_menus()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self.resize(1500, 950)
        self._restore_layout()
        session.error.connect(self._on_error)
        session.status.connect(self._on_status)
        session.model_changed.connect(self._on_model_changed)
        session.result_changed.connect(self._on_result_changed)
        session.solve_running.connect(self._on_solve_running)

    def _add_dock(self, key: str, title: str, widget: QtWidgets.QWidget, area: QtCore.Qt.DockWidgetArea) -> None:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock

    # -- menus -------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&Open model…", self.open_dialog, QtGui.QKeySequence.StandardKey.Open)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        samples = file_menu.addMenu("Open &Sample")
        for path in sorted(MODELS_DIR.glob("*.onnx")):
            samples.addAction(path.name, lambda p=path: self.open_model(p))
        file_menu.addSeparator()
        export = file_menu.addMenu("&Export")
        self.export_actions = []
        for kind, text, file_filter, suffix in SCHEDULE_EXPORTS:
            action = export.addAction(text, lambda k=kind, f=file_filter, s=suffix: self.export_dialog(k, f, s))
            action.setEnabled(False)
            self.export_actions.append(action)
        self.export_actions[0].setShortcut(QtGui.QKeySequence.StandardKey.Save)
        export.addSeparator()
        export.addAction("Graph picture (PNG/SVG)…", lambda: self.picture_dialog("graph"))
        export.addAction("Timeline picture (PNG/SVG)…", lambda: self.picture_dialog("timeline"))
        file_menu.addAction("Load system…", self.system_editor.load_dialog)
        file_menu.addAction("Save system…", self.system_editor.save_dialog)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QtGui.QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        undo = self.session.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QtGui.QKeySequence.StandardKey.Undo)
        redo = self.session.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcut(QtGui.QKeySequence.StandardKey.Redo)
        edit.addActions([undo, redo])
        self._action(edit, "&Find node", self.graph_view.search.setFocus, QtGui.QKeySequence.StandardKey.Find)
        solve = bar.addMenu("&Solve")
        self._action(solve, "&Run", self.solver_panel.run, QtGui.QKeySequence("Ctrl+R"))
        self._action(solve, "&Cancel", self.session.cancel_solve, QtGui.QKeySequence("Ctrl+."))
        view = bar.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction("Fit graph", self.graph_view.fit)
        view.addAction("Reset layout", self.reset_layout)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&About Remat Studio", self.about)
        self._refresh_recent()

    def _action(self, menu: QtWidgets.QMenu, text: str, slot: object, shortcut: object) -> QtGui.QAction:
        action = menu.addAction(text, slot)
        action.setShortcut(shortcut)
        return action

    # -- opening -----------------------------------------------------------------------------
    def open_dialog(self) -> None:
        start = str(self.session.model_path.parent) if self.session.model_path else str(MODELS_DIR)
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open model", start,
                                                        "Models (*.onnx *.json);;All files (*)")
        if path:
            self.open_model(Path(path))

    def open_model(self, path: Path, dims: dict[str, int] | None = None) -> None:
        self.session.open_model(path, dims)

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent", [], type=list)
        return [str(v) for v in value or []]

    def _remember(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.recent_files()
        for entry in recent:
            self.recent_menu.addAction(entry, lambda p=entry: self.open_model(Path(p)))
        self.recent_menu.setEnabled(bool(recent))

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if self._dropped_model(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        path = self._dropped_model(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.open_model(path)

    @staticmethod
    def _dropped_model(data: QtCore.QMimeData) -> Path | None:
        for url in data.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith(MODEL_SUFFIXES):
                return Path(url.toLocalFile())
        return None

    # -- exports -----------------------------------------------------------------------------
    def export_dialog(self, kind: str, file_filter: str, suffix: str) -> None:
        stem = self.session.model_path.stem if self.session.model_path else "schedule"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export", f"{stem}{suffix}", file_filter)
        if path:
            self.export(kind, path)

    def export(self, kind: str, path: str | Path) -> bool:
        """Export the last result (``schedule``, ``perfetto``, ``csv``) or a picture (``graph``, ``timeline``)."""
        try:
            if kind == "graph":
                save_scene_picture(self.graph_view.scene, path)
            elif kind == "timeline":
                save_widget_picture(self.timeline.plots, self.timeline.export_scene(), path)
            elif self.session.record is None:
                raise RematError("there is no schedule to export: run a solver first")
            else:
                export_schedule(kind, path, self.session.record,
                                model_path=str(self.session.model_path) if self.session.model_path else None)
        except (RematError, OSError, ValueError) as exc:
            self.dialogs.error(self, "Export failed", f"{path}\n\n{exc}")
            return False
        self.statusBar().showMessage(f"Exported {path}", 5000)
        return True

    def picture_dialog(self, which: str) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Save {which} picture", f"{which}.png",
                                                        "PNG (*.png);;SVG (*.svg)")
        if path:
            self.export(which, path)

    # -- slots -------------------------------------------------------------------------------
    def _on_error(self, title: str, text: str) -> None:
        self.dialogs.error(self, title, text)

    def _on_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _on_model_changed(self) -> None:
        session = self.session
        if session.model_path is not None:
            self._remember(session.model_path)
            self.setWindowTitle(f"Remat Studio — {session.model_path.name}")
        graph = session.graph
        if graph is not None:
            smallest, peak = session.memory_marks()
            self.model_label.setText(f"{graph.name}: {len(graph.nodes)} nodes · no-remat peak "
                                     f"{peak / 2**20:.0f} MiB · min {smallest / 2**20:.0f} MiB")

    def _on_result_changed(self) -> None:
        has = self.session.record is not None
        for action in self.export_actions:
            action.setEnabled(has)
        if has:
            self.docks["timeline"].raise_()

    def _on_solve_running(self, running: bool) -> None:
        if running:
            self.docks["solver"].raise_()

    def about(self) -> None:
        self.dialogs.info(self, "About Remat Studio", ABOUT_TEXT)

    # -- layout persistence ------------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self.settings.value("window/geometry", QtCore.QByteArray(), type=QtCore.QByteArray)
        state = self.settings.value("window/state", QtCore.QByteArray(), type=QtCore.QByteArray)
        if geometry and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        if state and not state.isEmpty():
            self.restoreState(state, LAYOUT_VERSION)

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state, LAYOUT_VERSION)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.save_layout()
        self.session.shutdown()
        super().closeEvent(event)
