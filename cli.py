"""The command line: each subcommand is a few lines over core and solvers.

A user's mistake (:class:`core.errors.RematError`) prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from core.errors import RematError
from core.paths import DEFAULT_SAMPLE_MODEL

EXIT_USER_ERROR = 2


def _parse_dims(values: Sequence[str]) -> dict[str, int]:
    dims: dict[str, int] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name or not value.strip().isdigit() or int(value) <= 0:
            raise RematError(f"--dim {item!r}: write NAME=POSITIVE_INTEGER, for example --dim batch=32")
        dims[name] = int(value)
    return dims


def _add_model_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=Path, help="ONNX model, node-link training graph or problem JSON")
    parser.add_argument(
        "--dim", action="append", default=[], metavar="NAME=VALUE",
        help="bind a named dimension, e.g. --dim batch=32 (repeatable)",
    )
    parser.add_argument(
        "--optimizer", default="sgd", choices=("sgd", "momentum", "adam"),
        help="optimizer whose state counts as static memory (default: sgd)",
    )


def _print_json(obj: object) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def cmd_inspect(args: argparse.Namespace) -> int:
    from core.inspect import format_inspect, inspect_model

    report = inspect_model(
        args.model, _parse_dims(args.dim), optimizer=args.optimizer, profile=args.profile
    )
    if args.json:
        _print_json(report)
    else:
        print(format_inspect(report))
    return 0


def cmd_solvers(args: argparse.Namespace) -> int:
    import solvers

    rows = []
    for info in solvers.solvers():
        available, reason = info.availability()
        rows.append({
            "name": info.name, "description": info.description, "exact": info.exact,
            "multi_device": info.multi_device, "paging": info.paging, "energy": info.energy,
            "available": available, "reason": reason,
        })
    if args.json:
        _print_json(rows)
        return 0
    for row in rows:
        flags = ", ".join(k for k in ("exact", "multi_device", "paging", "energy") if row[k])
        state = "" if row["available"] else f"  [unavailable: {row['reason']}]"
        print(f"{row['name']:<16} {row['description']}" + (f" ({flags})" if flags else "") + state)
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    from core.requests import SolveRequest, build_problem_for_request, solve_report

    request = SolveRequest(
        model=args.model, dims=_parse_dims(args.dim), optimizer=args.optimizer, system=args.system,
        budgets=list(args.budget), objective=args.objective, time_ratio=args.time_ratio,
    )
    problem = build_problem_for_request(request)
    import solvers

    options = solvers.SolveOptions(time_limit_s=args.time_limit, mip_gap=args.gap,
                                   warm_start=_warm_start(args.warm_start, problem))
    on_progress = None if args.json or args.quiet else _print_progress
    result = solvers.run(args.solver, problem, options, on_progress=on_progress)
    compare = None
    if args.compare_single and problem.n_devices > 1:
        compare = _best_single_device(problem, options)
    report = solve_report(problem, result, compare)
    _write_exports(args, problem, result)
    if args.json:
        _print_json(report)
    else:
        from core.requests import format_solve_report

        print(format_solve_report(report))
    return 0 if result.status.value in ("OPTIMAL", "FEASIBLE") else 1


def _warm_start(path: Path | None, problem):  # type: ignore[no-untyped-def]
    """The schedule of a previous solve of this same model and machine, to start from."""
    if path is None:
        return None
    from core.export import check_schedule_matches, read_schedule_json

    check_schedule_matches(problem, path)
    return read_schedule_json(path)[1]


def _best_single_device(problem, options):  # type: ignore[no-untyped-def]
    from solvers.compare import best_single_device

    return best_single_device(problem, options)


def _print_progress(progress) -> None:  # type: ignore[no-untyped-def]
    print(progress.describe(), file=sys.stderr)


def _write_exports(args: argparse.Namespace, problem, result) -> None:  # type: ignore[no-untyped-def]
    if result.schedule is None or result.trace is None:
        if args.out or args.trace or args.csv:
            print(f"no schedule to export ({result.status.value})", file=sys.stderr)
        return
    from core.export import write_csv, write_perfetto, write_schedule_json

    meta = {"solver": result.solver, "status": result.status.value, "wall_s": result.wall_s,
            "objective": result.objective, "bound": result.bound, "gap": result.gap,
            "message": result.message, "model": problem.graph.name, "model_path": str(args.model),
            "dims": _parse_dims(args.dim),
            "optimizer": args.optimizer, "budgets": list(args.budget),
            "system": None if args.system is None else str(args.system)}
    if args.out:
        write_schedule_json(args.out, problem, result.schedule, result.trace, meta)
    if args.trace:
        write_perfetto(args.trace, problem, result.trace)
    if args.csv:
        write_csv(args.csv, problem, result.trace)


def cmd_validate(args: argparse.Namespace) -> int:
    from core.export import read_schedule_json
    from core.metrics import trace_metrics
    from core.simulate import simulate
    from core.units import format_bytes

    problem, schedule, meta = read_schedule_json(args.schedule)
    trace = simulate(problem, schedule)
    report: dict[str, object] = {"schedule": str(args.schedule), "model": problem.graph.name,
                                 "system": problem.system.name, "solver": meta.get("solver")}
    report.update(trace_metrics(problem, trace))
    report["valid"] = trace.ok
    messages = [v.message for v in trace.violations]
    report["violations"] = messages
    if args.json:
        _print_json(report)
    elif trace.ok:
        peaks = ", ".join(
            f"{problem.memory_name(m)} {format_bytes(peak)} of {format_bytes(problem.budgets_bytes[m])}"
            for m, peak in enumerate(trace.peak_bytes)
        )
        print(f"{args.schedule}: valid; serial time {trace.serial_time_s:.6g} s, "
              f"makespan {trace.makespan_s:.6g} s; peak {peaks}; {trace.recompute_count} recompute(s), "
              f"{trace.copy_count} copy(ies), {trace.page_count} page(s)")
    else:
        print(f"{args.schedule}: INVALID, {len(trace.violations)} violation(s):")
        for message in messages[:20]:
            print(f"  {message}")
    return 0 if trace.ok else 1


def cmd_systems(args: argparse.Namespace) -> int:
    from core.system_io import list_presets, load_system

    rows = []
    for name in list_presets():
        system = load_system(name)
        rows.append({"name": name, "title": system.name, "description": system.description,
                     "devices": [d.name for d in system.devices],
                     "memories": [m.name for m in system.memories]})
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            print(f"{row['name']:<18} {row['title']}: devices {', '.join(row['devices'])}; "
                  f"memories {', '.join(row['memories'])}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from core.calibration import calibrate_model

    path = calibrate_model(args.model, _parse_dims(args.dim), runs=args.runs, out=args.out)
    print(f"wrote {path}")
    return 0


def cmd_export_plan(args: argparse.Namespace) -> int:
    from core.export.pytorch_plan import export_plan

    written = export_plan(args.schedule, args.out, helper=args.helper)
    for path in written:
        print(f"wrote {path}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    import csv

    import solvers
    from core.requests import SolveRequest, build_problem_for_request
    from solvers.sweep import parse_fractions, run_sweep

    fractions = parse_fractions(args.budgets)
    names = args.solver or ["greedy"]
    for name in names:
        solvers.get(name)
    problem = build_problem_for_request(SolveRequest(
        model=args.model, dims=_parse_dims(args.dim), optimizer=args.optimizer, system=args.system,
        budgets=[], objective=args.objective, time_ratio=None,
    ))
    options = solvers.SolveOptions(time_limit_s=args.time_limit)

    def report(point) -> None:  # type: ignore[no-untyped-def]
        if not args.json:
            overhead = "-" if point.overhead is None else f"{100 * point.overhead:7.2f} %"
            print(f"{point.series:<16} {point.fraction:6.3f}  {point.status.value:<11} overhead {overhead}  "
                  f"({point.wall_s:.2f} s)", flush=True)

    points = run_sweep(problem, fractions, names, options, on_point=report)
    rows = [p.row() for p in points]
    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["series"])
            writer.writeheader()
            writer.writerows(rows)
    if args.plot:
        from gui.sweep_plot import render_sweep_png

        render_sweep_png(rows, args.plot)
    if args.json:
        _print_json(rows)
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from gui.app import run_app
    except ImportError as exc:  # e.g. Qt's system libraries are missing on a server
        raise RematError(f"the window cannot start: {exc}; the command-line subcommands still work") from exc
    return run_app(args.model, _parse_dims(args.dim))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Remat Studio: plan training under memory limits (rematerialization, placement, paging).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands: dict[str, Callable[[argparse.Namespace], int]] = {}

    p = sub.add_parser("inspect", help="operator counts, memory figures and warnings of a model")
    _add_model_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--profile", action="store_true", help="also measure per-node CPU times with onnxruntime")
    commands["inspect"] = cmd_inspect

    p = sub.add_parser("solve", help="schedule a training step under memory budgets")
    _add_model_args(p)
    p.add_argument("--system", default=None,
                   help="preset name or system JSON file (default: the graph file's own system, else this-cpu)")
    p.add_argument("--budget", action="append", default=[], metavar="[MEMORY=]SIZE|FRACTION",
                   help="budget per memory, e.g. gpu=6GiB, or a fraction of the no-recomputation peak")
    p.add_argument("--solver", default="greedy", help="solver name (see `main.py solvers`)")
    p.add_argument("--time-limit", type=float, default=60.0, metavar="S", help="solver time limit in seconds")
    p.add_argument("--gap", type=float, default=1e-6, help="stop at this relative optimality gap")
    p.add_argument("--objective", default=None, choices=("time", "energy"),
                   help="minimize step time (default) or energy")
    p.add_argument("--time-ratio", type=float, default=None, metavar="R",
                   help="energy objective: allow R x the no-recomputation step time")
    p.add_argument("--warm-start", type=Path, metavar="SCHEDULE.json",
                   help="start from the schedule of an earlier solve of the same model and machine")
    p.add_argument("--compare-single", action="store_true",
                   help="also solve on each device alone and report the gain over the best")
    p.add_argument("--out", type=Path, help="write the schedule JSON here")
    p.add_argument("--trace", type=Path, help="write a Perfetto/Chrome trace here")
    p.add_argument("--csv", type=Path, help="write the steps as CSV here")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    commands["solve"] = cmd_solve

    p = sub.add_parser("solvers", help="list solvers, their capabilities and availability")
    p.add_argument("--json", action="store_true")
    commands["solvers"] = cmd_solvers

    p = sub.add_parser("systems", help="list the bundled system presets")
    p.add_argument("--json", action="store_true")
    commands["systems"] = cmd_systems

    p = sub.add_parser("validate", help="replay a schedule JSON and check it")
    p.add_argument("schedule", type=Path)
    p.add_argument("--json", action="store_true")
    commands["validate"] = cmd_validate

    p = sub.add_parser("calibrate", help="measure per-node CPU times with onnxruntime and store them")
    _add_model_args(p)
    p.add_argument("--runs", type=int, default=5, help="profiled runs (median is kept)")
    p.add_argument("--out", type=Path, help="calibration file (default: beside the model)")
    commands["calibrate"] = cmd_calibrate

    p = sub.add_parser("export-plan", help="turn a schedule JSON into a PyTorch plan and helper")
    p.add_argument("schedule", type=Path)
    p.add_argument("--out", type=Path, required=True, help="plan JSON to write")
    p.add_argument("--helper", type=Path, help="also write the Python helper that applies the plan")
    commands["export-plan"] = cmd_export_plan

    p = sub.add_parser("sweep", help="solve over a range of budgets: overhead versus budget")
    _add_model_args(p)
    p.add_argument("--system", default=None, help="preset name or system JSON file")
    p.add_argument("--budgets", default="0.5:1.0:0.05", metavar="START:STOP:STEP",
                   help="fractions of the no-recomputation peak (default 0.5:1.0:0.05), or a list 0.6,0.8")
    p.add_argument("--solver", action="append", default=[], help="solver name (repeatable; default greedy)")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="S", help="time limit per point")
    p.add_argument("--objective", default="time", choices=("time", "energy"))
    p.add_argument("--out", type=Path, help="write the points as CSV")
    p.add_argument("--plot", type=Path, help="write the overhead curve as PNG")
    p.add_argument("--json", action="store_true", help="print the points as JSON")
    commands["sweep"] = cmd_sweep

    p = sub.add_parser("gui", help="open the window (the default without a command)")
    p.add_argument("model", type=Path, nargs="?", default=DEFAULT_SAMPLE_MODEL)
    p.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE")
    commands["gui"] = cmd_gui

    parser.set_defaults(_commands=commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or (argv[0] not in parser.get_default("_commands") and not argv[0].startswith("-")):
        argv = ["gui", *argv]
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui"])
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args._commands[args.command](args)
    except RematError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
