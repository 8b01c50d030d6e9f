"""Write XEngine's ten unit instances as Remat Studio problem files (resources/examples/xengine/).

The instances (../shared/oracles/xengine_cases.json) are forward-only graphs with a cost per node and
device, bytes per node, a budget per device and copy costs per edge and direction. In a Remat Studio
graph file each device computes out of its own memory (``dev0`` from ``mem0``, ...), the two memories
are joined by direct-access links both ways that carry no copies: as in XEngine's model, a device
reads an input that lives on the other device over the link, without a copy in its own memory, and
pays the edge's listed cost for every such read (0 where the instance lists none).

Run: ``.venv/bin/python scripts/make_xengine_examples.py [ORACLE_FILE]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORACLE = ROOT.parent / "shared" / "oracles" / "xengine_cases.json"
OUT = ROOT / "resources" / "examples" / "xengine"


def read_costs(case: dict) -> dict[tuple[int, int, int, int], float]:
    """``(producer, consumer, from_device, to_device) -> time`` of every edge; 0 where none is listed."""
    n_dev = len(case["cost"])
    costs = {(u, v, a, b): 0.0 for u, v in case["edges"] for a in range(n_dev) for b in range(n_dev) if a != b}
    for entry in case["copy"]:
        u, v = case["edges"][entry["edge"]]
        costs[(u, v, entry["from"], entry["to"])] = float(entry["cost"])
    return costs


def system(case: dict) -> dict:
    n_dev = len(case["cost"])
    memories = [{"name": f"mem{d}", "capacity_bytes": int(case["budget"][d]), "kind": "device"} for d in range(n_dev)]
    devices = [{"name": f"dev{d}", "kind": "cpu", "memory": f"mem{d}", "peak_flops": 1e9,
                "mem_bandwidth_bytes_s": 1e9} for d in range(n_dev)]
    # XEngine's model reads a cross-device input over the link without a copy in the reader's memory
    # (direct access) and never stores a copy there (no copies along the link).
    links = [{"src": f"mem{a}", "dst": f"mem{b}", "bandwidth_bytes_s": 1e9, "direct_access": True,
              "allows_copies": False} for a in range(n_dev) for b in range(n_dev) if a != b]
    return {"format": "remat-studio.system", "version": 1, "name": f"XEngine {case['name']} ({n_dev} devices)",
            "description": "The devices of an XEngine unit instance: times and copy costs come from the graph file.",
            "memories": memories, "devices": devices, "links": links}


def document(case: dict) -> dict:
    n, n_dev = len(case["memory"]), len(case["cost"])
    deps: list[list[str]] = [[] for _ in range(n)]
    for u, v in case["edges"]:
        deps[v].append(f"v{u}")
    nodes = [{"name": f"v{i}", "size_bytes": int(case["memory"][i]), "deps": sorted(deps[i]),
              "device_cost_s": {f"dev{d}": case["cost"][d][i] for d in range(n_dev)}} for i in range(n)]
    reads = [{"node": f"v{u}", "reader": f"v{v}", "src": f"mem{a}", "dst": f"mem{b}", "time_s": cost}
             for (u, v, a, b), cost in sorted(read_costs(case).items())]
    return {
        "format": "remat-studio.graph", "version": 1, "name": case["name"],
        "description": f"XEngine unit instance {case['name']}; published optimum {case['expected']}.",
        "nodes": nodes, "read_cost_s": reads, "system": system(case),
        "budgets": {f"mem{d}": int(case["budget"][d]) for d in range(n_dev)}, "objective": "time",
    }


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else ORACLE
    cases = json.loads(source.read_text())["cases"]
    OUT.mkdir(parents=True, exist_ok=True)
    for case in cases:
        path = OUT / f"{case['name']}.json"
        path.write_text(json.dumps(document(case), indent=1) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")
    expected = {case["name"]: case["expected"] for case in cases}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
