"""The session with fake views: signals on every change, state intact on errors, undoable budgets."""

from __future__ import annotations

from PySide6 import QtCore

from core.graph import min_feasible_budget, no_recompute_peak
from gui.session import Session
from gui.solve_runner import SolveRunner
from solvers import SolveStatus
from tests.gui import child_targets
from tests.helpers import one_device_system, two_device_system


class FakeView(QtCore.QObject):
    """Records what a view would render, connecting the way real views do."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.events: list[tuple[str, object]] = []
        session.model_changed.connect(lambda: self.events.append(("model", session.graph)))
        session.budgets_changed.connect(lambda: self.events.append(("budgets", dict(session.budgets))))
        session.error.connect(lambda title, text: self.events.append(("error", (title, text))))
        session.selection_changed.connect(lambda node: self.events.append(("selection", node)))
        session.result_changed.connect(lambda: self.events.append(("result", session.record)))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


def test_open_model_announces_the_graph_and_budgets(qtbot, session, graph, tmp_path):
    view = FakeView(session)
    with qtbot.waitSignal(session.model_changed, timeout=10_000):
        session.open_model(tmp_path / "model.json")
    assert session.graph is graph
    assert session.budgets == {"ram": 10**9}
    assert view.kinds()[:2] == ["model", "budgets"]


def test_corrupt_model_is_an_error_and_keeps_the_previous_model(qtbot, loaded_session, tmp_path):
    view = FakeView(loaded_session)
    before = loaded_session.graph
    with qtbot.waitSignal(loaded_session.error, timeout=10_000) as error:
        loaded_session.open_model(tmp_path / "corrupt.onnx")
    title, text = error.args
    assert title == "Cannot open model" and "corrupt.onnx" in text and "previous model stays open" in text
    assert loaded_session.graph is before
    assert "model" not in view.kinds()


def test_budget_edits_undo_and_merge_a_drag(loaded_session):
    session = loaded_session
    stack = session.undo_stack
    for value in (900, 800, 700):
        session.set_budget("ram", value * 10**6, drag=7)
    assert session.budgets["ram"] == 700 * 10**6
    assert stack.count() == 1  # one slider drag, one step
    session.set_budget("ram", 5 * 10**8)
    assert stack.count() == 2
    stack.undo()
    assert session.budgets["ram"] == 700 * 10**6
    stack.undo()
    assert session.budgets["ram"] == 10**9
    stack.redo()
    assert session.budgets["ram"] == 700 * 10**6


def test_system_change_is_undoable_and_keeps_budgets_by_name(loaded_session):
    session = loaded_session
    session.set_budget("ram", 123456789)
    session.set_system(two_device_system(capacity=10**9), "two devices")
    assert [d.name for d in session.system.devices] == ["cpu", "gpu"]
    assert session.budgets["ram"] == 123456789 and session.budgets["vram"] == 10**9
    session.undo_stack.undo()
    assert [d.name for d in session.system.devices] == ["cpu"]
    assert session.budgets == {"ram": 123456789}


def test_infeasible_budget_is_answered_at_once_with_the_smallest_budget(qtbot, loaded_session):
    session = loaded_session
    smallest = min_feasible_budget(session.graph)
    session.set_budget("ram", smallest - 1)
    with qtbot.waitSignal(session.error, timeout=1000) as error:
        assert session.solve("greedy") is False
    assert "smallest feasible" in error.args[1] and not session.runner.is_running
    assert session.memory_marks() == (smallest, no_recompute_peak(session.graph))


def test_solve_result_reaches_the_views_and_a_failure_keeps_it(qtbot, fake_loader, tmp_path):
    session = Session(loader=fake_loader, system=one_device_system(capacity=10**9),
                      runner=SolveRunner(target=child_targets.plain_target))
    with qtbot.waitSignal(session.model_changed, timeout=10_000):
        session.open_model(tmp_path / "m.json")
    with qtbot.waitSignal(session.result_changed, timeout=60_000):
        assert session.solve("plain")
    record = session.record
    assert record.result.status is SolveStatus.OPTIMAL and record.result.trace.ok  # no recomputation needed
    session.runner._target = child_targets.crash_target
    with qtbot.waitSignal(session.error, timeout=60_000) as error:
        session.solve("crash")
    assert error.args[0] == "Solver error" and "previous result" in error.args[1]
    assert session.record is record


def test_selection_is_clamped_and_announced_once(loaded_session):
    view = FakeView(loaded_session)
    loaded_session.select_node(3)
    loaded_session.select_node(3)
    loaded_session.select_node(10**6)
    assert [e for e in view.events if e[0] == "selection"] == [("selection", 3), ("selection", -1)]


def test_marks_per_memory_put_static_memory_where_the_problem_does(qtbot, fake_loader, tmp_path):
    """Static memory lives in the first device's memory; the other memory's marks leave it out."""
    from core.feasibility import smallest_feasible_budget
    from tests.gui.graphs import FakeLoaded, mirrored_graph

    graph = mirrored_graph(4, static_bytes=5000)
    session = Session(loader=lambda path, dims: FakeLoaded(graph, path=path), system=two_device_system(10**9))
    with qtbot.waitSignal(session.model_changed, timeout=10_000):
        session.open_model(tmp_path / "m.json")
    problem = session.build_problem()
    ram, vram = session.memory_marks("ram"), session.memory_marks("vram")
    assert ram == (smallest_feasible_budget(problem, 0), no_recompute_peak(graph))
    assert vram == (smallest_feasible_budget(problem, 1), no_recompute_peak(graph) - 5000)
    assert ram[0] - vram[0] == 5000
    assert session.memory_marks("disk") == (0, 0)  # storage: no device computes from it
    session.shutdown()


def test_infeasible_budget_message_names_the_budget_that_fits(qtbot, loaded_session):
    from core.feasibility import infeasibility_reason

    session = loaded_session
    session.set_budget("ram", min_feasible_budget(session.graph) - 1)
    with qtbot.waitSignal(session.error, timeout=1000) as error:
        assert not session.solve("greedy")
    assert infeasibility_reason(session.build_problem()) in error.args[1]
    assert "Nothing was changed" in error.args[1] and session.record is None


def test_results_list_keeps_every_solve_and_shows_one(qtbot, plain_session, tmp_path):
    session = plain_session
    with qtbot.waitSignal(session.model_changed, timeout=10_000):
        session.open_model(tmp_path / "m.json")
    for budget in (10**9, 9 * 10**8):
        session.set_budget("vram", budget)
        with qtbot.waitSignal(session.result_changed, timeout=60_000):
            assert session.solve("plain")
    first, second = session.results
    assert session.record is second and first.label.startswith("#1 plain") and "vram" in second.label
    assert first.problem.budgets_bytes != second.problem.budgets_bytes
    with qtbot.waitSignal(session.result_changed):
        session.show_result(0)
    assert session.record is first
    session.remove_result(0)
    assert session.results == [second] and session.record is second


def test_solver_settings_are_state_of_the_session(loaded_session):
    import dataclasses

    from core.problem import Objective
    from gui.session_types import SolverSettings

    session = loaded_session
    assert not session.dirty
    settings = dataclasses.replace(session.settings, time_limit_s=7.5, objective=Objective.ENERGY)
    session.set_settings(settings)
    assert session.dirty and session.objective is Objective.ENERGY
    assert session.build_problem().objective is Objective.ENERGY
    assert SolverSettings.from_dict(settings.as_dict()) == settings
    assert settings.options().time_limit_s == 7.5
