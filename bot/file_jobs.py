"""The jobs the file worker runs, inside its child process (see `bot.file_worker`).

Each calls the domain's pure readers and emits its results as plain data; an `InvalidInput`
they raise reaches the user as is. Nothing here runs in the bot's own process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from domain.order_import import ImportRow, read_order_file
from domain.services import logistics_settings
from domain.services.orders import file_import

Emit = Callable[[Any], None]


def order_file(
    emit: Emit,
    *,
    path: str,
    file_name: str,
    now: str,
    max_rows: int,
    batch: int,
    report_rows: int,
    progress_every: int = 2_000,
) -> None:
    """Read and check a whole order file, then send the planned orders in batches.

    Messages: ("reading", rows so far) now and then; ("planned", summary) once the whole file
    is checked; then ("orders", [planned order, ...]) per batch. Nothing is sent before the
    whole file has passed its file-level checks, so a refused file saves nothing.
    """
    rows = read_order_file(Path(path), file_name, max_rows=max_rows)
    plan = file_import.plan_order_rows(
        _counted(rows, emit, progress_every), datetime.fromisoformat(now)
    )
    emit(
        (
            "planned",
            {
                "rows_read": plan.rows_read,
                "orders": len(plan.orders),
                "skipped_total": len(plan.skipped),
                "skipped": [row.to_plain() for row in plan.skipped[:report_rows]],
            },
        )
    )
    for start in range(0, len(plan.orders), batch):
        emit(
            (
                "orders",
                [file_import.to_plain(order) for order in plan.orders[start : start + batch]],
            )
        )


def _counted(rows: Iterable[ImportRow], emit: Emit, every: int) -> Iterator[ImportRow]:
    for count, row in enumerate(rows, start=1):
        if count % every == 0:
            emit(("reading", count))
        yield row


def rate_card(emit: Emit, *, path: str, file_name: str) -> None:
    """A seller's rate-card file, as the stored card data."""
    emit(logistics_settings.read_rate_card_file(file_name, Path(path).read_bytes()))
