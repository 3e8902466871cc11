"""Benchmark: the simulated tracking provider alone — one fetch of every active shipment.

The poll benchmark (bench/poll.py, with the poller) measures a whole pass against the
database; this one isolates the provider's share, which must stay a small part of the 60 s
budget at 100k shipments. Shipments mix the three methods and were shipped over the last 60
days, so journeys are read at every stage; each is planned from scratch (a cold cache, as a
pass over 100k shipments sees it).

    python -m bench.tracking_simulator [--sizes 1000 10000 100000] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.figures import BenchResult, Figure, add_json_option, write_result
from bench.harness import peak_rss_mb
from domain.logistics import ShippingMethod
from domain.tracking import ShipmentContext, TrackedNumber
from notifications.tracking.simulated import SimulatedProvider

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
METHODS = (ShippingMethod.EXPRESS, ShippingMethod.LAND, ShippingMethod.SEA)
LANES = (("CN", "FR"), ("CN", "BR"), ("CN", "US"), ("DE", "ES"), ("CN", "RU"))
BATCH = 500


def shipments(count: int) -> list[TrackedNumber]:
    numbers = []
    for index in range(count):
        origin, destination = LANES[index % len(LANES)]
        shipped = NOW - timedelta(minutes=(index * 7919) % (60 * 24 * 60))
        context = ShipmentContext(METHODS[index % 3], shipped, origin, destination)
        numbers.append(TrackedNumber(f"LP{index:014d}", context=context))
    return numbers


async def one_pass(provider: SimulatedProvider, numbers: list[TrackedNumber]) -> dict[str, Any]:
    started = time.perf_counter()
    events = updates = 0
    for start in range(0, len(numbers), BATCH):
        outcome = await provider.fetch(numbers[start : start + BATCH])
        updates += len(outcome.updates)
        events += sum(len(update.events) for update in outcome.updates)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "updates": updates, "events": events}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    add_json_option(parser)
    args = parser.parse_args(argv)

    rows = []
    for size in args.sizes:
        numbers = shipments(size)
        provider = SimulatedProvider(clock=lambda: NOW, seed=1)
        result = asyncio.run(one_pass(provider, numbers))
        assert result["updates"] == size, result
        rows.append(
            {
                "shipments": size,
                "seconds": round(result["seconds"], 3),
                "microseconds_per_shipment": round(result["seconds"] / size * 1e6, 1),
                "events": result["events"],
            }
        )
    figures = {
        "passes": rows,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print_table(figures)
    write_result(BenchResult("tracking_simulator", figures_of(figures), figures), args.json)
    return figures


def print_table(figures: dict[str, Any]) -> None:
    lines = [
        f"Simulated provider, one fetch of every shipment — Python {figures['python']}",
        f"  {'shipments':>10}  {'seconds':>8}  {'µs/shipment':>11}  {'events':>10}",
    ]
    lines += [
        f"  {row['shipments']:>10,}  {row['seconds']:>8.2f}  "
        f"{row['microseconds_per_shipment']:>11.1f}  {row['events']:>10,}"
        for row in figures["passes"]
    ]
    lines.append(f"  peak process RSS: {figures['peak_rss_mb']} MiB")
    print("\n".join(lines))


def figures_of(details: dict[str, Any]) -> list[Figure]:
    """No goal of its own: the provider's share of the poll's 60 s budget (issue 10)."""
    return [
        Figure(
            f"{row['shipments']:,} shipments, cold cache",
            "simulator per shipment",
            row["microseconds_per_shipment"],
            "µs",
        )
        for row in details["passes"]
    ]


if __name__ == "__main__":
    main()
