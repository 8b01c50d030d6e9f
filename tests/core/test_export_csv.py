"""CSV of steps, read back with the csv module."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from core.export import write_csv
from core.export.csv_export import COLUMNS
from core.simulate import simulate
from tests.core.test_export_schedule_json import SCHEDULE_CASES, two_device_case


@pytest.mark.parametrize("name", sorted(SCHEDULE_CASES))
def test_one_row_per_step_with_exact_figures(tmp_path: Path, name: str) -> None:
    problem, schedule = SCHEDULE_CASES[name]()
    trace = simulate(problem, schedule)
    path = tmp_path / "steps.csv"
    write_csv(path, problem, trace)
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = list(reader)
    assert len(rows) == len(schedule.steps)
    for row, timing in zip(rows, trace.timings, strict=True):
        assert int(row["index"]) == timing.index
        assert row["role"] == timing.role.value
        assert int(row["node"]) == timing.node
        assert row["node_name"] == problem.graph.nodes[timing.node].name
        assert row["lane"] == timing.lane
        assert float(row["start_s"]) == timing.start_s and float(row["end_s"]) == timing.end_s
        assert float(row["serial_start_s"]) == timing.serial_start_s
        assert float(row["duration_s"]) == timing.duration_s
        assert float(row["energy_j"]) == timing.energy_j
        assert int(row["bytes"]) == problem.graph.nodes[timing.node].size_bytes
    assert sum(float(r["duration_s"]) for r in rows) == pytest.approx(trace.serial_time_s)


def test_device_and_memory_columns(tmp_path: Path) -> None:
    problem, schedule = two_device_case()
    path = tmp_path / "steps.csv"
    write_csv(path, problem, simulate(problem, schedule))
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    first = [(r["role"], r["lane"], r["device"], r["memory"]) for r in rows[:5]]
    assert first == [
        ("compute", "cpu", "cpu", "ram"),
        ("copy", "ram->vram", "", "vram"),
        ("page_out", "ram->disk", "", "disk"),
        ("free", "ram", "", "ram"),
        ("compute", "gpu", "gpu", "vram"),
    ]
