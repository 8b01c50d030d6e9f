"""``main.py validate`` and the exports written by ``solve`` (``_write_exports``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

import cli
from core.export import read_schedule_json, write_schedule_json
from core.simulate import simulate
from solvers.base import SolveResult, SolveStatus
from tests.core.test_export_schedule_json import recompute_case, two_device_case


@pytest.fixture
def schedule_file(tmp_path: Path) -> Path:
    problem, schedule = two_device_case()
    path = tmp_path / "s.json"
    write_schedule_json(path, problem, schedule, simulate(problem, schedule), {"solver": "hand"})
    return path


def test_valid_schedule(schedule_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(schedule_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{schedule_file}: valid; serial time 5.89022 s, makespan 5.09002 s; peak ram")
    assert "2 copy(ies), 2 page(s)" in out


def test_valid_schedule_json(schedule_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(schedule_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    stored = json.loads(schedule_file.read_text())["metrics"]
    assert report["valid"] is True and report["violations"] == []
    assert report["solver"] == "hand" and report["model"] == "g"
    assert {k: report[k] for k in stored} == stored


def test_invalid_schedule_exits_1_with_violations(schedule_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(schedule_file.read_text())
    del document["steps"][1]  # the copy the GPU needs
    schedule_file.write_text(json.dumps(document))
    assert cli.main(["validate", str(schedule_file)]) == 1
    out = capsys.readouterr().out
    assert "INVALID, 2 violation(s)" in out  # the read and the later free of n0 in vram
    assert "'n1' on 'gpu' reads 'n0', which is not resident in memory 'vram'" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{", "not valid JSON"),
        ('{"format": "remat-studio.schedule", "version": 1}', "field (top level): 'graph' is a required"),
    ],
)
def test_malformed_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {path}") and expected in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["validate", str(tmp_path / "none.json")]) == 2
    assert "does not exist" in capsys.readouterr().err


def _solve_args(tmp_path: Path, **overrides: object) -> argparse.Namespace:
    values = {"out": tmp_path / "s.json", "trace": tmp_path / "t.json", "csv": tmp_path / "s.csv",
              "model": Path("m.onnx"), "dim": ["batch=4"], "optimizer": "sgd", "system": "this-cpu",
              "budget": ["0.5"]}
    values.update(overrides)
    return argparse.Namespace(**values)


def test_solve_exports_all_three_files_with_meta(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem, schedule = recompute_case()
    trace = simulate(problem, schedule)
    result = SolveResult(SolveStatus.OPTIMAL, "hand", schedule, objective=12.0, bound=12.0, gap=0.0,
                         wall_s=0.25, trace=trace)
    cli._write_exports(_solve_args(tmp_path), problem, result)
    _, got_schedule, meta = read_schedule_json(tmp_path / "s.json")
    assert got_schedule == schedule
    assert meta["solver"] == "hand" and meta["status"] == "OPTIMAL" and meta["gap"] == 0.0
    assert meta["model"] == problem.graph.name and meta["model_path"] == "m.onnx"
    assert meta["dims"] == {"batch": 4}
    assert json.loads((tmp_path / "t.json").read_text())["traceEvents"]
    assert len((tmp_path / "s.csv").read_text().splitlines()) == 1 + len(schedule.steps)
    assert cli.main(["validate", str(tmp_path / "s.json")]) == 0


def test_solve_without_schedule_exports_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem, _ = recompute_case()
    cli._write_exports(_solve_args(tmp_path), problem, SolveResult(SolveStatus.INFEASIBLE, "hand"))
    assert "no schedule to export (INFEASIBLE)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
