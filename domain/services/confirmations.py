"""Questions a user must confirm with a button before something irreversible happens: erasing
their data, archiving a warehouse, withdrawing or escalating a return case, recording how the
platform decided a dispute, cancelling an order whose parcel will not arrive and refunding it.

Callback data is client input: a modified client can send "yes" on any message, and an old
prompt's "yes" stays pressable in the chat for ever. So asking issues a one-time token, kept
for the user and the purpose (`pending_confirmations`), that the prompt's buttons carry; a
"yes" is honoured only with the token of the latest question of that purpose, about the same
subject, within `LIFETIME`, once. Asking again replaces the token: an older prompt goes stale.
A "no" forgets the question it answers: the "no" of an older prompt leaves the latest open.
"""

from __future__ import annotations

import enum
import secrets
from datetime import timedelta

from domain.errors import ConflictError
from domain.unit_of_work import UnitOfWork

# Long enough to read the question and decide; short enough that a prompt left in the chat
# does not act days later.
LIFETIME = timedelta(minutes=10)
# Tokens are 1..MAX_TOKEN (0 is "no token", what buttons drawn before tokens carry). Guessing
# is not the threat (only the user's own client can press for them, a few times a second at
# most); the range keeps a chance hit negligible and a button's data short.
MAX_TOKEN = 2**40


class Purpose(enum.StrEnum):
    ERASURE = "erasure"
    ARCHIVE_WAREHOUSE = "archive_warehouse"
    WITHDRAW_RETURN = "withdraw_return"
    ESCALATE_RETURN = "escalate_return"
    RECORD_DISPUTE_OUTCOME = "record_dispute_outcome"
    CANCEL_AND_REFUND = "cancel_and_refund"


def new_token() -> int:
    """A fresh token, for a question kept elsewhere (a conversation's own state)."""
    return secrets.randbelow(MAX_TOKEN) + 1


async def ask(user_id: int, purpose: Purpose, uow: UnitOfWork, *, about: int = 0) -> int:
    """A new question: the token its confirming button carries (any earlier one is void)."""
    token = new_token()
    await uow.confirmations.replace(user_id, purpose.value, about, token, uow.now() + LIFETIME)
    return token


async def redeem(
    user_id: int, purpose: Purpose, token: int, uow: UnitOfWork, *, about: int = 0
) -> bool:
    """Whether a "yes" carrying `token` answers the user's latest question of `purpose` about
    `about`, still open. It is then used up; a token that is not the latest leaves the latest
    question open (a forged or old press does not cancel what the user is looking at)."""
    issued = await uow.confirmations.latest(user_id, purpose.value)
    if issued is None or token != issued.token:
        return False
    await uow.confirmations.discard(user_id, purpose.value)
    return issued.subject_id == about and uow.now() < issued.expires_at


async def confirm(
    user_id: int, purpose: Purpose, token: int, uow: UnitOfWork, *, about: int = 0
) -> None:
    """`redeem`, refusing a "yes" that does not answer the latest open question: nothing is
    done, and the user is told to choose the action again."""
    if not await redeem(user_id, purpose, token, uow, about=about):
        raise ConflictError("confirmation.stale")


async def forget(user_id: int, purpose: Purpose, token: int, uow: UnitOfWork) -> None:
    """The user said no to the question that issued `token`: it can no longer be confirmed.
    Only that question: the "no" of an older prompt still in the chat (or a forged one) must
    not void the newer prompt the user is about to answer."""
    issued = await uow.confirmations.latest(user_id, purpose.value)
    if issued is not None and issued.token == token:
        await uow.confirmations.discard(user_id, purpose.value)
