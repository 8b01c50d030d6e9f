"""Exports from the window: schedule JSON, Perfetto trace, CSV, the PyTorch plan, and PNG/SVG pictures.

SVG goes through :class:`QSvgGenerator` and ``scene.render()``: pyqtgraph's own SVG exporter fails on
Qt >= 6.11 (ECOSYSTEM.md).
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from core.errors import RematError
from core.export import write_csv, write_perfetto, write_schedule_json
from gui.session_types import SolveRecord, record_meta

#: Name of the helper module written beside a plan (``from remat_plan import apply_plan``).
PLAN_HELPER = "remat_plan.py"

#: Export kinds offered in the File menu: (key, menu text, file filter, default suffix).
SCHEDULE_EXPORTS = (
    ("schedule", "Schedule JSON…", "Schedule (*.json)", ".schedule.json"),
    ("perfetto", "Perfetto trace…", "Trace (*.json)", ".trace.json"),
    ("csv", "Steps CSV…", "CSV (*.csv)", ".steps.csv"),
    ("plan", "PyTorch plan…", "Plan (*.json)", ".plan.json"),
)


def export_schedule(kind: str, path: str | Path, record: SolveRecord, *, model_path: str | None = None) -> None:
    """Write the result of ``record`` in format ``kind`` (``schedule``, ``perfetto`` or ``csv``)."""
    result, problem = record.result, record.problem
    if result.schedule is None or result.trace is None:
        raise RematError("there is no schedule to export: run a solver first")
    if kind == "schedule":
        write_schedule_json(path, problem, result.schedule, result.trace, record_meta(record, model_path))
    elif kind == "perfetto":
        write_perfetto(path, problem, result.trace)
    elif kind == "csv":
        write_csv(path, problem, result.trace)
    else:
        raise ValueError(f"unknown export kind {kind!r}")


def export_plan(path: str | Path, record: SolveRecord, *, model_path: str | None = None) -> list[Path]:
    """Write the PyTorch plan of ``record`` to ``path`` and its helper module beside it.

    The same :func:`core.export.pytorch_plan.build_plan` as ``main.py export-plan``, fed the record's
    problem and simulator trace directly (a schedule JSON read back would give the same ones).
    """
    from core.export.pytorch_plan import build_plan, write_helper, write_plan

    result = record.result
    if result.schedule is None or result.trace is None:
        raise RematError("there is no schedule to export: run a solver first")
    path = Path(path)
    plan = build_plan(record.problem, result.trace, model=record.problem.graph.name, model_file=model_path or "")
    write_plan(path, plan)
    helper = path.parent / PLAN_HELPER
    write_helper(helper)
    return [path, helper]


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
