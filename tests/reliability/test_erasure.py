"""Erasure on a real database (SQLite and PostgreSQL): the audit trail keeps facts under
pseudonyms, outbox rows about the person go wherever they were sent, finished outbox rows are
pruned after the retention period, and SQLite's files are checkpointed after the commit."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import database
from domain.model import AuditEntry, Notification, NotificationStatus, Warehouse, WarehouseAction
from domain.personal_data import AUDIT_FACT_KEYS, Pseudonyms, audit_facts
from domain.services import erasure, warehouses
from domain.services.orders import intake, lifecycle
from domain.unit_of_work import UnitOfWork
from notifications.rate_limits import InProcessRateLimiter
from templates.renderer import Renderer
from tests.conftest import FixedClock
from tests.reliability.conftest import FakeBot, add_ping, forbidden
from tests.reliability.test_outbox import make_dispatcher
from tests.reliability.test_shipping_service import (
    OPERATOR,
    OPERATORS,
    make_seller,
    make_warehouse,
)

UowFactory = Callable[[], UnitOfWork]
ALICE, BOB = 6001, 6002


async def _entries(uow_factory: UowFactory) -> list[AuditEntry]:
    async with uow_factory() as uow:
        entries = (await uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        for entry in entries:
            uow.session.expunge(entry)
        return list(entries)


async def _notifications(uow_factory: UowFactory) -> list[Notification]:
    async with uow_factory() as uow:
        rows = (await uow.session.scalars(select(Notification).order_by(Notification.id))).all()
        for row in rows:
            uow.session.expunge(row)
        return list(rows)


async def _seller_with_history(uow_factory: UowFactory, user_id: int) -> tuple[int, int, int]:
    """A seller with two warehouses (one reviewed twice, its phone edited) and a cancelled
    order. Returns (seller id, first warehouse id, second warehouse id)."""
    seller_id = await make_seller(uow_factory, user_id)
    first = await make_warehouse(uow_factory, user_id, "Main")
    second = await make_warehouse(uow_factory, user_id, "Spare", approve=False)
    async with uow_factory() as uow:
        await warehouses.edit_warehouse(
            user_id, first, warehouses.EditableField.CONTACT_PHONE, "139 0013 9000", OPERATORS, uow
        )
        await warehouses.decide(
            OPERATOR,
            first,
            WarehouseAction.REQUEST_DOCUMENTS,
            "Ask Li Wei for the lease",
            OPERATORS,
            uow,
        )
        order = await intake.create_order(
            intake.NewOrder(
                seller_id=seller_id,
                number=f"E-{user_id}",
                ship_to_country="FR",
                ship_to_postcode="75001",
                currency="EUR",
                ship_by=uow.now() + timedelta(days=3),
                lines=[intake.NewOrderLine("Lamp", 1, "9")],
                actor_id=user_id,
            ),
            uow,
        )
        await lifecycle.cancel_order(user_id, order.id, "Li Wei says out of stock", uow)
        await uow.commit()
    return seller_id, first, second


async def test_erasure_pseudonymises_the_audit_trail_and_keeps_its_facts(
    uow_factory: UowFactory,
) -> None:
    alice_seller, main, spare = await _seller_with_history(uow_factory, ALICE)
    await _seller_with_history(uow_factory, BOB)
    before = {entry.id: entry for entry in await _entries(uow_factory)}

    async with uow_factory() as uow:
        assert await erasure.erase_user_data(ALICE, uow) == []
        await uow.commit()

    after = {entry.id: entry for entry in await _entries(uow_factory)}
    assert set(before) < set(after)  # nothing deleted, one entry added (the erasure)
    assert all(entry.actor_id != ALICE for entry in after.values())
    alices = [
        entry
        for entry in after.values()
        if entry.id in before
        and (
            before[entry.id].actor_id == ALICE
            or (before[entry.id].subject_type, before[entry.id].subject_id)
            in {("seller", str(alice_seller)), ("warehouse", str(main)), ("warehouse", str(spare))}
            or before[entry.id].details.get("number") == f"E-{ALICE}"
        )
    ]
    assert {entry.action for entry in alices} >= {
        "seller.registered",
        "warehouse.submitted",
        "warehouse.approve",
        "warehouse.edited",
        "warehouse.docs",
        "order.created",
        "order.cancelled",
    }
    for entry in alices:
        old = before[entry.id]
        assert (entry.action, entry.at, entry.actor_role) == (old.action, old.at, old.actor_role)
        assert entry.subject_id is None and entry.subject_pseudonym is not None
        assert entry.details == audit_facts(old.details)
        if old.actor_id == ALICE:
            assert entry.actor_id is None and entry.actor_pseudonym is not None
        else:  # the operator's decisions stay theirs, without the note about Alice
            assert entry.actor_id == OPERATOR and entry.actor_pseudonym is None
    assert len({e.actor_pseudonym for e in alices if e.actor_role == "seller"}) == 1
    # One subject, one pseudonym; two subjects, two.
    by_subject = {
        (before[e.id].subject_type, before[e.id].subject_id): e.subject_pseudonym for e in alices
    }
    assert by_subject[("warehouse", str(main))] != by_subject[("warehouse", str(spare))]
    main_entries = [
        e
        for e in alices
        if (before[e.id].subject_type, before[e.id].subject_id) == ("warehouse", str(main))
    ]
    assert len(main_entries) >= 4 and len({e.subject_pseudonym for e in main_entries}) == 1
    edited = next(e for e in alices if e.action == "warehouse.edited")
    assert edited.details == {"field": "contact_phone"}
    assert before[edited.id].details["after"] == "+8613900139000"
    cancelled = next(e for e in alices if e.action == "order.cancelled")
    assert cancelled.details == {"number": f"E-{ALICE}", "source": "conversation"}
    docs = next(e for e in alices if e.action == "warehouse.docs")
    assert docs.details == {"status": "needs_documents"}

    erased = [e for e in after.values() if e.action == "user.erased"]
    assert len(erased) == 1
    assert erased[0].actor_pseudonym == alices[0].actor_pseudonym
    assert erased[0].subject_pseudonym == by_subject[("seller", str(alice_seller))]

    # Bob's trail is untouched.
    for entry_id, old in before.items():
        if old.actor_id == BOB:
            new = after[entry_id]
            assert (new.actor_id, new.subject_id, new.details) == (
                BOB,
                old.subject_id,
                old.details,
            )


async def test_erasure_deletes_outbox_rows_about_the_person_sent_to_others(
    uow_factory: UowFactory,
) -> None:
    await _seller_with_history(uow_factory, ALICE)
    await _seller_with_history(uow_factory, BOB)
    rows = await _notifications(uow_factory)
    to_operator = [row for row in rows if row.chat_id == OPERATOR]
    assert {row.subject_user_id for row in to_operator} == {ALICE, BOB}
    assert {row.chat_id for row in rows} == {ALICE, BOB, OPERATOR}

    async with uow_factory() as uow:
        await erasure.erase_user_data(ALICE, uow)
        await uow.commit()

    left = await _notifications(uow_factory)
    assert left and all(ALICE not in (row.chat_id, row.subject_user_id) for row in left)
    assert [row.id for row in left] == [
        row.id for row in rows if ALICE not in (row.chat_id, row.subject_user_id)
    ]


async def test_an_operator_who_erases_is_forgotten_as_reviewer(uow_factory: UowFactory) -> None:
    _, main, _ = await _seller_with_history(uow_factory, BOB)
    async with uow_factory() as uow:
        await erasure.erase_user_data(OPERATOR, uow)
        await uow.commit()
    async with uow_factory() as uow:
        warehouse = await uow.session.get(Warehouse, main)
        assert warehouse is not None
        assert warehouse.reviewed_by is None
        assert warehouse.review_note == "Ask Li Wei for the lease"  # the seller's record stays
    decisions = [e for e in await _entries(uow_factory) if e.actor_role == "operator"]
    assert decisions and all(e.actor_id is None and e.actor_pseudonym for e in decisions)
    # The decisions are still about Bob's warehouse; only the operator's free text went.
    assert {e.subject_id for e in decisions} == {str(main)}
    assert all("note" not in e.details for e in decisions)


async def test_erasure_asks_for_the_storage_cleanup_only_after_a_commit(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    calls: list[str] = []

    async def cleanup() -> None:
        calls.append("cleanup")

    session_factory = database.create_session_factory(engine)

    def factory() -> UnitOfWork:
        return UnitOfWork(session_factory, clock=clock, on_personal_data_deleted=cleanup)

    await make_seller(factory, ALICE)
    async with factory() as uow:
        await erasure.erase_user_data(ALICE, uow)
        assert calls == []
    assert calls == []  # rolled back: nothing was deleted, nothing to clean
    async with factory() as uow:
        await erasure.erase_user_data(ALICE, uow)
        await uow.commit()
    assert calls == ["cleanup"]


def test_pseudonyms_cannot_be_recomputed() -> None:
    first, second = Pseudonyms(), Pseudonyms()
    assert first.of("user", ALICE) == first.of("user", str(ALICE))
    assert first.of("user", ALICE) != first.of("user", BOB)
    # A new erasure (a new key) gives another pseudonym for the same id: there is no function
    # from ids to pseudonyms left to apply once the erasure is over.
    assert first.of("user", ALICE) != second.of("user", ALICE)
    assert "note" not in AUDIT_FACT_KEYS and "before" not in AUDIT_FACT_KEYS


# -- outbox retention -------------------------------------------------------------------------


async def test_finished_notifications_are_pruned_after_the_retention_period(
    uow_factory: UowFactory,
    fake_bot: FakeBot,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
) -> None:
    dispatcher = make_dispatcher(uow_factory, fake_bot, fast_limiter, renderer, clock)
    keep = timedelta(days=30)
    old, recent = clock.now - keep - timedelta(hours=1), clock.now - keep + timedelta(hours=1)
    cases = [
        ("sent-old", NotificationStatus.SENT, old, True),
        ("sent-recent", NotificationStatus.SENT, recent, False),
        ("dead-old", NotificationStatus.DEAD, old, True),
        ("paused-old", NotificationStatus.PAUSED, old, True),
        ("paused-recent", NotificationStatus.PAUSED, recent, False),
        ("pending-old", NotificationStatus.PENDING, old, False),
        ("sending-old", NotificationStatus.SENDING, old, False),
    ]
    async with uow_factory() as uow:
        for key, _status, moment, _pruned in cases:
            for copy in range(3):  # more rows than one batch, to go through several
                await uow.notifications.add(
                    dedupe_key=f"{key}:{copy}",
                    chat_id=1,
                    template="tests.ping",
                    params={"n": key},
                    now=moment,
                )
        await uow.session.flush()
        for row in (await uow.session.scalars(select(Notification))).all():
            row.status = next(status for key, status, _, _ in cases if row.dedupe_key[:-2] == key)
            row.lease_until = clock.now + timedelta(minutes=1)
            if row.status == NotificationStatus.SENT:
                row.sent_at = row.created_at
        await uow.commit()

    assert await dispatcher.prune_finished(keep, batch=2) == 9
    left = {row.dedupe_key[:-2] for row in await _notifications(uow_factory)}
    assert left == {key for key, _, _, pruned in cases if not pruned}
    assert await dispatcher.prune_finished(keep, batch=2) == 0


# -- SQLite files ------------------------------------------------------------------------------


def _wal_size(database_file: Path) -> int:
    return Path(f"{database_file}-wal").stat().st_size


def _sqlite_path(engine: AsyncEngine) -> Path:
    path = database.sqlite_file(engine)
    if path is None:
        pytest.skip("a SQLite file database only")
    return Path(path)


async def test_checkpoint_empties_the_write_ahead_log(
    uow_factory: UowFactory, engine: AsyncEngine
) -> None:
    path = _sqlite_path(engine)
    await make_seller(uow_factory, ALICE)
    assert _wal_size(path) > 0
    assert await database.checkpoint_sqlite(engine)
    assert _wal_size(path) == 0
    async with engine.connect() as connection:  # the pool's connections zero what they delete
        assert (await connection.execute(text("PRAGMA secure_delete"))).scalar() == 1


async def test_a_busy_database_delays_the_checkpoint_but_never_fails_it(
    uow_factory: UowFactory, engine: AsyncEngine
) -> None:
    path = _sqlite_path(engine)
    await make_seller(uow_factory, ALICE)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another writer holds the lock throughout
        started = time.monotonic()
        assert await database.checkpoint_sqlite(engine) is False
        # Bounded: a few short attempts, not the bot's 15 s busy timeout.
        assert time.monotonic() - started < 3
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert await database.checkpoint_sqlite(engine)
    assert _wal_size(path) == 0


async def test_checkpoint_runs_beside_other_writers(
    uow_factory: UowFactory, engine: AsyncEngine
) -> None:
    """Checkpoints interleaved with ordinary transactions: every commit survives."""
    _sqlite_path(engine)

    async def seller(user_id: int) -> None:
        await make_seller(uow_factory, user_id)

    results = await asyncio.gather(
        *(seller(7000 + n) for n in range(10)),
        *(database.checkpoint_sqlite(engine) for _ in range(3)),
    )
    assert all(result is None for result in results[:10])
    async with uow_factory() as uow:
        assert await uow.sellers.count() == 10


# -- the migration --------------------------------------------------------------------------


async def test_migration_finds_the_subject_of_existing_operator_notifications(
    empty_database_url: str,
) -> None:
    engine = database.create_engine(empty_database_url)
    try:
        await database.upgrade(engine, "0003")
        # Timestamps as SQL literals: both databases read them, whatever the driver.
        statements = [
            (
                "INSERT INTO telegram_users (id, created_at, last_seen_at) VALUES "
                "(:user, '2026-11-20 10:00:00+00:00', '2026-11-20 10:00:00+00:00')",
                {"user": ALICE},
            ),
            (
                "INSERT INTO sellers (id, telegram_user_id, store_name, home_country, locale, "
                "created_at) VALUES (1, :user, 'Alice Store', 'CN', 'en', "
                "'2026-11-20 10:00:00+00:00')",
                {"user": ALICE},
            ),
            (
                "INSERT INTO warehouses (id, seller_id, kind, name, name_key, country, street, "
                "city, contact_name, contact_phone, capabilities, status, created_at, updated_at)"
                " VALUES (5, 1, 'domestic', 'Main', 'main', 'CN', '1 Road', 'Shenzhen', "
                "'Li Wei', '+8613800138000', '[]', 'pending_review', "
                "'2026-11-20 10:00:00+00:00', '2026-11-20 10:00:00+00:00')",
                {},
            ),
            (
                "INSERT INTO orders (id, seller_id, number, ship_to_country, currency, total, "
                "ship_by, status, source, created_at) VALUES (9, 1, 'E-1', 'FR', 'EUR', 9, "
                "'2026-11-20 10:00:00+00:00', 'confirmed', 'conversation', "
                "'2026-11-20 10:00:00+00:00')",
                {},
            ),
        ]
        notification = (
            "INSERT INTO notifications (id, dedupe_key, chat_id, template, params, status, "
            "attempts, next_attempt_at, created_at) VALUES (:id, :key, :chat, 't', :params, "
            "'sent', 0, '2026-11-20 10:00:00+00:00', '2026-11-20 10:00:00+00:00')"
        )
        # About Alice's warehouse to an operator; to Alice herself; about her order; about
        # a warehouse that is not hers (gone).
        for row_id, chat, params in (
            (1, OPERATOR, '{"warehouse_id": 5, "store_name": "Alice Store"}'),
            (2, ALICE, '{"warehouse_id": 5, "name": "Main"}'),
            (3, OPERATOR, '{"order_id": 9, "order_number": "E-1"}'),
            (4, OPERATOR, '{"warehouse_id": 404}'),
        ):
            statements.append(
                (notification, {"id": row_id, "key": f"k{row_id}", "chat": chat, "params": params})
            )
        async with engine.begin() as connection:
            for statement, values in statements:
                await connection.execute(text(statement), values)
        await database.upgrade(engine)
        async with engine.connect() as connection:
            result = await connection.execute(
                text("SELECT id, subject_user_id FROM notifications ORDER BY id")
            )
            subjects = {row_id: subject for row_id, subject in result.tuples()}
        assert subjects == {1: ALICE, 2: None, 3: ALICE, 4: None}
    finally:
        await engine.dispose()


async def test_a_send_that_fails_after_the_erasure_does_not_bring_the_id_back(
    uow_factory: UowFactory,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
) -> None:
    """The user erases their data while a notification to them is being sent, and the send
    then answers 403: the outbox must not note their Telegram id as a blocked chat."""

    class ErasedMidSend(FakeBot):
        async def __call__(self, method: Any, request_timeout: int | None = None) -> Any:
            if getattr(method, "chat_id", None) == ALICE:
                async with uow_factory() as uow:
                    assert await erasure.erase_user_data(ALICE, uow) == []
                    await uow.commit()
                raise forbidden(method)
            return await super().__call__(method, request_timeout)

    await make_seller(uow_factory, ALICE)
    await add_ping(uow_factory, ALICE, 1)
    dispatcher = make_dispatcher(uow_factory, ErasedMidSend(), fast_limiter, renderer, clock)

    await dispatcher.drain()

    async with uow_factory() as uow:
        assert not await uow.blocked_recipients.is_blocked(ALICE)
        assert await uow.users.get(ALICE) is None
    assert await _notifications(uow_factory) == []
