"""The return leg through the dispatcher: the buyer's return tracking number (a bad check digit
or a number that names another parcel refused, a good one saved and told to the seller), the seller's receipt with a note and a photo,
the refund (above what was paid, or below what was agreed, refused, the agreed amount with one press) resolving the case,
both sides told; and a buyer who is not the case's cannot start any of it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.returns.offers import OfferTerms
from domain.returns.rules import CaseStatus, EvidenceKind, Resolution, Side
from domain.services import returns
from tests.handlers.chat import Chat, HandlerBot
from tests.returns_fixtures import BoughtOrder, case_row, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store, notifications_to, s10

SELLER, BUYER, OTHER_BUYER = 8901, 8902, 8903


@pytest.fixture
async def store(handler_bot: HandlerBot) -> Store:
    return await Store(handler_bot.app.uow_factory, SELLER).open()


@pytest.fixture
async def agreed_return(handler_bot: HandlerBot, store: Store) -> int:
    """A "return and refund" of 2 phone cases (€7.00), accepted by the seller: awaiting the
    parcel."""
    uow_factory = handler_bot.app.uow_factory
    bought: BoughtOrder = await shipped_to_buyer(uow_factory, store, "AE-L1", BUYER, 34_000_001)
    case_id = await open_damaged(uow_factory, bought, OfferTerms(Resolution.RETURN_AND_REFUND))
    async with uow_factory() as uow:
        await returns.accept_offer(
            SELLER, case_id, Side.SELLER, uow, warehouse_id=store.warehouse_id
        )
        await uow.commit()
    return case_id


async def _templates_to(bot: HandlerBot, chat_id: int) -> list[str]:
    return [n.template for n in await notifications_to(bot.app.uow_factory, chat_id)]


async def test_the_return_travels_back_is_received_and_refunded(
    handler_bot: HandlerBot, agreed_return: int
) -> None:
    case_id, uow_factory = agreed_return, handler_bot.app.uow_factory
    buyer, seller = Chat(handler_bot, BUYER), Chat(handler_bot, SELLER)

    await buyer.send("/orders")
    await buyer.press("AE-L1")
    card = await buyer.press(f"Return R-{case_id}")
    asked = await buyer.press("Enter the tracking number")
    asked.assert_says("Send the tracking number of the parcel")
    good = s10("RR", 12_345_678, "FR")
    bad = good[:10] + str((int(good[10]) + 1) % 10) + good[11:]
    refused = await buyer.send(bad)
    assert refused.texts == [handler_bot.text("tracking.s10_check_digit", tracking=bad)]
    assert (await case_row(uow_factory, case_id)).status is CaseStatus.AWAITING_RETURN_SHIPMENT
    saved = await buyer.send(good)
    saved.assert_says(f"<code>{good}</code> saved for <b>R-{case_id}</b>")
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.RETURN_IN_TRANSIT and case.return_tracking_number == good
    assert "returns.return_shipped_notice" in await _templates_to(handler_bot, SELLER)
    assert card.labels  # the card offered the button the case allowed

    await seller.send("/returns")
    seller_card = await seller.press(f"R-{case_id}")
    assert "📬 Confirm receipt" in seller_card.labels
    note = await seller.press("Confirm receipt")
    note.assert_says("arrived. In what state?")
    photos = await seller.send("One case <cracked>")
    photos.assert_says("Photos of the items as they came back")
    await seller.send_photo()
    summary = await seller.press("Done")
    summary.assert_says("Inspection note: <i>One case &lt;cracked&gt;</i>", "Photos and videos: 1")
    received = await seller.press("Confirm receipt")
    received.assert_says(f"Receipt of <b>R-{case_id}</b> recorded")
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.RECEIVED and case.inspection_note == "One case <cracked>"
    assert [e.kind for e in case.evidence if e.side is Side.SELLER] == [EvidenceKind.PHOTO]
    assert "returns.received_notice" in await _templates_to(handler_bot, BUYER)

    await seller.press("Back to the case")
    asked = await seller.press("Record the refund")
    asked.assert_says("At most €7.00", "You agreed on €7.00 with the buyer")
    above = await seller.send("7.50")
    assert above.texts == [
        handler_bot.text("returns.amount_above_paid", paid="7.00", currency="EUR")
    ]
    # Less than agreed would close the case on a short refund: refused, still asked.
    below = await seller.send("5")
    assert below.texts == [
        handler_bot.text("returns.refund_below_agreed", agreed="7.00", currency="EUR")
    ]
    assert (await case_row(uow_factory, case_id)).status is CaseStatus.RECEIVED
    await seller.press("The agreed")
    summary = await seller.send("PAY-<77>")
    summary.assert_says("Refund for R-", "€7.00", "<code>PAY-&lt;77&gt;</code>")
    done = await seller.press("Record the refund")
    done.assert_says(f"<b>R-{case_id}</b> is resolved")
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.RESOLVED
    assert (case.refund_amount, case.refund_reference) == (Decimal("7.00"), "PAY-<77>")
    for chat_id in (SELLER, BUYER):
        assert "returns.refunded_notice" in await _templates_to(handler_bot, chat_id)


async def test_the_buyer_cannot_give_the_parcel_they_received_as_the_return(
    handler_bot: HandlerBot, agreed_return: int
) -> None:
    case_id, uow_factory = agreed_return, handler_bot.app.uow_factory
    buyer = Chat(handler_bot, BUYER)
    await buyer.send("/orders")
    await buyer.press("AE-L1")
    await buyer.press(f"Return R-{case_id}")
    await buyer.press("Enter the tracking number")
    outbound = s10("RB", 34_000_001)  # the number the store shipped AE-L1 under
    refused = await buyer.send(outbound)
    assert refused.texts == [handler_bot.text("returns.tracking_is_outbound", number=outbound)]
    refused.assert_says("the parcel the store sent you")
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.return_tracking_number) == (
        CaseStatus.AWAITING_RETURN_SHIPMENT,
        None,
    )
    assert "returns.return_shipped_notice" not in await _templates_to(handler_bot, SELLER)
    # Still asked: the right number goes through.
    good = s10("RR", 12_345_679, "FR")
    saved = await buyer.send(good)
    saved.assert_says(f"<code>{good}</code> saved for <b>R-{case_id}</b>")


async def test_nobody_else_starts_a_step_of_the_return(
    handler_bot: HandlerBot, agreed_return: int, store: Store
) -> None:
    case_id = agreed_return
    await shipped_to_buyer(handler_bot.app.uow_factory, store, "AE-L2", OTHER_BUYER, 34_000_002)
    intruder = Chat(handler_bot, OTHER_BUYER)
    not_found = handler_bot.plain("returns.case_not_found")
    for action, side in (("trk", "buyer"), ("rcv", "seller"), ("ref", "seller")):
        forged = await intruder.press_data(1, f"rca:{action}:{case_id}:{side}:0")
        assert forged.alert == not_found and forged.messages == []
    # The seller may not receive what has not been shipped, nor refund before it came back.
    seller = Chat(handler_bot, SELLER)
    early = await seller.press_data(1, f"rca:rcv:{case_id}:seller:0")
    assert early.alert == handler_bot.plain(
        "returns.action_refused", action="confirm_receipt", status="awaiting_return_shipment"
    )


async def test_the_seller_refuses_a_case_with_a_reason(
    handler_bot: HandlerBot, store: Store
) -> None:
    uow_factory = handler_bot.app.uow_factory
    bought = await shipped_to_buyer(uow_factory, store, "AE-L3", BUYER, 34_000_003)
    case_id = await open_damaged(uow_factory, bought)
    seller = Chat(handler_bot, SELLER)
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")
    asked = await seller.press("Refuse the return")
    asked.assert_says(f"Refuse return <b>R-{case_id}</b>?")
    short = await seller.send("no")
    assert short.texts == [handler_bot.text("returns.decline_reason_invalid", min=3, max=1000)]
    done = await seller.send("The photos show a different <model>")
    done.assert_says(f"Return <b>R-{case_id}</b> refused")
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.DECLINED
    notices = await notifications_to(uow_factory, BUYER)
    (told,) = [n for n in notices if n.template == "returns.case_declined_notice"]
    rendered = handler_bot.text("returns.case_declined_notice", **told.params)
    assert "<i>The photos show a different &lt;model&gt;</i>" in rendered


async def _exchange_on_its_way_back(
    handler_bot: HandlerBot, store: Store, number: str, serial: int
) -> int:
    """An exchange the seller accepted, its items shipped back: the case's id."""
    uow_factory = handler_bot.app.uow_factory
    bought = await shipped_to_buyer(uow_factory, store, number, BUYER, 34_000_000 + serial)
    case_id = await open_damaged(uow_factory, bought, OfferTerms(Resolution.EXCHANGE))
    async with uow_factory() as uow:
        await returns.accept_offer(
            SELLER, case_id, Side.SELLER, uow, warehouse_id=store.warehouse_id
        )
        returned = s10("RR", 22_222_220 + serial)
        await returns.record_return_tracking(BUYER, case_id, returned, None, uow)
        await uow.commit()
    return case_id


async def test_an_exchange_is_resolved_once_its_goods_came_back(
    handler_bot: HandlerBot, store: Store
) -> None:
    uow_factory = handler_bot.app.uow_factory
    case_id = await _exchange_on_its_way_back(handler_bot, store, "AE-L4", 4)
    async with uow_factory() as uow:
        await returns.confirm_receipt(SELLER, case_id, None, [], uow)
        await uow.commit()
    seller = Chat(handler_bot, SELLER)
    await seller.send("/returns")
    card = await seller.press(f"R-{case_id}")
    assert "✅ Mark resolved" in card.labels and "💶 Record the refund" not in card.labels
    await seller.press("Mark resolved")
    done = await seller.send("Replacement sent as RB123")
    done.assert_says(f"<b>R-{case_id}</b> is resolved")
    case = await case_row(uow_factory, case_id)
    assert (
        case.status is CaseStatus.RESOLVED and case.resolution_note == "Replacement sent as RB123"
    )
    for chat_id in (SELLER, BUYER):
        assert "returns.resolved_notice" in await _templates_to(handler_bot, chat_id)


async def test_the_refund_form_refuses_bad_answers_resumes_and_cancels(
    handler_bot: HandlerBot, store: Store
) -> None:
    uow_factory = handler_bot.app.uow_factory
    bought = await shipped_to_buyer(uow_factory, store, "AE-L5", BUYER, 34_000_005)
    case_id = await open_damaged(uow_factory, bought)  # asks €3.50 back of €7.00
    async with uow_factory() as uow:
        await returns.accept_offer(SELLER, case_id, Side.SELLER, uow)
        await uow.commit()
    seller = Chat(handler_bot, SELLER)
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")
    asked = await seller.press("Record the refund")
    assert "💶 The agreed €3.50" in asked.labels
    assert (await seller.send("three")).texts == [
        handler_bot.text("numbers.not_a_number", value="three")
    ]
    reference = await seller.send("50%")
    await handler_bot.restart()
    resumed = await seller.send("/start")
    assert resumed.texts == [handler_bot.text("conversation.resumed"), reference.last.text]
    assert (await seller.send("x" * 65)).texts == [
        handler_bot.text("returns.reference_invalid", min=1, max=64)
    ]
    summary = await seller.press("Skip")
    summary.assert_says("Refund for R-", "€3.50")
    cancelled = await seller.press("Cancel")
    assert cancelled.texts == [handler_bot.text("cancel.done")]
    # The restarted bot's database (the first one's engine is closed).
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert case.status is CaseStatus.AGREED and case.refund_amount is None


async def test_after_an_exchanges_items_arrive_the_seller_is_told_to_ship_the_replacement(
    handler_bot: HandlerBot, store: Store
) -> None:
    case_id = await _exchange_on_its_way_back(handler_bot, store, "AE-L3", 3)
    seller = Chat(handler_bot, SELLER)
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")
    await seller.press("Confirm receipt")
    await seller.press("Skip")
    await seller.press("Done")
    received = await seller.press("Confirm receipt")
    received.assert_says("Next: ship the replacement order")
    assert "refund them" not in received.text
    card = await seller.press("Back to the case")
    assert any("Mark resolved" in label for label in card.labels)
    assert not any("Record the refund" in label for label in card.labels)
