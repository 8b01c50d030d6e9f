"""Screenshots of the real window in its main states, saved into docs/screenshots/.

Run under a display (``make screenshots`` uses xvfb-run):
``xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py``.
The window opens on the bundled sample and is driven through: the operator graph, the machine
editor, a solve with its timeline, a budget sweep, a comparison of two schedules, and the GPT-style
sample's graph. Settings and the recovery file go to a temporary folder, so the user's own window
layout is neither used nor changed.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

log = logging.getLogger("screenshots")

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZE = (1500, 950)


def wait(signal, timeout_s: float = 120.0) -> list[object]:  # type: ignore[no-untyped-def]
    """Serve events until ``signal`` fires (or the timeout); its arguments."""
    from PySide6 import QtCore

    loop, got = QtCore.QEventLoop(), []
    signal.connect(lambda *args: (got.extend(args), loop.quit()))
    QtCore.QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    return got


def settle(ms: int = 400) -> None:
    """Let layouts, repaints and deferred timers run."""
    from PySide6 import QtCore

    loop = QtCore.QEventLoop()
    QtCore.QTimer.singleShot(ms, loop.quit)
    loop.exec()


def shoot(window, name: str, out: Path, widget=None) -> Path:  # type: ignore[no-untyped-def]
    """Save ``widget`` (default: the whole window) as ``name``.png."""
    settle()
    path = out / f"{name}.png"
    if not (widget or window).grab().save(str(path)):
        raise RuntimeError(f"cannot write {path}")
    log.info("wrote %s", path)
    return path


def drive(window, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    """Take the window through its main states, one screenshot each."""
    from core.paths import MODELS_DIR

    session, shots = window.session, []
    wait(window.graph_view.layout_ready)
    conv = next(n.id for n in session.graph.nodes if n.op_type == "Conv" and "layer2" in n.name)
    session.select_node(conv)
    window.docks["system"].raise_()
    shots.append(shoot(window, "main_window", out))
    _machine(window)
    shots.append(shoot(window, "machine_editor", out, window.docks["system"]))
    shots.append(_solve(window, out))
    shots.append(_sweep(window, out))
    shots.append(_compare(window, out))
    window.dialogs.save_answers.append("discard")  # the results above need no saving
    window.files.open_model(MODELS_DIR / "gpt2_small_bs8.onnx")
    wait(window.graph_view.layout_ready)
    window.graph_view.search.setText("attn.c_attn")
    window.docks["system"].raise_()
    shots.append(shoot(window, "graph_gpt2", out))
    return shots


def _machine(window) -> None:  # type: ignore[no-untyped-def]
    """Tight GPU budget typed in, as a user would."""
    session = window.session
    smallest, peak = session.memory_marks("vram")
    card = next(c for c in window.system_editor.cards if c.memory_name == "vram")
    card.budget.edit.setText(f"{(smallest + 2 * peak) / 3 / 2**20:.0f}MiB")
    card.budget.edit.editingFinished.emit()
    window.docks["system"].raise_()


def _solve(window, out: Path) -> Path:  # type: ignore[no-untyped-def]
    session = window.session
    window.solver_panel.select_solver("greedy")
    window.solver_panel.run()
    wait(session.result_changed)
    settle(800)
    first = session.graph.nodes[len(session.graph.nodes) // 3].id
    session.select_node(first)
    window.docks["timeline"].raise_()
    return shoot(window, "solve_timeline", out)


def _sweep(window, out: Path) -> Path:  # type: ignore[no-untyped-def]
    from PySide6 import QtCore

    panel = window.sweep_panel
    panel.fractions.setText("0.6:1.0:0.05")
    for i in range(panel.solver_list.count()):
        item = panel.solver_list.item(i)
        wanted = item.text() in ("greedy", "chen-sqrt")
        item.setCheckState(QtCore.Qt.CheckState.Checked if wanted else QtCore.Qt.CheckState.Unchecked)
    panel.run()
    wait(window.session.sweeps.finished, timeout_s=600)
    window.docks["sweep"].raise_()
    return shoot(window, "sweep", out)


def _compare(window, out: Path) -> Path:  # type: ignore[no-untyped-def]
    """The two solvers at the tightest budget of the sweep, side by side."""
    sweeps = window.session.sweeps
    for series in ("chen-sqrt", "greedy"):
        index = sweeps.find_point(series, 0.6)
        if index >= 0:
            sweeps.open_point(index)
    window.docks["results"].raise_()
    return shoot(window, "comparison", out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from PySide6 import QtCore, QtWidgets

    import pyqtgraph  # noqa: F401  isort: skip  (after PySide6)
    from gui.app import create_window
    from gui.dialogs import RecordingDialogs

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    from gui.gc_guard import GuiThreadCollector

    GuiThreadCollector(app).start()  # Qt garbage is destroyed in the GUI thread only
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        settings = QtCore.QSettings(str(Path(folder) / "settings.ini"), QtCore.QSettings.Format.IniFormat)
        dialogs = RecordingDialogs()
        session, window = create_window(recovery_path=Path(folder) / "recovery.rsproj", offer_recovery=False,
                                        dialogs=dialogs, settings=settings)
        window.resize(*SIZE)
        window.show()
        shots = drive(window, args.out)
        for kind, title, text in dialogs.messages:
            if kind == "error":
                log.warning("error shown: %s: %s", title, text)
        dialogs.save_answers.append("discard")
        window.close()
        session.shutdown()
    app.processEvents()
    log.info("%d screenshots in %s", len(shots), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
