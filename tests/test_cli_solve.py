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
