"""A new buyer link hands the order on, not the return cases opened under the old one, end to
end through the emulator (a tester's report): a buyer opens a case on a shipped order, the
seller issues a new buyer link (/orders → Shipped → the order → New buyer link) and a different
account opens it. That account's order card lists no case, and every case button, the case's
transcript button and `/case` and `/transcript` with the case's number answer exactly as for a
case that does not exist. The buyer who opened the case keeps it: the card, the transcript, and
the thread both ways — the seller's messages reach them, not the new link holder."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiogram.filters.callback_data import CallbackData

from bot.settings import Settings
from domain.returns.rules import Side
from domain.services import buyers, return_deadlines, return_relay, return_threads
from handlers.buyer.callbacks import BuyerCase, BuyerCaseAction
from handlers.return_callbacks import CaseAct, CaseButton, CasePick
from sandbox.emulator import BotApiEmulator, ChatMessage
from tests.conftest import FixedClock
from tests.e2e.conftest import BotRunner, Chat, chat_with
from tests.returns_fixtures import BoughtOrder, open_damaged, reply_target_recorded
from tests.tracking_fixtures import ScriptedProvider, Store, s10

SELLER_ID = 7_347_000_001
FIRST_BUYER, NEW_HOLDER = 7_347_012_001, 7_347_012_002
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")
MISSING_ID = 987_654
# What the first buyer wrote when opening the case (tests.returns_fixtures.open_damaged).
COMMENT = "The box arrived crushed"


@pytest.fixture
async def runner(emulator: BotApiEmulator, bot_settings: Settings) -> AsyncIterator[BotRunner]:
    async with BotRunner(
        emulator, bot_settings, clock=FixedClock(START), tracking_provider=ScriptedProvider()
    ) as bot_runner:
        yield bot_runner


def _said(emulator: BotApiEmulator, chat_id: int) -> list[ChatMessage]:
    return [m for m in emulator.history(chat_id) if m.from_bot and m.service is None]


def _shown(emulator: BotApiEmulator, chat_id: int) -> list[str]:
    """Every revision's text or caption and every button the bot ever showed in a chat."""
    shown = []
    for message in _said(emulator, chat_id):
        for revision in message.revisions:
            shown.append(revision.text or revision.caption or "")
            shown += [b.text for row in revision.reply_markup or [] for b in row]
        if message.document is not None:
            shown.append(message.document.file_name or "")
    return shown


async def _press(chat: Chat, message_id: int, data: str) -> tuple[str | None, bool]:
    await chat.user.press_data(message_id, data)
    answer = await chat.user.wait_for_answer()
    return answer.text, answer.show_alert


def _case_buttons(case_id: int) -> list[CallbackData]:
    """Every press about a case a buyer could make: the case card's buttons as the buyer (the
    transcript `rca:tx:<id>:buyer:0` among them), the /case picker, the order card's case
    buttons."""
    presses: list[CallbackData] = [
        CaseAct(action=action, case_id=case_id, side=Side.BUYER) for action in CaseButton
    ]
    presses += [CasePick(case_id=case_id)]
    presses += [BuyerCase(action=action, case_id=case_id) for action in BuyerCaseAction]
    return presses


async def _new_link(seller: Chat, number: str) -> str:
    await seller.send("/orders")
    await seller.press("Shipped")
    await seller.press(number)
    await seller.press("New buyer link")
    message = await seller.expect("A new buyer link for order")
    match = LINK.search(message.content)
    assert match is not None
    return match.group(1)


async def test_a_new_link_holder_gets_none_of_the_first_buyers_case(
    runner: BotRunner, emulator: BotApiEmulator
) -> None:
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    renderer = runner.app.renderer
    emulator.topics_enabled = False
    seller = chat_with(emulator, SELLER_ID, name="Seller")
    first = chat_with(emulator, FIRST_BUYER, name="Amelie")
    holder = chat_with(emulator, NEW_HOLDER, name="Bruno")
    store = await Store(uow_factory, SELLER_ID, "Quokka Lane").open()
    shipped = await store.ship("QL-7", s10("RB", 46_000_001))
    await first.send(f"/start {shipped.token}")
    await first.expect("Order <b>QL-7</b>")
    async with uow_factory() as uow:
        order = await uow.orders.get(shipped.order_id)
        assert order is not None
        lines = tuple(line.id for line in order.lines)
    case_id = await open_damaged(
        uow_factory, BoughtOrder(shipped.order_id, "QL-7", FIRST_BUYER, lines)
    )
    number = f"R-{case_id}"
    intro = next(m for m in _said(emulator, FIRST_BUYER) if "Order <b>QL-7</b>" in m.content)
    async with uow_factory() as uow:
        view = await buyers.order_view(FIRST_BUYER, shipped.order_id, uow)
        assert [c.case_id for c in view.cases] == [case_id]

    # The seller issues a new link; another account opens it and follows the order now.
    new_token = await _new_link(seller, "QL-7")
    await holder.send(f"/start {new_token}")
    welcome = await holder.expect("Order <b>QL-7</b>")
    assert not any(number in text for text in [welcome.content, *welcome.button_texts])
    async with uow_factory() as uow:
        subscription = await uow.buyers.for_order(shipped.order_id)
        assert subscription is not None and subscription.buyer_user_id == NEW_HOLDER
        view = await buyers.order_view(NEW_HOLDER, shipped.order_id, uow)
        assert view.cases == ()
        assert await return_relay.open_cases(NEW_HOLDER, uow) == []

    # Every case button, pressed by the new holder, answers as for a case that does not exist;
    # the case card's is "not found".
    differ = []
    for button in _case_buttons(case_id):
        forged = await _press(holder, welcome.message_id, button.pack())
        missing_data = type(button)(**{**button.model_dump(), "case_id": MISSING_ID})
        missing = await _press(holder, welcome.message_id, missing_data.pack())
        if forged != missing:
            differ.append(f"{button.pack()}: {forged} but for a missing id {missing}")
    assert not differ, "\n".join(differ)
    not_found = renderer.render_plain("returns.case_not_found", "en")
    for action in (CaseButton.OPEN, CaseButton.TRANSCRIPT):
        pressed = CaseAct(action=action, case_id=case_id, side=Side.BUYER).pack()
        assert await _press(holder, welcome.message_id, pressed) == (not_found, True)
    for command in ("/case", "/transcript"):
        await holder.send(f"{command} {number}")
        await holder.expect(renderer.render("returns.case_not_found", "en"))

    # The buyer who opened the case still has it: the card, the transcript.
    await first.press_data(
        intro.message_id, CaseAct(action=CaseButton.OPEN, case_id=case_id, side=Side.BUYER).pack()
    )
    card = await first.expect(number)
    assert COMMENT in card.content or "Phone case" in card.content
    await first.send(f"/transcript {number}")
    assert await emulator.wait_until(
        lambda: any(
            m.document is not None and m.document.file_name == f"return-{number}.pdf"
            for m in _said(emulator, FIRST_BUYER)
        ),
        60,
    )
    async with uow_factory() as uow:
        case = await uow.returns.get(case_id)
        assert case is not None and case.buyer_user_id == FIRST_BUYER
        assert await return_threads.chat_of(case, Side.BUYER, uow) == FIRST_BUYER
        assert (await return_deadlines.chats_of(case, uow))[Side.BUYER] == FIRST_BUYER
        assert [c.case_id for c in await return_relay.open_cases(FIRST_BUYER, uow)] == [case_id]

    # The thread goes on between the seller and the first buyer, both ways.
    await seller.send(f"/case {number}")
    await seller.expect("what you write now goes to the buyer of order")
    await seller.send("Refund is on its way")
    copy = await first.expect("Refund is on its way", timeout=60)
    await reply_target_recorded(uow_factory, copy.chat_id, copy.message_id)
    await first.user.send("Thank you, waiting for it", reply_to=copy.message_id)
    await seller.expect("Thank you, waiting for it", timeout=60)

    # Nothing of the case ever reached the new holder.
    shown = _shown(emulator, NEW_HOLDER)
    for secret in (number, COMMENT, "Refund is on its way", "Thank you, waiting for it"):
        assert not any(secret in text for text in shown), secret
