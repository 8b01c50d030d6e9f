"""The operator graph view: layout off the GUI thread, zoom/pan, search, colours, collapse, minimap."""

from __future__ import annotations

import logging
import time

from PySide6 import QtCore, QtGui, QtWidgets

from core.graph import NodeKind
from core.trace import StepRole
from gui import theme
from gui.graph_items import NodeItem, build_scene, edge_path, node_fates
from gui.graph_layout import GraphLayout, layout_graph
from gui.minimap import Minimap
from gui.session import Session
from gui.worker import FunctionWorker

log = logging.getLogger(__name__)

#: Forward node count above which the graph opens collapsed by module scope.
COLLAPSE_ABOVE = 1500
COLOUR_MODES = ("Operator kind", "Device", "Kept / recomputed / paged")
#: The smallest zoom at which box labels are drawn and read (below: fit shows the top of the graph).
FIT_READABLE = 0.85


class ZoomableView(QtWidgets.QGraphicsView):
    """A graphics view that zooms with the wheel around the cursor and pans by dragging."""

    def __init__(self, scene: QtWidgets.QGraphicsScene, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QtGui.QPainter.RenderHint.Antialiasing | QtGui.QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QtWidgets.QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QtWidgets.QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QtWidgets.QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setBackgroundBrush(QtGui.QColor(theme.BACKGROUND))

    def wheelEvent(self, event: QtGui.QWheelEvent) -> None:
        self.zoom(1.0015 ** event.angleDelta().y())

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if 0.01 <= scale <= 8.0:
            self.scale(factor, factor)


class GraphView(QtWidgets.QWidget):
    """Shows the session's training graph; selecting a box selects its node in the session."""

    layout_ready = QtCore.Signal(float)  # seconds from request to a drawn scene

    def __init__(self, session: Session, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.layout: GraphLayout | None = None
        self.items: list[NodeItem] = []
        self._paths: dict[str, QtWidgets.QGraphicsPathItem] = {}
        self._matches: list[int] = []
        self._match_index = -1
        self._syncing = False
        self._worker: FunctionWorker | None = None
        self._requested_at = 0.0
        self.scene = QtWidgets.QGraphicsScene(self)
        self.view = ZoomableView(self.scene, self)
        self.minimap = Minimap(self.view, self)
        self._build_toolbar()
        self.view.horizontalScrollBar().rangeChanged.connect(lambda *_: self.minimap.update())
        self.scene.selectionChanged.connect(self._on_scene_selection)
        session.model_changed.connect(self._on_model_changed)
        session.result_changed.connect(self._on_result_changed)
        session.selection_changed.connect(self._on_selection_changed)

    # -- widgets -----------------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        self.search = QtWidgets.QLineEdit(placeholderText="Search name, op type or shape (Enter: next)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search_text)
        self.search.returnPressed.connect(self.next_match)
        self.match_label = QtWidgets.QLabel("")
        self.colour_mode = QtWidgets.QComboBox()
        self.colour_mode.addItems(COLOUR_MODES)
        self.colour_mode.currentIndexChanged.connect(lambda _i: self.recolour())
        self.collapse = QtWidgets.QCheckBox("Collapse modules, depth")
        self.depth = QtWidgets.QSpinBox(minimum=1, maximum=8, value=2)
        self.collapse.toggled.connect(lambda _on: self.relayout())
        self.depth.valueChanged.connect(lambda _v: self.collapse.isChecked() and self.relayout())
        fit = QtWidgets.QToolButton(text="Fit")
        fit.setToolTip("Fit the graph into the view")
        fit.clicked.connect(self.fit)
        self.minimap_toggle = QtWidgets.QToolButton(text="Minimap", checkable=True, checked=True)
        self.minimap_toggle.toggled.connect(self.minimap.setVisible)
        self.legend = QtWidgets.QLabel()
        self.legend.setWordWrap(True)
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.search, 3)
        bar.addWidget(self.match_label)
        bar.addWidget(QtWidgets.QLabel("Colour:"))
        bar.addWidget(self.colour_mode)
        bar.addWidget(self.collapse)
        bar.addWidget(self.depth)
        bar.addWidget(fit)
        bar.addWidget(self.minimap_toggle)
        body = QtWidgets.QHBoxLayout()
        body.setSpacing(4)
        body.addWidget(self.view, 1)
        body.addWidget(self.minimap)
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(bar)
        column.addLayout(body, 1)
        column.addWidget(self.legend)

    # -- layout ------------------------------------------------------------------------------
    def _on_model_changed(self) -> None:
        graph = self.session.graph
        if graph is None:
            return
        big = len(graph.forward_nodes()) > COLLAPSE_ABOVE and any(n.module_scope for n in graph.nodes)
        for widget, set_value in ((self.collapse, lambda: self.collapse.setChecked(big)),
                                  (self.colour_mode, lambda: self.colour_mode.setCurrentIndex(0))):
            widget.blockSignals(True)
            set_value()
            widget.blockSignals(False)
        self.relayout()

    def relayout(self) -> None:
        """Compute the layout off the GUI thread; the scene is rebuilt when it arrives."""
        graph = self.session.graph
        if graph is None:
            return
        self._requested_at = time.perf_counter()
        depth = self.depth.value() if self.collapse.isChecked() else 0
        worker = FunctionWorker(layout_graph, graph, depth, owner=self)
        worker.returned.connect(lambda layout, g=graph: self._on_layout(g, layout))
        worker.errored.connect(
            lambda exc: self.session.error.emit("Graph layout failed", f"{type(exc).__name__}: {exc}"))
        self._worker = worker
        worker.start()

    def _on_layout(self, graph: object, layout: GraphLayout) -> None:
        if graph is not self.session.graph:
            return  # a newer model arrived meanwhile
        self.layout = layout
        # clearing the scene deselects the old boxes: their paths are gone, so do not react to it
        self._syncing = True
        try:
            self.items, self._paths = [], {}
            self.items, self._paths = build_scene(self.scene, layout)
        finally:
            self._syncing = False
        self.recolour()
        self.fit()
        if self.session.selected >= 0:
            self._on_selection_changed(self.session.selected)
        self._on_search_text(self.search.text())
        self.minimap.refresh()
        elapsed = time.perf_counter() - self._requested_at
        log.info("graph of %d boxes laid out and drawn in %.3f s", len(layout.nodes), elapsed)
        self.layout_ready.emit(elapsed)

    def fit(self) -> None:
        if not self.items:
            return
        rect = self.scene.sceneRect()
        self.view.fitInView(rect, QtCore.Qt.AspectRatioMode.KeepAspectRatio)
        if self.view.transform().m11() < FIT_READABLE:
            # a deep graph shrunk to fit is a column of unreadable dots: show its top, readable
            self.view.resetTransform()
            scale = max(FIT_READABLE, min(1.0, self.view.viewport().width() / max(rect.width(), 1.0)))
            self.view.scale(scale, scale)
            visible = self.view.viewport().width() / scale
            self.view.centerOn(rect.left() + visible / 2, rect.top() + self.view.viewport().height() / scale / 2)
        self.minimap.update()

    # -- colours -----------------------------------------------------------------------------
    def recolour(self) -> None:
        if self.layout is None:
            return
        mode = self.colour_mode.currentIndex()
        record = self.session.record
        if mode == 0 or record is None or record.result.trace is None:
            for item in self.items:
                item.set_fill(theme.op_colour(item.node.op_type))
            self.legend.setText(self._legend([(name, colour) for name, _k, colour in theme.OP_CATEGORIES]
                                             + [("other", theme.OTHER_OP_COLOUR)]))
            return
        devices, fates = node_fates(record.result.trace, len(record.problem.graph.nodes))
        if mode == 1:
            names = [d.name for d in record.problem.system.devices]
            colours = {name: theme.device_colour(i) for i, name in enumerate(names)}
            for item in self.items:
                item.set_fill(colours.get(devices[item.node.members[0]], theme.FATE_COLOURS["not run"]))
            self.legend.setText(self._legend(list(colours.items())))
        else:
            for item in self.items:
                member_fates = {fates[m] for m in item.node.members}
                fate = next((f for f in ("paged", "recomputed", "kept") if f in member_fates), "not run")
                item.set_fill(theme.FATE_COLOURS[fate])
            self.legend.setText(self._legend(list(theme.FATE_COLOURS.items())))
        self.minimap.refresh()

    @staticmethod
    def _legend(entries: list[tuple[str, str]]) -> str:
        return "  ".join(f'<span style="color:{c}">■</span> {n}' for n, c in entries)

    def _on_result_changed(self) -> None:
        record = self.session.record
        if record is not None and record.result.trace is not None and self.colour_mode.currentIndex() == 0:
            # by device when the schedule uses several, else what matters: kept or recomputed
            used = {t.lane for t in record.result.trace.timings if t.role is StepRole.COMPUTE}
            self.colour_mode.setCurrentIndex(1 if len(used) > 1 else 2)
        else:
            self.recolour()

    # -- selection ---------------------------------------------------------------------------
    def _on_scene_selection(self) -> None:
        if self._syncing:
            return
        selected = [i for i in self.scene.selectedItems() if isinstance(i, NodeItem)]
        self._show_saved_edges(selected[0] if selected else None)
        if selected:
            self.session.select_node(selected[0].node.members[0])

    def _on_selection_changed(self, node: int) -> None:
        if self.layout is None:
            return
        self._syncing = True
        try:
            self.scene.clearSelection()
            item = self.items[self.layout.box_of[node]] if 0 <= node < len(self.layout.box_of) else None
            if item is not None:
                item.setSelected(True)
                self.view.centerOn(item)
            self._show_saved_edges(item)
        finally:
            self._syncing = False

    def _show_saved_edges(self, item: NodeItem | None) -> None:
        if self.layout is None or "saved" not in self._paths:
            return
        key = item.node.key if item is not None else -1
        edges = [e for e in self.layout.saved_edges if key in e]
        self._paths["saved"].setPath(edge_path(self.layout, edges))

    # -- search ------------------------------------------------------------------------------
    def _on_search_text(self, text: str) -> None:
        graph = self.session.graph
        needle = text.strip().lower()
        self._matches = []
        for item in self.items:
            hit = bool(needle) and graph is not None and any(
                _matches(graph.nodes[m], needle) for m in item.node.members)
            item.set_matched(hit)
            if hit:
                self._matches.append(item.node.key)
        self._match_index = -1
        self.match_label.setText(f"{len(self._matches)} found" if needle else "")
        if self._matches:
            self.next_match()

    def next_match(self) -> None:
        if not self._matches:
            return
        self._match_index = (self._match_index + 1) % len(self._matches)
        item = self.items[self._matches[self._match_index]]
        self.view.centerOn(item)
        self.session.select_node(item.node.members[0])


def _matches(node: object, needle: str) -> bool:
    name = getattr(node, "name", "").lower()
    op = getattr(node, "op_type", "").lower()
    onnx = getattr(node, "onnx_name", "").lower()
    scope = getattr(node, "module_scope", "").lower()
    if needle in name or needle in op or needle in onnx or (scope and needle in scope):
        return True
    shapes = getattr(node, "shapes", ())
    text = " ".join("x".join(str(d) for d in shape) for shape in shapes)
    compact = needle.replace(" ", "").replace(",", "x").strip("()[]")
    return (bool(compact) and compact in text.replace(" ", "")) or (getattr(node, "kind", None) is NodeKind.LOSS
                                                                  and needle == "loss")
