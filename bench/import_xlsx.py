"""Benchmark: import an order file of N rows (default 10,000) from XLSX into a fresh SQLite
database through the real service (`domain.services.orders.file_import.import_orders`).

Prints rows per second and peak memory; `--json out.json` writes the figures too.

    python -m bench.import_xlsx [--rows 10000] [--json out.json]

Three passes, each on its own fresh database:
  read     reading the XLSX only (openpyxl read-only streaming), no validation, no database
  import   the full import (read, validate, group, insert, commit), timed without tracing
  memory   the same import under tracemalloc, for the peak of Python allocations
The process's peak RSS (getrusage) is printed too; it includes the interpreter and libraries.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import platform
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from bench.figures import BenchResult, Figure, add_json_option, figures_from, write_result
from bench.harness import peak_rss_mb
from bot import database
from domain.order_import import read_order_file
from domain.services import sellers
from domain.services.orders import file_import
from domain.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HEADER = ["订单号", "国家", "邮编", "币种", "商品名称", "SKU", "数量", "单价", "最晚发货时间"]
DESTINATIONS = [("US", "94105", "USD"), ("DE", "10115", "EUR"), ("FR", "75001", "EUR"),
                ("GB", "SW1A 1AA", "GBP"), ("ES", "28001", "EUR"), ("BR", "01310-100", "BRL")]  # fmt: skip


def build_xlsx(rows: int) -> bytes:
    """`rows` order lines: every fifth order has two lines, the rest one."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    written = order = 0
    while written < rows:
        country, postcode, currency = DESTINATIONS[order % len(DESTINATIONS)]
        ship_by = (NOW + timedelta(days=3, hours=order % 48)).replace(tzinfo=None)
        lines = 2 if order % 5 == 0 else 1
        for line in range(min(lines, rows - written)):
            sheet.append(
                [
                    f"81{order:014d}",
                    country,
                    postcode,
                    currency,
                    f"Product {order % 997} variant {line}",
                    f"SKU-{order % 997}-{line}",
                    1 + line,
                    round(3.5 + (order % 200) * 0.25, 2),
                    ship_by,
                ]
            )
            written += 1
        order += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _clock() -> datetime:
    return NOW


async def run_import(content: bytes, directory: Path, name: str) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{directory / f'{name}.sqlite3'}"
    engine = database.create_engine(url)
    try:
        await database.upgrade(engine)
        sessions = database.create_session_factory(engine)
        async with UnitOfWork(sessions, clock=_clock) as uow:
            await sellers.register_seller(sellers.RegisterSeller(1, "Bench store", "CN", "en"), uow)
            await uow.commit()
        started = time.perf_counter()
        async with UnitOfWork(sessions, clock=_clock) as uow:
            seller = await uow.sellers.by_telegram_user(1)
            assert seller is not None
            report = await file_import.import_orders(seller, content, "bench.xlsx", uow)
            await uow.commit()
        seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    return {
        "seconds": seconds,
        "rows": report.rows_read,
        "orders": len(report.imported),
        "lines": report.lines_imported,
        "skipped": len(report.skipped),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    add_json_option(parser)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    content = build_xlsx(args.rows)
    generated = time.perf_counter() - started

    started = time.perf_counter()
    read_rows = sum(1 for _ in read_order_file(content, "bench.xlsx"))
    read_seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as directory:
        timed = asyncio.run(run_import(content, Path(directory), "timed"))
        tracemalloc.start()
        traced = asyncio.run(run_import(content, Path(directory), "traced"))
        _, peak_bytes = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert timed["rows"] == read_rows == args.rows, (timed, read_rows)
    assert timed["skipped"] == 0
    assert traced["orders"] == timed["orders"]

    figures = {
        "rows": args.rows,
        "orders": timed["orders"],
        "file_bytes": len(content),
        "generate_seconds": round(generated, 3),
        "read_seconds": round(read_seconds, 3),
        "read_rows_per_second": round(read_rows / read_seconds),
        "import_seconds": round(timed["seconds"], 3),
        "import_rows_per_second": round(args.rows / timed["seconds"]),
        "import_traced_seconds": round(traced["seconds"], 3),
        "peak_traced_mb": round(peak_bytes / 2**20, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    table = [
        ("rows (order lines)", f"{figures['rows']:,}"),
        ("orders", f"{figures['orders']:,}"),
        ("XLSX size", f"{figures['file_bytes'] / 2**20:.2f} MiB"),
        ("read only", f"{read_seconds:.2f} s  ({figures['read_rows_per_second']:,} rows/s)"),
        (
            "full import + commit",
            f"{timed['seconds']:.2f} s  ({figures['import_rows_per_second']:,} rows/s)",
        ),
        ("peak Python memory (tracemalloc)", f"{figures['peak_traced_mb']} MiB"),
        ("peak process RSS", f"{figures['peak_rss_mb']} MiB"),
    ]
    width = max(len(label) for label, _ in table)
    print(f"Order import from XLSX into SQLite — Python {figures['python']}")
    for label, value in table:
        print(f"  {label:<{width}}  {value}")
    write_result(BenchResult("import_xlsx", figures_of(figures), figures), args.json)
    return figures


def figures_of(details: dict[str, Any]) -> list[Figure]:
    """No issue sets a goal here: the import's pace, and its memory, to compare runs."""
    return figures_from(
        f"{details['rows']:,} rows XLSX into SQLite",
        details,
        [
            ("full import + commit", "import_seconds", "s"),
            ("import rate", "import_rows_per_second", "rows/s"),
            ("read-only rate", "read_rows_per_second", "rows/s"),
            ("peak Python memory (tracemalloc)", "peak_traced_mb", "MiB"),
            ("peak process RSS", "peak_rss_mb", "MiB"),
        ],
    )


if __name__ == "__main__":
    main()
