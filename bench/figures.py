"""The figures every benchmark hands back, in one shape the runner (`python -m bench`) reads.

A benchmark measures; its `figures_of(details)` turns what it measured into `Figure`s: what was
measured (`workload`, `name`), the `value` with its unit, and, when an issue set one, the `Goal`
it is held to. `--json FILE` writes a `BenchResult` (those figures plus every raw detail), so
the runner never reads a benchmark's printed text.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

Value = float | int | str | None


@dataclass(frozen=True)
class Goal:
    """`value <= target` (`at_most`) or `value >= target`; `strict` makes it < or >."""

    target: float
    at_most: bool
    source: str  # where the goal was set, e.g. "issue 10"
    strict: bool = False

    def met(self, value: Value) -> bool | None:
        if not isinstance(value, int | float):
            return None
        if self.at_most:
            return value < self.target if self.strict else value <= self.target
        return value > self.target if self.strict else value >= self.target

    def describe(self, unit: str) -> str:
        sign = ("<" if self.strict else "≤") if self.at_most else (">" if self.strict else "≥")
        return f"{sign} {self.target:g}{' ' + unit if unit else ''} ({self.source})"


def at_most(target: float, source: str, *, strict: bool = False) -> Goal:
    return Goal(target, at_most=True, source=source, strict=strict)


def at_least(target: float, source: str) -> Goal:
    return Goal(target, at_most=False, source=source)


@dataclass(frozen=True)
class Figure:
    workload: str  # what ran: "help at 20/s, sqlite", "100k active + 100k delivered, first pass"
    name: str  # what was measured: "CPU per update, sellerbot / typical"
    value: Value
    unit: str = ""
    goal: Goal | None = None

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.goal.met(self.value)


@dataclass
class BenchResult:
    benchmark: str
    figures: list[Figure]
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "figures": [asdict(figure) | {"met": figure.met} for figure in self.figures],
            "details": self.details,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchResult:
        figures = []
        for item in data["figures"]:
            goal = Goal(**item["goal"]) if item.get("goal") else None
            figures.append(
                Figure(item["workload"], item["name"], item["value"], item["unit"], goal)
            )
        return cls(data["benchmark"], figures, data.get("details", {}))


# (figure name, key of the details, unit) or with a goal as the fourth item.
Spec = tuple[str, str, str] | tuple[str, str, str, Goal | None]


def figures_from(workload: str, details: dict[str, Any], specs: list[Spec]) -> list[Figure]:
    """One figure per spec, its value read from `details`."""
    figures = []
    for spec in specs:
        name, key, unit = spec[:3]
        goal = spec[3] if len(spec) > 3 else None
        figures.append(Figure(workload, name, details[key], unit, goal))
    return figures


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", type=Path, help="also write the figures (and every raw detail) to this file"
    )


def write_result(result: BenchResult, path: Path | None) -> None:
    """Write the result to `path` (the --json option), when one was given."""
    if path:
        text = json.dumps(result.to_json(), indent=2, default=str, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
