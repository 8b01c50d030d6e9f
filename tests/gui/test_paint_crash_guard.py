"""PySide6 6.12.0 on CPython 3.11 aborts in Python ``paint()`` overrides (ECOSYSTEM.md).

Paint a few thousand custom items (our graph boxes) and pyqtgraph bars in a fresh interpreter: a crash
kills only the subprocess, and the test names the cause.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from core.paths import REPO_ROOT

SCRIPT = textwrap.dedent("""
    from PySide6 import QtCore, QtGui, QtWidgets
    import pyqtgraph as pg
    from core.graph import NodeKind
    from gui.graph_items import NodeItem
    from gui.graph_layout import LaidNode

    app = QtWidgets.QApplication([])
    scene = QtWidgets.QGraphicsScene()
    for i in range(3000):
        node = LaidNode(i, (i,), f"node{i}", "Conv" if i % 2 else "Relu", NodeKind.FORWARD, (i % 60) * 170.0,
                        (i // 60) * 56.0)
        scene.addItem(NodeItem(node))
    image = QtGui.QImage(1600, 1200, QtGui.QImage.Format.Format_ARGB32)
    for scale in (0.05, 1.0):
        painter = QtGui.QPainter(image)
        painter.scale(scale, scale)
        scene.render(painter, QtCore.QRectF(0, 0, 1600 / scale, 1200 / scale), scene.itemsBoundingRect())
        painter.end()
    plot = pg.PlotWidget()
    for k in range(3):
        plot.addItem(pg.BarGraphItem(x0=list(range(1000)), width=0.8, y0=k, height=0.8, brush="b"))
    plot.resize(800, 400)
    plot.grab()
    print("painted")
""")


def test_painting_thousands_of_python_items_does_not_crash():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYQTGRAPH_QT_LIB="PySide6")
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "painted" in done.stdout, (
        f"painting crashed (exit {done.returncode}); PySide6 6.12.0 on Python 3.11 does this: pin PySide6 < 6.12.\n"
        f"{done.stderr[-2000:]}")
