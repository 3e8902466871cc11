"""Importing a seller's order file: checking its rows, then saving the orders in batches.

Two halves, on purpose. `plan_order_rows` reads the rows, groups them into orders and applies
the intake rules (`domain.services.orders.intake.build_order`) without touching the database: it is
pure, and the bot runs it in its file worker, away from the event loop, on the whole file before
anything is saved, so a file-level problem (too many rows, a limit) still saves nothing.
`save_planned` then writes a batch of planned orders in the caller's transaction; an order the
store already has is counted as already imported and left as it is, so re-sending a file never
duplicates an order. The background job around it lives in `domain.services.orders.import_jobs`.

Planned orders cross the process boundary as plain tuples (`to_plain` / `from_plain`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from domain.errors import DomainError, InvalidInput
from domain.model import OrderSource, OrderStatus, Seller
from domain.order_import import Column, ImportRow, read_order_file
from domain.repositories import Actor
from domain.services.orders import cleaning, intake
from domain.unit_of_work import UnitOfWork

# Orders saved per statement batch (and per transaction in the background import).
IMPORT_BATCH = 200


class SkippedRow(NamedTuple):
    row: int
    order_number: str | None
    reason: str
    params: dict[str, Any]


class PlannedLine(NamedTuple):
    position: int
    product_name: str
    sku: str | None
    quantity: int
    unit_price: Decimal


class PlannedOrder(NamedTuple):
    """An order that passed every intake rule, ready to insert."""

    number: str
    ship_to_country: str
    ship_to_postcode: str | None
    currency: str
    ship_by: datetime
    total: Decimal
    lines: tuple[PlannedLine, ...]


def to_plain(order: PlannedOrder) -> tuple[Any, ...]:
    """Builtins, Decimal and datetime only: what the file worker may send back."""
    return (*order[:6], tuple(tuple(line) for line in order.lines))


def from_plain(data: Sequence[Any]) -> PlannedOrder:
    number, country, postcode, currency, ship_by, total, lines = data
    return PlannedOrder(
        number,
        country,
        postcode,
        currency,
        ship_by,
        total,
        tuple(PlannedLine(*line) for line in lines),
    )


@dataclass
class ImportPlan:
    orders: list[PlannedOrder] = field(default_factory=list)  # in file order
    skipped: list[SkippedRow] = field(default_factory=list)  # by row number
    rows_read: int = 0


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)  # order numbers, in file order
    skipped: list[SkippedRow] = field(default_factory=list)  # by row number
    rows_read: int = 0
    lines_imported: int = 0
    # Orders of the file the store already had (the file was sent before): left as they are.
    already_imported: list[str] = field(default_factory=list)


@dataclass
class _PendingOrder:
    """Consecutive rows with one order number, checked row by row."""

    number: str
    first_row: int
    rows: list[int] = field(default_factory=list)
    lines: list[intake.NewOrderLine] = field(default_factory=list)
    header: dict[Column, Any] = field(default_factory=dict)
    errors: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # Set when the number was already used earlier in the file: every row is skipped.
    duplicate_of: int | None = None


# Columns that describe the order rather than the line: a continuation row may leave them
# empty, and must not contradict the first row.
_ORDER_COLUMNS = (Column.SHIP_TO_COUNTRY, Column.SHIP_TO_POSTCODE, Column.CURRENCY, Column.SHIP_BY)


# ----- checking (pure) -----


def plan_order_rows(rows: Iterable[ImportRow], now: datetime) -> ImportPlan:
    """Group rows into orders and check them. Rows with the same order number must be
    consecutive; a number seen again later in the file is skipped as a duplicate."""
    plan = ImportPlan()
    seen: dict[str, int] = {}  # order number -> first row
    current: _PendingOrder | None = None
    for row in rows:
        plan.rows_read += 1
        try:
            number = cleaning.clean_order_number(row.get(Column.ORDER_NUMBER))
        except InvalidInput as error:
            plan.skipped.append(SkippedRow(row.number, None, error.key, error.params))
            continue
        if current is None or current.number != number:
            if current is not None:
                _close(current, now, plan)
            current = _PendingOrder(number=number, first_row=row.number)
            if number in seen:
                current.duplicate_of = seen[number]
            else:
                seen[number] = row.number
        _add_row(current, row, now)
    if current is not None:
        _close(current, now, plan)
    plan.skipped.sort(key=lambda skipped: skipped.row)
    return plan


def _add_row(pending: _PendingOrder, row: ImportRow, now: datetime) -> None:
    """Check one row and add it to its order (or note why it is bad)."""
    pending.rows.append(row.number)
    if pending.duplicate_of is not None:
        return
    if not pending.header and len(pending.rows) > 1:
        # The first row's order fields were bad: the order is refused, nothing to check here.
        return
    try:
        if not pending.header:
            country = cleaning.clean_country(row.get(Column.SHIP_TO_COUNTRY))
            currency = cleaning.clean_currency(row.get(Column.CURRENCY))
            pending.header = {
                Column.SHIP_TO_COUNTRY: country,
                Column.CURRENCY: currency,
                Column.SHIP_TO_POSTCODE: cleaning.clean_postcode(
                    country, row.get(Column.SHIP_TO_POSTCODE)
                ),
                Column.SHIP_BY: cleaning.clean_ship_by(row.get(Column.SHIP_BY), now),
            }
        else:
            _check_continuation(pending, row, now)
        if len(pending.lines) >= cleaning.MAX_LINES:
            raise InvalidInput("orders.too_many_lines", max=cleaning.MAX_LINES)
        pending.lines.append(
            intake.NewOrderLine(
                product_name=cleaning.clean_product_name(row.get(Column.PRODUCT_NAME)),
                sku=cleaning.clean_sku(row.get(Column.SKU)),
                quantity=cleaning.clean_quantity(row.get(Column.QUANTITY)),
                unit_price=cleaning.clean_unit_price(
                    row.get(Column.UNIT_PRICE), pending.header[Column.CURRENCY]
                ),
            )
        )
    except InvalidInput as error:
        pending.errors[row.number] = (error.key, error.params)


def _is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _check_continuation(pending: _PendingOrder, row: ImportRow, now: datetime) -> None:
    header = pending.header
    for column in _ORDER_COLUMNS:
        raw = row.get(column)
        if _is_blank(raw):
            continue
        value: Any
        if column == Column.SHIP_TO_COUNTRY:
            value = cleaning.clean_country(raw)
        elif column == Column.CURRENCY:
            value = cleaning.clean_currency(raw)
        elif column == Column.SHIP_TO_POSTCODE:
            value = cleaning.clean_postcode(header[Column.SHIP_TO_COUNTRY], raw)
        else:
            value = cleaning.clean_ship_by(raw, now)
        if value != header[column]:
            raise InvalidInput(
                "import.order_fields_differ", column=column.value, first_row=pending.first_row
            )


def _close(pending: _PendingOrder, now: datetime, plan: ImportPlan) -> None:
    """Build the order from its rows, or report every row of it as skipped."""
    problem = _pending_problem(pending)
    if problem is None:
        try:
            order = intake.build_order(_command(pending), now)
        except DomainError as error:
            problem = error.key, error.params
        else:
            plan.orders.append(
                PlannedOrder(
                    number=order.number,
                    ship_to_country=order.ship_to_country,
                    ship_to_postcode=order.ship_to_postcode,
                    currency=order.currency,
                    ship_by=order.ship_by,
                    total=order.total,
                    lines=tuple(
                        PlannedLine(
                            line.position,
                            line.product_name,
                            line.sku,
                            line.quantity,
                            line.unit_price,
                        )
                        for line in order.lines
                    ),
                )
            )
            return
    for row_number in pending.rows:
        key, params = pending.errors.get(row_number, problem)
        if pending.duplicate_of is not None:
            key, params = problem
        plan.skipped.append(SkippedRow(row_number, pending.number, key, params))


def _pending_problem(pending: _PendingOrder) -> tuple[str, dict[str, Any]] | None:
    if pending.duplicate_of is not None:
        return "import.duplicate_in_file", {
            "number": pending.number,
            "first_row": pending.duplicate_of,
        }
    if pending.errors:
        return "import.order_has_bad_rows", {"rows": sorted(pending.errors)}
    return None


def _command(pending: _PendingOrder) -> intake.NewOrder:
    header = pending.header
    return intake.NewOrder(
        seller_id=0,  # not stored: a planned order is saved for a seller later
        number=pending.number,
        ship_to_country=header[Column.SHIP_TO_COUNTRY],
        ship_to_postcode=header[Column.SHIP_TO_POSTCODE],
        currency=header[Column.CURRENCY],
        ship_by=header[Column.SHIP_BY],
        lines=pending.lines,
        source=OrderSource.IMPORT,
    )


# ----- saving -----


@dataclass
class SavedOrders:
    imported: list[str] = field(default_factory=list)
    lines: int = 0
    already_imported: list[str] = field(default_factory=list)


async def save_planned(
    seller_id: int,
    orders: Sequence[PlannedOrder],
    uow: UnitOfWork,
    *,
    source: OrderSource = OrderSource.IMPORT,
) -> SavedOrders:
    """Insert the orders the store does not have yet, in the caller's transaction."""
    now = uow.now()
    inserted = await uow.orders.insert_new(
        [
            {
                "seller_id": seller_id,
                "number": order.number,
                "ship_to_country": order.ship_to_country,
                "ship_to_postcode": order.ship_to_postcode,
                "currency": order.currency,
                "total": order.total,
                "ship_by": order.ship_by,
                "status": OrderStatus.AWAITING_CONFIRMATION,
                "source": source,
                "created_at": now,
            }
            for order in orders
        ],
        [[line._asdict() for line in order.lines] for order in orders],
    )
    saved = SavedOrders()
    for order in orders:
        if order.number in inserted:
            saved.imported.append(order.number)
            saved.lines += len(order.lines)
        else:
            saved.already_imported.append(order.number)
    return saved


def audit_import(
    uow: UnitOfWork,
    seller_id: int,
    actor_id: int | None,
    *,
    rows: int,
    orders: int,
    skipped_rows: int,
    already_imported: int,
) -> None:
    uow.audit.add(
        "orders.imported",
        by=Actor("seller", actor_id),
        about=("seller", seller_id),
        details={
            "rows": rows,
            "orders": orders,
            "skipped_rows": skipped_rows,
            "already_imported": already_imported,
        },
    )


# ----- in one transaction (tests, benchmarks, an API adapter) -----


async def import_orders(
    seller: Seller,
    content: bytes,
    file_name: str | None,
    uow: UnitOfWork,
    *,
    actor_id: int | None = None,
) -> ImportReport:
    """Import a CSV or XLSX order file (see docs/order-import.md) in the caller's transaction,
    in this process. The bot itself imports files in the background (`import_jobs`).

    A file-level problem (size, format, missing columns, too many rows) raises InvalidInput
    and nothing must be committed; a bad row only skips its order, reported with the reason.
    """
    rows = read_order_file(content, file_name)
    return await import_order_rows(seller, rows, uow, actor_id=actor_id)


async def import_order_rows(
    seller: Seller,
    rows: Iterable[ImportRow],
    uow: UnitOfWork,
    *,
    actor_id: int | None = None,
    source: OrderSource = OrderSource.IMPORT,
) -> ImportReport:
    """Import already-read rows in the caller's transaction."""
    plan = plan_order_rows(rows, uow.now())
    report = ImportReport(skipped=plan.skipped, rows_read=plan.rows_read)
    for start in range(0, len(plan.orders), IMPORT_BATCH):
        batch = plan.orders[start : start + IMPORT_BATCH]
        saved = await save_planned(seller.id, batch, uow, source=source)
        report.imported += saved.imported
        report.lines_imported += saved.lines
        report.already_imported += saved.already_imported
    audit_import(
        uow,
        seller.id,
        actor_id,
        rows=report.rows_read,
        orders=len(report.imported),
        skipped_rows=len(report.skipped),
        already_imported=len(report.already_imported),
    )
    return report
