"""Project files from the window: everything comes back after the process is killed, the recovery
file is offered after a crash and after a truncated project, and a moved model is asked for."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from core.paths import MODELS_DIR, REPO_ROOT
from core.project import load_project
from gui.dialogs import RecordingDialogs

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def killed_session(tmp_path_factory):
    """A child process saved a project, autosaved a later change, and was killed (SIGKILL)."""
    folder = tmp_path_factory.mktemp("killed")
    project, recovery = folder / "work.rsproj", folder / "recovery.rsproj"
    done = subprocess.run([sys.executable, "-m", "tests.gui.project_child", str(project), str(recovery)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == -9, done.stderr[-3000:]  # killed, not exited
    return project, recovery, json.loads(done.stdout.strip().splitlines()[-1])


def _open(qtbot, session, path, **kwargs):
    with qtbot.waitSignal(session.projects.opened, timeout=TIMEOUT_MS):
        assert session.projects.open(path, **kwargs)


def test_everything_comes_back_after_the_process_was_killed(qtbot, real_session, killed_session):
    project, _recovery, saved = killed_session
    session = real_session
    _open(qtbot, session, project)
    assert session.model_path.resolve() == (MODELS_DIR / "resnet18_bs32.onnx").resolve()
    assert session.budgets["ram"] == saved["budget"] and session.system.name == "one"
    assert [[r.label, r.result.trace.serial_time_s, r.result.trace.recompute_count]
            for r in session.results] == saved["results"]
    assert session.record is session.results[saved["shown"]]
    assert all(r.problem.graph is session.graph for r in session.results)  # tied to the open model
    assert session.sweeps.rows() == saved["sweep_rows"]
    assert not session.dirty and session.project_path == project
    assert session.sweeps.open_point(1)  # the sweep's schedules came back too


def test_recovery_after_a_crash_is_offered_and_restores_the_unsaved_change(qtbot, killed_session, tmp_path,
                                                                          settings_file):
    from gui.app import create_window

    _project, recovery, saved = killed_session
    copy = tmp_path / "recovery.rsproj"
    shutil.copy(recovery, copy)
    dialogs = RecordingDialogs(answers=[True])
    session, window = create_window(recovery_path=copy, dialogs=dialogs, settings=settings_file)
    qtbot.addWidget(window)
    with qtbot.waitSignal(session.projects.opened, timeout=TIMEOUT_MS):
        pass
    assert dialogs.messages[0][:2] == ("ask", "Recover unsaved work?")
    assert session.budgets["ram"] == saved["later_budget"] and len(session.results) == len(saved["results"])
    assert session.dirty and session.project_path is None  # recovered work still needs a real save
    window.close()
    assert not copy.exists()  # a clean exit leaves nothing to recover
    session.shutdown()


def test_declining_recovery_opens_the_sample_and_drops_the_file(qtbot, killed_session, tmp_path, settings_file):
    from gui.app import create_window

    copy = tmp_path / "recovery.rsproj"
    shutil.copy(killed_session[1], copy)
    session, window = create_window(recovery_path=copy, dialogs=RecordingDialogs(answers=[False]),
                                    settings=settings_file)
    qtbot.addWidget(window)
    with qtbot.waitSignal(session.model_changed, timeout=TIMEOUT_MS):
        pass
    assert not copy.exists() and session.model_path.name == "resnet18_bs32.onnx"
    session.shutdown()


def test_truncated_project_is_a_clear_error_and_the_recovery_copy_is_offered(qtbot, window, tmp_path):
    from gui.autosave import Autosaver

    session = window.session
    (tmp_path / "model.json").write_text("{}")  # the fake loader reads nothing, but a project checks the file
    window.autosaver = Autosaver(session, tmp_path / "recovery.rsproj", interval_s=3600)
    good = tmp_path / "good.rsproj"
    session.set_budget("ram", 5 * 10**8)
    assert session.projects.save(good)
    session.set_budget("ram", 4 * 10**8)
    assert window.autosaver.save_now()
    broken = tmp_path / "broken.rsproj"
    broken.write_text(good.read_text()[:300])
    window.dialogs.answers.append(True)
    with qtbot.waitSignal(session.projects.opened, timeout=TIMEOUT_MS):
        window.files.open_project(broken)
    _kind, title, text = next(m for m in window.dialogs.messages if m[0] == "error")
    assert title == "Cannot open the project" and "broken.rsproj" in text and "truncated" in text
    assert window.dialogs.messages[-1][:2] == ("ask", "Open the recovery copy?")
    assert session.budgets["ram"] == 4 * 10**8


def test_a_truncated_project_without_recovery_leaves_the_work_as_it_was(qtbot, window, tmp_path):
    session = window.session
    before = (session.graph, dict(session.budgets), list(session.results))
    broken = tmp_path / "broken.rsproj"
    broken.write_text('{"format": "remat-studio.project", "version": 1, "mod')
    with qtbot.waitSignal(session.projects.failed, timeout=TIMEOUT_MS):
        window.files.open_project(broken)
    assert (session.graph, dict(session.budgets), list(session.results)) == before
    assert window.dialogs.messages[-1][1] == "Cannot open the project"


def test_a_project_whose_model_moved_asks_for_it(qtbot, real_session, tmp_path, settings_file):
    from gui.main_window import MainWindow

    session = real_session
    model = tmp_path / "net.onnx"
    shutil.copy(MODELS_DIR / "mlp_bs64.onnx", model)
    with qtbot.waitSignal(session.model_changed, timeout=TIMEOUT_MS):
        session.open_model(model)
    project = tmp_path / "work.rsproj"
    assert session.projects.save(project)
    moved = tmp_path / "elsewhere" / "net.onnx"
    moved.parent.mkdir()
    model.rename(moved)
    assert load_project(project).model_missing
    dialogs = RecordingDialogs(files=[str(moved)])
    window = MainWindow(session, dialogs=dialogs, settings=settings_file)
    qtbot.addWidget(window)
    with qtbot.waitSignal(session.projects.opened, timeout=TIMEOUT_MS):
        window.files.open_project(project)
    assert dialogs.messages[0][0] == "choose_file" and "net.onnx" in dialogs.messages[0][1]
    assert session.model_path == moved and session.dirty  # save again to remember where it is now


def test_autosave_writes_only_changes_and_a_save_removes_the_recovery_file(qtbot, loaded_session, tmp_path):
    from gui.autosave import Autosaver

    session = loaded_session
    autosaver = Autosaver(session, tmp_path / "rec" / "recovery.rsproj", interval_s=3600)
    assert not autosaver.save_now()  # nothing changed since the model opened
    session.set_budget("ram", 7 * 10**8)
    assert autosaver.save_now() and autosaver.pending_recovery() is not None
    assert not autosaver.save_now()  # no change since the last autosave
    assert session.projects.save(tmp_path / "work.rsproj")
    assert autosaver.pending_recovery() is None and not session.dirty
