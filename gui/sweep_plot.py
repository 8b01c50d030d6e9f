"""The overhead-versus-budget curve: one widget for the window, one PNG renderer for the command line.

Both draw the same rows (:meth:`solvers.sweep.SweepPoint.row`), so the command line writes exactly
the numbers the window shows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

#: Line colours per series, in order (colour-blind safe).
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")


def series_curves(rows: Iterable[Mapping[str, object]]) -> dict[str, tuple[list[float], list[float]]]:
    """Per series: budget in % of the no-recomputation peak, overhead in %, for solved points only."""
    curves: dict[str, tuple[list[float], list[float]]] = {}
    for row in rows:
        overhead = row.get("overhead")
        if overhead is None:
            continue
        xs, ys = curves.setdefault(str(row["series"]), ([], []))
        xs.append(100.0 * float(row["fraction"]))  # type: ignore[arg-type]
        ys.append(100.0 * float(overhead))  # type: ignore[arg-type]
    return curves


class SweepPlot(pg.PlotWidget):
    """Overhead (%) versus budget (% of peak), one line per solver or system; points are clickable."""

    point_clicked = QtCore.Signal(str, float)  # series, fraction

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        # no ``units=``: pyqtgraph would put SI prefixes on a percentage
        self.setLabel("bottom", "memory budget (% of the no-recomputation peak)")
        self.setLabel("left", "compute overhead (%)")
        self.showGrid(x=True, y=True, alpha=0.25)
        self.addLegend(offset=(-10, 10))
        self._items: dict[str, pg.PlotDataItem] = {}

    def set_rows(self, rows: Iterable[Mapping[str, object]]) -> None:
        for item in self._items.values():
            self.removeItem(item)
        self._items.clear()
        for index, (series, (xs, ys)) in enumerate(series_curves(rows).items()):
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            item = self.plot(xs, ys, name=series, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=7,
                             symbolBrush=colour)
            item.sigPointsClicked.connect(lambda _item, points, _ev, s=series: self._on_points_clicked(s, points))
            self._items[series] = item

    def _on_points_clicked(self, series: str, points: list[pg.SpotItem]) -> None:
        if points:
            self.point_clicked.emit(series, points[0].pos().x() / 100.0)


def render_sweep_png(rows: Iterable[Mapping[str, object]], path: Path, size: tuple[int, int] = (900, 560)) -> None:
    """Render the sweep curve to a PNG file without showing a window."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    plot = SweepPlot()
    plot.resize(*size)
    plot.set_rows(list(rows))
    plot.show()
    app.processEvents()
    image = QtGui.QImage(plot.size(), QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    plot.render(painter)
    painter.end()
    if not image.save(str(path)):
        from core.errors import RematError

        raise RematError(f"cannot write the plot to {path}: check the folder and the .png extension")
    plot.close()
