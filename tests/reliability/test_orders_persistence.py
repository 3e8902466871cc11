"""Orders in a real database (SQLite and PostgreSQL): intake, import, transitions, isolation,
reminders, erasure and archive blockers, buyer links."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.errors import ConflictError, InvalidInput, NotAllowed, NotFound
from domain.model import (
    AuditEntry,
    BudgetMode,
    ComplianceFinding,
    FindingSeverity,
    Notification,
    Order,
    OrderLine,
    OrderSource,
    OrderStatus,
    ReminderKind,
    SellerLogisticsSettings,
    Shipment,
    Warehouse,
    WarehouseKind,
    WarehouseStatus,
)
from domain.order_import import read_order_file
from domain.services import buyers, erasure, sellers, warehouses
from domain.services.orders import buyer_links, file_import, intake, lifecycle, lists, reminders
from domain.unit_of_work import UnitOfWork
from tests.conftest import FixedClock

UowFactory = Callable[[], UnitOfWork]
ALICE, BOB, STRANGER = 1001, 1002, 1003
SHIP_BY = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # the clock starts 2026-11-25 12:00


async def _seller(uow_factory: UowFactory, user_id: int) -> int:
    async with uow_factory() as uow:
        seller = await sellers.register_seller(
            sellers.RegisterSeller(user_id, f"Store {user_id}", "CN", "en"), uow
        )
        await uow.commit()
        return seller.id


def _new_order(seller_id: int, order_number: str, **changes: Any) -> intake.NewOrder:
    fields: dict[str, Any] = {
        "seller_id": seller_id,
        "number": order_number,
        "ship_to_country": "US",
        "ship_to_postcode": "94105",
        "currency": "USD",
        "ship_by": SHIP_BY,
        "lines": [
            intake.NewOrderLine("Phone case", 2, "3.50", "PC-1"),
            intake.NewOrderLine("USB cable", 1, Decimal("0.99")),
        ],
        "source": OrderSource.CONVERSATION,
        "actor_id": None,
    }
    fields.update(changes)
    return intake.NewOrder(**fields)


async def _order(uow_factory: UowFactory, seller_id: int, order_number: str, **changes: Any) -> int:
    async with uow_factory() as uow:
        order = await intake.create_order(_new_order(seller_id, order_number, **changes), uow)
        await uow.commit()
        return order.id


async def _set_status(uow_factory: UowFactory, order_id: int, status: OrderStatus) -> None:
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        order.status = status
        await uow.commit()


async def _warehouse(uow_factory: UowFactory, seller_id: int, name: str = "Main") -> int:
    async with uow_factory() as uow:
        now = uow.now()
        warehouse = Warehouse(
            seller_id=seller_id,
            kind=WarehouseKind.DOMESTIC,
            name=name,
            name_key=name.casefold(),
            country="CN",
            street="1 Road",
            city="Shenzhen",
            contact_name="Li",
            contact_phone="+8613800138000",
            capabilities=["shipping"],
            status=WarehouseStatus.VERIFIED,
            created_at=now,
            updated_at=now,
        )
        uow.warehouses.add(warehouse)
        await uow.commit()
        return warehouse.id


async def _shipment(
    uow_factory: UowFactory, order_id: int, warehouse_id: int, tracking: str | None = None
) -> int:
    async with uow_factory() as uow:
        shipment = Shipment(
            order_id=order_id,
            warehouse_id=warehouse_id,
            method="sea",
            carrier="COSCO",
            tracking_number=tracking,
            declared_value=Decimal("7.99"),
            declared_currency="USD",
            weight_kg=Decimal("12.000"),
            length_cm=Decimal("60.0"),
            width_cm=Decimal("40.0"),
            height_cm=Decimal("40.0"),
            goods_characteristics=["fragile"],
            chargeable_weight_kg=Decimal("96.000"),
            estimated_cost=Decimal("41.50"),
            cost_currency="USD",
            transit_min_days=25,
            transit_max_days=40,
            lines_shipped=[{"line_id": 1, "quantity": 2}],
            is_partial=True,
            created_at=uow.now(),
            # A confirmed document: only those hold their tracking number against reuse.
            confirmed_at=uow.now(),
            findings=[
                ComplianceFinding(
                    rule="declared_value_differs",
                    severity=FindingSeverity.WARNING,
                    params={"percent": "25"},
                    acknowledged=True,
                    created_at=uow.now(),
                )
            ],
        )
        uow.shipments.add(shipment)
        await uow.commit()
        return shipment.id


# ----- intake -----


async def test_create_order_stores_lines_total_and_exact_values(uow_factory: UowFactory) -> None:
    seller_id = await _seller(uow_factory, ALICE)
    order_id = await _order(uow_factory, seller_id, "8123456789012345", ship_to_postcode="94105")
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        assert order.number == "8123456789012345"
        assert order.status == OrderStatus.AWAITING_CONFIRMATION
        assert order.source == OrderSource.CONVERSATION
        assert order.total == Decimal("7.99")
        assert order.ship_by == SHIP_BY
        assert order.ship_by.tzinfo is not None
        assert [
            (line.product_name, line.sku, line.quantity, line.unit_price) for line in order.lines
        ] == [
            ("Phone case", "PC-1", 2, Decimal("3.50")),
            ("USB cable", None, 1, Decimal("0.99")),
        ]
        audit = await uow.audit.entries_for("order", order_id)
        assert [entry.action for entry in audit] == ["order.created"]


async def test_invalid_input_changes_nothing(uow_factory: UowFactory) -> None:
    seller_id = await _seller(uow_factory, ALICE)
    cases = {
        "orders.number_invalid": {"number": "no spaces please"},
        "orders.country_invalid": {"ship_to_country": "ZZ"},
        "orders.currency_invalid": {"currency": "ABC"},
        "orders.quantity_invalid": {"lines": [intake.NewOrderLine("Case", 0, "1")]},
        "orders.price_invalid": {"lines": [intake.NewOrderLine("Case", 1, "-1")]},
        "orders.ship_by_invalid": {"ship_by": "next week"},
        "orders.no_lines": {"lines": []},
    }
    for key, changes in cases.items():
        async with uow_factory() as uow:
            with pytest.raises(InvalidInput) as raised:
                await intake.create_order(_new_order(seller_id, "N1", **changes), uow)
            assert raised.value.key == key
    async with uow_factory() as uow:
        assert (await uow.session.scalars(select(Order))).all() == []


async def test_duplicate_numbers_are_refused_per_seller(uow_factory: UowFactory) -> None:
    alice = await _seller(uow_factory, ALICE)
    bob = await _seller(uow_factory, BOB)
    await _order(uow_factory, alice, "A-1")
    async with uow_factory() as uow:
        with pytest.raises(ConflictError) as raised:
            await intake.create_order(_new_order(alice, "A-1"), uow)
        assert raised.value.key == "orders.duplicate_number"
        assert raised.value.params == {"number": "A-1"}
    await _order(uow_factory, bob, "A-1")  # another store may have the same number


async def test_losing_a_race_on_the_number_is_a_conflict_and_keeps_the_transaction(
    uow_factory: UowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await _seller(uow_factory, ALICE)
    await _order(uow_factory, alice, "RACE")
    async with uow_factory() as uow:
        # As if another process inserted the number between our check and our insert.
        async def nobody_has_it(seller_id: int, number: str) -> None:
            return None

        monkeypatch.setattr(uow.orders, "by_number", nobody_has_it)
        with pytest.raises(ConflictError):
            await intake.create_order(_new_order(alice, "RACE"), uow)
        await intake.create_order(_new_order(alice, "AFTER"), uow)
        await uow.commit()
    async with uow_factory() as uow:
        numbers = (await uow.session.scalars(select(Order.number).order_by(Order.id))).all()
        assert numbers == ["RACE", "AFTER"]


# ----- import -----


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _fifty_rows() -> list[list[object]]:
    """50 data rows: 44 single-line orders and 3 two-line orders; rows 10, 20, 30 are bad."""
    header = ["订单号", "国家", "邮编", "币种", "商品名称", "SKU", "数量", "单价", "最晚发货时间"]
    rows: list[list[object]] = [header]
    for index in range(47):
        number = f"IMP-{index:03d}"
        line = [number, "DE", "10115", "EUR", f"Item {index}", f"SKU-{index}", 1, 9.5]
        rows.append([*line, datetime(2026, 12, 3, 15, 0)])
        if index in (20, 21, 22):
            rows.append([number, None, None, None, f"Extra {index}", None, 2, "1,25", None])
    rows[10 - 1][6] = 0  # row 10: quantity 0
    rows[20 - 1][1] = "Atlantis"  # row 20: unknown country
    rows[30 - 1][7] = "free"  # row 30: not a price
    assert len(rows) == 51
    return rows


async def test_import_of_fifty_rows_with_three_bad_ones_and_numbers_already_present(
    uow_factory: UowFactory,
) -> None:
    alice = await _seller(uow_factory, ALICE)
    await _order(uow_factory, alice, "IMP-000")
    await _order(uow_factory, alice, "IMP-040")
    content = _xlsx(_fifty_rows())
    async with uow_factory() as uow:
        seller = await uow.sellers.by_telegram_user(ALICE)
        assert seller is not None
        report = await file_import.import_orders(
            seller, content, "orders.xlsx", uow, actor_id=ALICE
        )
        await uow.commit()

    bad = {
        (s.row, s.reason) for s in report.skipped if s.reason.startswith(("orders.", "numbers."))
    }
    assert bad == {
        (10, "orders.quantity_invalid"),
        (20, "orders.country_invalid"),
        (30, "numbers.not_a_number"),  # "free"
    }
    assert report.rows_read == 50
    assert len(report.skipped) == 3
    assert report.already_imported == ["IMP-000", "IMP-040"]
    assert len(report.imported) == 47 - 3 - 2
    assert report.lines_imported == 50 - 5
    assert "IMP-000" not in report.imported and "IMP-040" not in report.imported

    async with uow_factory() as uow:
        stored = (
            await uow.session.scalars(
                select(Order).where(Order.source == OrderSource.IMPORT).order_by(Order.number)
            )
        ).all()
        assert [order.number for order in stored] == sorted(report.imported)
        multi = next(order for order in stored if order.number == "IMP-021")
        assert [line.quantity for line in multi.lines] == [1, 2]
        assert multi.total == Decimal("12.00")
        assert multi.currency == "EUR" and multi.ship_to_country == "DE"
        assert multi.ship_by == datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
        entry = (
            await uow.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "orders.imported")
            )
        ).one()
        assert entry.details == {
            "rows": 50,
            "orders": 42,
            "skipped_rows": 3,
            "already_imported": 2,
        }

    # The same file again imports nothing: every number is already there.
    async with uow_factory() as uow:
        seller = await uow.sellers.by_telegram_user(ALICE)
        assert seller is not None
        again = await file_import.import_orders(seller, content, "orders.xlsx", uow)
        await uow.commit()
    assert again.imported == []
    assert len(again.already_imported) == 44
    assert {(s.row, s.reason) for s in again.skipped} == {
        (10, "orders.quantity_invalid"),
        (20, "orders.country_invalid"),
        (30, "numbers.not_a_number"),  # "free"
    }
    async with uow_factory() as uow:
        count = len((await uow.session.scalars(select(Order.id))).all())
        assert count == 2 + 42


async def test_a_file_level_error_imports_nothing(uow_factory: UowFactory) -> None:
    await _seller(uow_factory, ALICE)
    rows = _fifty_rows()
    # A workbook that says it is too big is refused before a row is read...
    with pytest.raises(InvalidInput) as declared:
        read_order_file(_xlsx(rows), "a.xlsx", max_rows=40)
    assert declared.value.key == "import.xlsx_sheet_too_large"
    assert declared.value.params == {"rows": 51, "columns": 9, "max_rows": 41, "max_columns": 256}
    # ...a CSV once the rows read pass the limit, after some orders were already checked.
    lines = [",".join("" if cell is None else str(cell) for cell in row) for row in rows]
    content = "\n".join(lines).encode()
    async with uow_factory() as uow:
        seller = await uow.sellers.by_telegram_user(ALICE)
        assert seller is not None
        with pytest.raises(InvalidInput) as raised:
            await file_import.import_order_rows(
                seller, read_order_file(content, "a.csv", max_rows=40), uow
            )
        assert raised.value.key == "import.too_many_rows"
    async with uow_factory() as uow:
        assert (await uow.session.scalars(select(Order.id))).all() == []


# ----- transitions -----

S = OrderStatus
CONFIRM_FROM = {S.AWAITING_CONFIRMATION}
CANCEL_FROM = {S.AWAITING_CONFIRMATION, S.CONFIRMED}


async def _act(action: str, order_id: int, uow: UnitOfWork) -> None:
    if action == "confirm":
        await lifecycle.confirm_order(ALICE, order_id, uow)
    else:
        await lifecycle.cancel_order(ALICE, order_id, "  buyer   asked ", uow)


async def test_confirm_and_cancel_from_every_status(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    alice = await _seller(uow_factory, ALICE)
    for status in S:
        for action in ("confirm", "cancel"):
            order_id = await _order(uow_factory, alice, f"{action}-{status.value}")
            await _set_status(uow_factory, order_id, status)
            allowed = status in (CONFIRM_FROM if action == "confirm" else CANCEL_FROM)
            async with uow_factory() as uow:
                if allowed:
                    await _act(action, order_id, uow)
                    await uow.commit()
                else:
                    with pytest.raises(ConflictError) as refused:
                        await _act(action, order_id, uow)
                    assert refused.value.key == "orders.transition_refused"
                    assert refused.value.params["current"] == status.value
            async with uow_factory() as uow:
                order = await uow.orders.get(order_id)
                assert order is not None
                if not allowed:
                    assert order.status == status
                elif action == "confirm":
                    assert order.status == S.CONFIRMED
                    assert order.confirmed_at == clock.now
                else:
                    assert order.status == S.CANCELLED
                    assert order.cancel_reason == "buyer asked"
                    assert order.cancelled_at == clock.now


async def test_a_cancel_without_a_reason_is_refused(uow_factory: UowFactory) -> None:
    alice = await _seller(uow_factory, ALICE)
    order_id = await _order(uow_factory, alice, "C1")
    async with uow_factory() as uow:
        with pytest.raises(InvalidInput) as raised:
            await lifecycle.cancel_order(ALICE, order_id, " ", uow)
        assert raised.value.key == "orders.cancel_reason_invalid"


@pytest.mark.parametrize(
    ("method", "allowed_from", "to"),
    [
        ("confirm", {S.AWAITING_CONFIRMATION}, S.CONFIRMED),
        # A new parcel ships an order whose first was lost or came back, like a first one.
        ("mark_shipped", {S.CONFIRMED, S.TO_SHIP_AGAIN}, S.SHIPPED),
        ("mark_delivered", {S.SHIPPED, S.IN_TROUBLE, S.LOST}, S.DELIVERED),
        ("mark_returned", {S.SHIPPED, S.DELIVERED}, S.RETURNED),
        ("cancel", {S.AWAITING_CONFIRMATION, S.CONFIRMED}, S.CANCELLED),
        # Tracking moves a shipped order into a problem state, and out of one.
        ("mark_in_trouble", {S.SHIPPED}, S.IN_TROUBLE),
        ("mark_moving_again", {S.IN_TROUBLE}, S.SHIPPED),
        ("mark_lost", {S.SHIPPED, S.IN_TROUBLE}, S.LOST),
        (
            "mark_returned_to_sender",
            {S.SHIPPED, S.IN_TROUBLE, S.LOST},
            S.RETURNED_TO_SENDER,
        ),
        # The seller's answers to a parcel that will not arrive.
        ("ship_again", {S.LOST, S.RETURNED_TO_SENDER}, S.TO_SHIP_AGAIN),
        (
            "cancel_and_refund",
            {S.LOST, S.RETURNED_TO_SENDER, S.TO_SHIP_AGAIN},
            S.CANCELLED,
        ),
    ],
)
def test_order_state_machine(method: str, allowed_from: set[OrderStatus], to: OrderStatus) -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    for status in S:
        order = Order(status=status, ship_by=now)
        args: tuple[Any, ...] = (
            ("reason", now) if method in ("cancel", "cancel_and_refund") else (now,)
        )
        if method in ("mark_in_trouble", "mark_moving_again", "mark_lost", "ship_again"):
            args = ()
        if status in allowed_from:
            getattr(order, method)(*args)
            assert order.status == to
        else:
            with pytest.raises(ConflictError):
                getattr(order, method)(*args)
            assert order.status == status


# ----- isolation and lists -----


async def test_owned_order_hides_other_sellers_orders(uow_factory: UowFactory) -> None:
    alice = await _seller(uow_factory, ALICE)
    await _seller(uow_factory, BOB)
    order_id = await _order(uow_factory, alice, "MINE")
    async with uow_factory() as uow:
        assert (await lifecycle.owned_order(ALICE, order_id, uow)).number == "MINE"
        with pytest.raises(NotFound) as someone_elses:
            await lifecycle.owned_order(BOB, order_id, uow)
        with pytest.raises(NotFound) as missing:
            await lifecycle.owned_order(BOB, order_id + 999, uow)
        assert someone_elses.value.key == missing.value.key == "orders.not_found"
        assert someone_elses.value.params == missing.value.params == {}
        with pytest.raises(NotFound):
            await lifecycle.confirm_order(BOB, order_id, uow)
        with pytest.raises(NotFound):
            await lifecycle.cancel_order(BOB, order_id, "not mine", uow)
        with pytest.raises(NotAllowed):
            await lifecycle.owned_order(STRANGER, order_id, uow)
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None and order.status == S.AWAITING_CONFIRMATION


async def test_order_lists_filter_and_paginate(uow_factory: UowFactory, clock: FixedClock) -> None:
    alice = await _seller(uow_factory, ALICE)
    bob = await _seller(uow_factory, BOB)
    warehouse = await _warehouse(uow_factory, alice)
    for index in range(5):
        await _order(uow_factory, alice, f"W{index}", ship_by=SHIP_BY + timedelta(hours=5 - index))
    await _order(uow_factory, bob, "BOB-1")
    to_ship = await _order(uow_factory, alice, "S1")
    await _set_status(uow_factory, to_ship, S.CONFIRMED)
    await _order(uow_factory, alice, "LATE", ship_by=clock.now + timedelta(hours=1))
    shipped = await _order(uow_factory, alice, "SHIPPED")
    await _set_status(uow_factory, shipped, S.SHIPPED)
    troubled = await _order(uow_factory, alice, "TROUBLE")
    await _set_status(uow_factory, troubled, S.SHIPPED)
    shipment = await _shipment(uow_factory, troubled, warehouse, "RB123456785GB")
    async with uow_factory() as uow:
        row = await uow.shipments.get(shipment)
        assert row is not None
        row.tracking_status = "Exception"
        await uow.commit()
    clock.advance(hours=2)  # LATE is now overdue

    async with uow_factory() as uow:
        first, total = await lists.orders_for(alice, lists.OrderFilter.AWAITING, uow, page_size=4)
        second, _ = await lists.orders_for(
            alice, lists.OrderFilter.AWAITING, uow, page=1, page_size=4
        )
        assert total == 6
        # Nearest deadline first: LATE, then W4..W0.
        assert [o.number for o in first + second] == ["LATE", "W4", "W3", "W2", "W1", "W0"]
        items, total = await lists.orders_for(alice, lists.OrderFilter.TO_SHIP, uow)
        assert [o.number for o in items] == ["S1"] and total == 1
        items, total = await lists.orders_for(alice, lists.OrderFilter.SHIPPED, uow)
        assert {o.number for o in items} == {"SHIPPED", "TROUBLE"} and total == 2
        items, total = await lists.orders_for(alice, lists.OrderFilter.PROBLEMS, uow)
        assert {o.number for o in items} == {"LATE", "TROUBLE"} and total == 2


# ----- reminders -----


async def test_reminders_go_out_once_each(uow_factory: UowFactory, clock: FixedClock) -> None:
    alice = await _seller(uow_factory, ALICE)
    ship_by = clock.now + timedelta(hours=30)
    order_id = await _order(uow_factory, alice, "R1", ship_by=ship_by)
    await _order(uow_factory, alice, "OTHER", ship_by=ship_by)
    cancelled = await _order(uow_factory, alice, "CANCELLED", ship_by=ship_by)
    await _set_status(uow_factory, cancelled, S.CANCELLED)

    async def sweep() -> list[tuple[str, ReminderKind]]:
        async with uow_factory() as uow:
            due = await reminders.due_reminders(clock.now, uow)
            await uow.commit()
            return [(reminder.order.number, reminder.kind) for reminder in due]

    assert await sweep() == []
    clock.advance(hours=7)  # 23 h left
    assert sorted(await sweep()) == [
        ("OTHER", ReminderKind.DUE_IN_24H),
        ("R1", ReminderKind.DUE_IN_24H),
    ]
    assert await sweep() == []
    async with uow_factory() as uow:
        await lifecycle.confirm_order(ALICE, order_id, uow)  # confirmed orders are reminded too
        await uow.commit()
    clock.advance(hours=20)  # 3 h left
    assert [kind for number, kind in await sweep() if number == "R1"] == [ReminderKind.DUE_IN_4H]
    assert await sweep() == []
    clock.advance(hours=3)  # the deadline
    assert [kind for number, kind in await sweep() if number == "R1"] == [ReminderKind.OVERDUE]
    clock.advance(days=2)
    assert await sweep() == []

    async with uow_factory() as uow:
        rows = (
            await uow.session.scalars(
                select(Notification)
                .where(Notification.dedupe_key.like(f"order-reminder:{order_id}:%"))
                .order_by(Notification.id)
            )
        ).all()
        assert [row.template for row in rows] == [
            "orders.reminder_24h",
            "orders.reminder_4h",
            "orders.overdue",
        ]
        assert {row.chat_id for row in rows} == {ALICE}
        assert rows[0].params == {
            "order_id": order_id,
            "order_number": "R1",
            "ship_by": ship_by.isoformat(),
            "status": "awaiting_confirmation",
        }


async def test_a_late_order_skips_the_reminders_whose_time_has_passed(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    alice = await _seller(uow_factory, ALICE)
    await _order(uow_factory, alice, "LATE", ship_by=clock.now + timedelta(hours=2))
    async with uow_factory() as uow:
        assert [r.kind for r in await reminders.due_reminders(clock.now, uow)] == [
            ReminderKind.DUE_IN_4H
        ]
        await uow.commit()
    clock.advance(hours=2)
    async with uow_factory() as uow:
        assert [r.kind for r in await reminders.due_reminders(clock.now, uow)] == [
            ReminderKind.OVERDUE
        ]
        await uow.commit()
    async with uow_factory() as uow:
        templates = (await uow.session.scalars(select(Notification.template))).all()
    assert sorted(templates) == ["orders.overdue", "orders.reminder_4h"]


# ----- erasure and archive blockers -----


async def test_open_orders_block_erasure_until_settled(uow_factory: UowFactory) -> None:
    alice = await _seller(uow_factory, ALICE)
    warehouse = await _warehouse(uow_factory, alice)
    first = await _order(uow_factory, alice, "E1")
    second = await _order(uow_factory, alice, "E2")
    await _set_status(uow_factory, second, S.CONFIRMED)
    await _shipment(uow_factory, second, warehouse, "EB000717618HK")
    async with uow_factory() as uow:
        assert await erasure.erasure_blockers(ALICE, uow) == [
            erasure.ErasureBlocker("erasure.open_orders", 2)
        ]
        assert await erasure.erase_user_data(ALICE, uow) == [
            erasure.ErasureBlocker("erasure.open_orders", 2)
        ]
        assert await erasure.erasure_blockers(BOB, uow) == []
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.sellers.by_telegram_user(ALICE) is not None
        await lifecycle.cancel_order(ALICE, first, "out of stock", uow)
        order = await uow.orders.get(second)
        assert order is not None
        order.mark_shipped(uow.now())
        await uow.commit()
    async with uow_factory() as uow:
        assert await erasure.erasure_blockers(ALICE, uow) == []
        assert await erasure.erase_user_data(ALICE, uow) == []
        await uow.commit()
    async with uow_factory() as uow:  # the seller's orders, lines and documents went too
        for model in (Order, OrderLine, Shipment, ComplianceFinding, Warehouse):
            assert (await uow.session.scalars(select(model))).all() == [], model


async def test_a_warehouse_on_an_open_order_cannot_be_archived(uow_factory: UowFactory) -> None:
    alice = await _seller(uow_factory, ALICE)
    warehouse_id = await _warehouse(uow_factory, alice)
    spare_id = await _warehouse(uow_factory, alice, "Spare")
    order_id = await _order(uow_factory, alice, "W1")
    await _set_status(uow_factory, order_id, S.CONFIRMED)
    await _shipment(uow_factory, order_id, warehouse_id)
    async with uow_factory() as uow:
        warehouse = await uow.warehouses.get(warehouse_id)
        spare = await uow.warehouses.get(spare_id)
        assert warehouse is not None and spare is not None
        assert await warehouses.archive_blockers(warehouse, uow) == [
            "warehouse.used_by_open_orders"
        ]
        assert await warehouses.archive_blockers(spare, uow) == []
        with pytest.raises(ConflictError) as raised:
            await warehouses.archive_warehouse(ALICE, warehouse_id, uow)
        assert raised.value.key == "warehouse.archive_blocked"
        assert raised.value.params == {"reasons": ["warehouse.used_by_open_orders"]}
        order = await uow.orders.get(order_id)
        assert order is not None
        order.mark_shipped(uow.now())
        await uow.commit()
    async with uow_factory() as uow:
        archived = await warehouses.archive_warehouse(ALICE, warehouse_id, uow)
        assert archived.status == WarehouseStatus.ARCHIVED
        await uow.commit()


# ----- shipping documents, settings -----


async def test_shipment_round_trip_and_tracking_number_reuse(uow_factory: UowFactory) -> None:
    alice = await _seller(uow_factory, ALICE)
    bob = await _seller(uow_factory, BOB)
    warehouse = await _warehouse(uow_factory, alice)
    first = await _order(uow_factory, alice, "T1")
    second = await _order(uow_factory, alice, "T2")
    bobs = await _order(uow_factory, bob, "T3")
    shipment_id = await _shipment(uow_factory, first, warehouse, "RB123456785GB")
    async with uow_factory() as uow:
        shipment = await uow.shipments.get(shipment_id)
        assert shipment is not None
        assert shipment.weight_kg == Decimal("12.000")
        assert shipment.estimated_cost == Decimal("41.50")
        assert shipment.goods_characteristics == ["fragile"]
        assert shipment.lines_shipped == [{"line_id": 1, "quantity": 2}]
        assert [(f.rule, f.severity, f.params) for f in shipment.findings] == [
            ("declared_value_differs", FindingSeverity.WARNING, {"percent": "25"})
        ]
        used = uow.shipments.tracking_number_used_elsewhere
        assert await used("RB123456785GB", second)
        assert await used("RB123456785GB", bobs)  # any seller's order counts
        assert not await used("RB123456785GB", first)  # its own order does not
        assert not await used("EB000717618HK", second)
        found = await uow.shipments.recent_findings()
        assert [row.finding.rule for row in found] == ["declared_value_differs"]


async def test_logistics_settings_round_trip(uow_factory: UowFactory) -> None:
    alice = await _seller(uow_factory, ALICE)
    async with uow_factory() as uow:
        uow.logistics_settings.add(
            SellerLogisticsSettings(
                seller_id=alice,
                budget_max_share=Decimal("0.15"),
                budget_max_per_order=Decimal("25.00"),
                budget_currency="USD",
                budget_mode=BudgetMode.BLOCK,
                rate_card={"label": "mine", "zones": {}},
                exchange_rates=[{"from": "USD", "to": "CNY", "rate": "7.12"}],
                updated_at=uow.now(),
            )
        )
        await uow.commit()
    async with uow_factory() as uow:
        settings = await uow.logistics_settings.for_seller(alice)
        assert settings is not None
        assert settings.budget_max_share == Decimal("0.1500")
        assert settings.budget_mode == BudgetMode.BLOCK
        assert settings.exchange_rates == [{"from": "USD", "to": "CNY", "rate": "7.12"}]


# ----- buyer links -----


async def _every_stored_value(engine: AsyncEngine) -> str:
    metadata = MetaData()
    async with engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        chunks = []
        for table in metadata.sorted_tables:
            for row in await connection.execute(select(table)):
                chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


async def test_buyer_link_token_is_stored_only_as_its_hash(
    uow_factory: UowFactory, engine: AsyncEngine, clock: FixedClock
) -> None:
    alice = await _seller(uow_factory, ALICE)
    order_id = await _order(uow_factory, alice, "B1")
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        old_token = await buyer_links.issue_buyer_link(order, uow)
        token = await buyer_links.issue_buyer_link(order, uow)  # replaces the first
        await uow.commit()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)
    assert token != old_token
    stored = await _every_stored_value(engine)
    assert token not in stored and old_token not in stored
    assert buyer_links.token_hash(token) in stored

    buyer, someone_else = 4201, 4202
    async with uow_factory() as uow:
        for user_id in (buyer, someone_else):
            await uow.users.touch(user_id, "en", uow.now())
        assert (await buyers.open_link(old_token, buyer, uow)).refused  # replaced
        opened = await buyers.open_link(token, buyer, uow)
        assert opened.view is not None and opened.view.order_number == "B1"
        await uow.commit()
    async with uow_factory() as uow:  # bound to its first account
        assert (await buyers.open_link(token, someone_else, uow)).refused
        assert (await buyers.open_link(token, buyer, uow)).view is not None

    clock.advance(days=121)
    async with uow_factory() as uow:  # expired
        assert (await buyers.open_link(token, buyer, uow)).refused
