"""Self-service erasure (/delete_my_data): what may block it, and what it deletes and keeps.

Deleted: the user's Telegram record and language (and with it, by cascade, the questions
awaiting their confirmation), conversation drafts, blocked-bot marker,
every outbox row to them or about them; for a buyer the orders they follow (the seller's order
stays, without them), the links' binding to them and their refused link attempts; for a seller
also the store and everything under it
(warehouses and their documents, orders with their lines, shipping documents with their
compliance findings, buyer links, logistics settings); the numbers of its parcels the tracking
provider follows wait, number and carrier only, until the poller has told it to stop.

Kept, without the person: the audit trail. Its entries keep action and time, the actor and the
subject become pseudonyms nobody can map back (see `domain.personal_data.Pseudonyms`), and only
non-personal facts stay in the details, such as the marketplace's order numbers, which the
marketplace owns and disputes refer to. /privacy says the same in the user's language.

Asked for with /delete_my_data, erasure happens only on the "yes" of that very prompt: its
button carries the token `ask_to_erase` issued (`domain.services.confirmations`), so a forged
press, a prompt older than the latest one, one older than ten minutes or one answered already
erase nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import ConflictError
from domain.personal_data import Pseudonyms
from domain.services import buyers, confirmations
from domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ErasureBlocker:
    """Something that must be settled before a user's data may be deleted."""

    key: str
    count: int


async def erasure_blockers(user_id: int, uow: UnitOfWork) -> list[ErasureBlocker]:
    """What stops erasure now: orders still to confirm or ship (their buyers are waiting).
    Return cases add their check here when that feature lands."""
    blockers: list[ErasureBlocker] = []
    seller = await uow.sellers.by_telegram_user(user_id)
    if seller is not None:
        open_orders = await uow.orders.count_open(seller.id)
        if open_orders:
            blockers.append(ErasureBlocker("erasure.open_orders", open_orders))
    return blockers


async def ask_to_erase(user_id: int, uow: UnitOfWork) -> int:
    """/delete_my_data: the token the prompt's "yes" carries; earlier prompts go stale."""
    return await confirmations.ask(user_id, confirmations.Purpose.ERASURE, uow)


async def erase_on_confirmation(user_id: int, token: int, uow: UnitOfWork) -> list[ErasureBlocker]:
    """The prompt's "yes": `erase_user_data`, if `token` is the latest prompt's and still
    fresh; otherwise `erasure.stale` and nothing changes. The token is used up either way the
    erasure goes (done, or blocked by open orders): a blocked user asks again once settled."""
    if not await confirmations.redeem(user_id, confirmations.Purpose.ERASURE, token, uow):
        raise ConflictError("erasure.stale")
    return await erase_user_data(user_id, uow)


async def keep_data(user_id: int, token: int, uow: UnitOfWork) -> None:
    """The prompt's "no": that prompt (the one that issued `token`) can erase no more; a newer
    one stays valid."""
    await confirmations.forget(user_id, confirmations.Purpose.ERASURE, token, uow)


async def erase_user_data(user_id: int, uow: UnitOfWork) -> list[ErasureBlocker]:
    """Delete everything kept about a user, unless something blocks it (then change nothing).

    Once the caller commits, the storage is asked to drop its copies of the deleted rows too
    (`uow.personal_data_deleted`: on SQLite a checkpoint that empties the write-ahead log).
    """
    blockers = await erasure_blockers(user_id, uow)
    if blockers:
        return blockers
    pseudonyms = Pseudonyms()
    seller = await uow.sellers.by_telegram_user(user_id)
    subjects = uow.personal_data.subjects_of_user(user_id)
    if seller is not None:
        subjects += uow.personal_data.subjects_of_seller(seller.id)
    # First, while the seller's warehouses and orders still exist to say what is theirs.
    await uow.personal_data.pseudonymise_audit(user_id, subjects, pseudonyms)
    await uow.personal_data.delete_notifications_about(user_id)
    await uow.personal_data.forget_reviewer(user_id)
    if seller is not None:
        # The tracking provider would follow the parcels' numbers until it gives up: the poller
        # tells it to stop, from a list that holds the number and carrier only.
        await uow.numbers_to_stop.add_followed_for_seller(seller.id, uow.now())
        # Cascades to warehouses, documents, orders, lines, shipments, findings, buyer links
        # and logistics settings.
        await uow.sellers.delete(seller)
    await buyers.erase_buyer(user_id, uow)
    await uow.conversation_states.delete_for_user(user_id)
    await uow.blocked_recipients.unblock(user_id)
    await uow.users.delete(user_id)
    # The trail keeps that an erasure happened, under the same pseudonyms as the rest.
    erased = uow.audit.record(
        at=uow.now(),
        actor_id=None,
        actor_role="user",
        action="user.erased",
        subject_type="seller" if seller is not None else "user",
        subject_id=None,
        details={},
    )
    erased.actor_pseudonym = pseudonyms.of("user", user_id)
    erased.subject_pseudonym = (
        pseudonyms.of("seller", str(seller.id)) if seller is not None else erased.actor_pseudonym
    )
    uow.personal_data_deleted()
    return []
