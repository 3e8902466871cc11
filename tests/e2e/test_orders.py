"""Orders end to end: intake by conversation and by file, the lists, the card, confirmation,
cancellation, forged buttons, and the ship-by reminders job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import database
from domain.model import OrderStatus
from domain.services import warehouses
from domain.services.orders import intake, lifecycle, lists
from domain.unit_of_work import UnitOfWork
from handlers.order_callbacks import OrderMenu, OrderMenuAction
from notifications.reminders import send_due_reminders
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import BotRunner, Chat, chat_with
from tests.e2e.fixtures_orders import (
    new_order_by_conversation,
    notifications_in_db,
    order_row,
    orders_in_db,
    send_file,
    xlsx,
)
from tests.e2e.test_warehouses import register_seller


async def test_conversation_import_list_confirm_cancel(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    seller = chat_with(emulator, 5001)
    await register_seller(seller, "Case Shop")

    # The conversation, refusing a wrong quantity and an impossible date on the way.
    await seller.send("/neworder")
    await seller.expect("marketplace order number")
    await seller.send("AE-1001")
    await seller.press("France")
    await seller.expect("postcode of the delivery address in France")
    await seller.send("75001")
    await seller.press("EUR")
    await seller.expect("Line 1")
    await seller.send("Phone case <clear>")
    await seller.press("Skip")
    await seller.expect("How many?")
    await seller.send("0")
    await seller.expect("The quantity must be a whole number from 1 to 100,000")
    await seller.send("2")
    await seller.expect("unit price in EUR")
    await seller.send("12,50")
    await seller.expect("Phone case &lt;clear&gt; — 2 × €12.50")
    await seller.press("Add another line")
    await seller.expect("Line 2")
    await seller.send("USB cable")
    await seller.send("CB-1")
    await seller.expect("How many?")
    await seller.send("1")
    await seller.expect("unit price in EUR")
    await seller.send("3")
    await seller.press("Done with lines")
    await seller.expect("By when must the order ship")
    await seller.send("2026-02-30")
    await seller.expect("That ship-by date can't be used")
    await seller.press("+3 d")
    summary = await seller.expect("Please check the order")
    assert "Order number: <b>AE-1001</b>" in summary.content
    assert "Total: <b>€28.00</b>" in summary.content
    await seller.press("Create the order")
    await seller.expect("Order <b>AE-1001</b> is saved")

    # 50 more from a spreadsheet: 4 bad rows (one to a country under embargo), and AE-1001
    # again.
    ship_by = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    rows = [order_row(f"AE-{2000 + n}", ship_by) for n in range(1, 26)]  # rows 2-26
    rows.append(order_row("AE-3001", ship_by, Qty="zero"))  # row 27
    rows += [order_row(f"AE-{2000 + n}", ship_by) for n in range(26, 51)]  # rows 28-52
    rows.append(order_row("AE-3002", ship_by, Currency="XYZ"))  # row 53
    rows.append(order_row("AE-3003", ship_by, **{"Ship by": "someday"}))  # row 54
    rows.append(order_row("AE-1001", ship_by))  # row 55
    rows.append(order_row("AE-3004", ship_by, Country="North Korea", Postcode=""))  # row 56
    await send_file(seller, "orders.xlsx", xlsx(rows))
    report = await seller.expect("Import of orders.xlsx", timeout=20)
    assert "Orders imported: <b>50</b>" in report.content
    assert "Rows skipped: <b>4</b>" in report.content
    # AE-1001 was typed in the conversation above: already in the store, not a mistake.
    assert "Already imported: <b>1</b>" in report.content
    assert "Row 27 (order AE-3001): “zero” is not a number I can read" in report.content
    assert "Row 53 (order AE-3002): “XYZ” is not a currency code" in report.content
    assert "Row 54 (order AE-3003): That ship-by date can't be used" in report.content
    assert "Row 55" not in report.content
    assert "Row 56 (order AE-3004): 🚫 The marketplace can't deliver to North Korea" in (
        report.content
    )

    stored = await orders_in_db(runner)
    assert len(stored) == 51
    assert stored["AE-1001"].total == 28 and stored["AE-1001"].currency == "EUR"
    assert stored["AE-2050"].ship_to_postcode == "10001"

    # The lists: a filter, then the next page.
    await seller.send("/orders")
    await seller.expect("51 in this list · page 1 of 7")
    await seller.press("To ship")
    await seller.expect("No confirmed order waits to ship")
    await seller.press("To confirm")
    await seller.press("Next")
    page_two = await seller.expect("page 2 of 7")
    second_page_orders = [b.text.split(" · ")[0] for b in page_two.buttons if "AE-" in b.text]
    assert len(second_page_orders) == lists.PAGE_SIZE
    assert "AE-1001" not in second_page_orders  # nearest deadline first: it is on page 1

    # Open the conversation's order and confirm it.
    await seller.send("/orders")
    await seller.press("AE-1001")
    card = await seller.expect("Order AE-1001")
    assert "left to ship" in card.content
    await seller.press("Confirm order")
    await seller.expect("Order <b>AE-1001</b> is confirmed")
    assert (await orders_in_db(runner))["AE-1001"].status == OrderStatus.CONFIRMED

    # Cancel an imported one from page 2, with a reason.
    victim = second_page_orders[0]
    await seller.send("/orders")
    await seller.press("Next")
    await seller.press(victim)
    await seller.expect(f"Order {victim}")
    await seller.press("Cancel order")
    await seller.expect("Please send the reason")
    await seller.send("no")
    await seller.expect("Please give a reason of 3 to 500 characters")
    await seller.send("Buyer asked to cancel")
    await seller.expect(f"Order <b>{victim}</b> is cancelled")
    cancelled = (await orders_in_db(runner))[victim]
    assert cancelled.status == OrderStatus.CANCELLED
    assert cancelled.cancel_reason == "Buyer asked to cancel"

    await seller.send("/orders")
    await seller.press("To ship")
    await seller.expect("1 in this list · page 1 of 1")


async def _forged_answer(chat: Chat, message_id: int, data: str) -> str:
    before = len(chat.user.answered_callbacks)
    await chat.press_data(message_id, data)
    await chat.emulator.wait_until(lambda: len(chat.user.answered_callbacks) > before, 10)
    return chat.user.answered_callbacks[-1]


async def test_another_sellers_order_looks_missing(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    seller_a = chat_with(emulator, 5101, name="Ann")
    seller_b = chat_with(emulator, 5102, name="Bob")
    await register_seller(seller_a, "Store A")
    await new_order_by_conversation(seller_a, "A-1")
    await register_seller(seller_b, "Store B")
    order_id = (await orders_in_db(runner))["A-1"].id

    await seller_b.send("/orders")
    own = await seller_b.expect("Orders")

    def forged(action: OrderMenuAction, target: int) -> str:
        return OrderMenu(action=action, order_id=target).pack()

    missing = await _forged_answer(seller_b, own.message_id, forged(OrderMenuAction.VIEW, 10**9))
    assert "couldn't find that order" in missing
    for action in (OrderMenuAction.VIEW, OrderMenuAction.CONFIRM, OrderMenuAction.CANCEL):
        answer = await _forged_answer(seller_b, own.message_id, forged(action, order_id))
        assert answer == missing, action
    assert not any("A-1" in m.content for m in seller_b.user.bot_messages())
    assert (await orders_in_db(runner))["A-1"].status == OrderStatus.AWAITING_CONFIRMATION


async def test_reminder_job_queues_the_24h_reminder_once(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    seller = chat_with(emulator, 5201)
    await register_seller(seller, "Clock Shop")
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        seller_row = await warehouses.seller_of(5201, uow)
        order = await intake.create_order(
            intake.NewOrder(
                seller_id=seller_row.id,
                number="R-20H",
                ship_to_country="DE",
                ship_to_postcode="10117",
                currency="EUR",
                ship_by=uow.now() + timedelta(hours=20),
                lines=[intake.NewOrderLine(product_name="Lamp", quantity=1, unit_price="9")],
            ),
            uow,
        )
        await lifecycle.confirm_order(5201, order.id, uow)
        await uow.commit()

    seller._mark = len(emulator.activity)
    assert await send_due_reminders(runner.app.uow_factory) == 1
    assert await send_due_reminders(runner.app.uow_factory) == 0

    queued = await notifications_in_db(runner, "orders.reminder_24h")
    assert len(queued) == 1
    assert queued[0].chat_id == 5201
    assert queued[0].params["order_number"] == "R-20H"
    await seller.expect("Order <b>R-20H</b> must ship within 24 hours", timeout=15)


async def test_reminders_due_while_the_bot_was_down_go_out_at_start_up(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    seller = chat_with(emulator, 5202)
    await register_seller(seller, "Sleepy Shop")
    await runner.stop()

    # While the bot is down, an order comes within 24 hours of its ship-by deadline.
    engine = database.create_engine(runner.settings.effective_database_url)
    try:
        async with UnitOfWork(database.create_session_factory(engine)) as uow:
            seller_row = await warehouses.seller_of(5202, uow)
            order = await intake.create_order(
                intake.NewOrder(
                    seller_id=seller_row.id,
                    number="R-BOOT",
                    ship_to_country="DE",
                    ship_to_postcode="10117",
                    currency="EUR",
                    ship_by=uow.now() + timedelta(hours=20),
                    lines=[intake.NewOrderLine(product_name="Lamp", quantity=1, unit_price="9")],
                ),
                uow,
            )
            await lifecycle.confirm_order(5202, order.id, uow)
            await uow.commit()
    finally:
        await engine.dispose()

    seller._mark = len(emulator.activity)
    app = await runner.start()
    # The job's first run is at start-up, not after its 5-minute interval.
    await seller.expect("Order <b>R-BOOT</b> must ship within 24 hours", timeout=10)
    job = app.scheduler.get_job("order_reminders")
    assert job is not None and job.next_run_time > datetime.now(UTC) + timedelta(minutes=4)
