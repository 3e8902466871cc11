"""An outbox of mixed notifications, written by the real producers on PostgreSQL or SQLite.

For the crash tests: stores ship orders to buyers who follow them (tracking notices from the
poller, on a scripted provider), leave other orders waiting for their ship-by deadline
(reminders from the scheduler job), and exchange messages in return cases (the cases' threads
and the relayed copies). All of that is written through domain services and jobs on a fixed
clock at midday in Paris, so no buyer's quiet hours hold a notice back whatever the time of
the run; every row is due at once for a process on the real clock.

Building the domain state costs a few dozen queries an order, so the bulk is the producers'
own tracking and reminder rows written again, with their params, for more chats through the
outbox API (`uow.notifications.add`, what every producer calls); those render from their
params alone. Relayed messages and case threads are all real: their delivery reads the case.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot import database
from domain.model import Notification
from domain.returns.rules import MessageKind
from domain.services import return_relay
from domain.services.orders import intake, lifecycle
from domain.tracking import SubStatus
from domain.unit_of_work import UnitOfWork
from notifications.reminders import send_due_reminders
from notifications.tracking.poller import TrackingPoller
from tests.conftest import FixedClock
from tests.returns_fixtures import open_damaged, shipped_to_buyer
from tests.tracking_fixtures import ScriptedProvider, Store, event, s10, update

# Midday in Paris, where the buyers live: far from their quiet hours.
START = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
SELLER_BASE = 810_000
BUYER_BASE = 820_000
# The tracking path every parcel goes: one notice per change the buyer is told about.
JOURNEY = (
    SubStatus.IN_TRANSIT_PICKED_UP,
    SubStatus.IN_TRANSIT_DEPARTURE,
    SubStatus.IN_TRANSIT_ARRIVAL,
    SubStatus.OUT_FOR_DELIVERY_OTHER,
    SubStatus.DELIVERED_OTHER,
)


@dataclass(frozen=True)
class MixedOutbox:
    """What the seed wrote: rows per template, and the chats that receive them."""

    by_template: Counter[str]
    chat_ids: frozenset[int]

    @property
    def total(self) -> int:
        return sum(self.by_template.values())


@dataclass(frozen=True)
class Shape:
    """How much of each kind: per store, shipped orders (tracked, `cases` of them with a
    return case and `messages` relayed each way) and orders waiting to ship (reminders)."""

    stores: int = 2
    shipped: int = 8
    waiting: int = 8
    cases: int = 2
    messages: int = 4
    # Rows in all, the producers' tracking and reminder rows copied to further chats.
    total: int = 1000
    extra_chats: int = 120


async def seed_mixed_outbox(url: str, shape: Shape = Shape()) -> MixedOutbox:
    engine = database.create_engine(url)
    clock = FixedClock(START)
    try:
        await database.upgrade(engine)
        sessions = database.create_session_factory(engine)

        def uow_factory() -> UnitOfWork:
            return UnitOfWork(sessions, clock=clock)

        provider = ScriptedProvider()
        poller = TrackingPoller(uow_factory, provider, clock=clock)
        stores = [
            await Store(uow_factory, SELLER_BASE + s, f"Quokka Goods {s}").open()
            for s in range(shape.stores)
        ]
        shipped = []
        for s, store in enumerate(stores):
            for n in range(shape.shipped):
                buyer = BUYER_BASE + s * 1000 + n
                serial = s * 1000 + n
                shipped.append(
                    await shipped_to_buyer(uow_factory, store, f"AE-{s}-{n}", buyer, serial)
                )
                number = s10("RB", serial)
                provider.updates[number] = update(number, [])
            for n in range(shape.waiting):
                await _waiting_order(uow_factory, store, f"AW-{s}-{n}", clock.now)
        # Ship-by reminders: 24 h, 4 h, then overdue (the waiting orders are due in 30 h).
        for hours in (8, 20, 4):
            clock.advance(hours=hours)
            await send_due_reminders(uow_factory, clock)
        # The parcels move one step between polls: a notice per step and parcel.
        steps: dict[str, list] = {number: [] for number in provider.updates}  # type: ignore[type-arg]
        for step in JOURNEY:
            clock.advance(hours=2)
            for number, events in steps.items():
                events.append(event(clock.now - timedelta(minutes=30), step, step.value, "Paris"))
                provider.updates[number] = update(number, events)
            await _poll_everything(poller, clock)
        # Return cases about delivered orders, and what both sides write in them.
        for s in range(shape.stores):
            for bought in shipped[s * shape.shipped : s * shape.shipped + shape.cases]:
                case_id = await open_damaged(uow_factory, bought)
                for m in range(shape.messages):
                    await _relay(uow_factory, bought.buyer_id, case_id, f"buyer {m} of R-{case_id}")
                    await _relay(uow_factory, SELLER_BASE + s, case_id, f"store {m} of R-{case_id}")
        await _copy_to_more_chats(uow_factory, shape)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(Notification.template, func.count()).group_by(Notification.template)
                )
            ).tuples()
            by_template = Counter({template: int(n) for template, n in rows})
            chats = await connection.scalars(select(Notification.chat_id).distinct())
            return MixedOutbox(by_template, frozenset(chats))
    finally:
        await engine.dispose()


COPIED = frozenset(
    {
        "tracking.buyer_update",
        "orders.reminder_24h",
        "orders.reminder_4h",
        "orders.overdue",
        # A store's waiting orders cross each threshold together: one summary each time.
        "orders.reminder_summary",
    }
)
EXTRA_CHAT_BASE = 830_000


async def _copy_to_more_chats(uow_factory, shape: Shape) -> None:  # type: ignore[no-untyped-def]
    async with uow_factory() as uow:
        rows = list(
            await uow.session.scalars(
                select(Notification)
                .where(Notification.template.in_(COPIED))
                .order_by(Notification.id)
            )
        )
        have = await uow.session.scalar(select(func.count()).select_from(Notification))
        copies = shape.total - int(have or 0)
        for n in range(copies):
            row = rows[n % len(rows)]
            await uow.notifications.add(
                dedupe_key=f"copy:{n}",
                # Consecutive copies to one chat: no chat gets the same text twice.
                chat_id=EXTRA_CHAT_BASE + n * shape.extra_chats // copies,
                template=row.template,
                params=dict(row.params or {}),
                now=uow.now(),
            )
        await uow.commit()


async def _waiting_order(uow_factory, store: Store, number: str, now: datetime) -> None:  # type: ignore[no-untyped-def]
    async with uow_factory() as uow:
        order = await intake.create_order(
            intake.NewOrder(
                seller_id=store.seller_id,
                number=number,
                ship_to_country="FR",
                ship_to_postcode="75001",
                currency="EUR",
                ship_by=now + timedelta(hours=30),
                lines=[intake.NewOrderLine("Phone case", 1, "3.50")],
                actor_id=store.user_id,
            ),
            uow,
        )
        await lifecycle.confirm_order(store.user_id, order.id, uow)
        await uow.commit()


async def _poll_everything(poller: TrackingPoller, clock: FixedClock) -> None:
    # Every parcel is due after the polling interval; a few ticks take them all.
    clock.advance(hours=4)
    for _ in range(20):
        result = await poller.tick()
        if not result.fetched and not result.registered:
            return


async def _relay(uow_factory, user_id: int, case_id: int, text: str) -> None:  # type: ignore[no-untyped-def]
    async with uow_factory() as uow:
        await return_relay.relay(
            user_id,
            case_id,
            return_relay.Incoming(
                chat_id=user_id,
                telegram_message_id=abs(hash(text)) % 1_000_000,
                kind=MessageKind.TEXT,
                text=text,
                telegram_file_id=None,
            ),
            uow,
        )
        await uow.commit()
