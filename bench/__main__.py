"""Run every benchmark and print one table: `python -m bench [--quick]`.

Each benchmark runs in a child process of its own (`python -m bench.<name> ... --json FILE`),
so one's memory and caches never show in another's figures; the runner reads the `BenchResult`
each writes (bench/figures.py), prints one table — benchmark, workload, figure, value, goal,
met — with the machine it ran on, and writes it all as JSON to bench/results/ (a timestamped
file and latest.json; each child's printed output goes to a .log beside them).

    python -m bench --quick                 # small sizes: 72 min at load 8-17 on 2 cores
    python -m bench                         # the sizes of the issues' goals: over an hour
    python -m bench --only poll,startup-sqlite --quick
    python -m bench --list
    python -m bench --table bench/results/reference-quick.json   # print a saved table again
    python -m bench --quick --reference     # also save as bench/results/reference-quick.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import POSTGRES_ADMIN_URL
from bench.report import ROOT, machine, render

RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Benchmark:
    name: str
    module: str
    quick: tuple[str, ...]
    full: tuple[str, ...] | None  # None: not part of a full run (another covers it)
    timeout_minutes: float = 60


PG = ("--postgres", POSTGRES_ADMIN_URL)
BENCHMARKS = (
    # Issue 8 §6: /help under (20/s) and above (60/s) the cap; a full run adds the seller mix.
    Benchmark("updates-sqlite", "bench.updates", ("--quick", "--workloads", "help"), ()),
    Benchmark(
        "updates-postgres",
        "bench.updates",
        ("--quick", "--workloads", "help", "--db", "postgres"),
        ("--db", "postgres"),
    ),
    # The seller mix under the cap: what a realistic update costs (sellers per process).
    Benchmark(
        "updates-mix",
        "bench.updates",
        ("--quick", "--workloads", "mix", "--rates", "20", "--bots", "sellerbot,typical"),
        None,
    ),
    Benchmark("hostile_files", "bench.hostile_files", ("--rows", "10000"), ()),
    Benchmark("poll", "bench.poll", ("--quick",), (), timeout_minutes=120),
    Benchmark("fanout-sqlite", "bench.fanout", ("--quick", "--baseline", "5"), ()),
    Benchmark("fanout-postgres", "bench.fanout", ("--quick", "--baseline", "5", *PG), PG),
    Benchmark("startup-sqlite", "bench.startup", ("--quick",), ()),
    Benchmark(
        "startup-postgres", "bench.startup", ("--quick", "--db", "postgres"), ("--db", "postgres")
    ),
    Benchmark("import_xlsx", "bench.import_xlsx", ("--rows", "2000"), ()),
    Benchmark("tracking_simulator", "bench.tracking_simulator", ("--sizes", "1000", "10000"), ()),
)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def run_one(benchmark: Benchmark, args: tuple[str, ...], log: Path) -> dict[str, Any]:
    """One benchmark in a child process; its figures, or why there are none."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", benchmark.module, *args]
    run: dict[str, Any] = {"name": benchmark.name, "command": " ".join(command[1:])}
    run["load_before"] = os.getloadavg()[0]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sellerbot-bench-") as directory:
        output = Path(directory) / "result.json"
        with log.open("a", encoding="utf-8") as stream:
            stream.write(f"\n===== {_now()} {run['command']}\n")
            stream.flush()
            try:
                process = subprocess.run(
                    [*command, "--json", str(output)],
                    cwd=ROOT,
                    env=env,
                    stdout=stream,
                    stderr=subprocess.STDOUT,
                    timeout=benchmark.timeout_minutes * 60,
                    check=False,
                )
                run["exit_code"] = process.returncode
                if process.returncode == 0 and output.exists():
                    run["result"] = json.loads(output.read_text(encoding="utf-8"))
                else:
                    run["error"] = f"exit code {process.returncode}; see {log.name}"
            except subprocess.TimeoutExpired:
                run["error"] = f"over {benchmark.timeout_minutes:g} min; see {log.name}"
    run["seconds"] = round(time.perf_counter() - started, 1)
    run["load_after"] = os.getloadavg()[0]
    return run


def _selected(names: str | None, full: bool) -> list[Benchmark]:
    chosen = [b for b in BENCHMARKS if not full or b.full is not None]
    if names is None:
        return chosen
    wanted = set(names.split(","))
    unknown = wanted - {b.name for b in BENCHMARKS}
    if unknown:
        raise SystemExit(f"unknown benchmarks: {', '.join(sorted(unknown))} (see --list)")
    return [b for b in BENCHMARKS if b.name in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: minutes, not hours")
    parser.add_argument("--only", metavar="NAMES", help="comma-separated names (see --list)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--table", type=Path, metavar="JSON", help="print a saved run's table")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also save the run as bench/results/reference-<mode>.json (committed)",
    )
    args = parser.parse_args(argv)
    if args.table:
        print(render(json.loads(args.table.read_text(encoding="utf-8"))))
        return 0
    mode = "quick" if args.quick else "full"
    benchmarks = _selected(args.only, full=not args.quick)
    if args.list:
        for b in BENCHMARKS:
            full = "-" if b.full is None else " ".join(b.full) or "(defaults)"
            print(f"{b.name:<20} {b.module:<26} quick: {' '.join(b.quick)}  full: {full}")
        return 0

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log = RESULTS / f"{stamp}-{mode}.log"
    targets = [RESULTS / f"{stamp}-{mode}.json", RESULTS / "latest.json"]
    if args.reference:
        targets.append(RESULTS / f"reference-{mode}.json")
    report: dict[str, Any] = {"mode": mode, "started_at": _now(), "machine": machine()}
    report |= {"log": log.name, "benchmarks": []}
    started = time.perf_counter()
    for number, benchmark in enumerate(benchmarks, 1):
        bench_args = benchmark.quick if args.quick else (benchmark.full or ())
        print(f"[{number}/{len(benchmarks)}] {benchmark.name} ...", end=" ", flush=True)
        run = run_one(benchmark, bench_args, log)
        report["benchmarks"].append(run)
        print(f"{run['seconds']:.0f} s, {'ok' if 'result' in run else run['error']}", flush=True)
        # Saved after each benchmark: a run stopped half-way keeps what it measured.
        report |= {"finished_at": _now(), "seconds": round(time.perf_counter() - started, 1)}
        report["complete"] = number == len(benchmarks)
        _save(report, targets)
    print()
    print(render(report))
    print(
        f"\nWritten: {', '.join(str(t.relative_to(ROOT)) for t in targets)}; output in {log.name}"
    )
    return 0 if all("result" in run for run in report["benchmarks"]) else 1


def _save(report: dict[str, Any], targets: list[Path]) -> None:
    text = json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"
    for target in targets:
        target.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
