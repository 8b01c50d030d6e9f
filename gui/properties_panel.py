"""Properties of the selected node: names, shapes, bytes, FLOPs, cost per device, schedule fate."""

from __future__ import annotations

from PySide6 import QtWidgets

from core.costs import build_cost_table
from core.units import format_bytes, format_seconds
from gui.graph_items import node_fates
from gui.session import Session


class PropertiesPanel(QtWidgets.QWidget):
    def __init__(self, session: Session, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._costs: object = None
        self._costs_key: tuple[int, int] | None = None
        self.table = QtWidgets.QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Property", "Value"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        column = QtWidgets.QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.table)
        session.selection_changed.connect(self._on_selection_changed)
        session.model_changed.connect(self._on_refresh)
        session.system_changed.connect(self._on_refresh)
        session.result_changed.connect(self._on_refresh)
        self._on_selection_changed(-1)

    def rows(self, node_id: int) -> list[tuple[str, str]]:
        graph = self.session.graph
        if graph is None or node_id < 0:
            return [("", "Select a node in the graph or a bar in the timeline.")]
        node = graph.nodes[node_id]
        rows = [
            ("name", node.name), ("op type", node.op_type), ("kind", node.kind.value),
            ("ONNX name", node.onnx_name or "—"), ("module path", node.module_scope or "—"),
            ("shapes", ", ".join("×".join(map(str, s)) for s in node.shapes) or "—"),
            ("output bytes", format_bytes(node.size_bytes)),
            ("FLOPs", f"{node.flops:.4g}"), ("bytes accessed", format_bytes(node.bytes_accessed)),
            ("reads", ", ".join(graph.nodes[d].name for d in node.deps[:6]) + (" …" if len(node.deps) > 6 else "")),
        ]
        if node.forward_id is not None:
            rows.append(("forward node", graph.nodes[node.forward_id].name))
        costs = self._cost_table()
        if costs is not None:
            for d, device in enumerate(self.session.system.devices):
                rows.append((f"time on {device.name}", format_seconds(float(costs.compute_time_s[node_id, d]))))
        record = self.session.record
        if record is not None and record.result.trace is not None and record.problem.graph is graph:
            devices, fates = node_fates(record.result.trace, len(graph.nodes))
            rows.append(("schedule", f"{fates[node_id]} on {devices[node_id] or '—'}"))
        return rows

    def _cost_table(self):  # type: ignore[no-untyped-def]
        graph, system = self.session.graph, self.session.system
        if graph is None:
            return None
        key = (id(graph), id(system))
        if key != self._costs_key:
            try:
                self._costs = build_cost_table(graph, system)
            except Exception:  # a cost model gap must not break the panel
                self._costs = None
            self._costs_key = key
        return self._costs

    def _on_refresh(self) -> None:
        self._on_selection_changed(self.session.selected)

    def _on_selection_changed(self, node_id: int) -> None:
        rows = self.rows(node_id)
        self.table.setRowCount(len(rows))
        for r, (key, value) in enumerate(rows):
            self.table.setItem(r, 0, QtWidgets.QTableWidgetItem(key))
            self.table.setItem(r, 1, QtWidgets.QTableWidgetItem(value))
        self.table.resizeColumnToContents(0)
        self.table.resizeRowsToContents()
