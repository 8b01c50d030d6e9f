"""Each view rendering a session: graph, properties, timeline, solver panel, system editor."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from core.trace import StepRole
from gui.graph_items import NodeItem
from solvers import Progress


def test_graph_view_draws_every_box_and_selects_from_the_scene(qtbot, window):
    view, session = window.graph_view, window.session
    assert len(view.items) == len(session.graph.nodes)
    with qtbot.waitSignal(session.selection_changed) as selected:
        view.items[4].setSelected(True)
    assert selected.args == [4]
    assert "Conv" in [row[1] for row in window.properties.rows(4)] or window.properties.table.rowCount() > 5


def test_selection_from_the_session_selects_the_box_and_draws_saved_edges(window):
    view, session = window.graph_view, window.session
    session.select_node(2)
    assert [i.node.key for i in view.scene.selectedItems() if isinstance(i, NodeItem)] == [2]
    assert not view._paths["saved"].path().isEmpty()


def test_search_by_op_type_name_and_shape(window):
    view = window.graph_view
    view.search.setText("relu")
    assert view.match_label.text() == f"{sum('relu' in n.name for n in window.session.graph.nodes)} found"
    view.search.setText("block3.conv1")
    assert window.session.graph.nodes[window.session.selected].name.startswith("block3.conv1")
    view.search.setText("8x125")
    assert view.match_label.text() == f"{len(window.session.graph.nodes)} found"  # every node is 8x125
    view.search.setText("")
    assert not any(i.matched for i in view.items)


def test_collapse_by_module_scope(qtbot, window):
    view = window.graph_view
    with qtbot.waitSignal(view.layout_ready, timeout=20_000):
        view.depth.setValue(1)
        view.collapse.setChecked(True)
    assert len(view.items) < len(window.session.graph.nodes) / 2
    assert view.layout.collapsed


def test_timeline_bars_match_the_trace_and_clicks_select_nodes(solved_window):
    timeline, session = solved_window.timeline, solved_window.session
    trace = session.record.result.trace
    assert timeline.bar_count == sum(t.role is not StepRole.FREE for t in trace.timings) > 0
    assert StepRole.COMPUTE in timeline.bar_items
    step = next(i for i, t in enumerate(trace.timings) if t.role is StepRole.COMPUTE and t.node == 5)
    timing = trace.timings[step]
    vb = timeline.lanes_plot.getViewBox()
    timeline.lanes_plot.setXRange(timing.start_s, timing.end_s, padding=0.2)
    point = vb.mapViewToScene(QtCore.QPointF((timing.start_s + timing.end_s) / 2, timeline.lanes.index(timing.lane)))
    assert timeline.step_at(point) == step
    assert "compute on" in timeline.describe(step)
    session.select_node(trace.timings[step].node)
    assert len(timeline.highlight.opts["x0"]) >= 1
    assert "serial time" in timeline.summary.text() and "peak ram" in timeline.summary.text()


def test_graph_recolours_by_fate_or_device_after_a_solve(qtbot, solved_window):
    view = solved_window.graph_view
    assert view.colour_mode.currentIndex() == 2  # the plain schedule runs on one device: kept / recomputed
    assert "recomputed" in view.legend.text()
    view.colour_mode.setCurrentIndex(1)
    assert "cpu" in view.legend.text() and "gpu" in view.legend.text()
    with qtbot.waitSignal(view.layout_ready, timeout=20_000):
        solved_window.session.open_model(solved_window.session.model_path)
    assert view.colour_mode.currentIndex() == 0 and "convolution" in view.legend.text()  # a new model: op kinds


def test_solver_panel_greys_out_unavailable_solvers_and_plots_progress(window, monkeypatch):
    import solvers
    from gui.solver_panel import SolverPanel

    missing = solvers.SolverInfo("needs-lib", "a solver whose library is absent", "solvers.baseline:solve",
                                 requires=("no_such_solver_library",))
    monkeypatch.setattr(solvers, "solvers", lambda: (*solvers.registry.solvers(), missing))
    greyed = SolverPanel(window.session)
    rows = {greyed.solver.itemText(row): row for row in range(greyed.solver.count())}
    item = greyed.solver.model().item(rows["needs-lib"])
    assert not item.isEnabled() and "no_such_solver_library" in item.toolTip()
    assert greyed.solver.model().item(rows["greedy"]).isEnabled()
    panel = window.solver_panel
    window.session.solve_started.emit("x")
    window.session.solve_progress.emit(Progress(elapsed_s=0.5, incumbent=3.0, bound=1.0, gap=0.66))
    window.session.solve_progress.emit(Progress(elapsed_s=1.0, incumbent=2.0, bound=1.5, gap=0.25))
    xs, ys = panel.incumbent_curve.getData()
    assert list(xs) == [0.5, 1.0] and list(ys) == [3.0, 2.0]
    assert "gap 25.00 %" in panel.status.text()


def test_system_editor_typed_budget_and_slider_drag_are_one_undo_step_each(window):
    editor, session = window.system_editor, window.session
    card = next(c for c in editor.cards if c.memory_name == "ram")
    card.budget.edit.setText("300MiB")
    card.budget.edit.editingFinished.emit()
    assert session.budgets["ram"] == 300 * 2**20
    before = session.undo_stack.count()
    card.budget.slider.sliderPressed.emit()
    for value in (100, 200, 300):
        card.budget.slider.setValue(value)
    card.budget.slider.sliderReleased.emit()
    assert session.undo_stack.count() == before + 1
    session.undo_stack.undo()
    assert session.budgets["ram"] == 300 * 2**20
    card.budget.edit.setText("lots")
    card.budget.edit.editingFinished.emit()
    assert session.budgets["ram"] == 300 * 2**20 and "border" in card.budget.edit.styleSheet()


def test_system_editor_links_and_removal_are_undoable(window):
    editor, session = window.system_editor, window.session
    links_before = len(session.system.links)
    editor.links.src.setCurrentText("vram")
    editor.links.dst.setCurrentText("disk")
    editor.links.add_link()
    assert len(session.system.links) == links_before + 2
    card = next(c for c in editor.cards if c.memory_name == "disk")
    editor.edit(__import__("gui.system_edit", fromlist=["x"]).remove_memory(session.system, "disk"), "rm")
    assert "disk" not in [m.name for m in session.system.memories] and card not in editor.cards
    session.undo_stack.undo()
    session.undo_stack.undo()
    assert len(session.system.links) == links_before and len(editor.cards) == 3


def test_budget_slider_follows_the_model_and_its_labels_never_overlap(window):
    from gui.budget_widget import RANGE_OVER_PEAK

    session = window.session
    card = next(c for c in window.system_editor.cards if c.memory_name == "ram")
    _smallest, peak = session.memory_marks("ram")
    assert card.budget.maximum == round(RANGE_OVER_PEAK * peak) < session.system.memory("ram").capacity_bytes
    rects = [rect for _mark, rect in card.budget.marks.label_rects()]
    assert len(rects) == 2 and not rects[0].intersects(rects[1])  # smallest and peak are close here
    assert all(r.left() >= 0 and r.right() <= card.budget.marks.width() for r in rects)
    assert card.budget.slider.value() == card.budget.slider.maximum()  # the capacity is beyond the slider
    session.set_budget("ram", peak)
    assert card.budget.slider.value() == round(peak / card.budget.maximum * 1000)
    card.budget.edit.setText("5GiB")  # typed values are free
    card.budget.edit.editingFinished.emit()
    assert session.budgets["ram"] == 5 * 2**30 and "over the capacity" in card.budget.hint.text()


def test_slider_maximum_is_capped_by_the_capacity():
    from gui.budget_widget import slider_maximum

    assert slider_maximum(64 * 2**30, 400, 800) == 1000
    assert slider_maximum(900, 400, 800) == 900
    assert slider_maximum(900, 0, 0) == 900


def test_boxes_show_op_type_over_module_path_and_the_full_name_elsewhere(window):
    from gui.graph_layout import box_text
    from tests.gui.graphs import onnx_named_graph

    graph = onnx_named_graph()
    texts = [box_text(graph, [n.id], 0) for n in graph.nodes]
    assert texts[0] == ("BatchNormalization", "layer1.0.bn1")
    assert texts[1] == ("Transpose_1", "transformer.h.11.attn")
    assert texts[-1] == ("∇ BatchNormalization", "layer1.0.bn1")
    item = window.graph_view.items[0]
    title, subtitle = item.lines()
    node = window.session.graph.nodes[item.node.members[0]]
    assert (title, subtitle) == ("Conv", node.module_scope)
    assert node.name in item.toolTip()
    assert ("name", node.name) in window.properties.rows(node.id)


def test_long_module_paths_keep_their_specific_end(qtbot):
    from gui.graph_items import NodeItem
    from gui.graph_layout import layout_graph
    from tests.gui.graphs import onnx_named_graph

    layout = layout_graph(onnx_named_graph())
    item = NodeItem(layout.nodes[2])
    title, subtitle = item.lines()
    assert title == "Gemm" and subtitle.startswith("…") and subtitle.endswith("c_proj")


def test_minimap_sits_beside_the_graph_not_over_it(window):
    view = window.graph_view
    assert view.minimap.isVisible()
    assert not view.minimap.geometry().intersects(view.view.geometry())
    assert not view.minimap.visible_frame().isEmpty()
    view.minimap_toggle.setChecked(False)
    assert not view.minimap.isVisible()


def test_opening_a_model_while_a_box_is_selected_rebuilds_the_scene_cleanly(qtbot, window, tmp_path):
    view = window.graph_view
    view.items[3].setSelected(True)
    with qtbot.waitSignal(view.layout_ready, timeout=20_000):
        window.session.open_model(tmp_path / "again.json")
    assert len(view.items) == len(window.session.graph.nodes) and window.session.selected == -1


def test_summary_shows_the_gain_over_the_best_single_device(two_device_problem):
    """The child's second phase (solvers.compare) feeds the summary's gain figure."""
    import solvers
    from gui.solve_child import with_single_device_comparison
    from gui.timeline_summary import summary_rows
    from solvers.compare import best_single_device

    options = solvers.SolveOptions(time_limit_s=5)
    result = with_single_device_comparison(two_device_problem, options,
                                           solvers.run("greedy", two_device_problem, options))
    comparison = best_single_device(two_device_problem, options)
    rows = dict(summary_rows(two_device_problem, result.trace, result.stats))
    gain = comparison.gain(result.objective)
    best = comparison.best
    assert rows["gain over best single device"].startswith(f"{100 * gain:.1f} % ({best.device} alone")


def test_remote_reads_are_bars_on_their_link_lane(qtbot, window):
    """An XEngine instance whose optimal schedule reads inputs over direct-access links."""
    pytest.importorskip("highspy")
    import solvers
    from core.paths import RESOURCES
    from core.requests import SolveRequest, build_problem_for_request

    problem = build_problem_for_request(SolveRequest(model=RESOURCES / "examples" / "xengine" / "multi_tiny.json"))
    result = solvers.run("milp-highs", problem, solvers.SolveOptions(time_limit_s=30))
    trace = result.trace
    assert trace.remote_reads
    timeline = window.timeline
    window.docks["timeline"].raise_()
    timeline.set_trace(problem, trace)
    qtbot.waitUntil(lambda: timeline.lanes_plot.getViewBox().sceneBoundingRect().height() > 50)
    assert StepRole.REMOTE_READ in timeline.bar_items
    assert timeline.bar_count == sum(t.role is not StepRole.FREE for t in trace.timings) + len(trace.remote_reads)
    read = trace.remote_reads[0]
    vb = timeline.lanes_plot.getViewBox()
    timeline.lanes_plot.setXRange(read.start_s, read.end_s, padding=0.2)
    point = vb.mapViewToScene(QtCore.QPointF((read.start_s + read.end_s) / 2, timeline.lanes.index(read.lane)))
    step = timeline.step_at(point)
    assert step == len(trace.timings)  # remote reads follow the steps
    assert f"remote read on {read.lane}" in timeline.describe(step)
