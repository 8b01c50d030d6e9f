"""Window figures: time to show the GPT-style sample's graph, to render a 10,000-step timeline, and how
many GUI timer ticks arrive while a long exact solve runs (in its child process).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui.py`` (or under xvfb-run). Prints one
line per figure; nothing here is a test (timing goals live in benchmarks, not in the test suite).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6 import QtCore, QtWidgets

import pyqtgraph  # noqa: F401  isort: skip  (after PySide6)
from core.paths import DEFAULT_SAMPLE_MODEL as DEFAULT_SAMPLE
from core.paths import MODELS_DIR

GPT_SAMPLE = MODELS_DIR / "gpt2_small_bs8.onnx"


def wait_for(*signals: QtCore.SignalInstance, timeout_s: float = 120.0) -> list[object]:
    """Run the event loop until one of ``signals`` fires (or the timeout); return its arguments."""
    loop = QtCore.QEventLoop()
    got: list[object] = []
    for signal in signals:
        signal.connect(lambda *args: (got.extend(args), loop.quit()))
    QtCore.QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    return got


def bench_graph_open(path: Path, *, loader=None, after: Path | None = None) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Seconds from asking to open ``path`` until its graph is laid out and painted once.

    With ``after``, that model is opened first (as the window opens the default sample at start), so
    the figure leaves out importing the ONNX libraries.
    """
    from gui.main_window import MainWindow
    from gui.session import Session

    session = Session(**({"loader": loader} if loader else {}))
    settings = QtCore.QSettings(str(Path("/tmp") / "remat_bench_settings.ini"), QtCore.QSettings.Format.IniFormat)
    window = MainWindow(session, settings=settings)
    window.resize(1500, 950)
    window.show()
    loaded_at: list[float] = []
    session.model_changed.connect(lambda: loaded_at.append(time.perf_counter()))
    session.error.connect(lambda title, text: print(f"error: {title}: {text}", file=sys.stderr))
    if after is not None:
        session.open_model(after)
        wait_for(window.graph_view.layout_ready, session.error)
        loaded_at.clear()
    started = time.perf_counter()
    session.open_model(path)
    wait_for(window.graph_view.layout_ready, session.error)
    window.graph_view.view.viewport().grab()  # one full paint of what the user sees
    shown = time.perf_counter()
    graph = session.graph
    figures = {
        "nodes": float(len(graph.nodes)) if graph else 0.0,
        "boxes": float(len(window.graph_view.items)),
        "load_s": (loaded_at[0] - started) if loaded_at else float("nan"),
        "layout_and_paint_s": shown - loaded_at[0] if loaded_at else float("nan"),
        "total_s": shown - started,
    }
    window.close()
    return figures


def bench_timeline(steps: int) -> dict[str, float]:
    """Seconds to draw a timeline of about ``steps`` bars (one device, plain order) and paint it once."""
    from core.problem import build_problem
    from core.simulate import simulate
    from core.stages import decode_stages, plain_stages
    from gui.session import Session
    from gui.timeline_view import TimelineView
    from tests.gui.graphs import mirrored_graph
    from tests.helpers import one_device_system

    graph = mirrored_graph(steps // 4, size=1000)
    problem = build_problem(graph, one_device_system())
    R, S = plain_stages(graph)
    trace = simulate(problem, decode_stages(problem, R, S))
    view = TimelineView(Session(system=one_device_system()))
    view.resize(1400, 500)
    view.show()
    started = time.perf_counter()
    view.set_trace(problem, trace)
    drawn = time.perf_counter()
    view.plots.grab()
    painted = time.perf_counter()
    return {"bars": float(view.bar_count), "steps": float(len(trace.timings)), "build_s": drawn - started,
            "paint_s": painted - drawn, "total_s": painted - started}


def exact_problem(fraction: float = 0.8):  # type: ignore[no-untyped-def]
    """ResNet-18 on the two-device desktop preset, GPU budget at ``fraction`` of the peak: minutes of MILP."""
    from core.graph import no_recompute_peak
    from core.model_io import open_model
    from core.problem import build_problem
    from core.system_io import load_system

    training = open_model(MODELS_DIR / "resnet18_bs32.onnx").training
    return build_problem(training, load_system("desktop"), {"vram": int(fraction * no_recompute_peak(training))})


def bench_ticks_during_solve(solver: str, time_limit_s: float, interval_ms: int = 20) -> dict[str, float]:
    """Serve a ``interval_ms`` timer while ``solver`` runs in the solve child; count what arrives."""
    from gui.solve_runner import SolveRunner
    from solvers import SolveOptions

    runner = SolveRunner()
    ticks: list[float] = []
    timer = QtCore.QTimer()
    timer.setInterval(interval_ms)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    finished: list[object] = []
    runner.finished.connect(finished.append)
    runner.failed.connect(lambda message: print(f"solver failed: {message}", file=sys.stderr))
    started = time.perf_counter()
    runner.start(solver, exact_problem(), SolveOptions(time_limit_s=time_limit_s))
    timer.start()
    wait_for(runner.finished, runner.failed, timeout_s=time_limit_s + 120)
    timer.stop()
    span = (ticks[-1] - ticks[0]) if len(ticks) > 1 else 0.0
    gaps = [(b - a, a - started) for a, b in itertools.pairwise(ticks)]
    longest, at = max(gaps, default=(0.0, 0.0))
    result = finished[0] if finished else None
    return {"solve_s": time.perf_counter() - started, "ticks": float(len(ticks)),
            "expected": span * 1000 / interval_ms + 1, "max_gap_ms": 1000 * longest, "max_gap_at_s": at,
            "status": getattr(getattr(result, "status", None), "value", "failed")}  # type: ignore[dict-item]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=GPT_SAMPLE)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--solver", default="milp-highs", help="exact solver for the timer-tick figure")
    parser.add_argument("--solve-s", type=float, default=10.0, help="its time limit (0: skip the figure)")
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from gui.gc_guard import GuiThreadCollector

    GuiThreadCollector(app).start()  # Qt garbage is destroyed in the GUI thread only
    if args.model.exists():
        for label, after in (("first model of the process", None), ("after the default sample", DEFAULT_SAMPLE)):
            f = bench_graph_open(args.model, after=after)
            print(f"graph open {args.model.name} ({label}): {f['nodes']:.0f} training nodes, {f['boxes']:.0f} "
                  f"boxes; load {f['load_s']:.2f} s, layout+draw+paint {f['layout_and_paint_s']:.2f} s, "
                  f"total {f['total_s']:.2f} s")
    else:
        print(f"graph open: {args.model} is missing (generate the samples first)")
    t = bench_timeline(args.steps)
    print(f"timeline: {t['bars']:.0f} bars ({t['steps']:.0f} steps incl. frees); build {t['build_s'] * 1000:.0f} ms, "
          f"first paint {t['paint_s'] * 1000:.0f} ms, total {t['total_s'] * 1000:.0f} ms")
    if args.solve_s > 0:
        k = bench_ticks_during_solve(args.solver, args.solve_s)
        print(f"GUI timer during {args.solver} ({k['status']}, {k['solve_s']:.1f} s): {k['ticks']:.0f} of "
              f"{k['expected']:.0f} 20 ms ticks ({100 * k['ticks'] / max(k['expected'], 1):.0f} %), "
              f"longest gap {k['max_gap_ms']:.0f} ms at {k['max_gap_at_s']:.1f} s")
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
