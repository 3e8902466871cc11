"""/returns for the seller through the real Dispatcher: the list by whose move it is, the case
card, and forged case ids answering like missing ones."""

from __future__ import annotations

import itertools
from decimal import Decimal

from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import CallbackQuery, Chat, Message, MessageEntity, Update, User

from bot.app import Application
from domain.returns.offers import OfferTerms
from domain.returns.rules import Resolution
from tests.handlers.conftest import RecordingSession
from tests.returns_fixtures import open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store

_ids = itertools.count(100)
SELLER = User(id=7501, is_bot=False, first_name="Li", language_code="en")
OTHER = User(id=7502, is_bot=False, first_name="Bo", language_code="en")


def _command(user: User, text: str) -> Update:
    message = Message(
        message_id=next(_ids),
        date=0,
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        text=text,
        entities=[MessageEntity(type="bot_command", offset=0, length=len(text))],
    )
    return Update(update_id=next(_ids), message=message)


def _press(user: User, data: str) -> Update:
    message = Message(message_id=1, date=0, chat=Chat(id=user.id, type="private"), text="…")
    query = CallbackQuery(
        id=str(next(_ids)), from_user=user, chat_instance="c", message=message, data=data
    )
    return Update(update_id=next(_ids), callback_query=query)


async def _feed(app: Application, update: Update) -> list[SendMessage]:
    session = app.bot.session
    assert isinstance(session, RecordingSession)
    before = len(session.requests)
    await app.dispatcher.feed_update(app.bot, update)
    await app.replies.drain()
    return [r for r in session.requests[before:] if isinstance(r, SendMessage)]


def _buttons(request: SendMessage) -> list[tuple[str, str]]:
    markup = request.reply_markup
    assert markup is not None
    return [(b.text, b.callback_data or "") for row in markup.inline_keyboard for b in row]  # type: ignore[union-attr]


async def test_the_seller_lists_their_cases_and_opens_one(handler_app: Application) -> None:
    uow_factory = handler_app.uow_factory
    store = await Store(uow_factory, SELLER.id, "Li's <Shop>").open()
    await Store(uow_factory, OTHER.id, "Bo's Shop").open()
    bought = await shipped_to_buyer(uow_factory, store, "AE-H1", 7601, 22_000_001)
    case_id = await open_damaged(
        uow_factory, bought, OfferTerms(Resolution.REFUND_PARTIAL, Decimal("3.50"))
    )

    (listing,) = await _feed(handler_app, _command(SELLER, "/returns"))
    assert "Your returns" in listing.text and "Waiting for me: 1" in listing.text
    item = [(text, data) for text, data in _buttons(listing) if data.startswith("rtm:view:")]
    assert item == [(f"R-{case_id} · AE-H1 · 🆕 Requested", f"rtm:view:{case_id}:mine:0")]

    (card,) = await _feed(handler_app, _press(SELLER, item[0][1]))
    assert f"Return R-{case_id}" in card.text
    assert "Damaged in transit" in card.text
    assert "The buyer's offer on the table: <b>Partial refund · €3.50</b>" in card.text
    assert "👉 Your move." in card.text
    assert "📝 Case opened · by the buyer" in card.text

    # Another store's seller forging the same button sees what a missing case shows.
    session = handler_app.bot.session
    assert isinstance(session, RecordingSession)
    assert await _feed(handler_app, _press(OTHER, item[0][1])) == []
    assert await _feed(handler_app, _press(OTHER, f"rtm:view:{case_id + 99}:mine:0")) == []
    forged, missing = [r for r in session.requests if isinstance(r, AnswerCallbackQuery)][-2:]
    assert forged.text == missing.text
    assert forged.text == handler_app.renderer.render_plain("returns.case_not_found", "en")
