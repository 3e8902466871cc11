"""Self-service erasure (/delete_my_data): what may block it, and what it deletes and keeps.

Blocked (nothing is deleted, the user is told how many of what, and what they can do) while
someone else depends on the data:

- a seller's orders still to confirm or ship: their buyers are waiting;
- return cases still open (`OPEN_STATUSES`: requested, negotiating, agreed, awaiting the
  return shipment, the return in transit, received), on either side. The other side is waiting
  on them or money is pending: a store answering a request, a refund agreed and not yet paid,
  goods on their way to (or at) the seller's warehouse. A buyer's erasure would leave the store
  a case nobody answers; a seller's would delete the case, and the warehouse the goods are sent
  to, under the buyer. A buyer may withdraw a case where the table allows it
  (`WITHDRAWABLE_RETURNS`: until the goods are on their way back), so the refusal tells them to
  withdraw those or wait;
  the goods' return is the store's to settle (refund or replacement), so those they wait for.
  A seller settles theirs in /returns (answers, refuses, records the refund); a return the
  buyer has still to send ends by itself when its time runs out, and so does an agreed refund
  the store does not record within its deadline (the case expires; the buyer may still take it
  to the platform, and then the dispute's hold below applies);
- cases escalated to a platform dispute whose outcome is not recorded yet, on either side.
  Escalated is final in the case's table, yet the platform decides from the case's record: the
  buyer's photos and messages (which a buyer's erasure deletes) and the case itself (which a
  seller's erasure deletes). GDPR art. 17(3)(e) lets that record stay while it is needed for a
  legal claim. The hold ends when an operator records how the platform decided
  (`domain.model.return_disputes`); since that rests on someone recording it, a dispute
  escalated `DISPUTE_RECORD_HOLD` ago is let go all the same, and the refusal gives that day
  as the latest it ends.

Cases that are over (resolved, declined, withdrawn, expired, escalated with their outcome
recorded or longer ago than the hold) block nothing: a buyer's erasure scrubs them
(`buyers.erase_buyer`), a seller's deletes them with its orders.

Deleted: the user's Telegram record and language (and with it, by cascade, the questions
awaiting their confirmation), conversation drafts, blocked-bot marker, every outbox row to them
or about them; for a buyer the orders they follow (the seller's order stays, without them), the
links' binding to them, their refused link attempts, and what they wrote and sent in return
cases (the comment, their messages' text and files, their photos and videos, their chat's
message and topic ids: the store keeps the case's structured record without them); for a
seller also the store and everything under it (warehouses and their documents, orders with
their lines and return cases, shipping documents with their compliance findings, buyer links,
logistics settings); the numbers of its parcels the tracking provider follows wait, number and
carrier only, until the poller has told it to stop.

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

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from domain.errors import ConflictError
from domain.model import WITHDRAWABLE_RETURNS
from domain.personal_data import Pseudonyms
from domain.repositories import CasesInStatus
from domain.returns.rules import DISPUTE_RECORD_HOLD, OPEN_STATUSES, CaseStatus, Side
from domain.services import buyers, confirmations
from domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ErasureBlocker:
    """Something that must be settled before a user's data may be deleted: `key` names it (a
    counted label), `advice` (a message, given `count` and `until`) says what the user can do,
    and `until` is the day the hold ends by itself (UTC), for those that do."""

    key: str
    count: int
    advice: str | None = None
    until: date | None = None


async def erasure_blockers(user_id: int, uow: UnitOfWork) -> list[ErasureBlocker]:
    """What stops erasure now (see the module's docstring): a seller's orders still to confirm
    or ship, return cases still open on either side, and recent platform disputes not yet
    decided."""
    blockers: list[ErasureBlocker] = []
    seller = await uow.sellers.by_telegram_user(user_id)
    if seller is not None:
        open_orders = await uow.orders.count_open(seller.id)
        if open_orders:
            blockers.append(ErasureBlocker("erasure.open_orders", open_orders))
    since = uow.now() - DISPUTE_RECORD_HOLD
    bought = await uow.returns.holding_erasure(Side.BUYER, user_id, since)
    sold = (
        {} if seller is None else await uow.returns.holding_erasure(Side.SELLER, seller.id, since)
    )
    return blockers + return_blockers(bought, sold)


def return_blockers(
    bought: Mapping[CaseStatus, CasesInStatus], sold: Mapping[CaseStatus, CasesInStatus]
) -> list[ErasureBlocker]:
    """The blockers of the cases a user opened as a buyer (`bought`) and of their store's cases
    (`sold`), each counted by status (`ReturnRepository.holding_erasure`)."""

    def count(cases: Mapping[CaseStatus, CasesInStatus], statuses: frozenset[CaseStatus]) -> int:
        return sum(found.count for status, found in cases.items() if status in statuses)

    blockers: list[ErasureBlocker] = []
    to_withdraw = count(bought, WITHDRAWABLE_RETURNS)
    if to_withdraw:
        blockers.append(
            ErasureBlocker("erasure.returns_to_withdraw", to_withdraw, "erasure.withdraw_or_wait")
        )
    coming_back = count(bought, OPEN_STATUSES - WITHDRAWABLE_RETURNS)
    if coming_back:
        blockers.append(
            ErasureBlocker("erasure.returns_coming_back", coming_back, "erasure.wait_for_store")
        )
    store_open = count(sold, OPEN_STATUSES)
    if store_open:
        blockers.append(
            ErasureBlocker("erasure.store_returns_open", store_open, "erasure.settle_returns")
        )
    disputes = [
        cases[CaseStatus.ESCALATED] for cases in (bought, sold) if CaseStatus.ESCALATED in cases
    ]
    latest = max(
        (found.latest_escalation for found in disputes if found.latest_escalation), default=None
    )
    if latest is not None:
        blockers.append(
            ErasureBlocker(
                "erasure.returns_in_dispute",
                sum(found.count for found in disputes),
                "erasure.wait_for_dispute",
                until=_day_from(latest + DISPUTE_RECORD_HOLD),
            )
        )
    return blockers


def _day_from(moment: datetime) -> date:
    """The first whole day (UTC) from `moment` on, so that "from that day" holds all day."""
    moment = moment.astimezone(UTC)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.date() if midnight == moment else midnight.date() + timedelta(days=1)


async def ask_to_erase(user_id: int, uow: UnitOfWork) -> int | list[ErasureBlocker]:
    """/delete_my_data: what holds the erasure now, if anything — said at once, rather than
    asking for an irreversible "yes" the bot could not honour; else the token the prompt's
    "yes" carries (earlier prompts go stale). The "yes" checks the blockers again: a case may
    have opened in between."""
    blockers = await erasure_blockers(user_id, uow)
    if blockers:
        return blockers
    return await confirmations.ask(user_id, confirmations.Purpose.ERASURE, uow)


async def erase_on_confirmation(user_id: int, token: int, uow: UnitOfWork) -> list[ErasureBlocker]:
    """The prompt's "yes": `erase_user_data`, if `token` is the latest prompt's and still
    fresh; otherwise `erasure.stale` and nothing changes. The token is used up either way the
    erasure goes (done, or blocked): a blocked user asks again once settled."""
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
