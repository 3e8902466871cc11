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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from domain.errors import DomainError, InvalidInput
from domain.model import OrderSource, OrderStatus, Seller
from domain.order_import import Column, ImportRow, read_order_file
from domain.repositories import Actor
from domain.services.orders import cleaning, intake
from domain.unit_of_work import UnitOfWork

T = TypeVar("T")

# Orders saved per statement batch (and per transaction in the background import).
IMPORT_BATCH = 200


# The most problems one skipped row reports: enough to fix a row in one go, while a row that is
# wrong everywhere (a shifted column) does not flood the report; the rest are only counted.
MAX_PROBLEMS_PER_ROW = 5

# A problem found in a row: a message key and its parameters.
Problem = tuple[str, dict[str, Any]]


class SkippedRow(NamedTuple):
    """A row that was not imported: its first problem (`reason`, `params`), the others found
    in it (`more`, up to `MAX_PROBLEMS_PER_ROW` in all) and how many more were not listed."""

    row: int
    order_number: str | None
    reason: str
    params: dict[str, Any]
    more: tuple[Problem, ...] = ()
    unlisted: int = 0

    @property
    def problems(self) -> tuple[Problem, ...]:
        return ((self.reason, self.params), *self.more)

    def to_plain(self) -> list[Any]:
        """`[row, number, reason, params, more, unlisted]`, JSON-safe: what the file worker
        sends back and the report stores (its first four items are what a report held before
        rows had more than one problem)."""
        more = [[key, _json_safe(params)] for key, params in self.more]
        return [
            self.row,
            self.order_number,
            self.reason,
            _json_safe(self.params),
            more,
            self.unlisted,
        ]


def _json_safe(params: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, str | int | list | None) else str(value)
        for key, value in params.items()
    }


def _skipped(row: int, order_number: str | None, problems: Sequence[Problem]) -> SkippedRow:
    (reason, params), *more = problems
    listed = more[: MAX_PROBLEMS_PER_ROW - 1]
    return SkippedRow(row, order_number, reason, params, tuple(listed), len(more) - len(listed))


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
    # Row number -> every problem found in it, in column order.
    errors: dict[int, list[Problem]] = field(default_factory=dict)
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
            plan.skipped.append(_skipped(row.number, None, [(error.key, error.params)]))
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


class _Problems:
    """Collects a row's problems: each check runs on its own, so one bad cell does not hide
    the next one, and what depends on a bad cell (a price's decimals on its currency) is left
    unchecked instead of reported twice."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def check(self, clean: Callable[..., T], *args: Any) -> T | None:
        """`clean(*args)`, or None with its problem noted."""
        try:
            return clean(*args)
        except InvalidInput as error:
            self.found.append((error.key, error.params))
            return None


def _add_row(pending: _PendingOrder, row: ImportRow, now: datetime) -> None:
    """Check one row and add it to its order (or note every problem it has)."""
    pending.rows.append(row.number)
    if pending.duplicate_of is not None:
        return
    if not pending.header and len(pending.rows) > 1:
        # The first row's order fields were bad: the order is refused, nothing to check here.
        return
    problems = _Problems()
    if not pending.header:
        header = _header_of(row, now, problems)
        if not problems.found:
            pending.header = header
        currency = header[Column.CURRENCY]
    else:
        _check_continuation(pending, row, now, problems)
        currency = pending.header[Column.CURRENCY]
    if len(pending.lines) >= cleaning.MAX_LINES:
        problems.found.append(("orders.too_many_lines", {"max": cleaning.MAX_LINES}))
    name = problems.check(cleaning.clean_product_name, row.get(Column.PRODUCT_NAME))
    sku = problems.check(cleaning.clean_sku, row.get(Column.SKU))
    quantity = problems.check(cleaning.clean_quantity, row.get(Column.QUANTITY))
    price = None
    if currency is not None:  # a bad currency was reported; the price's decimals depend on it
        price = problems.check(cleaning.clean_unit_price, row.get(Column.UNIT_PRICE), currency)
    if problems.found:
        pending.errors[row.number] = problems.found
        return
    # No problem found: every check returned its value.
    assert name is not None
    assert quantity is not None
    assert price is not None
    pending.lines.append(
        intake.NewOrderLine(product_name=name, sku=sku, quantity=quantity, unit_price=price)
    )


def _header_of(row: ImportRow, now: datetime, problems: _Problems) -> dict[Column, Any]:
    """The order's fields from its first row; a field with a problem is None."""
    country = problems.check(cleaning.clean_ship_to_country, row.get(Column.SHIP_TO_COUNTRY))
    currency = problems.check(cleaning.clean_currency, row.get(Column.CURRENCY))
    postcode = None
    if country is not None:  # the postcode's format is the country's
        postcode = problems.check(
            cleaning.clean_postcode, country, row.get(Column.SHIP_TO_POSTCODE)
        )
    return {
        Column.SHIP_TO_COUNTRY: country,
        Column.CURRENCY: currency,
        Column.SHIP_TO_POSTCODE: postcode,
        Column.SHIP_BY: problems.check(clean_import_ship_by, row.get(Column.SHIP_BY), now),
    }


def clean_import_ship_by(raw: object, now: datetime) -> datetime:
    """An imported order's deadline, which must still be ahead: an order whose ship-by has
    passed can no longer be shipped in time, so importing it would only add an overdue order
    (the row names the date, so a seller sees a stale export or a typo at once). A date long
    past is named the same way, before the bounds a typed date is held to."""
    ship_by = cleaning.parse_ship_by(raw)
    if ship_by is not None and ship_by < now:
        # Written as a seller finds it in the file: the day, and the time when one was given.
        shown = ship_by.strftime("%Y-%m-%d")
        if ship_by.timetz() != cleaning.END_OF_DAY:
            shown += ship_by.strftime(" %H:%M UTC")
        raise InvalidInput("import.ship_by_past", ship_by=shown)
    return cleaning.clean_ship_by(raw, now)


def _is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _check_continuation(
    pending: _PendingOrder, row: ImportRow, now: datetime, problems: _Problems
) -> None:
    for column in _ORDER_COLUMNS:
        raw = row.get(column)
        if not _is_blank(raw):
            problems.check(_same_as_first_row, pending, column, raw, now)


def _same_as_first_row(pending: _PendingOrder, column: Column, raw: object, now: datetime) -> None:
    header = pending.header
    value: Any
    if column == Column.SHIP_TO_COUNTRY:
        value = cleaning.clean_ship_to_country(raw)
    elif column == Column.CURRENCY:
        value = cleaning.clean_currency(raw)
    elif column == Column.SHIP_TO_POSTCODE:
        value = cleaning.clean_postcode(header[Column.SHIP_TO_COUNTRY], raw)
    else:
        value = clean_import_ship_by(raw, now)
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
        found = pending.errors.get(row_number, [problem])
        if pending.duplicate_of is not None:
            found = [problem]
        plan.skipped.append(_skipped(row_number, pending.number, found))


def _pending_problem(pending: _PendingOrder) -> Problem | None:
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
    # New orders not saved: the store holds the most open orders an import may add to.
    over_limit: list[str] = field(default_factory=list)


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
