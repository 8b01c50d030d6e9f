"""The off-thread worker: results, errors and progress arrive in the GUI thread, in order; a worker
whose owner was deleted says nothing."""

from __future__ import annotations

import threading
import time

from PySide6 import QtCore, QtWidgets

from gui import worker as worker_module
from gui.worker import FunctionWorker


def _count(n: int, report) -> int:
    for k in range(n):
        report(k)
    return n


def test_progress_then_result_in_the_gui_thread(qtbot):
    seen: list[tuple[str, object, bool]] = []
    gui_thread = QtCore.QThread.currentThread()
    w = FunctionWorker(_count, 50, report=True)
    w.progressed.connect(lambda v: seen.append(("progress", v, QtCore.QThread.currentThread() is gui_thread)))
    w.returned.connect(lambda v: seen.append(("returned", v, QtCore.QThread.currentThread() is gui_thread)))
    with qtbot.waitSignal(w.finished, timeout=10_000):
        w.start()
    assert seen == [("progress", k, True) for k in range(50)] + [("returned", 50, True)]
    assert not w.is_running and w not in worker_module._RUNNING


def test_an_exception_arrives_as_errored():
    def boom() -> None:
        raise ValueError("bad field 'x'")

    w = FunctionWorker(boom)
    errors: list[BaseException] = []
    w.errored.connect(errors.append)
    w.returned.connect(lambda v: errors.append(AssertionError("returned")))
    spy = QtCore.QEventLoop()
    w.finished.connect(spy.quit)
    w.start()
    QtCore.QTimer.singleShot(10_000, spy.quit)
    spy.exec()
    assert len(errors) == 1 and isinstance(errors[0], ValueError) and "'x'" in str(errors[0])


def test_a_deleted_owner_hears_nothing_and_the_worker_is_forgotten(qtbot):
    owner = QtWidgets.QWidget()
    gate = threading.Event()
    heard: list[object] = []
    w = FunctionWorker(lambda: gate.wait(10) and "late", owner=owner)
    w.finished.connect(lambda: heard.append("finished"))
    w.returned.connect(heard.append)
    w.start()
    owner.deleteLater()
    qtbot.waitUntil(lambda: w.orphaned, timeout=5_000)
    gate.set()
    qtbot.waitUntil(lambda: w not in worker_module._RUNNING, timeout=5_000)
    time.sleep(0.05)
    QtWidgets.QApplication.processEvents()
    assert heard == [] and not w.is_running


class _Sentinel:
    """Records the thread that drops the last reference to it."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __del__(self) -> None:
        self.log.append(threading.current_thread().name)


def test_the_last_references_to_function_arguments_and_result_go_in_the_gui_thread(qtbot):
    dropped: list[str] = []
    for _ in range(20):
        w = FunctionWorker(lambda arg: _Sentinel(dropped), _Sentinel(dropped))
        with qtbot.waitSignal(w.finished, timeout=10_000):
            w.start()
        qtbot.waitUntil(lambda w=w: w not in worker_module._RUNNING, timeout=5_000)
        del w
    qtbot.waitUntil(lambda: len(dropped) == 40, timeout=5_000)
    assert set(dropped) == {threading.main_thread().name}
