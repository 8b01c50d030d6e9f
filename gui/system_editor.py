"""The system editor: memories as cards with their devices, a palette of presets, links, budgets, undo."""

from __future__ import annotations

import logging

from PySide6 import QtCore, QtGui, QtWidgets

from core.errors import RematError
from core.system import MemoryKind, System
from core.units import format_bytes
from gui import system_edit
from gui.budget_widget import BudgetEditor
from gui.links_table import LinksTable
from gui.session import Session

log = logging.getLogger(__name__)

PRESET_MIME = "application/x-remat-preset"


def preset_entries() -> list[tuple[str, str]]:
    """(name, description) of every bundled preset."""
    from core.system_io import list_presets, load_system

    entries = []
    for name in list_presets():
        try:
            system = load_system(name)
            text = f"{system.name}: {len(system.devices)} devices, {len(system.memories)} memories"
            entries.append((name, f"{text}\n{system.description}".strip()))
        except RematError as exc:  # a broken preset is shown, with what is wrong with it
            entries.append((name, str(exc)))
    return entries


def load_preset(name: str) -> System:
    from core.system_io import load_system

    return load_system(name)


class PresetPalette(QtWidgets.QListWidget):
    """Presets to drag into the machine (or double-click to replace it)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setMaximumWidth(200)
        for name, description in preset_entries():
            item = QtWidgets.QListWidgetItem(name)
            item.setToolTip(description or name)
            self.addItem(item)

    def mimeData(self, items: list[QtWidgets.QListWidgetItem]) -> QtCore.QMimeData:
        data = QtCore.QMimeData()
        data.setData(PRESET_MIME, QtCore.QByteArray(items[0].text().encode()))
        data.setText(items[0].text())
        return data


class MemoryCard(QtWidgets.QFrame):
    """One memory: capacity, the devices computing from it, its budget."""

    def __init__(self, editor: SystemEditor, memory_name: str) -> None:
        super().__init__()
        self.editor = editor
        self.memory_name = memory_name
        session = editor.session
        memory = session.system.memory(memory_name)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.setObjectName("memoryCard")
        self.setStyleSheet("#memoryCard { background: #F4F7FB; border: 1px solid #9AA3AD; border-radius: 6px; }")
        self.setMinimumWidth(300)
        title = QtWidgets.QLabel(f"<b>{memory.name}</b> · {memory.kind.value} · {format_bytes(memory.capacity_bytes)}")
        remove = QtWidgets.QToolButton(text="✕")
        remove.setToolTip(f"Remove memory {memory.name} with its devices and links")
        remove.clicked.connect(lambda: editor.edit(system_edit.remove_memory(session.system, memory_name),
                                                   f"Remove memory {memory_name}"))
        head = QtWidgets.QHBoxLayout()
        head.addWidget(title, 1)
        head.addWidget(remove)
        column = QtWidgets.QVBoxLayout(self)
        column.addLayout(head)
        for device in system_edit.devices_of(session.system, memory_name):
            column.addLayout(self._device_row(device))
        self.budget: BudgetEditor | None = None
        if memory.kind is MemoryKind.DEVICE or system_edit.devices_of(session.system, memory_name):
            column.addWidget(QtWidgets.QLabel("Budget"))
            self.budget = BudgetEditor()
            self.budget.budget_edited.connect(self._on_budget_edited)
            column.addWidget(self.budget)
            self.refresh()
        else:
            column.addWidget(QtWidgets.QLabel("storage: buffers may be paged here"))
        column.addStretch(1)

    def _device_row(self, device) -> QtWidgets.QHBoxLayout:  # type: ignore[no-untyped-def]
        label = QtWidgets.QLabel(f"▣ {device.name} ({device.kind}) · {_rate(device.peak_flops, 'FLOP/s')} · "
                                 f"{_rate(device.mem_bandwidth_bytes_s, 'B/s')}")
        label.setToolTip(f"launch overhead {device.launch_overhead_s * 1e6:.3g} µs, efficiency {device.efficiency:.2f},"
                         f" power {device.active_power_w:g} W active / {device.idle_power_w:g} W idle")
        remove = QtWidgets.QToolButton(text="✕")
        remove.setToolTip(f"Remove device {device.name}")
        remove.clicked.connect(lambda: self.editor.edit(
            system_edit.remove_device(self.editor.session.system, device.name), f"Remove device {device.name}"))
        row = QtWidgets.QHBoxLayout()
        row.addWidget(label, 1)
        row.addWidget(remove)
        return row

    def refresh(self) -> None:
        if self.budget is None:
            return
        session = self.editor.session
        memory = session.system.memory(self.memory_name)
        smallest, peak = session.memory_marks(self.memory_name)
        self.budget.set_range(memory.capacity_bytes, smallest, peak)
        self.budget.set_value(session.budgets.get(self.memory_name, memory.effective_budget))

    def _on_budget_edited(self, size: int, drag: int | None) -> None:
        try:
            self.editor.session.set_budget(self.memory_name, size, drag=drag)
        except RematError as exc:
            self.editor.session.error.emit("Invalid budget", str(exc))


class MachineArea(QtWidgets.QScrollArea):
    """Holds the memory cards; accepts presets dropped from the palette."""

    preset_dropped = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setWidgetResizable(True)
        self.inner = QtWidgets.QWidget()
        self.row = QtWidgets.QHBoxLayout(self.inner)
        self.row.setAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
        self.setWidget(self.inner)

    def dragEnterEvent(self, event: QtGui.QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(PRESET_MIME):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QtGui.QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(PRESET_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event: QtGui.QDropEvent) -> None:
        if event.mimeData().hasFormat(PRESET_MIME):
            self.preset_dropped.emit(bytes(event.mimeData().data(PRESET_MIME).data()).decode())
            event.acceptProposedAction()


class SystemEditor(QtWidgets.QWidget):
    def __init__(self, session: Session, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.cards: list[MemoryCard] = []
        self.palette_list = PresetPalette()
        self.palette_list.itemDoubleClicked.connect(lambda item: self.replace_with_preset(item.text()))
        self.machine = MachineArea()
        self.machine.preset_dropped.connect(self.add_preset)
        self.links = LinksTable(session, self)
        self.title = QtWidgets.QLabel()
        self.title.setWordWrap(True)  # a long preset name must not widen the window
        self.title.setMinimumWidth(120)
        buttons = QtWidgets.QHBoxLayout()
        for text, slot in (("Load system…", self.load_dialog), ("Save system…", self.save_dialog)):
            button = QtWidgets.QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        stack = session.undo_stack
        # fixed labels: the command text ("Budget of vram: 508 MiB") goes into the tooltip, so a long
        # one cannot widen the row
        for text, act, can, changed, now in (
                ("Undo", stack.undo, stack.canUndoChanged, stack.undoTextChanged, stack.canUndo()),
                ("Redo", stack.redo, stack.canRedoChanged, stack.redoTextChanged, stack.canRedo())):
            button = QtWidgets.QToolButton(text=text, enabled=now)
            button.clicked.connect(act)
            can.connect(button.setEnabled)
            changed.connect(button.setToolTip)  # a slot of the button: gone with it
            buttons.addWidget(button)
        buttons.addWidget(self.title, 1)
        left = QtWidgets.QVBoxLayout()
        left.addWidget(QtWidgets.QLabel("<b>Presets</b> (drag into the machine,<br>double-click to replace it)"))
        left.addWidget(self.palette_list, 1)
        middle = QtWidgets.QVBoxLayout()
        middle.addLayout(buttons)
        middle.addWidget(self.machine, 1)
        self.links.setFixedWidth(330)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(4, 4, 4, 4)
        row.addLayout(left)
        row.addLayout(middle, 1)
        row.addWidget(self.links)
        session.system_changed.connect(self._on_system_changed)
        session.model_changed.connect(self._on_budgets_changed)
        session.budgets_changed.connect(self._on_budgets_changed)
        self._on_system_changed()

    # -- edits (all through the session, undoable) -------------------------------------------
    def edit(self, system: System, text: str) -> None:
        self.session.set_system(system, text)

    def add_preset(self, name: str) -> None:
        try:
            self.edit(system_edit.merge_systems(self.session.system, load_preset(name)), f"Add {name}")
        except RematError as exc:
            self.session.error.emit("Cannot add preset", str(exc))

    def replace_with_preset(self, name: str) -> None:
        try:
            self.edit(load_preset(name), f"Use {name}")
        except RematError as exc:
            self.session.error.emit("Cannot load preset", str(exc))

    def load_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Load system", "", "System files (*.json)")
        if path:
            self.load_file(path)

    def load_file(self, path: str) -> None:
        try:
            from core.system_io import load_system

            self.edit(load_system(path), "Load system")
        except (RematError, OSError, ImportError) as exc:
            self.session.error.emit("Cannot load system", f"{path}\n\n{exc}")

    def save_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save system", "system.json", "System files (*.json)")
        if path:
            self.save_file(path)

    def save_file(self, path: str) -> None:
        try:
            from core.system_io import save_system

            save_system(self.session.system, path)
            self.session.status.emit(f"Saved system to {path}")
        except (RematError, OSError, ImportError) as exc:
            self.session.error.emit("Cannot save system", f"{path}\n\n{exc}")

    # -- rendering ---------------------------------------------------------------------------
    def _on_system_changed(self) -> None:
        for card in self.cards:
            self.machine.row.removeWidget(card)
            card.deleteLater()
        self.cards = [MemoryCard(self, m.name) for m in self.session.system.memories]
        for card in self.cards:
            self.machine.row.addWidget(card)
        system = self.session.system
        self.title.setText(f"<b>{system.name}</b>: {len(system.devices)} devices, {len(system.memories)} memories, "
                           f"{len(system.links)} links")

    def _on_budgets_changed(self) -> None:
        for card in self.cards:
            card.refresh()


def _rate(value: float, unit: str) -> str:
    """``82.6e12`` -> ``82.6 TFLOP/s``; ``1.008e12`` -> ``1.01 TB/s``."""
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"
