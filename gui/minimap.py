"""A minimap of a graphics view: the whole scene once as a picture, the visible area as a frame.

It sits in its own column beside the view (never over it, so it hides no graph content) and can be
hidden from the graph toolbar.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

WIDTH = 150


class Minimap(QtWidgets.QWidget):
    """Click or drag to move ``view`` there."""

    def __init__(self, view: QtWidgets.QGraphicsView, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self._picture = QtGui.QPixmap()
        self._target = QtCore.QRectF()
        self.setFixedWidth(WIDTH)
        self.setMinimumHeight(80)
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Minimap: click or drag to move the view")
        self._redraw = QtCore.QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(120)  # a resize drag re-renders the scene once, at its end
        self._redraw.timeout.connect(self.refresh)
        view.horizontalScrollBar().valueChanged.connect(self.update)
        view.verticalScrollBar().valueChanged.connect(self.update)

    def refresh(self) -> None:
        """Redraw the scene picture (after a layout, a recolouring or a resize)."""
        scene = self._view.scene()
        rect = scene.sceneRect()
        size = self.size()
        self._picture = QtGui.QPixmap(size)
        self._picture.fill(QtGui.QColor("#F7F7F7"))
        if rect.isEmpty() or size.isEmpty():
            self.update()
            return
        scale = min(size.width() / rect.width(), size.height() / rect.height())
        w, h = rect.width() * scale, rect.height() * scale
        self._target = QtCore.QRectF((size.width() - w) / 2, 4, w, h)
        painter = QtGui.QPainter(self._picture)
        scene.render(painter, self._target, rect)
        painter.end()
        self.update()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._redraw.start()

    def _scene_to_map(self) -> QtGui.QTransform:
        rect = self._view.scene().sceneRect()
        if rect.isEmpty() or self._target.isEmpty():
            return QtGui.QTransform()
        sx = self._target.width() / rect.width()
        sy = self._target.height() / rect.height()
        return QtGui.QTransform(sx, 0, 0, sy, self._target.left() - rect.left() * sx,
                                self._target.top() - rect.top() * sy)

    def visible_frame(self) -> QtCore.QRectF:
        """The part of the scene the view shows, in minimap pixels."""
        visible = self._view.mapToScene(self._view.viewport().rect()).boundingRect()
        return self._scene_to_map().mapRect(visible).intersected(QtCore.QRectF(self.rect()).adjusted(1, 1, -1, -1))

    def paintEvent(self, event: QtGui.QPaintEvent) -> None:
        painter = QtGui.QPainter(self)
        painter.drawPixmap(0, 0, self._picture)
        painter.setPen(QtGui.QPen(QtGui.QColor("#D62728"), 1.5))
        painter.setBrush(QtGui.QColor(214, 39, 40, 30))
        painter.drawRect(self.visible_frame())
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
