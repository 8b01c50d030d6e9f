"""Budget sweeps in the window: points arrive as they are solved, cancel keeps them, the numbers are
the command line's, and a point opens its schedule."""

from __future__ import annotations

import csv
import itertools

import pytest
from PySide6 import QtCore

from core.paths import MODELS_DIR
from core.trace import StepRole
from gui.solve_runner import SolveRunner
from solvers import SolveOptions
from tests.gui import child_targets

TIMEOUT_MS = 120_000
FRACTIONS = (0.6, 0.8, 1.0)


def test_sweep_streams_points_and_a_point_opens_its_schedule(qtbot, window):
    session, panel = window.session, window.sweep_panel
    sweeps = session.sweeps
    panel.fractions.setText("0.7,0.85,1.0")
    for i in range(panel.solver_list.count()):
        item = panel.solver_list.item(i)
        wanted = item.text() in ("greedy", "no-remat")
        item.setCheckState(QtCore.Qt.CheckState.Checked if wanted else QtCore.Qt.CheckState.Unchecked)
    added = []
    sweeps.point_added.connect(added.append)
    with qtbot.waitSignal(sweeps.finished, timeout=TIMEOUT_MS) as done:
        assert panel.run()
    assert done.args[0] == "done: 6 points" and added == list(range(6))
    rows = sweeps.rows()
    assert {r["series"] for r in rows} == {"greedy", "no-remat"}
    assert panel.table.rowCount() == 6 and panel.progress.value() == 6
    greedy = [r for r in rows if r["series"] == "greedy"]
    assert [r["fraction"] for r in greedy] == [0.7, 0.85, 1.0]
    assert greedy[-1]["overhead"] == pytest.approx(0.0, abs=1e-9)  # the whole peak fits: nothing recomputed
    assert all(a["overhead"] >= b["overhead"] for a, b in itertools.pairwise(greedy))  # monotone
    no_remat = [r for r in rows if r["series"] == "no-remat"]
    assert [r["overhead"] is None for r in no_remat] == [True, True, False]  # no schedule below the peak
    assert set(panel.plot._items) == {"greedy", "no-remat"}
    index = sweeps.find_point("greedy", 0.7)
    with qtbot.waitSignal(session.result_changed):
        panel.plot.point_clicked.emit("greedy", 0.7)
    record = session.record
    assert record is sweeps.records[index] and record.source == "sweep"
    assert record.problem.budgets_bytes[0] == rows[index]["budget_bytes"]
    assert window.timeline.bar_count == sum(t.role is not StepRole.FREE for t in record.result.trace.timings)
    panel.plot.point_clicked.emit("greedy", 0.7)  # opened once, then shown again
    assert session.results.count(record) == 1


def test_cancel_keeps_the_points_solved_so_far(qtbot, loaded_session):
    session = loaded_session
    sweeps = session.sweeps
    sweeps.runner = SolveRunner(sweeps, target=child_targets.sweep_two_then_wait_target, cancel_grace_s=5)
    sweeps.runner.progress.connect(sweeps._on_point)
    sweeps.runner.finished.connect(sweeps._on_finished)
    with qtbot.waitSignal(sweeps.point_added, timeout=TIMEOUT_MS, check_params_cb=lambda i: i == 1):
        assert sweeps.start((0.7, 0.8, 0.9, 1.0), ["greedy"], options=SolveOptions(time_limit_s=5))
    with qtbot.waitSignal(sweeps.finished, timeout=TIMEOUT_MS) as done:
        sweeps.cancel()
    assert done.args[0] == "cancelled: 2 of 4 points kept"
    assert [p.fraction for p in sweeps.points] == [0.7, 0.8]


def test_a_sweep_that_cannot_start_keeps_the_previous_one(qtbot, loaded_session):
    sweeps = loaded_session.sweeps
    with qtbot.waitSignal(loaded_session.error) as error:
        assert not sweeps.start((0.01,), ["greedy"])
    assert error.args[0] == "Cannot sweep" and "smallest feasible" in error.args[1]
    with qtbot.waitSignal(loaded_session.error):
        assert not sweeps.start((0.8,), [])


def test_the_window_shows_the_numbers_the_command_line_writes(qtbot, real_session, tmp_path):
    """``main.py sweep`` and the window's sweep on the same model, machine and budgets."""
    import cli
    from core.system_io import save_system
    from tests.helpers import one_device_system

    model = MODELS_DIR / "resnet18_bs32.onnx"
    system_file = tmp_path / "one.json"
    save_system(one_device_system(capacity=64 * 2**30), system_file)
    out = tmp_path / "sweep.csv"
    assert cli.main(["sweep", str(model), "--system", str(system_file), "--budgets", "0.6,0.8,1.0",
                     "--solver", "greedy", "--solver", "chen-sqrt", "--out", str(out)]) == 0
    with out.open() as handle:
        written = list(csv.DictReader(handle))
    session = real_session
    with qtbot.waitSignal(session.model_changed, timeout=TIMEOUT_MS):
        session.open_model(model)
    with qtbot.waitSignal(session.sweeps.finished, timeout=TIMEOUT_MS):
        assert session.sweeps.start(FRACTIONS, ["greedy", "chen-sqrt"])
    shown = session.sweeps.rows()
    assert len(shown) == len(written) == 6
    for mine, theirs in zip(shown, written, strict=True):
        for key in ("series", "solver", "status", "reused_previous"):
            assert str(mine[key]) == theirs[key], key
        for key in ("fraction", "budget_bytes", "objective", "overhead", "peak_bytes"):
            assert float(mine[key]) == pytest.approx(float(theirs[key]), rel=1e-12), key


def test_one_series_per_solver_and_machine(qtbot, loaded_session):
    from tests.helpers import one_device_system, two_device_system

    sweeps = loaded_session.sweeps
    systems = [one_device_system(capacity=10**9), two_device_system(capacity=10**9)]
    with qtbot.waitSignal(sweeps.finished, timeout=TIMEOUT_MS) as done:
        assert sweeps.start((0.8, 1.0), ["greedy", "no-remat"], systems)
    assert done.args[0] == "done: 8 points"
    assert sorted({r["series"] for r in sweeps.rows()}) == [
        "greedy @ one", "greedy @ two", "no-remat @ one", "no-remat @ two"]
    index = sweeps.find_point("greedy @ two", 1.0)
    assert sweeps.open_point(index)
    assert [d.name for d in loaded_session.record.problem.system.devices] == ["cpu", "gpu"]
