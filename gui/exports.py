"""Exports from the window: schedule JSON, Perfetto trace, CSV, and PNG/SVG pictures of a view.

SVG goes through :class:`QSvgGenerator` and ``scene.render()``: pyqtgraph's own SVG exporter fails on
Qt >= 6.11 (ECOSYSTEM.md).
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from core.errors import RematError
from core.export import write_csv, write_perfetto, write_schedule_json
from gui.session import SolveRecord

#: Export kinds offered in the File menu: (key, menu text, file filter, default suffix).
SCHEDULE_EXPORTS = (
    ("schedule", "Schedule JSON…", "Schedule (*.json)", ".schedule.json"),
    ("perfetto", "Perfetto trace…", "Trace (*.json)", ".trace.json"),
    ("csv", "Steps CSV…", "CSV (*.csv)", ".steps.csv"),
)


def export_schedule(kind: str, path: str | Path, record: SolveRecord, *, model_path: str | None = None) -> None:
    """Write the result of ``record`` in format ``kind`` (``schedule``, ``perfetto`` or ``csv``)."""
    result, problem = record.result, record.problem
    if result.schedule is None or result.trace is None:
        raise RematError("there is no schedule to export: run a solver first")
    if kind == "schedule":
        meta = {"solver": result.solver, "status": result.status.value, "wall_s": float(result.wall_s),
                "bound": result.bound, "gap": result.gap, "model": problem.graph.name,
                "model_path": model_path, "writer": "remat-studio window"}
        write_schedule_json(path, problem, result.schedule, result.trace, meta)
    elif kind == "perfetto":
        write_perfetto(path, problem, result.trace)
    elif kind == "csv":
        write_csv(path, problem, result.trace)
    else:
        raise ValueError(f"unknown export kind {kind!r}")


def save_scene_picture(scene: QtWidgets.QGraphicsScene, path: str | Path, source: QtCore.QRectF | None = None,
                       max_side: int = 4000) -> None:
    """Save ``scene`` (or the ``source`` part of it) as PNG or SVG, chosen by the suffix of ``path``."""
    path = Path(path)
    rect = source if source is not None else scene.sceneRect()
    if rect.isEmpty():
        raise RematError("the view is empty: nothing to export")
    scale = min(1.0, max_side / max(rect.width(), rect.height()))
    size = QtCore.QSize(max(1, int(rect.width() * scale)), max(1, int(rect.height() * scale)))
    suffix = path.suffix.lower()
    if suffix == ".svg":
        generator = QtSvg.QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(size)
        generator.setViewBox(QtCore.QRect(0, 0, size.width(), size.height()))
        generator.setTitle("Remat Studio")
        painter = QtGui.QPainter(generator)
        scene.render(painter, QtCore.QRectF(0, 0, size.width(), size.height()), rect)
        painter.end()
    elif suffix == ".png":
        image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32)
        image.fill(QtGui.QColor("white"))
        painter = QtGui.QPainter(image)
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        scene.render(painter, QtCore.QRectF(0, 0, size.width(), size.height()), rect)
        painter.end()
        if not image.save(str(path)):
            raise RematError(f"cannot write {path}: check that the folder exists and is writable")
    else:
        raise RematError(f"{path}: pictures are saved as .png or .svg")
    if not path.exists():
        raise RematError(f"cannot write {path}: check that the folder exists and is writable")


def save_widget_picture(widget: QtWidgets.QWidget, scene: QtWidgets.QGraphicsScene, path: str | Path) -> None:
    """A pyqtgraph view as PNG (grab of the widget) or SVG (its scene through QSvgGenerator)."""
    path = Path(path)
    if path.suffix.lower() == ".png":
        if not widget.grab().save(str(path)):
            raise RematError(f"cannot write {path}: check that the folder exists and is writable")
        return
    view_rect = QtCore.QRectF(widget.rect())
    save_scene_picture(scene, path, view_rect)
