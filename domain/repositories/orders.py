"""Orders (with their lines and buyer links) and their shipments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, Table, func, insert, literal, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute

from domain.model import (
    OPEN_ORDER_STATUSES,
    REMINDER_COLUMNS,
    REMINDERS_RECORDED_WITH,
    TO_SHIP_STATUSES,
    BuyerLink,
    ComplianceFinding,
    Order,
    OrderLine,
    OrderStatus,
    ReminderKind,
    Seller,
    Shipment,
)
from domain.repositories.base import AggregateRepository


class ReminderGroup(NamedTuple):
    """Open orders of one seller owed the same ship-by alert now."""

    seller_id: int
    chat_id: int  # the seller's Telegram user id
    kind: ReminderKind
    orders: int


class RemindedOrder(NamedTuple):
    """An order whose ship-by alert was just recorded: what a reminder says of it."""

    id: int
    number: str
    ship_by: datetime
    status: OrderStatus


def _owed(kind: ReminderKind, now: datetime) -> ColumnElement[bool]:
    """Open orders owed the `kind` alert now; mirrors `Order.reminder_due`."""
    soon_4h = now + timedelta(hours=4)
    if kind is ReminderKind.OVERDUE:
        window = Order.ship_by <= now
    elif kind is ReminderKind.DUE_IN_4H:
        window = (Order.ship_by > now) & (Order.ship_by <= soon_4h)
    else:
        window = (Order.ship_by > soon_4h) & (Order.ship_by <= now + timedelta(hours=24))
    recorded: InstrumentedAttribute[datetime | None] = getattr(Order, REMINDER_COLUMNS[kind])
    return Order.status.in_(list(OPEN_ORDER_STATUSES)) & window & recorded.is_(None)


class OrderRepository(AggregateRepository[Order]):
    """Orders with their lines, and the buyer links that point at them."""

    root = Order

    async def insert_new(
        self, orders: Sequence[dict[str, Any]], lines: Sequence[Sequence[dict[str, Any]]]
    ) -> set[str]:
        """Insert the orders (their column values) whose number the seller does not have yet,
        with their lines (`lines[i]` belongs to `orders[i]`); return the numbers inserted.

        Two statements for any number of orders (imports): one INSERT ... ON CONFLICT DO
        NOTHING RETURNING for the orders, so a number already taken is skipped without a
        lookup first and without spoiling the transaction, then one for the lines. Core
        inserts of the tables (the ORM's bulk path would convert every row again); nothing
        enters the session. Fewer round trips keep an import's hold on SQLite's write lock
        short.
        """
        if not orders:
            return set()
        table = cast(Table, Order.__table__)
        dialect = self.session.get_bind().dialect.name
        insert_into = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert_into(table)
            .on_conflict_do_nothing(index_elements=[table.c.seller_id, table.c.number])
            .returning(table.c.id, table.c.seller_id, table.c.number)
        )
        result = await self.session.execute(statement, list(orders))
        ids = {(seller_id, number): order_id for order_id, seller_id, number in result.tuples()}
        rows = [
            {"order_id": ids[key], **line}
            for order, order_lines in zip(orders, lines, strict=True)
            if (key := (order["seller_id"], order["number"])) in ids
            for line in order_lines
        ]
        if rows:
            await self.session.execute(insert(cast(Table, OrderLine.__table__)), rows)
        return {number for _, number in ids}

    async def by_number(self, seller_id: int, number: str) -> Order | None:
        result = await self.session.execute(
            select(Order).where(Order.seller_id == seller_id, Order.number == number)
        )
        return result.scalar_one_or_none()

    async def existing_numbers(self, seller_id: int, numbers: Sequence[str]) -> set[str]:
        """Which of these order numbers the seller already has (any status)."""
        found: set[str] = set()
        unique = sorted(set(numbers))
        # Chunked: SQLite allows a limited number of bound parameters per statement.
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            result = await self.session.execute(
                select(Order.number).where(Order.seller_id == seller_id, Order.number.in_(chunk))
            )
            found.update(result.scalars())
        return found

    async def page(
        self,
        seller_id: int,
        *,
        statuses: Sequence[OrderStatus],
        overdue_before: datetime | None = None,
        tracking_problems: Sequence[str] = (),
        problem_statuses: Sequence[OrderStatus] = (),
        newest_first: bool = False,
        limit: int,
        offset: int,
    ) -> tuple[list[Order], int]:
        """One page of a seller's orders in `statuses`, and how many there are in all.

        With `overdue_before`, open orders count only when their deadline has passed; with
        `tracking_problems`, shipped orders whose shipment has one of those tracking statuses
        are added (the "problems" list), and so are orders in `problem_statuses`.
        """
        condition: Any = Order.status.in_(list(statuses))
        if overdue_before is not None:
            condition = condition & (Order.ship_by < overdue_before)
        if tracking_problems:
            troubled = select(Shipment.order_id).where(
                Shipment.tracking_status.in_(list(tracking_problems)),
                Shipment.return_case_id.is_(None),
                # The parcel sent again is the order's; the one it replaced is history.
                Shipment.replaced_at.is_(None),
            )
            condition = or_(
                condition,
                (Order.status == OrderStatus.SHIPPED) & Order.id.in_(troubled),
            )
        if problem_statuses:
            condition = or_(condition, Order.status.in_(list(problem_statuses)))
        where = (Order.seller_id == seller_id) & condition
        total = await self._count(Order, where)
        ordering = (
            [Order.created_at.desc(), Order.id.desc()]
            if newest_first
            else [Order.ship_by, Order.id]
        )
        result = await self.session.execute(
            select(Order).where(where).order_by(*ordering).limit(limit).offset(offset)
        )
        return list(result.scalars()), total

    async def count_open(self, seller_id: int) -> int:
        """The seller's orders still to confirm or ship, those whose goods go out again too."""
        return await self._count(
            Order,
            Order.seller_id == seller_id,
            Order.status.in_(sorted(OPEN_ORDER_STATUSES | TO_SHIP_STATUSES)),
        )

    async def reminders_owed(self, now: datetime, limit: int) -> list[ReminderGroup]:
        """Per seller and alert, how many open orders are owed that ship-by alert now.

        Every seller with an alert due is in the answer whatever another seller's volume —
        one group per seller and alert, not one row per order — the `limit` groups with the
        nearest (or longest passed) deadline first.
        """
        per_kind = [
            select(
                Order.seller_id,
                literal(kind.value).label("kind"),
                func.count().label("orders"),
                func.min(Order.ship_by).label("earliest"),
            )
            .where(_owed(kind, now))
            .group_by(Order.seller_id)
            for kind in ReminderKind
        ]
        groups = union_all(*per_kind).subquery("groups")
        result = await self.session.execute(
            select(groups.c.seller_id, Seller.telegram_user_id, groups.c.kind, groups.c.orders)
            .join(Seller, Seller.id == groups.c.seller_id)
            .order_by(groups.c.earliest, groups.c.seller_id, groups.c.kind)
            .limit(limit)
        )
        return [
            ReminderGroup(seller_id, int(user_id), ReminderKind(kind), orders)
            for seller_id, user_id, kind, orders in result.tuples()
        ]

    async def mark_reminded(
        self, seller_id: int, kind: ReminderKind, now: datetime, *, first: int
    ) -> tuple[int, list[RemindedOrder]]:
        """Record the `kind` alert as queued on every open order of the seller owed it now;
        how many orders that was, and the `first` of them, nearest deadline first.

        One UPDATE however many orders there are (an import's 50,000 take a fraction of a
        second of SQLite's write lock), and only the first few are read back. The less urgent
        alerts whose time has passed are recorded too (they are never sent late). Rows another
        process's sweep holds are skipped (PostgreSQL; the first few are locked before the
        rest, so they are among those recorded), and an order records each alert once, so no
        alert is queued twice.
        """
        owed = (Order.seller_id == seller_id) & _owed(kind, now)
        firsts = await self.session.execute(
            self._locking(
                select(Order.id, Order.number, Order.ship_by, Order.status)
                .where(owed)
                .order_by(Order.ship_by, Order.id)
                .limit(first),
                Order,
                skip_locked=True,
            )
        )
        named = [RemindedOrder(*row) for row in firsts.tuples()]
        if not named:
            return 0, []
        columns = [REMINDER_COLUMNS[done] for done in REMINDERS_RECORDED_WITH[kind]]
        recorded = await self._rows_changed(
            update(Order)
            .where(
                Order.id.in_(self._locking(select(Order.id).where(owed), Order, skip_locked=True))
            )
            .values({column: func.coalesce(getattr(Order, column), now) for column in columns})
            # Not read back into the session (an import's worth of ids): the sweep's session
            # holds none of these orders.
            .execution_options(synchronize_session=False)
        )
        return recorded, named

    def add_buyer_link(self, link: BuyerLink) -> None:
        self.session.add(link)

    async def buyer_link_by_hash(self, token_hash: str) -> BuyerLink | None:
        result = await self.session.execute(
            select(BuyerLink).where(BuyerLink.token_hash == token_hash)
        )
        return result.scalar_one_or_none()

    async def revoke_buyer_links(self, order_id: int, now: datetime) -> int:
        """Retire the order's unused links (a new one replaces them)."""
        return await self._rows_changed(
            update(BuyerLink)
            .where(
                BuyerLink.order_id == order_id,
                BuyerLink.used_at.is_(None),
                BuyerLink.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )


class FindingRow(NamedTuple):
    """A compliance finding with what an operator needs to place it."""

    finding: ComplianceFinding
    tracking_number: str | None
    order_number: str
    store_name: str


class ShipmentRepository(AggregateRepository[Shipment]):
    """Shipping documents and their compliance findings."""

    root = Shipment

    async def for_order(self, order_id: int) -> Sequence[Shipment]:
        result = await self.session.execute(
            # The seller's documents: a buyer's return parcel is not one.
            select(Shipment)
            .where(Shipment.order_id == order_id, Shipment.return_case_id.is_(None))
            .order_by(Shipment.id)
        )
        return result.scalars().all()

    async def return_parcel_of(self, case_id: int) -> Shipment | None:
        """The parcel the buyer sends back for this return case, if they recorded one."""
        result = await self.session.execute(
            select(Shipment).where(Shipment.return_case_id == case_id)
        )
        return result.scalar_one_or_none()

    async def remove(self, shipment: Shipment) -> None:
        """Delete a shipment with its events (a return parcel whose number was corrected)."""
        await self.session.delete(shipment)

    async def tracking_number_used_elsewhere(self, tracking_number: str, order_id: int) -> bool:
        """Whether another order (of any seller) already shipped with this number.

        Pass the number normalised (upper case, no spaces), as it is stored. Drafts do not
        count: an abandoned or refused document must not lock a number away from its parcel.
        """
        found = await self.session.scalar(
            select(Shipment.id)
            .where(
                Shipment.tracking_number == tracking_number,
                Shipment.order_id != order_id,
                Shipment.confirmed_at.is_not(None),
            )
            .limit(1)
        )
        return found is not None

    async def tracking_number_replaced(self, tracking_number: str, order_id: int) -> bool:
        """Whether this order's parcel that was sent again (lost, or back at the seller's) had
        this number. Pass the number normalised, as for `tracking_number_used_elsewhere`."""
        found = await self.session.scalar(
            select(Shipment.id)
            .where(
                Shipment.tracking_number == tracking_number,
                Shipment.order_id == order_id,
                Shipment.replaced_at.is_not(None),
            )
            .limit(1)
        )
        return found is not None

    async def count_open_for_warehouse(self, warehouse_id: int) -> int:
        """Documents from this warehouse whose order is not yet shipped, cancelled or closed."""
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Shipment)
                .join(Order, Order.id == Shipment.order_id)
                .where(
                    Shipment.warehouse_id == warehouse_id,
                    Order.status.in_(sorted(OPEN_ORDER_STATUSES | TO_SHIP_STATUSES)),
                    # A parcel sent again names its warehouse in the new document; the one it
                    # replaced is history and holds no warehouse.
                    Shipment.replaced_at.is_(None),
                )
            )
            or 0
        )

    async def confirmed_between(
        self, seller_id: int, since: datetime, until: datetime
    ) -> list[tuple[Shipment, Order]]:
        """A seller's documents confirmed in [since, until], oldest first, with their orders
        (the month-to-date cost report)."""
        result = await self.session.execute(
            select(Shipment, Order)
            .join(Order, Order.id == Shipment.order_id)
            .where(
                Order.seller_id == seller_id,
                Shipment.return_case_id.is_(None),
                Shipment.confirmed_at.is_not(None),
                Shipment.confirmed_at >= since,
                Shipment.confirmed_at <= until,
            )
            .order_by(Shipment.confirmed_at, Shipment.id)
        )
        return [(row[0], row[1]) for row in result.all()]

    async def count_findings(self) -> int:
        return await self._count(ComplianceFinding)

    async def recent_findings(self, *, limit: int = 20, offset: int = 0) -> list[FindingRow]:
        """Compliance findings of every seller, newest first (what operators review)."""
        result = await self.session.execute(
            select(ComplianceFinding, Shipment.tracking_number, Order.number, Seller.store_name)
            .join(Shipment, Shipment.id == ComplianceFinding.shipment_id)
            .join(Order, Order.id == Shipment.order_id)
            .join(Seller, Seller.id == Order.seller_id)
            .order_by(ComplianceFinding.created_at.desc(), ComplianceFinding.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [FindingRow(*row) for row in result.all()]
