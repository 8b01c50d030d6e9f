"""A minimap over a graphics view: the whole scene once as a picture, the visible area as a frame."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

SIZE = QtCore.QSize(170, 200)


class Minimap(QtWidgets.QWidget):
    """Floats over the bottom-right corner of ``view``; click or drag to move the view there."""

    def __init__(self, view: QtWidgets.QGraphicsView, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self._view = view
        self._picture = QtGui.QPixmap()
        self._target = QtCore.QRectF()
        self.setFixedSize(SIZE)
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Minimap: click or drag to move the view")
        view.horizontalScrollBar().valueChanged.connect(self.update)
        view.verticalScrollBar().valueChanged.connect(self.update)

    def place(self) -> None:
        geometry = self._view.geometry()
        self.move(geometry.right() - SIZE.width() - 18, geometry.bottom() - SIZE.height() - 18)
        self.raise_()

    def refresh(self) -> None:
        """Redraw the scene picture (after a layout or a recolouring)."""
        scene = self._view.scene()
        rect = scene.sceneRect()
        self._picture = QtGui.QPixmap(SIZE)
        self._picture.fill(QtGui.QColor("#F7F7F7"))
        if rect.isEmpty():
            self.update()
            return
        scale = min(SIZE.width() / rect.width(), SIZE.height() / rect.height())
        w, h = rect.width() * scale, rect.height() * scale
        self._target = QtCore.QRectF((SIZE.width() - w) / 2, (SIZE.height() - h) / 2, w, h)
        painter = QtGui.QPainter(self._picture)
        scene.render(painter, self._target, rect)
        painter.end()
        self.place()
        self.update()

    def _scene_to_map(self) -> QtGui.QTransform:
        rect = self._view.scene().sceneRect()
        if rect.isEmpty() or self._target.isEmpty():
            return QtGui.QTransform()
        sx = self._target.width() / rect.width()
        sy = self._target.height() / rect.height()
        return QtGui.QTransform(sx, 0, 0, sy, self._target.left() - rect.left() * sx,
                                self._target.top() - rect.top() * sy)

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        painter.drawPixmap(0, 0, self._picture)
        visible = self._view.mapToScene(self._view.viewport().rect()).boundingRect()
        frame = self._scene_to_map().mapRect(visible).intersected(QtCore.QRectF(self.rect()).adjusted(1, 1, -1, -1))
        painter.setPen(QtGui.QPen(QtGui.QColor("#D62728"), 1.5))
        painter.setBrush(QtGui.QColor(214, 39, 40, 30))
        painter.drawRect(frame)
        painter.setPen(QtGui.QPen(QtGui.QColor("#888888")))
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        painter.end()

    def mousePressEvent(self, event: QtGui.QMouseEvent) -> None:
        self._centre_at(event.position())

    def mouseMoveEvent(self, event: QtGui.QMouseEvent) -> None:
        self._centre_at(event.position())

    def _centre_at(self, point: QtCore.QPointF) -> None:
        inverse, ok = self._scene_to_map().inverted()
        if ok:
            self._view.centerOn(inverse.map(point))
            self.update()
