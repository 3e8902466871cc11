"""The buyer's return request through the dispatcher: /return or the order card's button ->
items and quantities -> reason -> comment -> photos -> resolution -> amount -> summary -> the
case opened and the seller alerted. Forward, back, edit from the summary, cancel, resuming
after a restart, refused answers (a photo missing where required, a quantity too high, an
amount above what was paid), one open case per line, and forged buttons of another buyer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from aiogram.types import Video

from domain.drafts.return_case import MAX_VIDEO_SECONDS
from domain.model import OrderStatus, ReturnCase
from domain.returns.rules import CaseStatus, EvidenceKind, Resolution, ReturnReason
from tests.handlers.chat import Chat, HandlerBot
from tests.returns_fixtures import BoughtOrder, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store, notifications_to

SELLER, BUYER, OTHER = 8601, 8602, 8603


@pytest.fixture
async def bought(handler_bot: HandlerBot) -> BoughtOrder:
    """Order AE-R1 (2 phone cases and a cable at €3.50 each), shipped; BUYER opened its link."""
    store = await Store(handler_bot.app.uow_factory, SELLER).open()
    return await shipped_to_buyer(handler_bot.app.uow_factory, store, "AE-R1", BUYER, 31_000_001)


@pytest.fixture
def buyer(handler_bot: HandlerBot, bought: BoughtOrder) -> Chat:
    return Chat(handler_bot, BUYER)


async def _cases(bot: HandlerBot, order_id: int) -> list[ReturnCase]:
    async with bot.uow() as uow:
        cases = await uow.returns.for_order(order_id)
        uow.session.expunge_all()
        return cases


async def _to_summary(buyer: Chat) -> None:
    """Two phone cases, damaged, a comment, two photos, €4 back of €7."""
    await buyer.send("/return")
    await buyer.press("Phone case")
    await buyer.send("2")
    await buyer.press("Continue")
    await buyer.press("Damaged in transit")
    await buyer.send("Box crushed <b>")
    await buyer.send_photo()
    await buyer.send_photo()
    await buyer.press("Done")
    await buyer.press("Refund only: part of it")
    summary = await buyer.send("4")
    summary.assert_says("Your request</b> for order <b>AE-R1</b>")


async def test_a_buyer_opens_a_damaged_case_step_by_step(
    handler_bot: HandlerBot, buyer: Chat, bought: BoughtOrder
) -> None:
    items = await buyer.send("/return")
    items.assert_says("Return or exchange</b> for order <b>AE-R1</b>", "Which items")
    assert "▫️ Phone case · 0 of 2" in items.labels and "▫️ USB cable · 0 of 1" in items.labels

    asked = await buyer.press("Phone case")
    asked.assert_says("How many of <b>Phone case</b>? Send a number from 1 to 2")
    too_many = await buyer.send("3")
    assert too_many.texts == [handler_bot.text("returns.quantity_invalid", max=2)]
    chosen = await buyer.send("2")
    assert "✅ Phone case · 2 of 2" in chosen.labels
    # A line with one item left is chosen with a press.
    assert "✅ USB cable · 1 of 1" in (await buyer.press("USB cable")).labels
    assert "▫️ USB cable · 0 of 1" in (await buyer.press("USB cable")).labels

    reason = await buyer.press("Continue")
    reason.assert_says("What is wrong?")
    comment = await buyer.press("Damaged in transit")
    comment.assert_says("Anything to add for the store?")
    evidence = await buyer.send("Box crushed <b>")
    evidence.assert_says("at least one, up to 10")

    # Damaged goods need proof: Done without a photo is refused, the step stays.
    refused = await buyer.press("Done")
    assert refused.alert == handler_bot.plain("returns.evidence_required", reason="damaged")
    assert (await buyer.send("no photo, sorry")).texts == [
        handler_bot.text("return_request.evidence_reminder")
    ]
    await buyer.send_photo()
    second = await buyer.send_photo()
    second.assert_says("Attached: 2 of 10")

    resolution = await buyer.press("Done")
    resolution.assert_says("You paid €7.00 for these items")
    amount = await buyer.press("Refund only: part of it")
    amount.assert_says("below €7.00")
    above = await buyer.send("7.01")
    assert above.texts == [
        handler_bot.text("returns.amount_above_paid", paid="7.00", currency="EUR")
    ]
    whole = await buyer.send("7")
    assert whole.texts == [
        handler_bot.text("returns.partial_below_paid", paid="7.00", currency="EUR")
    ]
    summary = await buyer.send("4")
    summary.assert_says(
        "• Phone case × 2",
        "Reason: Damaged in transit",
        "Your comment: Box crushed &lt;b&gt;",
        "Photos and videos: 2",
        "You ask for: Partial refund · €4.00",
        "Paid for these items: €7.00",
    )

    opened = await buyer.press("Send the request")
    (case,) = await _cases(handler_bot, bought.order_id)
    opened.assert_says(f"Request R-{case.id} sent</b> for order <b>AE-R1</b>")
    assert case.status is CaseStatus.REQUESTED and case.reason is ReturnReason.DAMAGED
    assert [(line.product_name, line.quantity) for line in case.lines] == [("Phone case", 2)]
    assert [e.kind for e in case.evidence] == [EvidenceKind.PHOTO, EvidenceKind.PHOTO]
    assert case.comment == "Box crushed <b>" and case.out_of_policy == []
    assert case.offers[0].resolution is Resolution.REFUND_PARTIAL
    assert case.offers[0].amount == Decimal("4.00")
    # The seller's alert and the opening of their case thread are in the outbox, in the same
    # transaction as the case.
    alerts = await notifications_to(handler_bot.app.uow_factory, SELLER)
    assert [(n.template, n.params["case_id"]) for n in alerts if "return" in n.template] == [
        ("returns.new_case", case.id),
        ("returns.thread", case.id),
    ]
    # The conversation is over: /start greets the buyer instead of resuming.
    assert not (await buyer.send("/start")).says(handler_bot.text("conversation.resumed"))


async def test_a_line_of_one_item_is_ticked_in_place(
    handler_bot: HandlerBot, buyer: Chat, bought: BoughtOrder
) -> None:
    prompt = (await buyer.send("/return")).last
    # A press on a line of one item edits the question it was pressed on, its list included.
    shown = await buyer.toggle_in_place(prompt, "USB cable", "USB cable", "USB cable")
    assert "✅ USB cable · 1 of 1" in shown.labels and "• USB cable: 1 / 1" in shown.text
    assert buyer.messages_saying("Which items") == [shown]
    # A line of several items asks how many; the typed answer brings a new copy of the list.
    asked = await buyer.press("Phone case")
    assert asked.edited == [] and asked.says("How many of <b>Phone case</b>?")
    chosen = await buyer.send("2")
    assert chosen.edited == [] and "✅ Phone case · 2 of 2" in chosen.labels
    assert buyer.messages_saying("Which items") == [shown, chosen.last]


async def test_edit_from_the_summary_asks_again_what_depends_on_it(
    handler_bot: HandlerBot, buyer: Chat, bought: BoughtOrder
) -> None:
    await _to_summary(buyer)
    # Other items change what was paid: the resolution (and amount) come again.
    items = await buyer.press("✏️ Items")
    assert "✅ Phone case · 2 of 2" in items.labels
    await buyer.press("USB cable")
    resolution = await buyer.press("Continue")
    resolution.assert_says("You paid €10.50")
    summary = await buyer.press("Exchange it")
    summary.assert_says("• Phone case × 2", "• USB cable × 1", "You ask for: Exchange")
    assert "Partial refund" not in summary.text

    # Another reason that needs no proof: the comment and photos are revisited, and kept.
    await buyer.press("✏️ Reason")
    await buyer.press("Changed my mind")
    await buyer.press("Skip")
    back = await buyer.press("Done")
    back.assert_says("Reason: Changed my mind", "Photos and videos: 2")
    assert "Your comment" not in back.text

    # Back from the summary: the exchange has no amount, so the resolution is asked.
    (await buyer.press("Back")).assert_says("What would you like?")
    (await buyer.press("Back")).assert_says("You can send photos or a short video")
    await buyer.press("Done")
    await buyer.press("Keep it with a partial refund")
    await buyer.send("5,50")
    await buyer.press("Send the request")
    (case,) = await _cases(handler_bot, bought.order_id)
    assert case.reason is ReturnReason.CHANGED_MIND and case.comment is None
    assert case.offers[0].resolution is Resolution.KEEP_PARTIAL_REFUND
    assert case.offers[0].amount == Decimal("5.50")


async def test_cancel_leaves_nothing_behind(
    handler_bot: HandlerBot, buyer: Chat, bought: BoughtOrder
) -> None:
    await _to_summary(buyer)
    cancelled = await buyer.press("Cancel")
    assert cancelled.texts == [handler_bot.text("cancel.done")]
    assert await _cases(handler_bot, bought.order_id) == []


@pytest.mark.parametrize("handler_bot", ["sql", "redis"], indirect=True)
async def test_a_restart_resumes_the_request_where_it_was(
    handler_bot: HandlerBot, buyer: Chat, bought: BoughtOrder
) -> None:
    await buyer.send("/return")
    await buyer.press("Phone case")
    await buyer.send("1")
    await buyer.press("Continue")
    await buyer.press("Wrong item")
    evidence = await buyer.send("Blue instead of red")
    await buyer.send_photo()
    await handler_bot.restart()
    resumed = await buyer.send("/start")
    assert resumed.texts[0] == handler_bot.text("conversation.resumed")
    resumed.assert_says("Attached so far: 1.")
    assert resumed.labels == evidence.labels
    await buyer.press("Done")
    await buyer.press("Refund only: the full amount")
    await buyer.press("Send the request")
    (case,) = await _cases(handler_bot, bought.order_id)
    assert case.reason is ReturnReason.WRONG_ITEM and len(case.evidence) == 1
    assert case.paid == Decimal("3.50") and case.offers[0].amount == Decimal("3.50")


async def test_the_order_card_offers_a_return_and_each_line_has_one_open_case(
    handler_bot: HandlerBot, buyer: Chat, bought: BoughtOrder
) -> None:
    await buyer.send("/orders")
    card = await buyer.press("AE-R1")
    assert "↩️ Return or exchange" in card.labels

    # The request reaches its summary; meanwhile another case takes the phone cases.
    items = await buyer.press("Return or exchange")
    items.assert_says("Which items")
    await buyer.press("Phone case")
    await buyer.send("1")
    await buyer.press("Continue")
    await buyer.press("Quality problem")
    await buyer.press("Skip")
    await buyer.press("Done")
    await buyer.press("Exchange it")
    await open_damaged(handler_bot.app.uow_factory, bought, quantity=1)
    refused = await buyer.press("Send the request")
    assert refused.alert == handler_bot.plain("returns.line_has_open_case", number="AE-R1")
    assert len(await _cases(handler_bot, bought.order_id)) == 1

    # Starting again, the phone cases are in an open request; only the cable can be chosen.
    again = await buyer.send("/return")
    again.assert_says("• Phone case: already in an open request")
    assert [label for label in again.labels if "·" in label] == ["▫️ USB cable · 0 of 1"]


async def test_outside_the_window_the_buyer_is_told_and_may_still_ask(
    handler_bot: HandlerBot, buyer: Chat, bought: BoughtOrder
) -> None:
    async with handler_bot.uow() as uow:
        order = await uow.orders.get(bought.order_id)
        assert order is not None
        order.status = OrderStatus.DELIVERED
        order.delivered_at = uow.now() - timedelta(days=40)
        await uow.commit()
    items = await buyer.send("/return")
    items.assert_says("return window for this order has closed")
    await buyer.press("USB cable")
    await buyer.press("Continue")
    await buyer.press("Changed my mind")
    await buyer.press("Skip")
    await buyer.press("Done")
    summary = await buyer.press("Send it back for a refund")
    summary.assert_says("outside the store's return policy")
    opened = await buyer.press("Send the request")
    opened.assert_says("outside the store's return policy, so the store decides")
    (case,) = await _cases(handler_bot, bought.order_id)
    assert case.out_of_policy == ["window"]


async def test_forged_buttons_of_another_buyer_are_refused(
    handler_bot: HandlerBot, buyer: Chat, bought: BoughtOrder
) -> None:
    intruder = Chat(handler_bot, OTHER)
    # Another buyer's order: answered like an order that does not exist, nothing starts.
    forged = await intruder.press_data(1, f"bo:ret:{bought.order_id}:0")
    missing = await intruder.press_data(1, f"bo:ret:{bought.order_id + 999}:0")
    assert forged.alert == missing.alert == handler_bot.plain("returns.order_not_found")
    assert (await intruder.send("/return")).texts == [handler_bot.text("return_request.no_orders")]

    # Inside their own request, a line id of another order is not a choice.
    await buyer.send("/return")
    stranger_line = await buyer.press_forged(1, "rtb:line:999999")
    assert stranger_line.alert == handler_bot.plain("errors.invalid_choice")

    # Withdrawing someone else's case, even confirmed by hand, finds nothing.
    case_id = await open_damaged(handler_bot.app.uow_factory, bought, quantity=1)
    for data in (f"bcs:wd:{case_id}", f"bcs:wdy:{case_id}"):
        refused = await intruder.press_data(1, data)
        assert refused.alert == handler_bot.plain("returns.case_not_found")
    (case,) = await _cases(handler_bot, bought.order_id)
    assert case.status is CaseStatus.REQUESTED


async def test_a_short_video_is_evidence_and_a_long_one_is_refused(
    handler_bot: HandlerBot, buyer: Chat, bought: BoughtOrder
) -> None:
    await buyer.send("/return")
    await buyer.press("USB cable")
    await buyer.press("Continue")
    await buyer.press("Missing parts")
    await buyer.press("Skip")

    def video(n: int, seconds: int) -> Video:
        return Video(
            file_id=f"video-{n}",
            file_unique_id=f"uvideo-{n}",
            width=640,
            height=480,
            duration=seconds,
        )

    long = await buyer._feed(message=buyer._message(video=video(1, MAX_VIDEO_SECONDS + 30)))
    assert long.texts == [handler_bot.text("returns.video_too_long", max=MAX_VIDEO_SECONDS)]
    short = await buyer._feed(message=buyer._message(video=video(2, 20)))
    short.assert_says("Attached: 1 of 10")
    await buyer.press("Done")
    await buyer.press("Exchange it")
    await buyer.press("Send the request")
    (case,) = await _cases(handler_bot, bought.order_id)
    assert [(e.kind, e.telegram_file_id) for e in case.evidence] == [
        (EvidenceKind.VIDEO, "video-2")
    ]
