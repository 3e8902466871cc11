"""Return cases, their messages, the sellers' return policies, and the deadline firings the
scheduler claims. It never commits.

Every query that lists cases is scoped by the caller's seller or buyer id; the services check
the single case a caller names against them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, update

from domain.model import (
    ReturnCase,
    ReturnCaseLine,
    ReturnDeadline,
    ReturnEvidence,
    ReturnMessage,
    ReturnMessageCopy,
    SellerReturnPolicy,
)
from domain.repositories.base import AggregateRepository
from domain.repositories.statements import insert_ignoring_conflicts
from domain.returns.deadlines import DeadlineKind, Firing
from domain.returns.rules import OPEN_STATUSES, CaseStatus, DisputeOutcome, Resolution, Side


@dataclass(frozen=True, slots=True)
class PlannedFiring:
    """A deadline firing that should exist for a case (see `services.return_deadlines`)."""

    key: str
    kind: DeadlineKind
    firing: Firing
    side: Side
    offer_id: int | None
    due_at: datetime
    fire_at: datetime


@dataclass(frozen=True, slots=True)
class CasesInStatus:
    """How many of someone's cases are in one status, and the latest escalation among them."""

    count: int
    latest_escalation: datetime | None


def _owned_by(side: Side, owner_id: int) -> ColumnElement[bool]:
    """The cases of a seller (`side` seller: a seller's id) or of a buyer (a Telegram id)."""
    owner = ReturnCase.seller_id if Side(side) is Side.SELLER else ReturnCase.buyer_user_id
    return owner == owner_id


def _in_dispute(*, decided: bool) -> ColumnElement[bool]:
    """Escalated cases whose outcome is recorded (`decided`), or not yet."""
    outcome = ReturnCase.dispute_outcome
    recorded = outcome.is_not(None) if decided else outcome.is_(None)
    return (ReturnCase.status == CaseStatus.ESCALATED) & recorded


class ReturnRepository(AggregateRepository[ReturnCase]):
    # ----- cases -----

    root = ReturnCase

    async def flush(self) -> None:
        """Give new rows their ids (a new offer's id names its deadline)."""
        await self.session.flush()

    async def lock(self, case_id: int) -> ReturnCase | None:
        """The case, locked until the transaction ends (two answers to one offer serialise)."""
        query = select(ReturnCase).where(ReturnCase.id == case_id)
        if self._postgres:
            query = query.with_for_update(of=ReturnCase)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def lines_in_open_cases(self, order_line_ids: Iterable[int]) -> set[int]:
        ids = sorted(set(order_line_ids))
        if not ids:
            return set()
        result = await self.session.execute(
            select(ReturnCaseLine.order_line_id).where(
                ReturnCaseLine.order_line_id.in_(ids), ReturnCaseLine.active.is_(True)
            )
        )
        return set(result.scalars())

    async def settled_quantities(self, order_id: int) -> dict[int, int]:
        """How many of each order line resolved cases already settled, and disputes the
        platform decided for the buyer (it refunded them)."""
        settled = or_(
            ReturnCase.status == CaseStatus.RESOLVED,
            (ReturnCase.status == CaseStatus.ESCALATED)
            & (ReturnCase.dispute_outcome == DisputeOutcome.FOR_BUYER),
        )
        result = await self.session.execute(
            select(ReturnCaseLine.order_line_id, func.sum(ReturnCaseLine.quantity))
            .join(ReturnCase, ReturnCase.id == ReturnCaseLine.case_id)
            .where(ReturnCase.order_id == order_id, settled)
            .group_by(ReturnCaseLine.order_line_id)
        )
        return {line_id: int(quantity) for line_id, quantity in result.tuples()}

    async def for_order(self, order_id: int) -> list[ReturnCase]:
        result = await self.session.execute(
            select(ReturnCase)
            .where(ReturnCase.order_id == order_id)
            .order_by(ReturnCase.opened_at.desc(), ReturnCase.id.desc())
        )
        return list(result.scalars())

    async def of_buyer_on_order(
        self, order_id: int, user_id: int, *, limit: int
    ) -> list[ReturnCase]:
        """The cases `user_id` opened on the order, newest first."""
        result = await self.session.execute(
            select(ReturnCase)
            .where(ReturnCase.order_id == order_id, ReturnCase.buyer_user_id == user_id)
            .order_by(ReturnCase.opened_at.desc(), ReturnCase.id.desc())
            .limit(limit)
        )
        return list(result.scalars())

    async def page_for_seller(
        self,
        seller_id: int,
        statuses: Sequence[CaseStatus] | None,
        *,
        limit: int,
        offset: int = 0,
    ) -> tuple[list[ReturnCase], int]:
        """The seller's cases in `statuses` (None: all), most recently moved first, and the total."""
        condition = ReturnCase.seller_id == seller_id
        if statuses is not None:
            condition = condition & ReturnCase.status.in_(list(statuses))
        total = await self._count(ReturnCase, condition)
        result = await self.session.execute(
            select(ReturnCase)
            .where(condition)
            .order_by(ReturnCase.updated_at.desc(), ReturnCase.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(result.scalars()), total

    async def for_buyer(self, user_id: int, *, limit: int) -> list[ReturnCase]:
        result = await self.session.execute(
            select(ReturnCase)
            .where(ReturnCase.buyer_user_id == user_id)
            .order_by(ReturnCase.updated_at.desc(), ReturnCase.id.desc())
            .limit(limit)
        )
        return list(result.scalars())

    async def in_dispute(
        self, *, decided: bool, limit: int, offset: int = 0
    ) -> tuple[list[ReturnCase], int]:
        """Cases taken to a platform dispute (for operators) and how many there are: those
        still awaiting their outcome, oldest escalation first, or (`decided`) those whose
        outcome is recorded, latest record first."""
        condition = _in_dispute(decided=decided)
        order = (
            (ReturnCase.outcome_recorded_at.desc(), ReturnCase.id.desc())
            if decided
            else (ReturnCase.escalated_at, ReturnCase.id)
        )
        total = await self._count(ReturnCase, condition)
        result = await self.session.execute(
            select(ReturnCase).where(condition).order_by(*order).limit(limit).offset(offset)
        )
        return list(result.scalars()), total

    async def count_in_dispute(self, *, decided: bool) -> int:
        return await self._count(ReturnCase, _in_dispute(decided=decided))

    async def in_thread(self, side: Side, owner_id: int, thread_id: int) -> ReturnCase | None:
        """The case whose `side` thread is topic `thread_id`, among the owner's cases (a
        seller's id, or a buyer's Telegram id): topic ids are only unique within one chat."""
        if Side(side) is Side.SELLER:
            condition = (ReturnCase.seller_id == owner_id) & (
                ReturnCase.seller_thread_id == thread_id
            )
        else:
            condition = (ReturnCase.buyer_user_id == owner_id) & (
                ReturnCase.buyer_thread_id == thread_id
            )
        result = await self.session.execute(
            select(ReturnCase).where(condition).order_by(ReturnCase.id.desc()).limit(1)
        )
        return result.scalar_one_or_none()

    async def open_of(self, side: Side, owner_id: int, *, limit: int) -> list[ReturnCase]:
        """The owner's open cases on `side` (a seller's id, or a buyer's Telegram id), newest
        first."""
        result = await self.session.execute(
            select(ReturnCase)
            .where(_owned_by(side, owner_id), ReturnCase.status.in_(list(OPEN_STATUSES)))
            .order_by(ReturnCase.opened_at.desc(), ReturnCase.id.desc())
            .limit(limit)
        )
        return list(result.scalars())

    async def holding_erasure(
        self, side: Side, owner_id: int, escalated_since: datetime
    ) -> dict[CaseStatus, CasesInStatus]:
        """The owner's cases on `side` that hold their erasure (`domain.services.erasure`), by
        status: the open ones, and those escalated since `escalated_since` whose outcome is not
        recorded yet."""
        result = await self.session.execute(
            select(ReturnCase.status, func.count(), func.max(ReturnCase.escalated_at))
            .where(
                _owned_by(side, owner_id),
                or_(
                    ReturnCase.status.in_(list(OPEN_STATUSES)),
                    _in_dispute(decided=False) & (ReturnCase.escalated_at > escalated_since),
                ),
            )
            .group_by(ReturnCase.status)
        )
        return {
            CaseStatus(status): CasesInStatus(int(count), latest)
            for status, count, latest in result.tuples()
        }

    # ----- messages -----

    def add_message(self, message: ReturnMessage) -> None:
        self.session.add(message)

    async def messages_of(self, case_id: int) -> list[ReturnMessage]:
        result = await self.session.execute(
            select(ReturnMessage)
            .where(ReturnMessage.case_id == case_id)
            .order_by(ReturnMessage.created_at, ReturnMessage.id)
        )
        return list(result.scalars())

    async def message(self, message_id: int) -> ReturnMessage | None:
        return await self.session.get(ReturnMessage, message_id)

    def add_copy(self, copy: ReturnMessageCopy) -> None:
        self.session.add(copy)

    async def copy_at(self, chat_id: int, telegram_message_id: int) -> ReturnMessageCopy | None:
        """The record of the case message shown as `telegram_message_id` in `chat_id`."""
        result = await self.session.execute(
            select(ReturnMessageCopy).where(
                ReturnMessageCopy.chat_id == chat_id,
                ReturnMessageCopy.telegram_message_id == telegram_message_id,
            )
        )
        return result.scalar_one_or_none()

    async def message_by_copy(self, chat_id: int, telegram_message_id: int) -> ReturnMessage | None:
        """The case message an original or relayed Telegram message belongs to."""
        result = await self.session.execute(
            select(ReturnMessage)
            .join(ReturnMessageCopy, ReturnMessageCopy.message_id == ReturnMessage.id)
            .where(
                ReturnMessageCopy.chat_id == chat_id,
                ReturnMessageCopy.telegram_message_id == telegram_message_id,
            )
        )
        return result.scalar_one_or_none()

    # ----- erasure -----

    async def scrub_buyer(self, user_id: int) -> int:
        """Forget what a buyer wrote and sent in their cases, and where they were reached.

        The structured record stays with the seller (items, reason, offers, amounts, statuses,
        the timeline): it is the store's account of a sale, like the order itself. What the
        buyer wrote (the comment, their messages' text and files), their photos, and their
        chat's message and topic ids go. Returns how many cases were theirs.
        """
        case_ids = list(
            (
                await self.session.execute(
                    select(ReturnCase.id).where(ReturnCase.buyer_user_id == user_id)
                )
            ).scalars()
        )
        await self.session.execute(
            delete(ReturnMessageCopy).where(ReturnMessageCopy.chat_id == user_id)
        )
        if not case_ids:
            return 0
        await self.session.execute(
            delete(ReturnEvidence).where(
                ReturnEvidence.case_id.in_(case_ids), ReturnEvidence.side == Side.BUYER
            )
        )
        await self.session.execute(
            update(ReturnMessage)
            .where(ReturnMessage.case_id.in_(case_ids), ReturnMessage.side == Side.BUYER)
            .values(text=None, telegram_file_id=None)
        )
        await self.session.execute(
            update(ReturnCase)
            .where(ReturnCase.id.in_(case_ids))
            .values(buyer_user_id=None, comment=None, buyer_thread_id=None)
        )
        return len(case_ids)

    # ----- policies -----

    async def policy_of(self, seller_id: int) -> SellerReturnPolicy | None:
        result = await self.session.execute(
            select(SellerReturnPolicy).where(SellerReturnPolicy.seller_id == seller_id)
        )
        return result.scalar_one_or_none()

    def add_policy(self, policy: SellerReturnPolicy) -> None:
        self.session.add(policy)

    # ----- deadline firings -----

    async def plan_firings(self, case_id: int, planned: Sequence[PlannedFiring]) -> None:
        """Store firings not stored yet (a case, key and firing exist once)."""
        for firing in planned:
            await self.session.execute(
                insert_ignoring_conflicts(
                    self.session,
                    ReturnDeadline,
                    {
                        "case_id": case_id,
                        "key": firing.key,
                        "kind": firing.kind.value,
                        "firing": firing.firing.value,
                        "side": firing.side.value,
                        "offer_id": firing.offer_id,
                        "due_at": firing.due_at,
                        "fire_at": firing.fire_at,
                    },
                )
            )

    async def owing_an_unplanned_refund(self, *, limit: int) -> list[ReturnCase]:
        """Cases where the store owes the agreed refund (agreed, or the goods received, on terms
        that pay money) with no refund deadline stored: agreed before that deadline existed."""
        planned = exists().where(
            ReturnDeadline.case_id == ReturnCase.id,
            ReturnDeadline.kind == DeadlineKind.REFUND,
        )
        result = await self.session.execute(
            select(ReturnCase)
            .where(
                ReturnCase.status.in_([CaseStatus.AGREED, CaseStatus.RECEIVED]),
                ReturnCase.agreed_resolution != Resolution.EXCHANGE,
                ~planned,
            )
            .order_by(ReturnCase.id)
            .limit(limit)
        )
        return list(result.scalars())

    async def cancel_firings(self, case_id: int, keep_keys: Iterable[str], now: datetime) -> int:
        """Cancel the case's pending firings of deadlines no longer running."""
        condition = (
            (ReturnDeadline.case_id == case_id)
            & ReturnDeadline.fired_at.is_(None)
            & ReturnDeadline.cancelled_at.is_(None)
        )
        keep = sorted(set(keep_keys))
        if keep:
            condition = condition & ReturnDeadline.key.not_in(keep)
        return await self._rows_changed(
            update(ReturnDeadline).where(condition).values(cancelled_at=now)
        )

    async def firings_of(self, case_id: int) -> list[ReturnDeadline]:
        result = await self.session.execute(
            select(ReturnDeadline)
            .where(ReturnDeadline.case_id == case_id)
            .order_by(ReturnDeadline.fire_at, ReturnDeadline.id)
        )
        return list(result.scalars())

    async def claim_due_firings(self, now: datetime, lease: timedelta, limit: int) -> list[int]:
        """Lease up to `limit` firings due now that no other worker holds; their ids."""
        due = (
            select(ReturnDeadline.id)
            .where(
                ReturnDeadline.fired_at.is_(None),
                ReturnDeadline.cancelled_at.is_(None),
                ReturnDeadline.fire_at <= now,
                or_(ReturnDeadline.lease_until.is_(None), ReturnDeadline.lease_until < now),
            )
            .order_by(ReturnDeadline.fire_at, ReturnDeadline.id)
            .limit(limit)
        )
        return await self._claim(due, ReturnDeadline.id, lease_until=now + lease)

    async def release_firings(self, firing_ids: Sequence[int]) -> int:
        """Hand claimed firings back unfired (a shutdown): due again at once, for any worker."""
        if not firing_ids:
            return 0
        result = await self.session.execute(
            update(ReturnDeadline)
            .where(ReturnDeadline.id.in_(list(firing_ids)), ReturnDeadline.fired_at.is_(None))
            .values(lease_until=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def lock_firing(self, firing_id: int) -> ReturnDeadline | None:
        query = select(ReturnDeadline).where(ReturnDeadline.id == firing_id)
        if self._postgres:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()
