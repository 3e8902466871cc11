"""Deadlines of return cases as stored firings, and what a firing does when it comes due.

`sync` is called after every change to a case: it works out which deadlines are running now
(`running_deadlines`: the new case's first answer, the open offer's answer, the agreed
return's shipment, the agreed refund's record), stores their firings (a reminder at half time,
one 24 hours before, the lapse) and cancels the firings of deadlines that stopped running (the side did what was asked,
the case ended or was escalated). So no service has to remember which deadline an action ends.

The scheduler claims due firings with a lease (`claim_due`, committed before any work) and fires
each in a transaction of its own (`fire`): the firing row is locked, checked again (not fired,
not cancelled, its deadline still running), marked fired, and the reminder or the lapse and its
notices are written in that same transaction. A crashed worker's claim expires and another
worker fires it; a firing already fired is skipped, and each notice's dedupe key names the
firing, so none is sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.model import ReturnCase, ReturnDeadline
from domain.repositories import PlannedFiring
from domain.returns.deadlines import (
    Deadline,
    DeadlineKind,
    DeadlineRules,
    Firing,
    deadline,
)
from domain.returns.rules import CaseStatus, Side
from domain.services import return_notices
from domain.unit_of_work import UnitOfWork

REMINDER_TEMPLATE = "returns.deadline_reminder"
LAPSE_TEMPLATE = "returns.deadline_lapsed"
CLAIM_LEASE = timedelta(minutes=5)
CLAIM_BATCH = 50


@dataclass(frozen=True, slots=True)
class RunningDeadline:
    key: str
    deadline: Deadline
    offer_id: int | None = None


def running_deadlines(case: ReturnCase, rules: DeadlineRules) -> list[RunningDeadline]:
    """The deadlines the case is under right now."""
    if case.status is CaseStatus.REQUESTED and case.seller_answered_at is None:
        return [
            RunningDeadline(
                DeadlineKind.SELLER_FIRST_ANSWER.value,
                deadline(DeadlineKind.SELLER_FIRST_ANSWER, case.opened_at, rules),
            )
        ]
    offer = case.open_offer
    if case.status is CaseStatus.NEGOTIATING and offer is not None:
        return [
            RunningDeadline(
                f"{DeadlineKind.OFFER_ANSWER.value}:{offer.id}",
                deadline(DeadlineKind.OFFER_ANSWER, offer.created_at, rules, offer_from=offer.side),
                offer.id,
            )
        ]
    refund_due_from = case.refund_due_from
    if refund_due_from is not None:
        return [
            RunningDeadline(
                DeadlineKind.REFUND.value,
                deadline(DeadlineKind.REFUND, refund_due_from, rules),
            )
        ]
    if (
        case.status is CaseStatus.AWAITING_RETURN_SHIPMENT
        and case.agreed_at is not None
        and case.return_ship_by is not None
    ):
        return [
            RunningDeadline(
                DeadlineKind.RETURN_SHIPMENT.value,
                deadline(
                    DeadlineKind.RETURN_SHIPMENT,
                    case.agreed_at,
                    rules,
                    duration=case.return_ship_by - case.agreed_at,
                ),
            )
        ]
    return []


async def sync(case: ReturnCase, uow: UnitOfWork, rules: DeadlineRules) -> None:
    """Store the firings of the case's running deadlines; cancel the others' pending ones."""
    await uow.returns.flush()  # new offers need their ids for the keys
    running = running_deadlines(case, rules)
    await uow.returns.cancel_firings(case.id, [r.key for r in running], uow.now())
    planned = [
        PlannedFiring(
            key=r.key,
            kind=r.deadline.kind,
            firing=scheduled.firing,
            side=r.deadline.side,
            offer_id=r.offer_id,
            due_at=r.deadline.due_at,
            fire_at=scheduled.at,
        )
        for r in running
        for scheduled in r.deadline.firings
    ]
    await uow.returns.plan_firings(case.id, planned)


async def plan_unplanned_refunds(
    uow: UnitOfWork, rules: DeadlineRules, *, limit: int = CLAIM_BATCH
) -> int:
    """Give the refund deadline to cases that owe a refund but were agreed (or received) before
    that deadline existed, so none of them stays open for good; how many were planned. Running
    it twice, or in two workers at once, plans each once (the firings are unique)."""
    cases = await uow.returns.owing_an_unplanned_refund(limit=limit)
    for case in cases:
        await sync(case, uow, rules)
    return len(cases)


async def claim_due(
    uow: UnitOfWork, *, lease: timedelta = CLAIM_LEASE, limit: int = CLAIM_BATCH
) -> list[int]:
    """Lease the firings due now; the caller commits before firing them."""
    return await uow.returns.claim_due_firings(uow.now(), lease, limit)


async def release(uow: UnitOfWork, firing_ids: list[int]) -> int:
    """Hand claimed firings back unfired, due at once (the worker is stopping)."""
    return await uow.returns.release_firings(firing_ids)


@dataclass(frozen=True, slots=True)
class Fired:
    firing_id: int
    case_id: int
    kind: DeadlineKind
    firing: Firing
    changed_case: bool  # a lapse that moved the case (or its offer)
    notified: tuple[int, ...]  # chats told


async def fire(firing_id: int, uow: UnitOfWork, rules: DeadlineRules) -> Fired | None:
    """Do what a claimed firing asks, once; None when there is nothing (any more) to do."""
    row = await uow.returns.lock_firing(firing_id)
    if row is None or row.fired_at is not None or row.cancelled_at is not None:
        return None
    now = uow.now()
    case = await uow.returns.lock(row.case_id)
    if case is None or row.key not in {r.key for r in running_deadlines(case, rules)}:
        row.cancelled_at = now  # the side acted after the sweep planned this firing
        return None
    if row.firing is not Firing.LAPSE and await _overtaken(row, now, uow):
        # A later firing of the same deadline is due too (the scheduler was down): only the
        # most urgent one speaks, as with the ship-by reminders.
        row.cancelled_at = now
        return None
    row.fired_at = now
    row.lease_until = None
    changed = False
    if row.firing is Firing.LAPSE:
        changed = _lapse(case, row, now)
        recipients = [Side.SELLER, Side.BUYER]
    else:
        recipients = [row.side]
    notified = await _notify(case, row, recipients, uow)
    await sync(case, uow, rules)
    return Fired(row.id, case.id, row.kind, row.firing, changed, notified)


async def _overtaken(row: ReturnDeadline, now: datetime, uow: UnitOfWork) -> bool:
    return any(
        other.key == row.key
        and other.fire_at > row.fire_at
        and other.fire_at <= now
        and other.cancelled_at is None
        for other in await uow.returns.firings_of(row.case_id)
    )


def _lapse(case: ReturnCase, row: ReturnDeadline, now: datetime) -> bool:
    if row.kind is DeadlineKind.SELLER_FIRST_ANSWER:
        return case.seller_silence_lapsed(now)
    if row.kind is DeadlineKind.OFFER_ANSWER:
        return row.offer_id is not None and case.offer_lapsed(row.offer_id, now)
    if row.kind is DeadlineKind.REFUND:
        return case.refund_lapsed(now)
    return case.return_shipment_lapsed(now)


async def chats_of(case: ReturnCase, uow: UnitOfWork) -> dict[Side, int]:
    """Where each side of the case is reached: the store owner, the buyer who opened it."""
    chats: dict[Side, int] = {}
    contacts = await uow.tracking.seller_contacts([case.seller_id])
    if case.seller_id in contacts:
        chats[Side.SELLER] = contacts[case.seller_id].user_id
    if case.buyer_user_id is not None:
        chats[Side.BUYER] = case.buyer_user_id
    return chats


async def _notify(
    case: ReturnCase, row: ReturnDeadline, recipients: list[Side], uow: UnitOfWork
) -> tuple[int, ...]:
    order = await uow.orders.get(case.order_id)
    chats = await chats_of(case, uow)
    told: list[int] = []
    for side in recipients:
        chat_id = chats.get(side)
        if chat_id is None:
            continue
        zone = await return_notices.zone_of(case, side, uow)
        added = await uow.notifications.add(
            dedupe_key=f"return-deadline:{row.id}:{side.value}",
            chat_id=chat_id,
            template=LAPSE_TEMPLATE if row.firing is Firing.LAPSE else REMINDER_TEMPLATE,
            params={
                "case_id": case.id,
                "order_number": order.number if order is not None else "",
                "kind": row.kind.value,
                "recipient": side.value,
                "due_at": row.due_at.isoformat(),
                "time_zone": zone,
                **_refund_facts(case, row),
                # A lapsed refund leaves the buyer the platform: the notice offers to go there.
                return_notices.BUTTONS: await return_notices.notice_buttons(
                    case, side, uow, escalate=row.kind is DeadlineKind.REFUND
                ),
            },
            now=uow.now(),
            message_thread_id=(
                case.seller_thread_id if side is Side.SELLER else case.buyer_thread_id
            ),
            not_before=return_notices.held_for_the_night(side, zone, uow.now()),
        )
        if added:
            told.append(chat_id)
    return tuple(told)


def _refund_facts(case: ReturnCase, row: ReturnDeadline) -> dict[str, object]:
    """What a refund deadline's notice names: the agreed amount (the store's to pay)."""
    if row.kind is not DeadlineKind.REFUND or case.agreed_amount is None:
        return {}
    return {"amount": str(case.agreed_amount), "currency": case.currency}
