"""``main.py solve`` end to end in a subprocess: standard output is exactly one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.paths import REPO_ROOT, RESOURCES

XENGINE = RESOURCES / "examples" / "xengine"


@pytest.mark.parametrize("solver", ["milp-highs", "milp-scip", "greedy"])
def test_json_output_is_clean_whatever_the_solver_library_prints(solver: str) -> None:
    done = subprocess.run(
        [sys.executable, "main.py", "solve", str(XENGINE / "multi_tiny.json"), "--solver", solver, "--json"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # nothing but the report on standard output
    assert report["solver"] == solver and report["serial_time_s"] > 0
    if solver != "greedy":
        assert report["status"] == "OPTIMAL" and report["objective"] == pytest.approx(7.0)


def _solve(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from cli import main

    code = main(["solve", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


MLP = str(RESOURCES / "models" / "mlp_bs64.onnx")


@pytest.mark.parametrize(("args", "message"), [
    (["--system", "nosuch"], "presets: desktop, gpu-server, jetson-orin, raspberry-pi4, cortex-m, this-cpu"),
    (["--solver", "nosuch"], "valid solvers: checkmate-highs"),
    (["--budget", "1MiB"], "alone needs 18.38 MiB in memory 'ram'"),
    (["--budget", "19.1MiB"], "the smallest feasible budget of memory 'ram' is 19.13 MiB (20054096 bytes"),
    (["--budget=-5MiB"], "size must be positive"),
    (["--budget", "12QB"], "cannot read '12QB' as a size"),
    (["--budget", "gpu=1GiB"], "unknown memory 'gpu'; memories of this system: ram"),
    (["--objective", "energy", "--time-ratio", "0.5"], "--time-ratio 0.5: must be at least 1"),
])
def test_user_errors_are_one_line_with_exit_status_2(capsys: pytest.CaptureFixture[str], args: list[str],
                                                     message: str) -> None:
    code, out, err = _solve(capsys, MLP, *args)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err


def test_a_schedule_of_another_model_is_refused_as_a_warm_start(capsys: pytest.CaptureFixture[str],
                                                                tmp_path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.json"
    assert _solve(capsys, str(XENGINE / "multi_tiny.json"), "--solver", "greedy", "--out", str(other), "-q")[0] == 0
    code, _, err = _solve(capsys, MLP, "--solver", "greedy", "--warm-start", str(other))
    assert code == 2 and "was made for model 'multi_tiny'" in err and err.count("\n") == 1


def test_a_schedule_of_the_same_model_starts_the_solve(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = tmp_path / "first.json"
    args = [str(XENGINE / "multi_tiny.json"), "--solver", "milp-highs", "--json"]
    assert _solve(capsys, *args, "--out", str(first))[0] == 0
    code, out, _ = _solve(capsys, *args, "--warm-start", str(first))
    report = json.loads(out)
    assert code == 0 and report["stats"]["warm_start"] == "given" and report["objective"] == pytest.approx(7.0)
