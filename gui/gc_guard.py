"""Cyclic garbage collection in the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is crossed:
a solver thread, a layout worker, the solve watcher. If the garbage holds Qt objects (a closed
window in a reference cycle through its signal connections), they are destroyed there, outside the
GUI thread; a QObject destructor that calls back into Python then waits for the GIL while the GUI
thread, holding the GIL, waits for the destructor's lock: the process hangs (or crashes in the
collector). This guard turns automatic collection off and runs the same generational collections
from a timer in the GUI thread, with the collector's own thresholds.
"""

from __future__ import annotations

import gc
import logging

from PySide6 import QtCore

log = logging.getLogger(__name__)

#: How often the GUI thread looks at the collector's counts (milliseconds).
INTERVAL_MS = 500


class GuiThreadCollector(QtCore.QObject):
    """While it is running, cyclic garbage is collected only by this timer, in the GUI thread."""

    def __init__(self, parent: QtCore.QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)

    def start(self) -> GuiThreadCollector:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()
        return self

    def stop(self) -> None:
        """Collect everything now (in this thread) and give collection back to Python."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    @QtCore.Slot()
    def check(self) -> None:
        """The generations whose counts are over their thresholds, as the collector would pick them."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return
        generation = 0
        for level in (1, 2):
            if counts[level] > thresholds[level]:
                generation = level
            else:
                break
        found = gc.collect(generation)
        if found:
            log.debug("collected %d objects (generation %d) in the GUI thread", found, generation)
