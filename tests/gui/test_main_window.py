"""The main window: layout persistence, recent files, drag and drop, exports read back, error dialogs."""

from __future__ import annotations

import csv
import json

from PySide6 import QtCore, QtGui

from core.export import read_schedule_json
from core.simulate import simulate
from gui.main_window import MainWindow


def test_dock_layout_and_recent_files_persist(qtbot, window, tmp_path):
    window.docks["properties"].hide()
    window.close()
    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    again = MainWindow(window.session, dialogs=window.dialogs, settings=settings)
    qtbot.addWidget(again)
    again.show()
    assert not again.docks["properties"].isVisible()
    assert again.recent_files() == [str(tmp_path / "model.json")]
    assert [a.text() for a in again.recent_menu.actions()] == [str(tmp_path / "model.json")]


def test_dropping_a_model_file_opens_it(qtbot, window, tmp_path):
    data = QtCore.QMimeData()
    data.setUrls([QtCore.QUrl.fromLocalFile(str(tmp_path / "dropped.json"))])
    event = QtGui.QDropEvent(QtCore.QPointF(10, 10), QtCore.Qt.DropAction.CopyAction, data,
                             QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.session.model_changed, timeout=10_000):
        window.dropEvent(event)
    assert window.session.model_path.name == "dropped.json"


def test_corrupt_model_shows_a_dialog_and_keeps_the_graph(qtbot, window, tmp_path):
    boxes = len(window.graph_view.items)
    with qtbot.waitSignal(window.session.error, timeout=10_000):
        window.open_model(tmp_path / "corrupt.onnx")
    kind, title, text = window.dialogs.messages[-1]
    assert (kind, title) == ("error", "Cannot open model") and "corrupt.onnx" in text
    assert len(window.graph_view.items) == boxes and window.session.model_path.name == "model.json"


def test_export_without_a_schedule_explains_what_to_do(window, tmp_path):
    assert not window.export("csv", tmp_path / "x.csv")
    assert "run a solver first" in window.dialogs.messages[-1][2]


def test_exports_of_a_solve_read_back(solved_window, tmp_path):
    window = solved_window
    record = window.session.record
    paths = {kind: tmp_path / name for kind, name in (
        ("schedule", "s.json"), ("perfetto", "t.json"), ("csv", "s.csv"))}
    for kind, path in paths.items():
        assert window.export(kind, path), window.dialogs.messages
    problem, schedule, meta = read_schedule_json(paths["schedule"])
    assert schedule == record.result.schedule and meta["solver"] == record.result.solver
    assert simulate(problem, schedule).serial_time_s == record.result.trace.serial_time_s
    events = json.loads(paths["perfetto"].read_text())["traceEvents"]
    assert sum(e.get("ph") == "X" for e in events) == window.timeline.bar_count
    with paths["csv"].open() as fh:
        assert len(list(csv.DictReader(fh))) == len(record.result.schedule.steps)
    for which in ("graph", "timeline"):
        png, svg = tmp_path / f"{which}.png", tmp_path / f"{which}.svg"
        assert window.export(which, png) and window.export(which, svg)
        assert QtGui.QImage(str(png)).width() > 100
        assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()


def test_about_box_does_not_block(window):
    window.about()
    assert window.dialogs.messages[-1][1] == "About Remat Studio"


def _menu_actions(window):
    found = {}
    for menu_action in window.menuBar().actions():
        stack = [menu_action.menu()]
        while stack:
            menu = stack.pop()
            for action in menu.actions():
                if action.menu():
                    stack.append(action.menu())
                elif action.text():
                    found[action.text().replace("&", "")] = action
    return found


def test_menus_carry_the_standard_shortcuts(window):
    actions = _menu_actions(window)
    keys = QtGui.QKeySequence
    for text, shortcut in (("Open model…", keys.StandardKey.Open), ("Save Project", keys.StandardKey.Save),
                           ("Save Project As…", keys.StandardKey.SaveAs), ("Quit", keys.StandardKey.Quit),
                           ("Find node", keys.StandardKey.Find)):
        assert actions[text].shortcut() == keys(shortcut), text
    assert actions["Run"].shortcut() == keys("Ctrl+R")
    for text in ("Open Project…", "PyTorch plan…", "Perfetto trace…", "Steps CSV…", "Schedule JSON…",
                 "Run sweep", "About Remat Studio", "Reset layout"):
        assert text in actions, text
    assert not actions["PyTorch plan…"].isEnabled()  # nothing to export before a solve


def test_save_asks_for_a_file_then_saves_there_and_dropping_it_reopens_it(qtbot, window, tmp_path):
    (tmp_path / "model.json").write_text("{}")
    target = tmp_path / "work.rsproj"
    window.dialogs.files.append(str(tmp_path / "work"))  # the suffix is added
    window.session.set_budget("ram", 5 * 10**8)
    assert window.files.save_project() and target.exists() and not window.session.dirty
    assert window.windowTitle() == "Remat Studio — work.rsproj"
    window.session.set_budget("ram", 4 * 10**8)
    assert window.windowTitle().endswith("*")
    assert window.files.save_project()  # now without asking
    assert window.dialogs.messages.count(("choose_save_file", "Save project", "model.rsproj")) == 1
    data = QtCore.QMimeData()
    data.setUrls([QtCore.QUrl.fromLocalFile(str(target))])
    event = QtGui.QDropEvent(QtCore.QPointF(10, 10), QtCore.Qt.DropAction.CopyAction, data,
                             QtCore.Qt.MouseButton.NoButton, QtCore.Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.session.projects.opened, timeout=10_000):
        window.dropEvent(event)
    assert window.session.budgets["ram"] == 4 * 10**8 and window.recent_files()[0] == str(target)


def test_quitting_with_unsaved_work_asks_and_cancel_keeps_the_window(window):
    window.session.set_budget("ram", 5 * 10**8)
    window.dialogs.save_answers.append("cancel")
    window.close()
    assert window.isVisible() and window.dialogs.messages[-1][0] == "ask_save"
    window.dialogs.save_answers.append("discard")
    window.close()
    assert not window.isVisible()


def test_opening_another_model_over_unsaved_results_asks_first(qtbot, solved_window, tmp_path):
    window = solved_window
    window.dialogs.save_answers.append("cancel")
    window.open_model(tmp_path / "other.json")
    assert window.session.model_path.name == "model.json" and window.session.results


def test_an_infeasible_budget_is_a_dialog_with_the_budget_that_fits(qtbot, solved_window):
    window = solved_window
    session, record = window.session, window.session.record
    session.set_budget("ram", 100)
    session.set_budget("vram", 100)
    assert not window.solver_panel.run()
    kind, title, text = window.dialogs.messages[-1]
    assert (kind, title) == ("error", "Cannot solve") and "smallest feasible budget" in text
    assert session.record is record and window.timeline.bar_count > 0


def test_a_crashing_solver_is_a_dialog_and_the_result_stays(qtbot, solved_window):
    from tests.gui import child_targets

    window = solved_window
    session, record = window.session, window.session.record
    bars = window.timeline.bar_count
    session.runner._target = child_targets.crash_target
    with qtbot.waitSignal(session.error, timeout=60_000):
        assert session.solve("plain")
    kind, title, text = window.dialogs.messages[-1]
    assert (kind, title) == ("error", "Solver error") and "exit code 3" in text
    assert session.record is record and window.timeline.bar_count == bars
    assert window.solver_panel.run_button.isEnabled()
