"""One worker template for off-thread work: run a function, emit its result or its error.

The function runs in a Python thread that never touches Qt: its return value, its exception and
any progress it reports go into a thread-safe queue, and a timer of this object (which lives in the
GUI thread) drains that queue and emits the public signals. So every signal is emitted in the GUI
thread and may be connected to anything, lambdas included, and no Qt object is ever used from two
threads (signals emitted from a plain Python thread, relayed by queued connections, crashed the test
suite now and then in garbage collection). No exception is ever lost: it arrives as ``errored``.
"""

from __future__ import annotations

import collections
import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6 import QtCore

log = logging.getLogger(__name__)

#: Workers still running: kept alive here so a worker nobody holds is not collected mid-flight.
_RUNNING: set[FunctionWorker] = set()

#: How often the GUI thread looks for news from a running worker (milliseconds).
POLL_MS = 10

_PROGRESS, _DONE = "progress", "done"


class FunctionWorker(QtCore.QObject):
    """Run ``fn(*args, **kwargs)`` off the GUI thread.

    With ``report=True`` the function also receives ``report=callable``; each call emits
    ``progressed`` (in the GUI thread) with the value passed, in the order of the calls. With an
    ``owner``, nothing is emitted once the owner is deleted (see the module docstring).
    """

    started = QtCore.Signal()
    progressed = QtCore.Signal(object)
    returned = QtCore.Signal(object)
    errored = QtCore.Signal(object)  # the exception instance
    finished = QtCore.Signal()

    def __init__(self, fn: Callable[..., Any], *args: Any, report: bool = False,
                 owner: QtCore.QObject | None = None, **kwargs: Any) -> None:
        super().__init__()
        self._owner = owner
        self._fn = fn
        self._args = args
        self._kwargs = dict(kwargs)
        # deque.append is atomic: the worker thread's only way to speak to the GUI thread
        self._news: collections.deque[tuple[str, object, object]] = collections.deque()
        if report:
            self._kwargs["report"] = functools.partial(_post_progress, self._news)
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._drain)
        self._thread: threading.Thread | None = None
        self._done = False
        self._outcome: tuple[object, object] | None = None

    @property
    def is_running(self) -> bool:
        return self._thread is not None and not self._done

    def start(self) -> FunctionWorker:
        """Start the function in a daemon thread (a window closing never waits on it)."""
        _RUNNING.add(self)
        self.started.emit()
        self._thread = threading.Thread(target=_call, args=(self._fn, self._args, self._kwargs, self._news),
                                        name=f"worker:{getattr(self._fn, '__name__', 'fn')}", daemon=True)
        self._timer.start()
        self._thread.start()
        return self

    @property
    def orphaned(self) -> bool:
        """Whether the owner was deleted (nothing is emitted any more)."""
        return self._owner is not None and not shiboken6.isValid(self._owner)

    @QtCore.Slot()
    def _drain(self) -> None:
        if self.orphaned:
            news = [self._news.popleft() for _ in range(len(self._news))]
            # the result would reach slots of deleted objects: drop it unseen
            self._done = self._done or any(kind == _DONE for kind, _value, _exc in news)
        while self._news and not self._done:
            kind, value, exc = self._news.popleft()
            if kind == _PROGRESS:
                self.progressed.emit(value)
            else:
                self._finish(value, exc)
        if self._done and self._thread is not None and not self._thread.is_alive():
            # the thread has let go of everything: now the last references may go, in this thread
            self._timer.stop()
            self._fn, self._args, self._kwargs, self._outcome = _nothing, (), {}, None
            _RUNNING.discard(self)

    def _finish(self, value: object, exc: object) -> None:
        self._done = True
        self._outcome = (value, exc)  # held until the thread has dropped its own reference
        try:
            if exc is not None:
                self.errored.emit(exc)
            else:
                self.returned.emit(value)
        finally:
            self.finished.emit()


def _call(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
          news: collections.deque[tuple[str, object, object]]) -> None:
    """The worker thread: run ``fn`` and post its value or exception (it knows nothing of Qt)."""
    try:
        value = fn(*args, **kwargs)
    except BaseException as exc:
        log.debug("worker %s raised", fn, exc_info=True)
        news.append((_DONE, None, exc))
    else:
        news.append((_DONE, value, None))


def _post_progress(news: collections.deque[tuple[str, object, object]], value: object) -> None:
    news.append((_PROGRESS, value, None))


def _nothing() -> None:
    return None


def run_in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> FunctionWorker:
    """Create a :class:`FunctionWorker` for ``fn``; connect its signals, then call ``start()``."""
    return FunctionWorker(fn, *args, **kwargs)
