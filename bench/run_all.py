"""Every benchmark, one after the other (``make bench``): greedy scaling, exact schedules against the
published formulation (with the two-device case), window figures.

The exact benchmark alone runs for hours with its default limits; pass its own options by running
it directly (``python -m bench.bench_checkmate --help``). Each part runs in its own process so that
one part's threads or Qt state cannot skew another's timings.
"""

from __future__ import annotations

import os
import subprocess
import sys

from core.paths import REPO_ROOT

PARTS = (
    ("greedy", ["-m", "bench.bench_greedy"]),
    ("exact", ["-m", "bench.bench_checkmate", "--two-device", "--markdown", "bench-exact.md"]),
    ("window", ["bench/bench_gui.py"]),
)


def main() -> int:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    failed = []
    for name, args in PARTS:
        print(f"== {name} ==", flush=True)
        if subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
