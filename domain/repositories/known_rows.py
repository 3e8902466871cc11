"""What one update needs to know about its sender, read in one statement, and remembered.

Nearly every update asks the same questions: who is this user (their locale), are they a
seller, where are they in a conversation, had they blocked the bot, do they follow an order.
Asked one by one that was a round trip each, some of them twice per update. `load_sender`
answers all of them with one SELECT; `KnownRows` keeps the answers for the rest of the
transaction, including "there is no such row", which the session's identity map cannot.

The repositories read `KnownRows` before the database and keep it current when they add or
delete what it holds. The unit of work empties it on rollback, when the session expires the
objects it refers to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import BigInteger, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import (
    BlockedRecipient,
    BuyerSubscription,
    ConversationState,
    Seller,
    TelegramUser,
)


@dataclass
class KnownRows:
    """Rows (or their absence) this transaction has read already, by what they were asked by."""

    users: dict[int, TelegramUser | None] = field(default_factory=dict)
    sellers_by_user: dict[int, Seller | None] = field(default_factory=dict)
    states: dict[str, ConversationState | None] = field(default_factory=dict)
    blocked: dict[int, bool] = field(default_factory=dict)
    subscribed: dict[int, bool] = field(default_factory=dict)

    def clear(self) -> None:
        self.users.clear()
        self.sellers_by_user.clear()
        self.states.clear()
        self.blocked.clear()
        self.subscribed.clear()


async def load_sender(
    session: AsyncSession, known: KnownRows, user_id: int, state_key: str | None
) -> ConversationState | None:
    """Read the sender's user row, seller row, conversation state (when `state_key` is given),
    whether they blocked the bot and whether they follow an order, in one statement; remember
    all of it in `known`. Returns the conversation state row."""
    sender = select(literal(user_id, BigInteger).label("id")).subquery("sender")
    subscribed = (
        exists().where(BuyerSubscription.buyer_user_id == sender.c.id).correlate(sender)
    ).label("subscribed")
    columns: list[object] = [TelegramUser, Seller, BlockedRecipient.chat_id, subscribed]
    if state_key is not None:
        columns.append(ConversationState)
    statement = (
        select(*columns)  # type: ignore[call-overload]
        .select_from(sender)
        .outerjoin(TelegramUser, TelegramUser.id == sender.c.id)
        .outerjoin(Seller, Seller.telegram_user_id == sender.c.id)
        .outerjoin(BlockedRecipient, BlockedRecipient.chat_id == sender.c.id)
    )
    if state_key is not None:
        statement = statement.outerjoin(ConversationState, ConversationState.key == state_key)
    row = (await session.execute(statement)).one()
    known.users[user_id] = row[0]
    known.sellers_by_user[user_id] = row[1]
    # A private chat's id is its user's id: the chat the outbox would have paused.
    known.blocked[user_id] = row[2] is not None
    known.subscribed[user_id] = bool(row[3])
    if state_key is None:
        return None
    state: ConversationState | None = row[4]
    known.states[state_key] = state
    return state
