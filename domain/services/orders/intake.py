"""Bringing an order in: `build_order` checks a `NewOrder` and builds the aggregate (the one set
of intake rules); `create_order` adds one (conversation or API). A file's worth goes through
`domain.services.orders.file_import`, which builds with the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from domain.errors import ConflictError, InvalidInput
from domain.model import Order, OrderLine, OrderSource, OrderStatus
from domain.model.orders import AMOUNT_LIMIT
from domain.services.orders import audit, cleaning
from domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class NewOrderLine:
    product_name: str
    quantity: int | str
    unit_price: Decimal | int | str
    sku: str | None = None


@dataclass(frozen=True)
class NewOrder:
    """An order as it arrives, not yet checked. Raw values (text) are accepted."""

    seller_id: int
    number: str
    ship_to_country: str
    ship_to_postcode: str | None
    currency: str
    ship_by: datetime | date | str
    lines: Sequence[NewOrderLine]
    source: OrderSource = OrderSource.CONVERSATION
    # Who entered it (Telegram user id), for the audit trail; None for an API adapter.
    actor_id: int | None = None


def build_order(command: NewOrder, now: datetime) -> Order:
    """Check every field and build the order (not yet added). The one set of intake rules."""
    number = cleaning.clean_order_number(command.number)
    country = cleaning.clean_ship_to_country(command.ship_to_country)
    postcode = cleaning.clean_postcode(country, command.ship_to_postcode)
    currency = cleaning.clean_currency(command.currency)
    ship_by = cleaning.clean_ship_by(command.ship_by, now)
    if not command.lines:
        raise InvalidInput("orders.no_lines")
    if len(command.lines) > cleaning.MAX_LINES:
        raise InvalidInput("orders.too_many_lines", max=cleaning.MAX_LINES)
    lines = [
        OrderLine(
            position=position,
            product_name=cleaning.clean_product_name(line.product_name),
            sku=cleaning.clean_sku(line.sku),
            quantity=cleaning.clean_quantity(line.quantity),
            unit_price=cleaning.clean_unit_price(line.unit_price, currency),
        )
        for position, line in enumerate(command.lines, start=1)
    ]
    order = Order(
        seller_id=command.seller_id,
        number=number,
        ship_to_country=country,
        ship_to_postcode=postcode,
        currency=currency,
        ship_by=ship_by,
        status=OrderStatus.AWAITING_CONFIRMATION,
        source=command.source,
        created_at=now,
        lines=lines,
    )
    order.total = order.compute_total()
    if order.total >= AMOUNT_LIMIT:
        raise InvalidInput("orders.total_too_large")
    return order


async def create_order(command: NewOrder, uow: UnitOfWork) -> Order:
    """Add one order (conversation or API). A number the seller already has is a conflict."""
    order = build_order(command, uow.now())
    if await uow.orders.by_number(command.seller_id, order.number) is not None:
        raise ConflictError("orders.duplicate_number", number=order.number)
    try:
        # A savepoint: losing a race on the unique number must not spoil the transaction.
        async with uow.savepoint():
            uow.orders.add(order)
    except IntegrityError:
        raise ConflictError("orders.duplicate_number", number=order.number) from None
    audit.record(uow, command.actor_id, command.source, "order.created", order.id, order.number)
    return order
