"""The main window: the graph in the middle, docks around it, menus, drag and drop, persisted layout."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from core.project import SUFFIX as PROJECT_SUFFIX
from gui.autosave import Autosaver
from gui.dialogs import ABOUT_TEXT, MessageBoxDialogs
from gui.graph_view import GraphView
from gui.main_menus import build_menus
from gui.properties_panel import PropertiesPanel
from gui.results_view import ResultsView
from gui.session import Session
from gui.solver_panel import SolverPanel
from gui.sweep_panel import SweepPanel
from gui.system_editor import SystemEditor
from gui.timeline_view import TimelineView
from gui.window_files import MODEL_SUFFIXES, WindowFiles

log = logging.getLogger(__name__)

LAYOUT_VERSION = 2
Area = QtCore.Qt.DockWidgetArea


class MainWindow(QtWidgets.QMainWindow):
    def __init__(self, session: Session, *, dialogs: object | None = None,
                 settings: QtCore.QSettings | None = None, autosaver: Autosaver | None = None) -> None:
        super().__init__()
        self.session = session
        self.dialogs = dialogs or MessageBoxDialogs()
        self.settings = settings or QtCore.QSettings("RematStudio", "Remat Studio")
        self.autosaver = autosaver
        self.setWindowTitle("Remat Studio")
        self.setAcceptDrops(True)
        self.setDockOptions(self.dockOptions() | QtWidgets.QMainWindow.DockOption.AllowTabbedDocks)
        self.graph_view = GraphView(session)
        self.setCentralWidget(self.graph_view)
        self.properties = PropertiesPanel(session)
        self.solver_panel = SolverPanel(session)
        self.system_editor = SystemEditor(session)
        self.timeline = TimelineView(session)
        self.sweep_panel = SweepPanel(session)
        self.results_view = ResultsView(session)
        self.files = WindowFiles(self)
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self._add_docks()
        self.model_label = QtWidgets.QLabel("No model")
        self.statusBar().addPermanentWidget(self.model_label)
        self.recent_menu: QtWidgets.QMenu
        self.export_actions: list[QtGui.QAction] = []
        build_menus(self)
        self.refresh_recent()
        self.resize(1500, 950)
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._restore_layout()
        session.error.connect(self._on_error)
        session.status.connect(self._on_status)
        session.model_changed.connect(self._on_model_changed)
        session.result_changed.connect(self._on_result_changed)
        session.solve_running.connect(self._on_solve_running)
        session.dirty_changed.connect(self._on_dirty_changed)
        session.sweeps.started.connect(self._on_sweep_started)

    def _add_docks(self) -> None:
        for key, title, widget, area in (
            ("properties", "Properties", self.properties, Area.RightDockWidgetArea),
            ("solver", "Solver", self.solver_panel, Area.RightDockWidgetArea),
            ("system", "Machine and budgets", self.system_editor, Area.BottomDockWidgetArea),
            ("timeline", "Timeline", self.timeline, Area.BottomDockWidgetArea),
            ("sweep", "Budget sweep", self.sweep_panel, Area.BottomDockWidgetArea),
            ("results", "Results and comparison", self.results_view, Area.BottomDockWidgetArea),
        ):
            dock = QtWidgets.QDockWidget(title, self)
            dock.setObjectName(f"dock_{key}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.docks[key] = dock
        for key in ("timeline", "sweep", "results"):
            self.tabifyDockWidget(self.docks["system"], self.docks[key])
        self.docks["system"].raise_()
        self.resizeDocks([self.docks["properties"], self.docks["solver"]], [330, 470], QtCore.Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["system"]], [400], QtCore.Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["solver"]], [430], QtCore.Qt.Orientation.Horizontal)

    # -- actions used by the menus -----------------------------------------------------------
    def open_model(self, path: Path, dims: dict[str, int] | None = None) -> None:
        self.files.open_model(Path(path), dims)

    def export(self, kind: str, path: str | Path) -> bool:
        return self.files.export(kind, path)

    def recent_files(self) -> list[str]:
        return self.files.recent_files()

    def refresh_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.files.recent_files()
        for entry in recent:
            self.recent_menu.addAction(entry, lambda p=entry: self.files.open_path(Path(p)))
        self.recent_menu.setEnabled(bool(recent))

    def find_node(self) -> None:
        self.graph_view.search.setFocus()
        self.graph_view.search.selectAll()

    def run_sweep(self) -> None:
        self.docks["sweep"].raise_()
        self.sweep_panel.run()

    def about(self) -> None:
        self.dialogs.info(self, "About Remat Studio", ABOUT_TEXT)

    # -- drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if self._dropped_file(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        path = self._dropped_file(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.files.open_path(path)

    @staticmethod
    def _dropped_file(data: QtCore.QMimeData) -> Path | None:
        for url in data.urls():
            if url.isLocalFile() and url.toLocalFile().lower().endswith((*MODEL_SUFFIXES, PROJECT_SUFFIX)):
                return Path(url.toLocalFile())
        return None

    # -- slots -------------------------------------------------------------------------------
    def _on_error(self, title: str, text: str) -> None:
        self.dialogs.error(self, title, text)

    def _on_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _on_dirty_changed(self, _dirty: bool) -> None:
        self.update_title()

    def _on_sweep_started(self, _points: int) -> None:
        self.docks["sweep"].raise_()

    def update_title(self) -> None:
        session = self.session
        name = session.project_path.name if session.project_path else (
            session.model_path.name if session.model_path else "")
        mark = " *" if session.dirty else ""
        self.setWindowTitle(f"Remat Studio — {name}{mark}" if name else "Remat Studio")

    def _on_model_changed(self) -> None:
        session = self.session
        if session.model_path is not None and session.project_path is None:
            self.files.remember(session.model_path)
        self.update_title()
        graph = session.graph
        if graph is not None:
            smallest, peak = session.memory_marks()
            self.model_label.setText(f"{graph.name}: {len(graph.nodes)} nodes · on one device: no-remat peak "
                                     f"{peak / 2**20:.0f} MiB, smallest feasible {smallest / 2**20:.0f} MiB")

    def _on_result_changed(self) -> None:
        has = self.session.record is not None
        for action in self.export_actions:
            action.setEnabled(has)
        if has:
            self.docks["timeline"].raise_()

    def _on_solve_running(self, running: bool) -> None:
        if running:
            self.docks["solver"].raise_()

    # -- layout persistence and closing ------------------------------------------------------
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
        if not self.files.confirm_discard("Quitting"):
            event.ignore()
            return
        if self.autosaver is not None:
            self.autosaver.stop()
            self.autosaver.discard()  # a clean exit leaves nothing to recover
        self.save_layout()
        self.session.shutdown()
        super().closeEvent(event)
