"""``main.py inspect`` end to end: exit codes, JSON, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli import EXIT_USER_ERROR, main
from core.paths import DEFAULT_SAMPLE_MODEL, MODELS_DIR, REPO_ROOT


def test_inspect_json_in_a_subprocess() -> None:
    done = subprocess.run([sys.executable, "main.py", "inspect", str(DEFAULT_SAMPLE_MODEL), "--json"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["param_count"] == 11_689_512 and report["onnx_node_count"] == 69


def test_inspect_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(MODELS_DIR / "mlp_bs64.onnx")]) == 0
    out = capsys.readouterr().out
    assert "2,383,370" in out and "smallest budget" in out


def test_inspect_binds_dims(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["inspect", str(MODELS_DIR / "gpt2_small_dynamic.onnx"), "--dim", "batch=1",
                 "--dim", "sequence=32", "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["dims"] == {"batch": 1, "sequence": 32}


@pytest.mark.parametrize(("args", "message"), [
    (["gpt2_small_dynamic.onnx", "--dim", "batch=1"], "bind it with --dim sequence=VALUE"),
    (["gpt2_small_dynamic.onnx", "--dim", "batch=1", "--dim", "sequence=4", "--dim", "heads=2"],
     "its named dimensions are: batch, sequence"),
    (["gpt2_small_dynamic.onnx", "--dim", "batch"], "write NAME=POSITIVE_INTEGER"),
    (["no_such_model.onnx"], "model file not found"),
])
def test_user_errors_print_one_line_and_exit_2(args: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["inspect", str(MODELS_DIR / args[0]), *args[1:]])
    err = capsys.readouterr().err
    assert code == EXIT_USER_ERROR
    assert message in err and err.count("\n") == 1 and err.startswith("error: ")


def test_not_onnx_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.onnx"
    bad.write_text("these are notes, not a model")
    assert main(["inspect", str(bad)]) == EXIT_USER_ERROR
    assert "is not an ONNX model" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "message"), [
    ('{"format": "remat-studio.graph", "version": 1, "nodes": [{"name": "a", "size_bytes": -3}]}',
     "field nodes/0/size_bytes"),
    ('{"format": "remat-studio.graph", "version": 1, "nodes": [{"name": "a", "size_bytes": 8, "deps": ["b"]}]}',
     "field nodes/0/deps/0: no node named 'b'"),
    ('{"nodes": [{"id": 0, "name": "x", "backward": false, "cost_cpu": 1}], "links": []}',
     "field nodes/0/cost_ram"),
    ('{"format": "remat-studio.graph", "version": 1, "nodes": [', "is not valid JSON"),
])
def test_malformed_graph_json_names_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
                                              message: str) -> None:
    bad = tmp_path / "graph.json"
    bad.write_text(content)
    assert main(["inspect", str(bad)]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and str(bad) in err
