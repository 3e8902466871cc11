"""The benchmark runner's figures and table (bench/figures.py, bench/report.py): goals judged
as the issues state them, results that survive the JSON round trip, a failed run shown."""

from __future__ import annotations

import json

from bench.figures import BenchResult, Figure, at_least, at_most
from bench.report import render, rows


def test_goals_are_judged_as_stated() -> None:
    assert at_most(60, "issue 10").met(60.0) is True
    assert at_most(60, "issue 10").met(60.1) is False
    assert at_most(100, "issue 8 §1", strict=True).met(100) is False
    assert at_most(100, "issue 8 §1", strict=True).met(99.9) is True
    assert at_least(95, "issue 10").met(95) is True
    assert at_least(95, "issue 10").met(94.9) is False
    # A figure that was not measured is neither met nor missed.
    assert at_most(0, "issue 10").met(None) is None
    assert at_most(1000, "issue 10", strict=True).describe("ms") == "< 1000 ms (issue 10)"
    assert at_least(95, "issue 10").describe("%") == "≥ 95 % (issue 10)"


def test_a_result_survives_its_json() -> None:
    result = BenchResult(
        "fanout",
        [
            Figure("300 notifications", "429 answers", 0, "", at_most(0, "issue 10")),
            Figure("300 notifications", "buyers reached", 300, "of 300"),
        ],
        {"chats": 300},
    )
    again = BenchResult.from_json(json.loads(json.dumps(result.to_json())))
    assert again == result
    assert [figure.met for figure in again.figures] == [True, None]


def _report(benchmarks: list[dict[str, object]]) -> dict[str, object]:
    return {
        "mode": "quick",
        "started_at": "2026-11-30 15:00:00",
        "finished_at": "2026-11-30 15:10:00",
        "seconds": 600.0,
        "machine": {
            "cpu": "Test CPU",
            "cores": 2,
            "memory_gb": 8.0,
            "load_average_at_start": [1.0, 2.0, 3.0],
            "python": "3.11.7",
            "sqlite": "3.40.1",
            "postgresql": None,
            "aiogram": "3",
            "sqlalchemy": "2",
            "commit": "abc1234",
            "uncommitted_changes": False,
        },
        "benchmarks": benchmarks,
    }


def test_the_table_marks_goals_and_failed_runs() -> None:
    poll = BenchResult(
        "poll",
        [
            Figure("100,000 active", "first pass", 72.5, "s", at_most(60, "issue 10")),
            Figure("100,000 active", "poller peak RSS", 120, "MB", at_most(300, "issue 10")),
            Figure("100,000 active", "steady pass", 31.5, "s"),
        ],
    )
    runs = [
        {"name": "poll", "result": poll.to_json(), "load_before": 1.0, "load_after": 2.0},
        {"name": "startup-postgres", "error": "exit code 1", "load_before": 2, "load_after": 2},
    ]
    assert rows(runs) == [
        ("poll", "100,000 active", "first pass", "72.5 s", "≤ 60 s (issue 10)", "NOT MET"),
        ("poll", "100,000 active", "poller peak RSS", "120 MB", "≤ 300 MB (issue 10)", "met"),
        ("poll", "100,000 active", "steady pass", "31.5 s", "", ""),
        ("startup-postgres", "-", "run failed", "exit code 1", "", "NOT RUN"),
    ]
    text = render(_report(runs))
    assert "load average at start 1 2 3" in text
    assert "PostgreSQL not reachable" in text
    assert "Goals: 1 met, 1 not met, 0 not measured; 1 benchmark(s) failed to run." in text
