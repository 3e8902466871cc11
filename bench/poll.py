"""Benchmark: one full tracking poll pass over N active shipments on PostgreSQL.

A database of its own is created on the server (`--postgres`, default the local one) and dropped
afterwards. For each scenario the tables are emptied and seeded in bulk, server-side
(`INSERT ... SELECT FROM generate_series`): 100 sellers with a warehouse each, N shipped orders
with one line, a buyer subscribed to each, and a shipment registered with the provider and due
now (express, land and sea in turn, shipped at a moment within the method's transit time, to six
countries); plus D delivered orders whose shipments were stopped, with 8 events each — the
history a live database accumulates, which a pass must not pay for.

The pass runs in a fresh child process (so its peak RSS is the poller's alone): the real
`TrackingPoller` with the `SimulatedProvider` at zero latency on a fixed clock, `tick()` with room
for every batch. Two passes are timed:

  first   the shipments were never polled: every event so far is new, every buyer hears of
          it (a catch-up after an outage costs the same);
  steady  13.5 hours later, when every moving shipment is due again (the longest poll interval
          is 12 h plus jitter): a few new events each, the usual tick of a busy day.

Printed per pass: seconds, shipments per second, microseconds per due shipment (flat across N
means the cost is linear in due shipments; flat across D means delivered ones cost nothing),
the poller process's CPU microseconds per due shipment, of which the simulator's (planning
journeys; the real 17TRACK client parses JSON instead), and SQL statements per due shipment
(CPU and statements barely move when the machine is busy, unlike the seconds), events and buyer messages written,
and the child's peak RSS.

    python -m bench.poll [--sizes 1000 10000 100000] [--delivered 100000] [--quick]
                         [--profile out.html] [--json out.json]

Goals (issue 10): a pass over 100k active shipments in at most 60 s (stretch: 20 s), peak RSS
at most 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.figures import BenchResult, Figure, add_json_option, at_most, write_result
from bench.harness import (
    POSTGRES_ADMIN_URL,
    create_database,
    current_rss_mb,
    drop_database,
    peak_rss_mb,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
STEADY_AFTER = timedelta(hours=13, minutes=30)
SELLERS = 100
DELIVERED_EVENTS = 8

# ----- seeding (server-side, set-based) -----

# $1: now, $2: first shipment id, $3: last shipment id. Ids of orders, shipments, subscriptions
# and buyers share the number (buyers offset), so one series writes every table.
_ACTIVE = """
WITH n AS (
  SELECT i,
         (ARRAY['express','land','sea'])[i % 3 + 1] AS method,
         (ARRAY[5,18,35])[i % 3 + 1] AS min_days,
         (ARRAY[10,25,50])[i % 3 + 1] AS max_days,
         (ARRAY['FR','BR','US','ES','RU','DE'])[i % 6 + 1] AS country
  FROM generate_series($2::bigint, $3::bigint) AS i
)
SELECT i, method, min_days, max_days, country,
       $1::timestamptz - make_interval(mins => ((i * 7919) % (max_days * 1440))::int) AS shipped
FROM n
"""

_SEED_SELLERS = [
    """INSERT INTO telegram_users (id, locale, telegram_language, created_at, last_seen_at)
       SELECT 9000000000 + s, 'en', 'en', $1, $1 FROM generate_series(1, $2::int) AS s""",
    """INSERT INTO sellers (id, telegram_user_id, store_name, home_country, locale, created_at,
                            tracking_digest)
       SELECT s, 9000000000 + s, 'Bench store ' || s, 'CN', 'en', $1, false
       FROM generate_series(1, $2::int) AS s""",
    """INSERT INTO warehouses (id, seller_id, kind, name, name_key, country, street, city,
                               contact_name, contact_phone, capabilities, status, created_at,
                               updated_at)
       SELECT s, s, 'domestic', 'Main', 'main', CASE WHEN s % 5 = 0 THEN 'DE' ELSE 'CN' END,
              '1 Bench Road', 'Shenzhen', 'Bench', '+8613800000000',
              '["sorting", "packing", "shipping"]', 'verified', $1, $1
       FROM generate_series(1, $2::int) AS s""",
]

_SEED_ORDERS = [
    f"""INSERT INTO telegram_users (id, locale, telegram_language, created_at, last_seen_at)
        SELECT 8000000000 + i, NULL, (ARRAY['en','fr','pt-br','ru','es'])[i % 5 + 1], shipped,
               shipped
        FROM ({_ACTIVE}) AS a""",
    f"""INSERT INTO orders (id, seller_id, number, ship_to_country, ship_to_postcode, currency,
                           total, ship_by, status, source, created_at, confirmed_at, shipped_at,
                           delivered_at)
        SELECT i, 1 + i % {SELLERS}, 'B-' || i, country, '10001', 'EUR', 10.50, shipped,
               CASE WHEN $4 THEN 'delivered' ELSE 'shipped' END, 'import', shipped, shipped,
               shipped, CASE WHEN $4 THEN shipped + make_interval(days => max_days) END
        FROM ({_ACTIVE}) AS a""",
    f"""INSERT INTO order_lines (id, order_id, position, product_name, sku, quantity, unit_price)
        SELECT i, i, 1, 'Phone case', 'PC-1', 1, 10.50 FROM ({_ACTIVE}) AS a""",
    f"""INSERT INTO buyer_subscriptions (id, order_id, buyer_user_id, time_zone, muted, created_at)
        SELECT i, i, 8000000000 + i, NULL, false, shipped FROM ({_ACTIVE}) AS a""",
    f"""INSERT INTO shipments (id, order_id, warehouse_id, method, carrier, tracking_number,
                              declared_value, declared_currency, weight_kg, length_cm, width_cm,
                              height_cm, goods_characteristics, transit_min_days,
                              transit_max_days, lines_shipped, is_partial,
                              compliance_acknowledged, created_at, confirmed_at, registered_at,
                              provider_carrier, poll_failures, next_poll_at, tracking_status,
                              tracking_sub_status, tracking_stopped_at, last_event_at,
                              estimate_earliest, estimate_latest, estimate_source)
        SELECT i, i, 1 + i % {SELLERS}, method, 'China Post', 'LP' || lpad(i::text, 14, '0'),
               10.50, 'EUR', 1.0, 20, 15, 10, '[]', min_days, max_days,
               ('[{{"line_id": ' || i || ', "quantity": 1}}]')::json, false, false, shipped, shipped,
               shipped, 'simulated-post', 0,
               CASE WHEN $4 THEN NULL ELSE $1 - make_interval(secs => i % 3600) END,
               CASE WHEN $4 THEN 'Delivered' END, CASE WHEN $4 THEN 'Delivered_Other' END,
               CASE WHEN $4 THEN shipped + make_interval(days => max_days) END,
               CASE WHEN $4 THEN shipped + make_interval(days => max_days) END,
               (shipped + make_interval(days => min_days))::date,
               (shipped + make_interval(days => max_days))::date, 'lane'
        FROM ({_ACTIVE}) AS a""",
]

_SEED_DELIVERED_EVENTS = f"""
INSERT INTO tracking_events (shipment_id, key, time, status, sub_status, description, location,
                             recorded_at)
SELECT s.id, 'bench-' || e, s.confirmed_at + make_interval(hours => e * 12),
       CASE WHEN e = {DELIVERED_EVENTS - 1} THEN 'Delivered' ELSE 'InTransit' END,
       CASE WHEN e = {DELIVERED_EVENTS - 1} THEN 'Delivered_Other' ELSE 'InTransit_Other' END,
       'Parcel scanned at the sorting centre', 'Shenzhen, CN',
       s.confirmed_at + make_interval(hours => e * 12)
FROM shipments AS s CROSS JOIN generate_series(0, {DELIVERED_EVENTS - 1}) AS e
WHERE s.id BETWEEN $1 AND $2
"""

_TABLES = (
    "notifications, tracking_events, buyer_subscriptions, buyer_links, shipments, order_lines, "
    "orders, warehouses, sellers, telegram_users, audit_entries"
)


async def migrate(url: str) -> None:
    from bot import database

    engine = database.create_engine(url)
    try:
        await database.upgrade(engine)
    finally:
        await engine.dispose()


async def seed(url: str, active: int, delivered: int) -> float:
    """Empty the tables and seed `delivered` then `active` shipments; returns the seconds."""
    import asyncpg

    started = time.perf_counter()
    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await connection.execute(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE")
        async with connection.transaction():
            for statement in _SEED_SELLERS:
                await connection.execute(statement, NOW, SELLERS)
            # Delivered history first, with the lower ids, as in a database that has lived.
            groups = [(1, delivered, True), (delivered + 1, delivered + active, False)]
            for first, last, done in groups:
                if last < first:
                    continue
                for statement in _SEED_ORDERS:
                    values = (NOW, first, last, done) if "$4" in statement else (NOW, first, last)
                    await connection.execute(statement, *values)
            if delivered:
                await connection.execute(_SEED_DELIVERED_EVENTS, 1, delivered)
            for table in ("orders", "order_lines", "buyer_subscriptions", "shipments"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), $1)",
                    max(delivered + active, 1),
                )
            for table in ("sellers", "warehouses"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), $1)", SELLERS
                )
        # Fresh statistics, as autovacuum would have them on a live database.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


# ----- the passes (in a child process) -----


async def _passes(url: str, profile: str | None, workers: int | None) -> dict[str, Any]:
    from sqlalchemy import event, func, select

    from bot import database
    from domain.model import Notification
    from domain.unit_of_work import UnitOfWork
    from notifications.tracking.poller import TrackingPoller
    from notifications.tracking.simulated import SimulatedProvider

    class Clock:
        def __init__(self) -> None:
            self.now = NOW

        def __call__(self) -> datetime:
            return self.now

    clock = Clock()
    engine = database.create_engine(url)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    # Round trips, near enough: an executemany counts once, as it goes in one.
    event.listen(engine.sync_engine, "before_cursor_execute", count)
    sessions = database.create_session_factory(engine)
    provider = SimulatedProvider(clock=clock, seed=1)
    provider_cpu = 0.0
    fetch = provider.fetch

    async def timed_fetch(numbers: Any) -> Any:
        # The simulator's own share (planning journeys), apart from the pipeline's.
        nonlocal provider_cpu
        started = time.process_time()
        try:
            return await fetch(numbers)
        finally:
            provider_cpu += time.process_time() - started

    provider.fetch = timed_fetch  # type: ignore[method-assign]
    poller = TrackingPoller(
        lambda: UnitOfWork(sessions, clock=clock),
        provider,
        clock=clock,
        max_batches_per_tick=1_000_000,
        workers=workers,
    )
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="enabled")
    # As `Application.start` does once the app is built: what lives for the whole process is
    # kept out of the collector's full passes, which would otherwise scan it again and again.
    gc.collect()
    gc.freeze()
    rss_before = current_rss_mb()
    passes = []
    try:
        for label, advance in (("first", timedelta(0)), ("steady", STEADY_AFTER)):
            clock.now = NOW + advance
            if profiler is not None and label == "first":
                profiler.start()
            statements, provider_cpu = 0, 0.0
            started, cpu_started = time.perf_counter(), time.process_time()
            result = await poller.tick()
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
            if profiler is not None and profiler.is_running:
                profiler.stop()
            passes.append(
                {
                    "pass": label,
                    "seconds": seconds,
                    "cpu_seconds": cpu_seconds,
                    "provider_cpu_seconds": provider_cpu,
                    "statements": statements,
                    "due": result.claimed,
                    "fetched": result.fetched,
                    "stopped": result.stopped,
                    "backed_off": result.backed_off,
                    "events_added": result.recorded.events_added,
                    "buyer_messages": result.recorded.buyer_messages,
                    "seller_alerts": result.recorded.seller_alerts + result.alerts,
                }
            )
        async with sessions() as session:
            outbox = int(await session.scalar(select(func.count()).select_from(Notification)) or 0)
    finally:
        await engine.dispose()
    return {
        "profile_html": None
        if profiler is None
        else (
            profiler.output_text(unicode=True, show_all=False)
            if profile is not None and profile.endswith(".txt")
            else profiler.output_html()
        ),
        "passes": passes,
        "outbox_rows": outbox,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_passes(url: str, profile: str | None, workers: int | None = None) -> dict[str, Any]:
    """Entry point of the child process."""
    figures = asyncio.run(_passes(url, profile, workers))
    html = figures.pop("profile_html")
    if profile and html:
        Path(profile).write_text(html, encoding="utf-8")
    return figures


# ----- the report -----


def scenarios(sizes: list[int], delivered: int) -> list[tuple[int, int]]:
    """Each size with the delivered history; the two smallest also without it, to compare."""
    plan = [(size, 0) for size in sizes[:2]] if delivered else []
    plan += [(size, delivered) for size in sizes]
    return sorted(set(plan), key=lambda item: (item[0], item[1]))


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"  {'active':>7}  {'delivered':>9}  {'pass':<6}  {'due':>7}  {'seconds':>7}  "
        f"{'shipm./s':>8}  {'µs/due':>7}  {'CPU µs/due':>10}  {'simulator':>9}  {'SQL/due':>7}  "
        f"{'events':>9}  "
        f"{'buyer msgs':>10}  {'peak RSS':>8}"
    )
    for row in rows:
        for one in row["passes"]:
            due = max(one["due"], 1)
            print(
                f"  {row['active']:>7,}  {row['delivered']:>9,}  {one['pass']:<6}  "
                f"{one['due']:>7,}  {one['seconds']:>7.2f}  {due / one['seconds']:>8,.0f}  "
                f"{one['seconds'] / due * 1e6:>7,.0f}  {one['cpu_seconds'] / due * 1e6:>10,.0f}  "
                f"{one['provider_cpu_seconds'] / due * 1e6:>9,.0f}  "
                f"{one['statements'] / due:>7.2f}  {one['events_added']:>9,}  "
                f"{one['buyer_messages']:>10,}  {row['peak_rss_mb']:>5.0f} MB"
            )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--delivered", type=int, default=100_000)
    parser.add_argument(
        "--quick", action="store_true", help="a short run: 500 and 2,000 active, 10,000 delivered"
    )
    parser.add_argument(
        "--postgres",
        default=POSTGRES_ADMIN_URL,
        help="an admin URL of the server; a database is created there and dropped afterwards",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="profile the largest first pass (pyinstrument: HTML, or text if the name ends .txt)",
    )
    parser.add_argument(
        "--workers", type=int, help="claims worked on at once (default: the poller's, 2 here)"
    )
    add_json_option(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.delivered = [500, 2_000], 10_000
    plan = scenarios(sorted(args.sizes), args.delivered)
    largest = plan[-1]

    url = asyncio.run(create_database(args.postgres, "poll"))
    rows: list[dict[str, Any]] = []
    try:
        asyncio.run(migrate(url))
        for active, delivered in plan:
            seeded = asyncio.run(seed(url, active, delivered))
            profile = str(args.profile) if args.profile and (active, delivered) == largest else None
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                figures = pool.submit(run_passes, url, profile, args.workers).result()
            rows.append(
                {"active": active, "delivered": delivered, "seed_seconds": seeded, **figures}
            )
            print(
                f"  seeded {active:,} active + {delivered:,} delivered in {seeded:.1f} s; "
                f"first pass {figures['passes'][0]['seconds']:.2f} s",
                flush=True,
            )
    finally:
        asyncio.run(drop_database(args.postgres, url))

    print(
        f"\nTracking poll pass on PostgreSQL, simulated provider at zero latency — Python "
        f"{platform.python_version()}, {os.cpu_count()} cores"
    )
    print_table(rows)
    print("  µs/due flat down the sizes: cost linear in due shipments; the same with and")
    print("  without the delivered history: delivered shipments cost nothing.")
    goal = next((r for r in rows if r["active"] == 100_000 and r["delivered"]), None)
    if goal is not None:
        first = goal["passes"][0]["seconds"]
        print(
            f"  100k active: first pass {first:.1f} s (goal ≤ 60 s, stretch 20 s), "
            f"peak RSS {goal['peak_rss_mb']:.0f} MB (goal ≤ 300 MB)"
        )
    figures = {"scenarios": rows, "python": platform.python_version(), "cpus": os.cpu_count()}
    write_result(BenchResult("poll", figures_of(figures), figures), args.json)
    return figures


def figures_of(details: dict[str, Any]) -> list[Figure]:
    """Issue 10: a pass over 100k active shipments in at most 60 s (stretch 20 s), peak RSS at
    most 300 MB. Smaller sizes are held to the same pace (the pass scaled linearly to 100k
    active, which the µs per due shipment shows it is), so a quick run says something too."""
    source = "issue 10"
    figures = []
    for row in details["scenarios"]:
        first, steady = row["passes"][0], row["passes"][1]
        workload = f"{row['active']:,} active + {row['delivered']:,} delivered"
        at_goal_size = row["active"] == 100_000
        figures.append(
            Figure(
                workload,
                "first pass (every event new)",
                round(first["seconds"], 1),
                "s",
                at_most(60, source) if at_goal_size else None,
            )
        )
        if at_goal_size:
            figures.append(
                Figure(
                    workload,
                    "first pass, stretch goal",
                    round(first["seconds"], 1),
                    "s",
                    at_most(20, source + " stretch"),
                )
            )
        else:
            figures.append(
                Figure(
                    workload,
                    "first pass scaled to 100k active",
                    round(first["seconds"] * 100_000 / row["active"], 1),
                    "s",
                    at_most(60, source + ", scaled"),
                )
            )
        figures.append(Figure(workload, "steady pass", round(steady["seconds"], 1), "s"))
        due = max(first["due"], 1)
        figures.append(
            Figure(
                workload,
                "CPU per due shipment, first pass",
                round(first["cpu_seconds"] / due * 1e6),
                "µs",
            )
        )
        figures.append(
            Figure(
                workload, "poller peak RSS", round(row["peak_rss_mb"]), "MB", at_most(300, source)
            )
        )
    return figures


if __name__ == "__main__":
    main()
