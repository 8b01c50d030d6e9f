"""Scene content of the operator graph: one painted item per box, edges merged into one path each."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6 import QtCore, QtGui, QtWidgets

from core.trace import StepRole, Trace
from gui import theme
from gui.graph_layout import NODE_HEIGHT, NODE_WIDTH, GraphLayout, LaidNode

#: Below this zoom factor boxes are drawn as plain rectangles without text.
LABEL_LOD = 0.45


class NodeItem(QtWidgets.QGraphicsItem):
    """A box of the graph, painted with level of detail: text only when large enough to read.

    Two lines: the op type over the module path (see :func:`gui.graph_layout.box_text`); the full
    name is in the tooltip and the properties panel.
    """

    _RECT = QtCore.QRectF(-NODE_WIDTH / 2, -NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT)
    _TITLE_RECT = QtCore.QRectF(-NODE_WIDTH / 2 + 5, -NODE_HEIGHT / 2 + 2, NODE_WIDTH - 10, NODE_HEIGHT / 2 - 1)
    _SUB_RECT = QtCore.QRectF(-NODE_WIDTH / 2 + 5, 0, NODE_WIDTH - 10, NODE_HEIGHT / 2 - 2)
    _fonts: tuple[QtGui.QFont, QtGui.QFont] | None = None

    def __init__(self, node: LaidNode) -> None:
        super().__init__()
        self.node = node
        self.fill = QtGui.QColor(theme.op_colour(node.op_type))
        self.text = QtGui.QColor(theme.text_colour_for(self.fill.name()))
        self.matched = False
        self._lines: tuple[str, str] | None = None
        self.setPos(node.x, node.y)
        self.setFlag(QtWidgets.QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        kind = node.kind.value if len(node.members) == 1 else f"{node.kind.value}, {len(node.members)} nodes"
        self.setToolTip(f"{node.label}\n{node.op_type} · {kind}")

    @classmethod
    def fonts(cls) -> tuple[QtGui.QFont, QtGui.QFont]:
        """(title, subtitle) fonts, made once (a QFont needs the application)."""
        if cls._fonts is None:
            title = QtGui.QFont()
            title.setPointSizeF(8.5)
            title.setBold(True)
            sub = QtGui.QFont()
            sub.setPointSizeF(7.5)
            cls._fonts = (title, sub)
        return cls._fonts

    def lines(self) -> tuple[str, str]:
        """The two lines as drawn: title elided at its end, module path elided at its start."""
        if self._lines is None:
            title_font, sub_font = self.fonts()
            width = int(self._TITLE_RECT.width())
            title = QtGui.QFontMetrics(title_font).elidedText(
                self.node.title or self.node.label, QtCore.Qt.TextElideMode.ElideRight, width)
            sub = QtGui.QFontMetrics(sub_font).elidedText(self.node.subtitle, QtCore.Qt.TextElideMode.ElideLeft,
                                                          width)
            self._lines = (title, sub)
        return self._lines

    def set_fill(self, colour: str) -> None:
        self.fill = QtGui.QColor(colour)
        self.text = QtGui.QColor(theme.text_colour_for(colour))
        self.update()

    def set_matched(self, matched: bool) -> None:
        if matched != self.matched:
            self.matched = matched
            self.update()

    def boundingRect(self) -> QtCore.QRectF:
        return self._RECT.adjusted(-3, -3, 3, 3)

    def paint(self, painter: QtGui.QPainter, option: QtWidgets.QStyleOptionGraphicsItem,
              widget: QtWidgets.QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if self.isSelected():
            painter.setPen(QtGui.QPen(QtGui.QColor(theme.SELECTION_COLOUR), 3))
        elif self.matched:
            painter.setPen(QtGui.QPen(QtGui.QColor(theme.MATCH_COLOUR), 3))
        else:
            painter.setPen(QtCore.Qt.PenStyle.NoPen if lod < LABEL_LOD else QtGui.QPen(QtGui.QColor("#555555"), 0.8))
        painter.setBrush(self.fill)
        if lod < LABEL_LOD:
            painter.drawRect(self._RECT)
            return
        painter.drawRoundedRect(self._RECT, 5, 5)
        painter.setPen(self.text)
        title, sub = self.lines()
        title_font, sub_font = self.fonts()
        painter.setFont(title_font)
        if not sub:
            painter.drawText(self._RECT, QtCore.Qt.AlignmentFlag.AlignCenter, title)
            return
        bottom, top = QtCore.Qt.AlignmentFlag.AlignBottom, QtCore.Qt.AlignmentFlag.AlignTop
        painter.drawText(self._TITLE_RECT, QtCore.Qt.AlignmentFlag.AlignHCenter | bottom, title)
        painter.setFont(sub_font)
        painter.drawText(self._SUB_RECT, QtCore.Qt.AlignmentFlag.AlignHCenter | top, sub)


def edge_path(layout: GraphLayout, edges: Sequence[tuple[int, int]]) -> QtGui.QPainterPath:
    """All ``edges`` as one path of cubic curves from the bottom of a box to the top of the next."""
    path = QtGui.QPainterPath()
    nodes = layout.nodes
    half = NODE_HEIGHT / 2
    for a, b in edges:
        na, nb = nodes[a], nodes[b]
        down = nb.y >= na.y
        y0 = na.y + (half if down else -half)
        y1 = nb.y - (half if down else -half)
        bend = (y1 - y0) / 2 if abs(y1 - y0) > 1 else 30.0
        path.moveTo(na.x, y0)
        path.cubicTo(na.x, y0 + bend, nb.x, y1 - bend, nb.x, y1)
    return path


def build_scene(
    scene: QtWidgets.QGraphicsScene, layout: GraphLayout,
) -> tuple[list[NodeItem], dict[str, QtWidgets.QGraphicsPathItem]]:
    """Fill ``scene`` (cleared first) with the boxes and edge paths of ``layout``."""
    scene.clear()
    paths: dict[str, QtWidgets.QGraphicsPathItem] = {}
    for name, edges, colour, width in (("edges", layout.edges, theme.EDGE_COLOUR, 1.0),
                                       ("saved", (), theme.SAVED_EDGE_COLOUR, 1.6)):
        item = scene.addPath(edge_path(layout, edges), QtGui.QPen(QtGui.QColor(colour), width))
        item.setZValue(-1 if name == "edges" else 1)
        paths[name] = item
    items = []
    for node in layout.nodes:
        item = NodeItem(node)
        scene.addItem(item)
        items.append(item)
    rect = scene.itemsBoundingRect().adjusted(-60, -60, 60, 60)
    scene.setSceneRect(rect)
    return items, paths


def node_fates(trace: Trace, n_nodes: int) -> tuple[list[str], list[str]]:
    """Per training node: the lane (device) of its first computation and its fate.

    Fate is ``paged`` (its buffer went to storage), ``recomputed``, ``kept`` or ``not run``.
    """
    device = [""] * n_nodes
    fate = ["not run"] * n_nodes
    for timing in trace.timings:
        node = timing.node
        if not 0 <= node < n_nodes:
            continue
        if timing.role is StepRole.COMPUTE:
            device[node] = device[node] or timing.lane
            if fate[node] == "not run":
                fate[node] = "kept"
        elif timing.role is StepRole.RECOMPUTE and fate[node] != "paged":
            fate[node] = "recomputed"
        elif timing.role is StepRole.PAGE_OUT:
            fate[node] = "paged"
    return device, fate
