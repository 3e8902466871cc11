"""Return case notices carry the buttons to act on them: the buyer answers the store's offer
straight from its notice, an old notice's Accept after the offer changed is refused and shows
the case as it is now, the seller's new-case alert answers the buyer's request, and an
escalation notice opens the case. Each press goes through the case card's own checks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.notice_keyboards import NoticeKeyboards
from domain.model import Notification
from domain.returns.offers import OfferTerms
from domain.returns.rules import CaseStatus, Resolution, Side
from domain.services import returns
from tests.handlers.chat import Answer, Chat, HandlerBot
from tests.returns_fixtures import BoughtOrder, case_row, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store, notifications_to

SELLER, BUYER = 8961, 8962
ANSWERS = ["✅ Accept", "🔁 Counter-offer", "✖️ Decline the offer", "📂 Open the case"]
# The seller's alert of a new case answers the buyer's request: not an offer.
REQUEST_ANSWERS = ["✅ Accept", "🔁 Counter-offer", "✖️ Decline the request", "📂 Open the case"]


@pytest.fixture
async def bought(handler_bot: HandlerBot) -> BoughtOrder:
    store = await Store(handler_bot.app.uow_factory, SELLER).open()
    return await shipped_to_buyer(handler_bot.app.uow_factory, store, "AE-NB1", BUYER, 35_000_001)


async def _counter(bot: HandlerBot, user_id: int, side: Side, case_id: int, amount: str) -> None:
    async with bot.app.uow_factory() as uow:
        await returns.counter_offer(
            user_id, case_id, side, OfferTerms(Resolution.REFUND_PARTIAL, Decimal(amount)), uow
        )
        await uow.commit()


async def _notices(bot: HandlerBot, chat_id: int, template: str) -> list[Notification]:
    rows = await notifications_to(bot.app.uow_factory, chat_id)
    return [row for row in rows if row.template == template]


class Notice:
    """A notice as the outbox sends it: its buttons drawn from its stored params."""

    def __init__(self, bot: HandlerBot, row: Notification, message_id: int) -> None:
        markup = NoticeKeyboards(bot.app.renderer)(row.params, "en")
        assert markup is not None
        self.buttons = {b.text: b.callback_data for r in markup.inline_keyboard for b in r}
        self.message_id = message_id

    @property
    def labels(self) -> list[str]:
        return list(self.buttons)

    async def press(self, chat: Chat, label: str) -> Answer:
        data = self.buttons[label]
        assert data is not None
        return await chat.press_data(self.message_id, data)


async def test_the_buyer_accepts_the_stores_offer_from_its_notice(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    case_id = await open_damaged(handler_bot.app.uow_factory, bought)  # asks €3.50 back
    (alert,) = await _notices(handler_bot, SELLER, "returns.new_case")
    # The store is told with the buyer's request to answer right there.
    assert Notice(handler_bot, alert, 1).labels == REQUEST_ANSWERS
    # A notice stored before notices said it was the request reads as before.
    old_params = {**alert.params, "buttons": {**alert.params["buttons"]}}
    del old_params["buttons"]["request"]
    old_notice = Notification(template=alert.template, params=old_params)
    assert Notice(handler_bot, old_notice, 1).labels == ANSWERS

    await _counter(handler_bot, SELLER, Side.SELLER, case_id, "2.10")
    (offer,) = await _notices(handler_bot, BUYER, "returns.offer_notice")
    notice = Notice(handler_bot, offer, 2)
    assert notice.labels == ANSWERS
    # Its text points at its buttons, not at /orders.
    told = handler_bot.text(offer.template, **offer.params)
    assert "with the buttons below" in told and "/orders" not in told

    buyer = Chat(handler_bot, BUYER)
    answered = await notice.press(buyer, "✅ Accept")
    assert answered.alert == handler_bot.plain("returns.accepted")
    answered.assert_says(f"Return R-{case_id}")
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert (case.status, case.agreed_amount) == (CaseStatus.AGREED, Decimal("2.10"))


async def test_an_old_notices_accept_is_refused_once_the_offer_changed(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    case_id = await open_damaged(handler_bot.app.uow_factory, bought)
    await _counter(handler_bot, SELLER, Side.SELLER, case_id, "1.00")
    await _counter(handler_bot, BUYER, Side.BUYER, case_id, "3.00")
    await _counter(handler_bot, SELLER, Side.SELLER, case_id, "2.00")
    first, latest = await _notices(handler_bot, BUYER, "returns.offer_notice")
    buyer = Chat(handler_bot, BUYER)

    refused = await Notice(handler_bot, first, 3).press(buyer, "✅ Accept")
    assert refused.alert == handler_bot.plain("returns.offer_changed")
    refused.assert_says(f"Return R-{case_id}", "€2.00")
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert case.status is CaseStatus.NEGOTIATING and case.agreed_amount is None

    await Notice(handler_bot, latest, 4).press(buyer, "✅ Accept")
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert (case.status, case.agreed_amount) == (CaseStatus.AGREED, Decimal("2.00"))


async def test_another_buyer_cannot_use_a_notices_buttons(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    case_id = await open_damaged(handler_bot.app.uow_factory, bought)
    await _counter(handler_bot, SELLER, Side.SELLER, case_id, "2.10")
    (offer,) = await _notices(handler_bot, BUYER, "returns.offer_notice")
    forged = await Notice(handler_bot, offer, 5).press(Chat(handler_bot, 8969), "✅ Accept")
    assert forged.alert == handler_bot.plain("returns.case_not_found")
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert case.status is CaseStatus.NEGOTIATING


async def test_an_escalation_notice_opens_the_case(
    handler_bot: HandlerBot, bought: BoughtOrder
) -> None:
    case_id = await open_damaged(handler_bot.app.uow_factory, bought)
    async with handler_bot.app.uow_factory() as uow:
        await returns.escalate(BUYER, case_id, Side.BUYER, uow)
        await uow.commit()
    (escalated,) = await _notices(handler_bot, SELLER, "returns.escalated_notice")
    notice = Notice(handler_bot, escalated, 6)
    # Frozen: nothing to answer any more, only the case to read.
    assert notice.labels == ["📂 Open the case"]
    card = await notice.press(Chat(handler_bot, SELLER), "📂 Open the case")
    card.assert_says(f"Return R-{case_id}")
    assert "📄 Transcript" in card.labels
