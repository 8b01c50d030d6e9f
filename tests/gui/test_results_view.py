"""The results list and the comparison of two schedules."""

from __future__ import annotations

import pytest

from core.units import format_seconds
from gui.results_view import compare_rows


@pytest.fixture
def two_results(qtbot, window):
    session = window.session
    for budget in (10**9, 12_000):
        session.set_budget("vram", budget)
        with qtbot.waitSignal(session.result_changed, timeout=60_000):
            assert session.solve("greedy")
    return window


def test_every_result_is_listed_and_selecting_one_shows_it(qtbot, two_results):
    view, session = two_results.results_view, two_results.session
    assert view.table.rowCount() == 2
    assert view.table.item(0, 0).text() == session.results[0].label
    with qtbot.waitSignal(session.result_changed):
        view.table.selectRow(0)
    assert session.record is session.results[0]
    assert two_results.timeline.title.text().startswith(f"<b>{session.results[0].label}")


def test_two_results_side_by_side_with_aligned_timelines(two_results):
    view, session = two_results.results_view, two_results.session
    a, b = session.results
    assert view.pair() == (a, b)
    rows = {row[0]: row for row in compare_rows(a, b)}
    ta, tb = a.result.trace, b.result.trace
    assert rows["serial time"][1:3] == (format_seconds(ta.serial_time_s), format_seconds(tb.serial_time_s))
    assert rows["recomputations"][1:3] == (str(ta.recompute_count), str(tb.recompute_count))
    assert rows["serial time"][3] == f"{100 * (tb.serial_time_s / ta.serial_time_s - 1):+.1f} %"
    assert view.metrics.rowCount() == len(rows)
    assert view.plot_b.getViewBox().linkedView(0) is view.plot_a.getViewBox()  # one time axis
    view.plot_a.setXRange(0.0, 1e-6, padding=0)
    assert view.plot_b.getViewBox().viewRange()[0] == pytest.approx(view.plot_a.getViewBox().viewRange()[0])


def test_with_one_result_the_comparison_says_what_to_do(qtbot, window):
    with qtbot.waitSignal(window.session.result_changed, timeout=60_000):
        window.session.solve("greedy")
    assert window.results_view.pair() is None
    assert "compare" in window.results_view.plot_a.titleLabel.text
