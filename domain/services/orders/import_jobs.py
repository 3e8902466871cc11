"""The background order import: its row in `order_imports`, from the file sent to the report.

A handler calls `begin_import` in the update's transaction (one running import per seller) and,
once that commits, asks the app's `ImportRunner` to run it. The runner downloads the file, has it
read and checked in the file worker, and saves the planned orders in batches, each batch in a
transaction of its own (`save_batch`), so no transaction ever holds SQLite's write lock for
long. The runner renews the import's lease as it goes; `interrupt_stale_imports` ends imports
whose process stopped. Outcomes reach the seller through the outbox (`import.report`,
`import.failed`, `import.interrupted`), so a report is never lost once the import is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError

from domain.errors import ConflictError, DomainError, NotFound
from domain.model import ImportStatus, OrderImport
from domain.model.order_imports import FILE_NAME_MAX
from domain.services import warehouses
from domain.services.orders import file_import
from domain.unit_of_work import UnitOfWork

# A running import renews its lease at least this often; past it, it counts as interrupted.
IMPORT_LEASE = timedelta(seconds=90)
# Finished imports are kept this long (the seller's recent history), then pruned.
KEEP_FINISHED = timedelta(days=30)
# How many skipped rows a report lists; a file with more is mostly wrong anyway.
REPORT_MAX_ROWS = 40
# An order file refused because it is a rate card; its failure notice carries the import's id
# under RATE_CARD_FROM_IMPORT, for the button that uses the file as the rate card.
RATE_CARD_SENT = "import.rate_card_sent"
RATE_CARD_FROM_IMPORT = "rate_card_import"
# The most open orders (awaiting confirmation or confirmed, not yet shipped) a store may hold
# for an import to add more (IMPORT_MAX_OPEN_ORDERS). One file is bounded by its rows, one import
# runs at a time; without this, file after file could pile up orders no one can ship, each
# then owed ship-by reminders. Orders typed in the conversation are not refused by it.
DEFAULT_MAX_OPEN_ORDERS = 10_000


class ImportRunner(Protocol):
    """Runs a recorded import in the background (the app's; handlers get it injected)."""

    def start(self, import_id: int) -> None:
        """Start the import; call once the transaction that recorded it has committed."""


@dataclass(frozen=True, slots=True)
class FileToImport:
    file_id: str
    file_name: str
    chat_id: int
    locale: str | None


@dataclass(frozen=True, slots=True)
class ImportJob:
    """What the runner needs of a running import, copied out of its transaction."""

    id: int
    seller_id: int
    actor_id: int
    chat_id: int
    locale: str | None
    file_id: str
    file_name: str


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """What the file worker found beyond the orders: counts and the first skipped rows
    (`file_import.SkippedRow.to_plain`: the row, its order number or None, and its problems)."""

    rows_read: int
    skipped_total: int
    skipped: Sequence[Sequence[Any]]


async def begin_import(
    user_id: int,
    file: FileToImport,
    uow: UnitOfWork,
    *,
    max_open_orders: int = DEFAULT_MAX_OPEN_ORDERS,
) -> int:
    """Record a new import for the caller's store; refused while another one runs, and while
    the store already holds `max_open_orders` open orders (the file would add none)."""
    seller = await warehouses.seller_of(user_id, uow)
    now = uow.now()
    open_orders = await uow.orders.count_open(seller.id)
    if open_orders >= max_open_orders:
        raise ConflictError("import.open_orders_full", max=max_open_orders, open=open_orders)
    running = await uow.order_imports.running_for(seller.id)
    if running is not None:
        if running.lease_until >= now:
            raise ConflictError("import.already_running", file_name=running.file_name)
        await _interrupt(running, uow)  # its process stopped without saying so
        await uow.flush()
    job = OrderImport(
        seller_id=seller.id,
        actor_id=user_id,
        chat_id=file.chat_id,
        locale=file.locale,
        file_id=file.file_id,
        file_name=file.file_name[:FILE_NAME_MAX],
        status=ImportStatus.RUNNING,
        created_at=now,
        lease_until=now + IMPORT_LEASE,
        rows_read=0,
        orders_imported=0,
        lines_imported=0,
        orders_existing=0,
        rows_skipped=0,
    )
    try:
        # A savepoint: another process starting an import for this seller at the same moment
        # loses on the unique index without spoiling the update's transaction.
        async with uow.savepoint():
            await uow.order_imports.add(job)
    except IntegrityError:
        raise ConflictError("import.already_running", file_name=file.file_name) from None
    return job.id


async def running_import(import_id: int, uow: UnitOfWork) -> ImportJob | None:
    job = await uow.order_imports.get(import_id)
    if job is None or job.status != ImportStatus.RUNNING:
        return None
    return ImportJob(
        id=job.id,
        seller_id=job.seller_id,
        actor_id=job.actor_id,
        chat_id=job.chat_id,
        locale=job.locale,
        file_id=job.file_id,
        file_name=job.file_name,
    )


async def renew(
    import_id: int,
    uow: UnitOfWork,
    *,
    progress_message_id: int | None = None,
    summary: PlanSummary | None = None,
) -> bool:
    """Extend the lease (and note progress); False when the import no longer runs here."""
    job = await uow.order_imports.get(import_id)
    if job is None or job.status != ImportStatus.RUNNING:
        return False
    job.lease_until = uow.now() + IMPORT_LEASE
    if progress_message_id is not None:
        job.progress_message_id = progress_message_id
    if summary is not None:
        job.rows_read = summary.rows_read
        job.rows_skipped = summary.skipped_total
    return True


async def save_batch(
    job: ImportJob,
    orders: Sequence[file_import.PlannedOrder],
    uow: UnitOfWork,
    *,
    max_open_orders: int = DEFAULT_MAX_OPEN_ORDERS,
) -> file_import.SavedOrders | None:
    """Save one batch of planned orders and count it; None when the import no longer runs
    (then nothing is saved: the caller's transaction must be rolled back).

    New orders are saved only while the store holds fewer than `max_open_orders` open orders;
    the rest of the file's new orders come back in `over_limit`, not saved (orders the store
    already has are counted as already imported either way, so sending the file again once
    some orders have shipped adds exactly those left out)."""
    room = max_open_orders - await uow.orders.count_open(job.seller_id)
    known = await uow.orders.existing_numbers(job.seller_id, [order.number for order in orders])
    fitting: list[file_import.PlannedOrder] = []
    over_limit: list[str] = []
    for order in orders:
        if order.number in known:
            fitting.append(order)
        elif room > 0:
            fitting.append(order)
            room -= 1
        else:
            over_limit.append(order.number)
    saved = await file_import.save_planned(job.seller_id, fitting, uow)
    saved.over_limit = over_limit
    running = await uow.order_imports.count_batch(
        job.id,
        orders=len(saved.imported),
        lines=saved.lines,
        existing=len(saved.already_imported),
        lease_until=uow.now() + IMPORT_LEASE,
    )
    return saved if running else None


async def finish_import(
    job: ImportJob,
    summary: PlanSummary,
    uow: UnitOfWork,
    *,
    over_limit: int = 0,
    max_open_orders: int = DEFAULT_MAX_OPEN_ORDERS,
) -> None:
    """Mark the import done, audit it and queue the report (`over_limit`: new orders of the
    file left out because the store reached `max_open_orders`)."""
    row = await _end_running(job.id, ImportStatus.DONE, uow)
    if row is None:
        return
    row.rows_read = summary.rows_read
    row.rows_skipped = summary.skipped_total
    file_import.audit_import(
        uow,
        row.seller_id,
        row.actor_id,
        rows=row.rows_read,
        orders=row.orders_imported,
        skipped_rows=row.rows_skipped,
        already_imported=row.orders_existing,
    )
    shown = [list(skipped) for skipped in summary.skipped[:REPORT_MAX_ROWS]]
    await _notify(
        uow,
        row,
        "report",
        imported=row.orders_imported,
        lines=row.lines_imported,
        rows_read=row.rows_read,
        already_imported=row.orders_existing,
        skipped=shown,
        skipped_total=row.rows_skipped,
        not_shown=max(0, row.rows_skipped - len(shown)),
        over_limit=over_limit,
        max_open_orders=max_open_orders,
    )


async def fail_import(job: ImportJob, error: DomainError, uow: UnitOfWork) -> None:
    """A file-level problem: nothing of the file was saved; tell the seller why. A rate card
    sent as an order file carries the import's id, so the notice can offer to use the file as
    the rate card (`RATE_CARD_FROM_IMPORT`, `file_sent_as_rate_card`)."""
    row = await _end_running(job.id, ImportStatus.FAILED, uow)
    if row is not None:
        offer = {RATE_CARD_FROM_IMPORT: row.id} if error.key == RATE_CARD_SENT else {}
        await _notify(uow, row, "failed", reason=error.key, reason_params=error.params, **offer)


@dataclass(frozen=True, slots=True)
class SentFile:
    file_id: str
    file_name: str


async def file_sent_as_rate_card(user_id: int, import_id: int, uow: UnitOfWork) -> SentFile:
    """The file of the caller's refused import, to read as their rate card instead, once. The
    id comes from a button: an import of another store, one still running or done, one taken
    as a rate card already (a replayed press would bring back a card replaced since), or one
    pruned since, is "not found" alike. What the file holds is the rate card parser's to
    judge."""
    seller = await warehouses.seller_of(user_id, uow)
    row = await uow.order_imports.get(import_id)
    if row is None or row.seller_id != seller.id or row.status != ImportStatus.FAILED:
        raise NotFound
    row.status = ImportStatus.TAKEN_AS_RATE_CARD
    return SentFile(file_id=row.file_id, file_name=row.file_name)


async def interrupt_import(import_id: int, uow: UnitOfWork) -> None:
    """The bot stops (or failed) mid-import: keep what was saved, tell the seller."""
    row = await uow.order_imports.get(import_id)
    if row is not None and row.status == ImportStatus.RUNNING:
        await _interrupt(row, uow)


async def interrupt_stale_imports(uow: UnitOfWork) -> int:
    """End imports whose lease ran out (their process stopped); prune old finished ones."""
    stale = await uow.order_imports.stale(uow.now())
    for row in stale:
        await _interrupt(row, uow)
    await uow.order_imports.prune(uow.now() - KEEP_FINISHED)
    return len(stale)


async def _end_running(
    import_id: int, outcome: ImportStatus, uow: UnitOfWork
) -> OrderImport | None:
    """End the import with `outcome` if it still runs (an import ends once: whichever of the
    worker, a shutdown and the stale sweep comes second finds nothing to do)."""
    row = await uow.order_imports.get(import_id)
    if row is None or row.status != ImportStatus.RUNNING:
        return None
    row.end(outcome, uow.now())
    return row


async def _interrupt(row: OrderImport, uow: UnitOfWork) -> None:
    row.end(ImportStatus.INTERRUPTED, uow.now())
    await _notify(uow, row, "interrupted", imported=row.orders_imported)


async def _notify(uow: UnitOfWork, row: OrderImport, outcome: str, **params: Any) -> None:
    await uow.notifications.add(
        dedupe_key=f"order-import:{row.id}:{outcome}",
        chat_id=row.chat_id,
        template=f"import.{outcome}",
        params={"file_name": row.file_name, **params},
        now=uow.now(),
    )
