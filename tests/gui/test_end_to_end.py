"""One pass through the window as a user makes it: open the bundled sample, cut a budget, solve with a
real solver in a child process, see the bars, export every format and read each one back."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ElementTree

from PySide6 import QtGui

from core.export import read_schedule_json
from core.paths import MODELS_DIR
from core.simulate import simulate
from core.trace import StepRole
from gui.dialogs import RecordingDialogs
from gui.main_window import MainWindow

TIMEOUT_MS = 120_000


def test_open_budget_solve_timeline_export_read_back(qtbot, real_session, settings_file, tmp_path):
    session = real_session
    window = MainWindow(session, dialogs=RecordingDialogs(), settings=settings_file)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.graph_view.layout_ready, timeout=TIMEOUT_MS):
        window.open_model(MODELS_DIR / "resnet18_bs32.onnx")
    assert len(window.graph_view.items) == len(session.graph.nodes)
    smallest, peak = session.memory_marks("ram")
    card = next(c for c in window.system_editor.cards if c.memory_name == "ram")
    card.budget.edit.setText(f"{(smallest + peak) / 2 / 2**20:.0f}MiB")  # the way a user types it
    card.budget.edit.editingFinished.emit()
    assert smallest < session.budgets["ram"] < peak
    assert window.solver_panel.select_solver("greedy")
    with qtbot.waitSignal(session.result_changed, timeout=TIMEOUT_MS):
        assert window.solver_panel.run()
    record = session.record
    trace = record.result.trace
    assert trace.ok and trace.recompute_count > 0 and max(trace.peak_bytes) <= session.budgets["ram"]
    assert window.timeline.bar_count == sum(t.role is not StepRole.FREE for t in trace.timings) > 0
    assert StepRole.RECOMPUTE in window.timeline.bar_items
    assert "recomputations</b>: " + str(trace.recompute_count) in window.timeline.summary.text()

    paths = {kind: tmp_path / name for kind, name in (
        ("schedule", "s.json"), ("perfetto", "t.json"), ("csv", "s.csv"), ("plan", "plan.json"),
        ("graph", "g.png"), ("timeline", "t.png"))}
    paths_svg = {"graph": tmp_path / "g.svg", "timeline": tmp_path / "t.svg"}
    for kind, path in [*paths.items(), *paths_svg.items()]:
        assert window.export(kind, path), window.dialogs.messages
    problem, schedule, meta = read_schedule_json(paths["schedule"])
    assert schedule == record.result.schedule and meta["solver"] == "greedy" and meta["label"] == record.label
    assert simulate(problem, schedule).serial_time_s == trace.serial_time_s
    events = json.loads(paths["perfetto"].read_text())["traceEvents"]
    assert sum(e.get("ph") == "X" for e in events) == window.timeline.bar_count
    with paths["csv"].open() as handle:
        assert len(list(csv.DictReader(handle))) == len(schedule.steps)
    plan = json.loads(paths["plan"].read_text())
    assert plan["format"] == "remat-studio.plan" and (tmp_path / "remat_plan.py").is_file()
    assert plan["predicted"]["recomputed_nodes"] == len({t.node for t in trace.timings
                                                         if t.role is StepRole.RECOMPUTE})
    for which in ("graph", "timeline"):
        assert QtGui.QImage(str(paths[which])).width() > 300
        assert ElementTree.parse(paths_svg[which]).getroot().tag.endswith("svg")
    assert not [m for m in window.dialogs.messages if m[0] == "error"]


def test_a_corrupt_onnx_file_is_a_dialog_and_the_open_model_stays(qtbot, real_session, settings_file, tmp_path):
    session = real_session
    window = MainWindow(session, dialogs=RecordingDialogs(), settings=settings_file)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.graph_view.layout_ready, timeout=TIMEOUT_MS):
        window.open_model(MODELS_DIR / "mlp_bs64.onnx")
    graph, boxes = session.graph, len(window.graph_view.items)
    corrupt = tmp_path / "broken.onnx"
    corrupt.write_bytes((MODELS_DIR / "mlp_bs64.onnx").read_bytes()[:200])
    with qtbot.waitSignal(session.error, timeout=TIMEOUT_MS):
        window.open_model(corrupt)
    kind, title, text = window.dialogs.messages[-1]
    assert (kind, title) == ("error", "Cannot open model") and "broken.onnx" in text
    assert "Traceback" not in text and "previous model stays open" in text
    assert session.graph is graph and len(window.graph_view.items) == boxes
