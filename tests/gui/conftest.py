"""Fixtures for the window tests: offscreen Qt, a session on a hand-made graph, settings in tmp."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from core.problem import build_problem
from tests.gui.graphs import FakeLoaded, mirrored_graph
from tests.helpers import one_device_system, two_device_system

#: Harmless notices of the offscreen platform plugin (it has no window manager to pass size hints to).
OFFSCREEN_NOTICES = ("This plugin does not support propagateSizeHints",)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/gui/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOTICES))


@pytest.fixture(scope="package", autouse=True)
def gui_thread_collector(qapp):
    """Cyclic garbage is collected in the GUI thread only while the window tests run (gui.gc_guard);
    at the end, what the last tests closed is deleted and collected here, before other tests' threads."""
    from PySide6 import QtCore

    from gui.gc_guard import GuiThreadCollector

    collector = GuiThreadCollector().start()
    yield collector
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    qapp.processEvents()
    collector.stop()


@pytest.fixture
def graph():
    return mirrored_graph(6, branches=2)


@pytest.fixture
def fake_loader(graph):
    def load(path, dims):
        if "corrupt" in path.name:
            from core.errors import RematError

            raise RematError(f"{path}: not an ONNX model or training-graph file (cannot parse it)")
        return FakeLoaded(graph, path=path)

    return load


@pytest.fixture
def session(qtbot, fake_loader):
    from gui.session import Session

    s = Session(loader=fake_loader, system=one_device_system(capacity=10**9))
    yield s
    s.shutdown()


@pytest.fixture
def loaded_session(qtbot, session, tmp_path):
    with qtbot.waitSignal(session.model_changed, timeout=10_000):
        session.open_model(tmp_path / "model.json")
    return session


@pytest.fixture
def problem(graph):
    return build_problem(graph, one_device_system(capacity=10**9))


@pytest.fixture
def two_device_problem(graph):
    return build_problem(graph, two_device_system(capacity=10**9))


@pytest.fixture
def plain_session(qtbot, fake_loader):
    """A session whose solves run the plain schedule in a child (no registered solver needed)."""
    from gui.session import Session
    from gui.solve_runner import SolveRunner
    from tests.gui import child_targets

    s = Session(loader=fake_loader, system=two_device_system(capacity=10**9),
                runner=SolveRunner(target=child_targets.plain_target))
    yield s
    s.shutdown()


@pytest.fixture
def window(qtbot, plain_session, tmp_path):
    from PySide6 import QtCore

    from gui.dialogs import RecordingDialogs
    from gui.main_window import MainWindow

    settings = QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)
    w = MainWindow(plain_session, dialogs=RecordingDialogs(), settings=settings)
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    with qtbot.waitSignal(w.graph_view.layout_ready, timeout=20_000):
        plain_session.open_model(tmp_path / "model.json")
    return w


@pytest.fixture
def solved_window(qtbot, window):
    with qtbot.waitSignal(window.session.result_changed, timeout=60_000):
        assert window.session.solve("plain")
    return window


@pytest.fixture
def settings_file(tmp_path):
    from PySide6 import QtCore

    return QtCore.QSettings(str(tmp_path / "settings.ini"), QtCore.QSettings.Format.IniFormat)


@pytest.fixture
def real_session(qtbot):
    """A session with the real loader and solve runner (real solvers in a child process)."""
    from gui.session import Session

    s = Session(system=one_device_system(capacity=64 * 2**30))
    yield s
    s.shutdown()
