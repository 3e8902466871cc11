"""The one table `python -m bench` prints, and the machine it was measured on."""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.figures import BenchResult, Figure, Value
from bench.harness import server_version

ROOT = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    with contextlib.suppress(OSError):  # no /proc: what platform knows
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    with contextlib.suppress(OSError):  # no /proc: unknown
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    return None


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    """What the figures depend on besides the code: the CPU, how busy it was, the versions."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": asyncio.run(server_version()),
        "aiogram": metadata.version("aiogram"),
        "sqlalchemy": metadata.version("sqlalchemy"),
        "os": platform.platform(),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def describe_machine(info: dict[str, Any]) -> str:
    load = " ".join(f"{x:g}" for x in info["load_average_at_start"])
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB; load average at start "
        f"{load} (1, 5, 15 min); Python {info['python']}, SQLite {info['sqlite']}, "
        f"PostgreSQL {info['postgresql'] or 'not reachable'}, aiogram {info['aiogram']}, "
        f"SQLAlchemy {info['sqlalchemy']}; commit {info['commit']}"
        + (" with uncommitted changes" if info["uncommitted_changes"] else "")
    )


def _value(value: Value, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        shown = f"{value:,}"
    elif isinstance(value, float):
        shown = f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"
    else:
        shown = value
    return f"{shown} {unit}" if unit else shown


def _met(figure: Figure) -> str:
    if figure.goal is None:
        return ""
    return {True: "met", False: "NOT MET", None: "not measured"}[figure.met]


def rows(benchmarks: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str, str]]:
    """(benchmark, workload, figure, value, goal, met) for every figure of every run."""
    table = []
    for run in benchmarks:
        if run.get("result") is None:
            table.append((run["name"], "-", "run failed", run.get("error", "?"), "", "NOT RUN"))
            continue
        result = BenchResult.from_json(run["result"])
        for figure in result.figures:
            goal = figure.goal.describe(figure.unit) if figure.goal else ""
            table.append(
                (
                    run["name"],
                    figure.workload,
                    figure.name,
                    _value(figure.value, figure.unit),
                    goal,
                    _met(figure),
                )
            )
    return table


def render(report: dict[str, Any]) -> str:
    header = ("benchmark", "workload", "figure", "value", "goal", "met")
    table = rows(report["benchmarks"])
    widths = [max(len(row[i]) for row in [header, *table]) for i in range(len(header))]
    lines = [
        f"Benchmarks ({report['mode']}), {report['started_at']} – {report['finished_at']} UTC, "
        f"{report['seconds'] / 60:.1f} min"
        + ("" if report.get("complete", True) else " (stopped before the last benchmark)"),
        f"Machine: {describe_machine(report['machine'])}",
        "",
    ]
    rule = "  ".join("-" * width for width in widths)
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    lines.append(rule)
    previous = ""
    for row in table:
        if previous and row[0] != previous:
            lines.append("")
        previous = row[0]
        cells = [
            cell.rjust(width) if index == 3 else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    verdicts = [row[5] for row in table if row[5]]
    lines.append("")
    lines.append(
        f"Goals: {verdicts.count('met')} met, {verdicts.count('NOT MET')} not met, "
        f"{verdicts.count('not measured')} not measured; "
        f"{sum(1 for run in report['benchmarks'] if run.get('result') is None)} benchmark(s) "
        "failed to run."
    )
    loads = ", ".join(
        f"{run['name']} {run['load_before']:.1f}→{run['load_after']:.1f}"
        for run in report["benchmarks"]
    )
    lines.append(f"Load average (1 min) before→after each: {loads}")
    return "\n".join(lines)
