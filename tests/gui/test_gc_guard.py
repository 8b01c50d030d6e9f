"""Cyclic garbage holding Qt objects is collected in the GUI thread, never in a worker thread
(gui.gc_guard; the window tests run under it, see conftest.py)."""

from __future__ import annotations

import gc
import threading

from PySide6 import QtCore

from gui.gc_guard import GuiThreadCollector


class _Cyclic(QtCore.QObject):
    """A QObject in a reference cycle that records the thread its wrapper is finalised in."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log
        self.me = self

    def __del__(self) -> None:
        self.log.append(threading.current_thread().name)


def test_garbage_made_in_the_gui_thread_is_not_collected_by_a_busy_worker(qtbot) -> None:
    assert not gc.isenabled()  # the package fixture runs the guard
    finalised: list[str] = []
    for _ in range(20):
        _Cyclic(finalised)
    kept: list[list[object]] = []

    def allocate() -> None:  # far over the first threshold: the collector would run here if it could
        kept.extend([] for _ in range(20 * gc.get_threshold()[0]))

    worker = threading.Thread(target=allocate, name="busy-worker")
    worker.start()
    worker.join()
    assert finalised == []
    qtbot.waitUntil(lambda: len(finalised) == 20, timeout=5_000)  # the guard's timer collects them
    assert set(finalised) == {threading.main_thread().name}


def test_stopping_collects_and_gives_collection_back() -> None:
    gc.enable()
    collector = GuiThreadCollector().start()
    try:
        assert not gc.isenabled()
        finalised: list[str] = []
        _Cyclic(finalised)
        collector.stop()
        assert finalised == [threading.main_thread().name] and gc.isenabled()
    finally:
        gc.disable()  # the package's guard is still running
