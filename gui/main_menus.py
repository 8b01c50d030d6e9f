"""The menu bar of the main window, with its shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6 import QtGui, QtWidgets

from core.paths import MODELS_DIR
from gui.exports import SCHEDULE_EXPORTS

if TYPE_CHECKING:
    from gui.main_window import MainWindow

Keys = QtGui.QKeySequence.StandardKey


def _action(menu: QtWidgets.QMenu, text: str, slot: Callable[[], object],
            shortcut: QtGui.QKeySequence | Keys | None = None) -> QtGui.QAction:
    action = menu.addAction(text, slot)
    if shortcut is not None:
        action.setShortcut(shortcut)
    return action


def build_menus(window: MainWindow) -> None:
    """File, Edit, Solve, View and Help; sets ``window.recent_menu`` and ``window.export_actions``."""
    bar = window.menuBar()
    _file_menu(window, bar.addMenu("&File"))
    session = window.session
    edit = bar.addMenu("&Edit")
    undo = session.undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcut(Keys.Undo)
    redo = session.undo_stack.createRedoAction(window, "&Redo")
    redo.setShortcut(Keys.Redo)
    edit.addActions([undo, redo])
    edit.addSeparator()
    _action(edit, "&Find node", window.find_node, Keys.Find)
    solve = bar.addMenu("&Solve")
    _action(solve, "&Run", window.solver_panel.run, QtGui.QKeySequence("Ctrl+R"))
    _action(solve, "&Cancel", session.cancel_solve, QtGui.QKeySequence("Ctrl+."))
    solve.addSeparator()
    _action(solve, "Run &sweep", window.run_sweep, QtGui.QKeySequence("Ctrl+Shift+R"))
    _action(solve, "Cancel s&weep", session.sweeps.cancel)
    view = bar.addMenu("&View")
    for dock in window.docks.values():
        view.addAction(dock.toggleViewAction())
    view.addSeparator()
    _action(view, "&Fit graph", window.graph_view.fit, QtGui.QKeySequence("Ctrl+0"))
    _action(view, "Reset &layout", window.reset_layout)
    help_menu = bar.addMenu("&Help")
    _action(help_menu, "&About Remat Studio", window.about)


def _file_menu(window: MainWindow, menu: QtWidgets.QMenu) -> None:
    files = window.files
    _action(menu, "&Open model…", files.open_model_dialog, Keys.Open)
    window.recent_menu = menu.addMenu("Open &Recent")
    samples = menu.addMenu("Open &Sample")
    for path in sorted(MODELS_DIR.glob("*.onnx")):
        samples.addAction(path.name, lambda p=path: files.open_model(p))
    menu.addSeparator()
    _action(menu, "Open &Project…", files.open_project_dialog, QtGui.QKeySequence("Ctrl+Shift+O"))
    _action(menu, "&Save Project", files.save_project, Keys.Save)
    _action(menu, "Save Project &As…", files.save_project_as, Keys.SaveAs)
    menu.addSeparator()
    export = menu.addMenu("&Export")
    window.export_actions = []
    for kind, text, file_filter, suffix in SCHEDULE_EXPORTS:
        action = export.addAction(text, lambda k=kind, f=file_filter, s=suffix: files.export_dialog(k, f, s))
        action.setEnabled(False)
        window.export_actions.append(action)
    window.export_actions[0].setShortcut(QtGui.QKeySequence("Ctrl+E"))
    export.addSeparator()
    export.addAction("Graph picture (PNG/SVG)…", lambda: files.picture_dialog("graph"))
    export.addAction("Timeline picture (PNG/SVG)…", lambda: files.picture_dialog("timeline"))
    export.addAction("Sweep plot picture (PNG/SVG)…", lambda: files.picture_dialog("sweep"))
    menu.addAction("Load system…", window.system_editor.load_dialog)
    menu.addAction("Save system…", window.system_editor.save_dialog)
    menu.addSeparator()
    _action(menu, "&Quit", window.close, Keys.Quit)
