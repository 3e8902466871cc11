"""Helpers of the tracking tests: shipped orders made through the real services, valid tracking
numbers, a scriptable provider, and database reads of what a buyer or seller was sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from domain.model import Notification, Shipment, ShipmentEvent
from domain.services import sellers
from domain.services.orders import intake, lifecycle
from domain.services.shipping import confirming, steps
from domain.tracking import (
    AcceptedNumber,
    BatchOutcome,
    DeliveryEstimate,
    FetchOutcome,
    Quota,
    Rejection,
    RejectionReason,
    SubStatus,
    TrackedNumber,
    TrackingEvent,
    TrackingUpdate,
)
from domain.tracking_numbers import s10_check_digit
from domain.unit_of_work import UnitOfWork
from notifications.tracking.provider import ProviderUnavailable
from tests.reliability.test_shipping_service import THRESHOLD, make_warehouse

UowFactory = Callable[[], UnitOfWork]

POSTCODES = {"FR": "75001", "ES": "28001", "RU": "101000", "DE": "10115", "US": "10001"}
CURRENCIES = {"FR": "EUR", "ES": "EUR", "RU": "RUB", "DE": "EUR", "US": "USD"}


def s10(prefix: str, serial: int, country: str = "CN") -> str:
    """A valid UPU S10 number: `prefix` (two letters), 8 digits, check digit, `country`."""
    digits = f"{serial:08d}"
    return f"{prefix}{digits}{s10_check_digit(digits)}{country}"


@dataclass(frozen=True)
class Shipped:
    order_id: int
    shipment_id: int
    number: str
    token: str
    tracking_number: str


async def register_store(uow_factory: UowFactory, user_id: int, store_name: str) -> int:
    """Register a seller's store (no warehouse yet), committed; the seller's id."""
    async with uow_factory() as uow:
        seller = await sellers.register_seller(
            sellers.RegisterSeller(user_id, store_name, "CN", "en"), uow
        )
        await uow.commit()
        return seller.id


class Store:
    """A seller with a verified warehouse, shipping orders like a seller does."""

    def __init__(
        self, uow_factory: UowFactory, user_id: int, store_name: str = "Quokka Lane Goods"
    ) -> None:
        self.uow_factory = uow_factory
        self.user_id = user_id
        self.store_name = store_name
        self.seller_id = 0
        self.warehouse_id = 0

    async def open(self) -> Store:
        self.seller_id = await register_store(self.uow_factory, self.user_id, self.store_name)
        self.warehouse_id = await make_warehouse(self.uow_factory, self.user_id)
        return self

    async def ship(
        self,
        number: str,
        tracking_number: str,
        *,
        country: str = "FR",
        method: str = "express",
        products: Sequence[tuple[str, int]] = (("Phone case", 2), ("USB cable", 1)),
    ) -> Shipped:
        async with self.uow_factory() as uow:
            order = await intake.create_order(
                intake.NewOrder(
                    seller_id=self.seller_id,
                    number=number,
                    ship_to_country=country,
                    ship_to_postcode=POSTCODES[country],
                    currency=CURRENCIES[country],
                    ship_by=uow.now() + timedelta(days=5),
                    lines=[intake.NewOrderLine(name, qty, "3.50") for name, qty in products],
                    actor_id=self.user_id,
                ),
                uow,
            )
            await lifecycle.confirm_order(self.user_id, order.id, uow)
            await uow.commit()
            order_id = order.id
        return await self.ship_order(order_id, number, tracking_number, method=method)

    async def ship_order(
        self, order_id: int, number: str, tracking_number: str, *, method: str = "express"
    ) -> Shipped:
        """Fill and confirm the shipping document of a confirmed order, as a seller does."""
        async with self.uow_factory() as uow:
            draft = await steps.start_document(self.user_id, order_id, uow)
            draft = steps.set_weight(draft, "2")
            draft = steps.set_dimensions(draft, "30x20x10")
            draft = await steps.choose_warehouse(self.user_id, draft, self.warehouse_id, uow)
            draft = await steps.choose_method(self.user_id, draft, method, uow)
            draft = steps.set_carrier(draft, "China Post")
            entry = await steps.set_tracking(self.user_id, draft, tracking_number, uow)
            confirmation = await confirming.confirm_document(
                self.user_id, entry.draft, [], THRESHOLD, uow
            )
            assert confirmation.status == "shipped", confirmation.review.findings
            await uow.commit()
            return Shipped(
                order_id,
                confirmation.shipment.id,
                number,
                # No link for an order its buyer follows already (an exchange's replacement).
                confirmation.buyer_token or "",
                entry.draft.tracking or tracking_number,
            )


async def notifications_to(uow_factory: UowFactory, chat_id: int) -> list[Notification]:
    async with uow_factory() as uow:
        rows = (
            (
                await uow.session.execute(
                    select(Notification)
                    .where(Notification.chat_id == chat_id)
                    .order_by(Notification.id)
                )
            )
            .scalars()
            .all()
        )
        for row in rows:
            uow.session.expunge(row)
        return list(rows)


async def shipment_row(uow_factory: UowFactory, shipment_id: int) -> Shipment:
    async with uow_factory() as uow:
        shipment = await uow.tracking.get(shipment_id)
        assert shipment is not None
        uow.session.expunge(shipment)
        return shipment


async def event_rows(uow_factory: UowFactory, shipment_id: int) -> list[ShipmentEvent]:
    async with uow_factory() as uow:
        rows = list(
            (
                await uow.session.execute(
                    select(ShipmentEvent)
                    .where(ShipmentEvent.shipment_id == shipment_id)
                    .order_by(ShipmentEvent.time)
                )
            ).scalars()
        )
        for row in rows:
            uow.session.expunge(row)
        return rows


def event(at: datetime, sub: SubStatus, description: str = "", location: str = "") -> TrackingEvent:
    return TrackingEvent(at, sub.status, sub, description or sub.value, location)


def update(
    number: str,
    events: Sequence[TrackingEvent],
    *,
    estimate: DeliveryEstimate | None = None,
    unknown_codes: frozenset[str] = frozenset(),
) -> TrackingUpdate:
    ordered = tuple(sorted(events, key=lambda e: e.time))
    latest = ordered[-1].sub_status if ordered else SubStatus.NOT_FOUND_OTHER
    return TrackingUpdate(
        number,
        "3011",
        latest.status,
        latest,
        ordered,
        estimate,
        unknown_codes=unknown_codes,
    )


@dataclass
class ScriptedProvider:
    """A provider answering what the test scripted per number, recording every call."""

    name: str = "scripted"
    updates: dict[str, TrackingUpdate] = field(default_factory=dict)
    refuse: dict[str, RejectionReason] = field(default_factory=dict)
    outage: bool = False
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def _enter(self, endpoint: str, numbers: Sequence[TrackedNumber]) -> None:
        self.calls.append((endpoint, tuple(n.number for n in numbers)))
        if self.outage:
            raise ProviderUnavailable("scripted outage")

    def _outcome(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        accepted, rejected = [], []
        for item in numbers:
            if item.number in self.refuse:
                rejected.append(Rejection(item.number, self.refuse[item.number], "x"))
            else:
                accepted.append(AcceptedNumber(item.number, "3011"))
        return BatchOutcome(tuple(accepted), tuple(rejected))

    async def register(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        self._enter("register", numbers)
        return self._outcome(numbers)

    async def fetch(self, numbers: Sequence[TrackedNumber]) -> FetchOutcome:
        self._enter("fetch", numbers)
        updates, rejected = [], []
        for item in numbers:
            if item.number in self.refuse:
                rejected.append(Rejection(item.number, self.refuse[item.number], "x"))
            else:
                updates.append(self.updates.get(item.number) or update(item.number, []))
        return FetchOutcome(tuple(updates), tuple(rejected))

    async def stop(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        self._enter("stop", numbers)
        return self._outcome(numbers)

    async def retrack(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        self._enter("retrack", numbers)
        return self._outcome(numbers)

    async def change_carrier(self, number: TrackedNumber, new_carrier: str) -> BatchOutcome:
        self._enter("changecarrier", [number])
        return self._outcome([number])

    async def quota(self) -> Quota:
        return Quota(total=100, used=0, remaining=100)

    async def close(self) -> None:
        return None

    def endpoint_calls(self, endpoint: str) -> list[tuple[str, ...]]:
        return [numbers for name, numbers in self.calls if name == endpoint]


def kinds(notification: Notification) -> list[str]:
    return [notice["kind"] for notice in notification.params.get("notices", [])]


def params_of(rows: Sequence[Notification], template: str) -> list[dict[str, Any]]:
    return [row.params for row in rows if row.template == template]
