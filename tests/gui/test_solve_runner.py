"""The solve runner: progress arrives, cancel works, a crashing or raising solver becomes an error signal."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from gui.solve_runner import SolveRunner
from solvers import SolveOptions, SolveStatus
from tests.gui import child_targets

TIMEOUT_MS = 60_000


def test_progress_then_result(qtbot, problem):
    runner = SolveRunner(target=child_targets.plain_target)
    progress = []
    runner.progress.connect(progress.append)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS) as done:
        runner.start("plain", problem, SolveOptions())
    result = done.args[0]
    assert result.status is SolveStatus.OPTIMAL  # the budget holds every buffer
    assert result.trace.ok and result.trace.compute_count == len(problem.graph.nodes)
    assert [p.incumbent for p in progress] == [10.0, 9.0, 8.0]
    assert not runner.is_running
    assert runner.process.exitcode == 0


def test_cancel_reaches_the_solver(qtbot, problem):
    runner = SolveRunner(target=child_targets.until_cancelled_target)
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT_MS):
        runner.start("slow", problem, SolveOptions())
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS) as done:
        runner.cancel()
    assert done.args[0].status is SolveStatus.CANCELLED
    assert done.args[0].message == "stopped on request"


def test_cancel_terminates_a_solver_that_ignores_it(qtbot, problem):
    runner = SolveRunner(target=child_targets.ignores_cancel_target, cancel_grace_s=0.3)
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT_MS):
        runner.start("stubborn", problem, SolveOptions())
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS) as done:
        runner.cancel()
    assert done.args[0].status is SolveStatus.CANCELLED
    assert not runner.process.is_alive()


def test_crashing_child_is_an_error_signal(qtbot, problem):
    runner = SolveRunner(target=child_targets.crash_target)
    with qtbot.waitSignal(runner.failed, timeout=TIMEOUT_MS) as failed:
        runner.start("crash", problem, SolveOptions())
    assert "exit code 3" in failed.args[0]
    assert not runner.is_running


def test_raising_solver_is_an_error_signal(qtbot):
    """The real child entry point: ``solvers.run`` raises on a problem that is not one."""
    runner = SolveRunner()
    with qtbot.waitSignal(runner.failed, timeout=TIMEOUT_MS) as failed:
        runner.start("no-remat", None, SolveOptions())
    assert "failed" in failed.args[0]


def test_second_start_while_running_is_refused(qtbot, problem):
    runner = SolveRunner(target=child_targets.until_cancelled_target, cancel_grace_s=0.5)
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT_MS):
        runner.start("slow", problem, SolveOptions())
    with pytest.raises(RuntimeError):
        runner.start("slow", problem, SolveOptions())
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        runner.cancel()


@pytest.mark.slow
def test_gui_thread_keeps_serving_timers_during_a_solve(qtbot, problem):
    """Count 20 ms timer ticks while a child burns its own GIL for ~2.5 s: at least 70 % arrive."""
    runner = SolveRunner(target=child_targets.busy_target)
    ticks = []
    timer = QtCore.QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(QtCore.QDateTime.currentMSecsSinceEpoch()))
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT_MS):
        runner.start("busy", problem, SolveOptions())
    timer.start()
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        pass
    timer.stop()
    span_ms = ticks[-1] - ticks[0]
    expected = span_ms / 20
    assert span_ms > 1500
    assert len(ticks) >= 0.7 * expected, f"{len(ticks)} ticks of {expected:.0f} expected"


def test_interim_result_survives_a_child_stopped_during_its_second_phase(qtbot, problem):
    """The single-device comparison runs after the solve: stopping it keeps the solve's result."""
    runner = SolveRunner(target=child_targets.interim_then_hang_target, cancel_grace_s=0.3)
    with qtbot.waitSignal(runner.progress, timeout=TIMEOUT_MS):
        runner.start("greedy", problem, SolveOptions(), compare_single=True)
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS) as done:
        runner.cancel()
    result = done.args[0]
    assert result.status is not SolveStatus.CANCELLED and result.trace.ok


@pytest.mark.slow
def test_gui_thread_keeps_serving_timers_during_an_exact_solve(qtbot):
    """The real child entry point running HiGHS on ResNet-18 over two devices for 3 s."""
    pytest.importorskip("highspy")
    from bench.bench_gui import exact_problem

    runner = SolveRunner()
    ticks = []
    timer = QtCore.QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(QtCore.QDateTime.currentMSecsSinceEpoch()))
    timer.start()
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS) as done:
        runner.start("milp-highs", exact_problem(), SolveOptions(time_limit_s=3.0))
    timer.stop()
    assert done.args[0].status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.NO_SOLUTION)
    span_ms = ticks[-1] - ticks[0]
    assert span_ms > 2500
    assert len(ticks) >= 0.7 * span_ms / 20, f"{len(ticks)} ticks of {span_ms / 20:.0f} expected"
