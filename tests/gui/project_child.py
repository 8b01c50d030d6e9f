"""Run as a script by the project tests: build some work, save it, autosave a later change, then die.

``python -m tests.gui.project_child PROJECT RECOVERY`` prints one JSON line with what it saved (so
the test knows what must come back) and kills itself with SIGKILL: no clean exit, no cleanup.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

MODEL = "resnet18_bs32.onnx"


def wait(signal_instance, timeout_ms: int = 120_000) -> None:  # type: ignore[no-untyped-def]
    from PySide6 import QtCore

    loop = QtCore.QEventLoop()
    signal_instance.connect(lambda *_args: loop.quit())
    QtCore.QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def main(project: Path, recovery: Path) -> None:
    from PySide6 import QtWidgets

    import solvers
    from core.paths import MODELS_DIR
    from gui.autosave import Autosaver
    from gui.session import Session
    from gui.session_types import SolveRecord
    from tests.helpers import one_device_system

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from gui.gc_guard import GuiThreadCollector

    GuiThreadCollector(app).start()  # Qt garbage is destroyed in the GUI thread only
    session = Session(system=one_device_system(capacity=64 * 2**30))
    autosaver = Autosaver(session, recovery, interval_s=3600)
    session.open_model(MODELS_DIR / MODEL)
    wait(session.model_changed)
    smallest, peak = session.memory_marks("ram")
    session.set_budget("ram", (smallest + peak) // 2)
    for solver in ("greedy", "chen-sqrt"):
        problem = session.build_problem()
        session.add_result(SolveRecord(solver, problem, solvers.run(solver, problem, solvers.SolveOptions()),
                                       f"{solver} at half way"))
    session.sweeps.start((0.7, 1.0), ["greedy"])
    wait(session.sweeps.finished)
    session.sweeps.open_point(0)
    assert session.projects.save(project)
    session.set_budget("ram", peak)  # unsaved: only the recovery file has it
    assert autosaver.save_now()
    saved = {"budget": (smallest + peak) // 2, "later_budget": peak, "results": [
        [r.label, r.result.trace.serial_time_s, r.result.trace.recompute_count] for r in session.results],
        "sweep_rows": session.sweeps.rows(), "shown": session.results.index(session.record)}
    print(json.dumps(saved), flush=True)
    del app
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
