"""Parcel tracking. It never commits.

`TrackingRepository`: the poller's claims (a lease on due shipments, `FOR UPDATE SKIP LOCKED`
on PostgreSQL), the rows a recording needs (locked, in one round trip per batch), events
(one insert-on-conflict on shipment + key for a whole batch), and the seller's lists and alert sweeps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Table,
    Text,
    and_,
    bindparam,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, load_only, raiseload

from domain.model import (
    PARCEL_GIVEN_UP_STATUSES,
    TRACKING_PROBLEM_STATUSES,
    Notification,
    NotificationStatus,
    Order,
    OrderStatus,
    Seller,
    Shipment,
    ShipmentEvent,
    Warehouse,
)
from domain.repositories.base import Repository
from domain.repositories.statements import dialect_insert
from domain.tracking import TrackingEvent

_PROBLEM_ORDER_STATUSES = sorted(TRACKING_PROBLEM_STATUSES)
# What recording a report may change on a shipment (`domain.services.tracking.record_updates`).
_TRACKING_COLUMNS = (
    "tracking_status",
    "tracking_sub_status",
    "next_poll_at",
    "lease_until",
    "poll_failures",
    "provider_carrier",
    "tracking_stopped_at",
    "last_event_at",
    "notice_state",
    "estimate_earliest",
    "estimate_latest",
    "estimate_source",
    "stale_alerted_at",
)

# What tracking reads of a shipment (`lock_many`): its tracking columns, and what the lane
# estimate, the poll interval and the notices need.
_SHIPMENT_LOADED = (
    *(getattr(Shipment, name) for name in _TRACKING_COLUMNS),
    Shipment.order_id,
    Shipment.method,
    Shipment.tracking_number,
    Shipment.confirmed_at,
    Shipment.registered_at,
    Shipment.transit_min_days,
    Shipment.transit_max_days,
    Shipment.no_info_alerted_at,
)
# What tracking reads and moves of an order (`orders_of_shipments`): the notices' fields, the
# buyer's zone, the status and the dates its transitions set.
_ORDER_LOADED = (
    Order.seller_id,
    Order.number,
    Order.ship_to_country,
    Order.status,
    Order.delivered_at,
    Order.returned_at,
)


@dataclass(frozen=True, slots=True)
class DueShipment:
    """A claimed shipment, copied out of the claim transaction with what the provider needs."""

    id: int
    tracking_number: str
    provider_carrier: str | None
    method: str
    confirmed_at: datetime
    origin_country: str | None
    destination_country: str
    transit_min_days: int | None
    transit_max_days: int | None
    registered: bool
    tracking_status: str | None
    tracking_sub_status: str | None
    stopped: bool
    poll_failures: int


# PostgreSQL's bulk insert of events (`add_events`): the rows arrive as one array per column.
_EVENTS_FROM_ARRAYS = text(
    "INSERT INTO tracking_events"
    " (shipment_id, key, time, status, sub_status, description, location, recorded_at)"
    " SELECT e.shipment_id, e.key, e.time, e.status, e.sub_status, e.description, e.location,"
    " :recorded_at"
    " FROM unnest(CAST(:shipment_ids AS BIGINT[]), CAST(:keys AS TEXT[]),"
    " CAST(:times AS TIMESTAMPTZ[]), CAST(:statuses AS TEXT[]), CAST(:sub_statuses AS TEXT[]),"
    " CAST(:descriptions AS TEXT[]), CAST(:locations AS TEXT[]))"
    " AS e(shipment_id, key, time, status, sub_status, description, location)"
    " ON CONFLICT DO NOTHING RETURNING id"
).bindparams(
    bindparam("shipment_ids", type_=ARRAY(BigInteger)),
    bindparam("keys", type_=ARRAY(Text)),
    bindparam("times", type_=ARRAY(DateTime(timezone=True))),
    bindparam("statuses", type_=ARRAY(Text)),
    bindparam("sub_statuses", type_=ARRAY(Text)),
    bindparam("descriptions", type_=ARRAY(Text)),
    bindparam("locations", type_=ARRAY(Text)),
    bindparam("recorded_at", type_=DateTime(timezone=True)),
)


@dataclass(slots=True)
class ShipmentTracking:
    """A shipment as recording a report reads and changes it: plain values, no ORM object.

    A poll pass records every due shipment; loading and flushing an ORM object for each was
    a large share of its cost. `lock_tracking` reads these, `save_tracking` writes back the
    tracking columns (the last thirteen fields) in one executemany.
    """

    id: int
    order_id: int
    tracking_number: str | None
    method: str
    confirmed_at: datetime | None
    registered_at: datetime | None
    transit_min_days: int | None
    transit_max_days: int | None
    # Set on a buyer's return parcel (`domain.services.return_parcels`); read, never written.
    return_case_id: int | None
    tracking_status: str | None
    tracking_sub_status: str | None
    next_poll_at: datetime | None
    lease_until: datetime | None
    poll_failures: int
    provider_carrier: str | None
    tracking_stopped_at: datetime | None
    last_event_at: datetime | None
    notice_state: dict[str, Any] | None
    estimate_earliest: date | None
    estimate_latest: date | None
    estimate_source: str | None
    stale_alerted_at: datetime | None


_TRACKING_SELECT = tuple(getattr(Shipment, field.name) for field in fields(ShipmentTracking))


@dataclass(frozen=True, slots=True)
class SellerContact:
    """Where a seller's alerts go, and the store name buyers see."""

    seller_id: int
    user_id: int
    store_name: str
    home_country: str


class TrackingRepository(Repository):
    # ----- the poller's claims -----

    @property
    def claims_run_side_by_side(self) -> bool:
        """Whether two workers' claims and recordings proceed at once: on PostgreSQL (row
        locks, `SKIP LOCKED`); SQLite has one writer at a time."""
        return self._postgres

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[DueShipment]:
        """Lease up to `limit` confirmed shipments due now (none another worker holds).

        Two statements: the due rows with what the provider needs, locked (only the shipment
        rows; `SKIP LOCKED` passes over another worker's), then their lease.
        """
        due = (
            select(
                Shipment.id,
                Shipment.tracking_number,
                Shipment.provider_carrier,
                Shipment.method,
                Shipment.confirmed_at,
                Warehouse.country,
                Order.ship_to_country,
                Shipment.transit_min_days,
                Shipment.transit_max_days,
                Shipment.registered_at,
                Shipment.tracking_status,
                Shipment.tracking_sub_status,
                Shipment.tracking_stopped_at,
                Shipment.poll_failures,
                Shipment.return_case_id,
            )
            .join(Order, Order.id == Shipment.order_id)
            .outerjoin(Warehouse, Warehouse.id == Shipment.warehouse_id)
            .where(
                Shipment.next_poll_at <= now,
                Shipment.confirmed_at.is_not(None),
                Shipment.tracking_number.is_not(None),
                # Sent again: even one re-armed by a registration in flight is not polled.
                Shipment.replaced_at.is_(None),
                or_(Shipment.lease_until.is_(None), Shipment.lease_until < now),
            )
            .order_by(Shipment.next_poll_at, Shipment.id)
            .limit(limit)
        )
        due = self._locking(due, Shipment, skip_locked=True)
        claimed = [
            DueShipment(
                id=row.id,
                tracking_number=row.tracking_number,
                provider_carrier=row.provider_carrier,
                method=row.method,
                confirmed_at=row.confirmed_at,
                # A return parcel travels the other way: from the buyer to the warehouse.
                origin_country=row.country if row.return_case_id is None else row.ship_to_country,
                destination_country=(
                    row.ship_to_country if row.return_case_id is None else row.country
                ),
                transit_min_days=row.transit_min_days,
                transit_max_days=row.transit_max_days,
                registered=row.registered_at is not None,
                tracking_status=row.tracking_status,
                tracking_sub_status=row.tracking_sub_status,
                stopped=row.tracking_stopped_at is not None,
                poll_failures=row.poll_failures,
            )
            for row in await self.session.execute(due)
        ]
        if claimed:
            await self.session.execute(
                update(Shipment)
                .where(Shipment.id.in_([due.id for due in claimed]))
                .values(lease_until=now + lease)
                .execution_options(synchronize_session=False)
            )
        return claimed

    async def release(self, shipment_ids: Sequence[int]) -> None:
        """Give claimed shipments back untouched: still due, for the next tick (an outage)."""
        if shipment_ids:
            await self.session.execute(
                update(Shipment).where(Shipment.id.in_(list(shipment_ids))).values(lease_until=None)
            )

    async def lock_many(self, shipment_ids: Sequence[int]) -> list[Shipment]:
        """The shipments, locked until the transaction ends (a push and a poll serialise).

        Only the columns tracking reads are loaded (half of the row, and none of its JSON
        documents), and the compliance findings not at all: a poll pass loads every due
        shipment, and the rest of the row was most of its cost. Reading another column of
        these objects raises instead of quietly querying once per shipment.
        """
        if not shipment_ids:
            return []
        query = (
            select(Shipment)
            .options(load_only(*_SHIPMENT_LOADED, raiseload=True), raiseload(Shipment.findings))
            .where(Shipment.id.in_(list(shipment_ids)))
            .order_by(Shipment.id)
        )
        query = self._locking(query, Shipment, skip_locked=False)
        return list((await self.session.execute(query)).scalars())

    async def lock_tracking(self, shipment_ids: Sequence[int]) -> list[ShipmentTracking]:
        """The shipments' tracking state as plain values, locked until the transaction ends
        (a push and a poll serialise); `save_tracking` writes them back."""
        if not shipment_ids:
            return []
        query = (
            select(*_TRACKING_SELECT)
            # A replaced parcel's late news (a claim or push in flight when the seller sent the
            # goods again) is left out, like a shipment deleted meanwhile.
            .where(Shipment.id.in_(list(shipment_ids)), Shipment.replaced_at.is_(None))
            .order_by(Shipment.id)
        )
        query = self._locking(query, Shipment, skip_locked=False)
        return [ShipmentTracking(*row) for row in await self.session.execute(query)]

    async def save_tracking(self, shipments: Sequence[ShipmentTracking]) -> None:
        """Write the shipments' tracking columns, all in one executemany."""
        if not shipments:
            return
        table = cast(Table, Shipment.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("shipment_id"))
            .values({name: bindparam(f"new_{name}") for name in _TRACKING_COLUMNS})
        )
        rows = [
            {
                "shipment_id": shipment.id,
                **{f"new_{name}": getattr(shipment, name) for name in _TRACKING_COLUMNS},
            }
            for shipment in shipments
        ]
        await self.session.execute(statement, rows)

    async def get(self, shipment_id: int) -> Shipment | None:
        return await self.session.get(Shipment, shipment_id)

    async def by_tracking_number(self, tracking_number: str) -> list[Shipment]:
        """Confirmed shipments with this number (a push names the number, not the shipment)."""
        result = await self.session.execute(
            select(Shipment)
            .where(
                Shipment.tracking_number == tracking_number,
                Shipment.confirmed_at.is_not(None),
            )
            .order_by(Shipment.id)
        )
        return list(result.scalars())

    async def orders_of(self, order_ids: Iterable[int]) -> dict[int, Order]:
        ids = sorted(set(order_ids))
        if not ids:
            return {}
        result = await self.session.execute(select(Order).where(Order.id.in_(ids)))
        return {order.id: order for order in result.scalars()}

    async def orders_of_shipments(self, order_ids: Iterable[int]) -> dict[int, Order]:
        """The orders tracking moves: the columns it reads and writes, without their lines
        (reading anything else raises, as for `lock_many`'s shipments)."""
        ids = sorted(set(order_ids))
        if not ids:
            return {}
        result = await self.session.execute(
            select(Order)
            .options(load_only(*_ORDER_LOADED, raiseload=True), raiseload(Order.lines))
            .where(Order.id.in_(ids))
        )
        return {order.id: order for order in result.scalars()}

    async def seller_contacts(self, seller_ids: Iterable[int]) -> dict[int, SellerContact]:
        ids = sorted(set(seller_ids))
        if not ids:
            return {}
        result = await self.session.execute(
            select(
                Seller.id, Seller.telegram_user_id, Seller.store_name, Seller.home_country
            ).where(Seller.id.in_(ids))
        )
        return {
            row.id: SellerContact(row.id, row.telegram_user_id, row.store_name, row.home_country)
            for row in result
        }

    # ----- events -----

    async def add_events(self, events: Sequence[tuple[int, TrackingEvent]], now: datetime) -> int:
        """Store (shipment id, event) pairs not stored yet (same shipment and key: ignored),
        all in one round trip. Returns how many were new."""
        if not events:
            return 0
        if self._postgres:
            # One statement of seven arrays, whatever the number of events: a multi-row
            # VALUES list is rendered anew for each batch size and parsed and planned anew
            # by the server, which made this insert the costliest statement of a poll.
            result = await self.session.execute(
                _EVENTS_FROM_ARRAYS,
                {
                    "shipment_ids": [shipment_id for shipment_id, _ in events],
                    "keys": [event.key for _, event in events],
                    "times": [event.time for _, event in events],
                    "statuses": [event.status.value for _, event in events],
                    "sub_statuses": [event.sub_status.value for _, event in events],
                    "descriptions": [event.description for _, event in events],
                    "locations": [event.location for _, event in events],
                    "recorded_at": now,
                },
            )
            return len(result.all())
        table = ShipmentEvent.__table__
        statement = (
            dialect_insert(self.session, table).on_conflict_do_nothing().returning(table.c.id)
        )
        rows = [
            {
                "shipment_id": shipment_id,
                "key": event.key,
                "time": event.time,
                "status": event.status.value,
                "sub_status": event.sub_status.value,
                "description": event.description,
                "location": event.location,
                "recorded_at": now,
            }
            for shipment_id, event in events
        ]
        # SQLite: one executemany, sent as multi-row INSERTs ("insertmanyvalues") in pages
        # within its bound-parameter limit.
        return len((await self.session.execute(statement, rows)).all())

    async def events_of(self, shipment_id: int, *, limit: int = 200) -> list[ShipmentEvent]:
        """The shipment's newest `limit` events, oldest first."""
        result = await self.session.execute(
            select(ShipmentEvent)
            .where(ShipmentEvent.shipment_id == shipment_id)
            .order_by(ShipmentEvent.time.desc(), ShipmentEvent.id.desc())
            .limit(limit)
        )
        return list(reversed(result.scalars().all()))

    # ----- the seller's side -----

    async def shipment_of_order(self, order_id: int) -> Shipment | None:
        """The order's current parcel: its confirmed shipment (an order ships in one document),
        not one it replaced when the goods were sent again; None while the new one is due."""
        result = await self.session.execute(
            select(Shipment)
            .where(
                Shipment.order_id == order_id,
                Shipment.confirmed_at.is_not(None),
                Shipment.return_case_id.is_(None),
                Shipment.replaced_at.is_(None),
            )
            .order_by(Shipment.confirmed_at.desc(), Shipment.id.desc())
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def page_for_seller(
        self,
        seller_id: int,
        *,
        tracking_statuses: Sequence[str] | None,
        include_unknown: bool,
        limit: int,
        offset: int,
    ) -> tuple[list[tuple[Shipment, Order]], int]:
        """A page of the seller's confirmed shipments, newest first, and the total count.

        `tracking_statuses` None: all; otherwise those statuses, plus shipments with no
        tracking information yet when `include_unknown`.
        """
        condition: Any = and_(
            Order.seller_id == seller_id,
            Shipment.confirmed_at.is_not(None),
            Shipment.return_case_id.is_(None),
        )
        if tracking_statuses is not None:
            # A replaced parcel is history, listed among all shipments but no longer among
            # those in a tracking state (its last one would read as a problem for ever); so
            # is the parcel of a cancelled order (a lost one, cancelled and refunded).
            condition = and_(
                condition,
                Shipment.replaced_at.is_(None),
                Order.status != OrderStatus.CANCELLED,
            )
            wanted: Any = Shipment.tracking_status.in_(list(tracking_statuses))
            if include_unknown:
                wanted = or_(wanted, Shipment.tracking_status.is_(None))
            condition = and_(condition, wanted)
        joined = select(Shipment, Order).join(Order, Order.id == Shipment.order_id)
        total = int(
            await self.session.scalar(
                select(func.count())
                .select_from(Shipment)
                .join(Order, Order.id == Shipment.order_id)
                .where(condition)
            )
            or 0
        )
        result = await self.session.execute(
            joined.where(condition)
            .order_by(Shipment.confirmed_at.desc(), Shipment.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [(row[0], row[1]) for row in result.all()], total

    async def status_counts(self, seller_id: int) -> dict[str | None, int]:
        """How many of the seller's moving (not delivered) shipments are in each status."""
        result = await self.session.execute(
            select(Shipment.tracking_status, func.count())
            .join(Order, Order.id == Shipment.order_id)
            .where(
                Order.seller_id == seller_id,
                Shipment.confirmed_at.is_not(None),
                Shipment.return_case_id.is_(None),
                Shipment.replaced_at.is_(None),
                Order.status.in_([OrderStatus.SHIPPED, *_PROBLEM_ORDER_STATUSES]),
            )
            .group_by(Shipment.tracking_status)
        )
        return {status: int(count) for status, count in result.tuples()}

    async def problem_orders(self, seller_id: int, limit: int) -> list[Order]:
        result = await self.session.execute(
            select(Order)
            .where(Order.seller_id == seller_id, Order.status.in_(_PROBLEM_ORDER_STATUSES))
            .order_by(Order.shipped_at.desc(), Order.id.desc())
            .limit(limit)
        )
        return list(result.scalars())

    # ----- alert sweeps -----

    async def stale_candidates(
        self, method: str, quiet_since: datetime, final_statuses: Sequence[str], limit: int
    ) -> list[Shipment]:
        """Moving shipments of `method` with no event since `quiet_since`, not yet alerted.

        Only shipments still polled count (`next_poll_at` set): delivered and stopped ones
        never do, so the sweep's cost does not grow with the delivered history. Nor do those
        of an order whose parcel was given up (lost, back at the seller's, sent again or
        refunded): the seller already knows and acted.
        """
        given_up = select(Order.id).where(Order.status.in_(list(PARCEL_GIVEN_UP_STATUSES)))
        return await self._sweep(
            Shipment.last_event_at,
            limit,
            Shipment.next_poll_at.is_not(None),
            Shipment.method == method,
            Shipment.confirmed_at.is_not(None),
            Shipment.last_event_at < quiet_since,
            Shipment.stale_alerted_at.is_(None),
            or_(
                Shipment.tracking_status.is_(None),
                Shipment.tracking_status.not_in(list(final_statuses)),
            ),
            Shipment.order_id.not_in(given_up),
        )

    async def no_info_candidates(
        self, shipped_before: datetime, statuses: Sequence[str], limit: int
    ) -> list[Shipment]:
        """Shipments confirmed before `shipped_before` that have shown nothing yet."""
        return await self._sweep(
            Shipment.confirmed_at,
            limit,
            Shipment.confirmed_at < shipped_before,
            Shipment.tracking_number.is_not(None),
            Shipment.last_event_at.is_(None),
            Shipment.no_info_alerted_at.is_(None),
            or_(Shipment.tracking_status.is_(None), Shipment.tracking_status.in_(list(statuses))),
        )

    async def _sweep(
        self, oldest_first: InstrumentedAttribute[Any], limit: int, *where: ColumnElement[bool]
    ) -> list[Shipment]:
        """Up to `limit` shipments an alert sweep looks at: those meeting `where`, by
        `oldest_first`. Seller alerts are about the seller's parcels (a return's is the
        buyer's), and rows another worker's sweep holds are skipped (PostgreSQL), like the
        poller's claims."""
        query = (
            select(Shipment)
            .where(Shipment.return_case_id.is_(None), *where)
            .order_by(oldest_first, Shipment.id)
            .limit(limit)
        )
        query = self._locking(query, Shipment, skip_locked=True)
        return list((await self.session.execute(query)).scalars())

    async def digest_sellers(self, limit: int, after_id: int = 0) -> list[SellerContact]:
        result = await self.session.execute(
            select(Seller.id, Seller.telegram_user_id, Seller.store_name, Seller.home_country)
            .where(Seller.tracking_digest.is_(True), Seller.id > after_id)
            .order_by(Seller.id)
            .limit(limit)
        )
        return [
            SellerContact(row.id, row.telegram_user_id, row.store_name, row.home_country)
            for row in result
        ]

    async def pending_notifications(self, dedupe_keys: Iterable[str]) -> dict[str, Notification]:
        """Outbox rows still waiting to go, by key (quiet hours merge new notices into them)."""
        keys = sorted(set(dedupe_keys))
        if not keys:
            return {}
        result = await self.session.execute(
            select(Notification).where(
                Notification.dedupe_key.in_(keys),
                Notification.status == NotificationStatus.PENDING,
            )
        )
        return {row.dedupe_key: row for row in result.scalars()}
