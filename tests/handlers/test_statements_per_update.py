"""How many SQL statements one update costs (issue 8, §6: fewer round trips per update).

Counted with SQLAlchemy's `before_cursor_execute` event on the bot's engine. Before the fix a
/help from a known user took 9 on SQLite: a transaction of its own to read the conversation
state, then the dedupe insert, the user row, an UPDATE of `last_seen_at`, a DELETE from
`blocked_recipients`, the seller row and the buyer's subscriptions, each a round trip.
Now: the dedupe insert and one SELECT for all the rest, in the update's one transaction.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

from aiogram.methods import SendMessage
from aiogram.types import Chat, Message, MessageEntity, Update, User
from sqlalchemy import event

from bot.app import Application
from domain.services import sellers
from tests.handlers.conftest import RecordingSession

_ids = itertools.count(50_000)
# The dedupe insert and the one SELECT of the sender (user, seller, state, blocked, buyer).
STATEMENTS_PER_KNOWN_USER = 2


def _command(user_id: int, text: str) -> Update:
    user = User(id=user_id, is_bot=False, first_name="Ana", language_code="en")
    message = Message(
        message_id=next(_ids),
        date=0,
        chat=Chat(id=user_id, type="private"),
        from_user=user,
        text=text,
        entities=[MessageEntity(type="bot_command", offset=0, length=len(text))],
    )
    return Update(update_id=next(_ids), message=message)


@contextmanager
def counted(app: Application) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(app.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(app.engine.sync_engine, "before_cursor_execute", record)


def _queries(statements: list[str]) -> list[str]:
    """The statements other than BEGIN (SQLite's BEGIN IMMEDIATE is sent as a statement)."""
    return [s for s in statements if not s.startswith("BEGIN")]


async def _help(app: Application, user_id: int) -> list[str]:
    with counted(app) as statements:
        await app.dispatcher.feed_update(app.bot, _command(user_id, "/help"))
    await app.replies.drain()
    return statements


def _last_text(app: Application) -> str:
    session = app.bot.session
    assert isinstance(session, RecordingSession)
    return [r for r in session.requests if isinstance(r, SendMessage)][-1].text


async def test_help_from_a_known_user_costs_two_statements_in_one_transaction(
    handler_app: Application,
) -> None:
    first = await _help(handler_app, 8101)  # first contact: the user row is created
    again = await _help(handler_app, 8101)

    assert "register your AliExpress store" in _last_text(handler_app)  # the guest's help
    assert len(_queries(first)) == STATEMENTS_PER_KNOWN_USER + 1
    assert "INSERT INTO telegram_users" in _queries(first)[-1]
    assert len(_queries(again)) == STATEMENTS_PER_KNOWN_USER, again
    assert sum(s.startswith("BEGIN") for s in again) <= 1  # one transaction, not two


async def test_help_from_a_seller_reads_the_seller_once(handler_app: Application) -> None:
    async with handler_app.uow_factory() as uow:
        await sellers.register_seller(sellers.RegisterSeller(8102, "Lotus Store", "CN", "en"), uow)
        await uow.commit()
    await _help(handler_app, 8102)  # notes Telegram's language, which registration had not

    statements = await _help(handler_app, 8102)

    assert "Seller commands" in _last_text(handler_app)
    assert len(_queries(statements)) == STATEMENTS_PER_KNOWN_USER, statements
    assert sum(" sellers " in s for s in statements) == 1
