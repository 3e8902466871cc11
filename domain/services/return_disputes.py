"""Operators and the platform disputes of return cases: the disputes still awaiting their
outcome and those decided (`/escalated`), and recording how the platform decided one, asked
first because it cannot be undone; the buyer and the store are then told, each in their own
language and thread of the case.

Every use case checks the operator itself (`operators.require_operator`), so a forged button or
a handler that forgot the check changes nothing. A case nobody took to a platform dispute is
the two sides' business: an operator reads "not found" for it, as for a case that does not
exist. What an operator may do with a dispute is the aggregate's (`ReturnCase.dispute_actions`,
`domain.model.return_disputes`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.errors import NotFound
from domain.model import ReturnCase
from domain.repositories import Actor
from domain.returns.rules import DisputeAction, DisputeOutcome, DisputeStage, Side
from domain.roles import Role
from domain.services import confirmations, operators, return_notices, returns
from domain.unit_of_work import UnitOfWork

PAGE_SIZE = 20
OUTCOME_NOTICE = "returns.outcome_notice"
RECORD = confirmations.Purpose.RECORD_DISPUTE_OUTCOME


class DisputeFilter(enum.StrEnum):
    """The operators' two lists of disputes."""

    AWAITING = "awaiting"  # the platform's decision is not recorded yet
    DECIDED = "decided"


@dataclass(frozen=True, slots=True)
class DisputeLine:
    """A dispute as the operators' list shows it."""

    case_id: int
    order_number: str
    store_name: str
    escalated_at: datetime | None
    escalated_by: Side | None
    currency: str
    paid: Decimal
    outcome: DisputeOutcome | None
    refund: Decimal | None
    recorded_at: datetime | None
    # What an operator may do with it now (its buttons).
    actions: frozenset[DisputeAction]


@dataclass(frozen=True, slots=True)
class DisputePage:
    lines: list[DisputeLine]
    total: int  # in this list
    elsewhere: int  # in the other list


@dataclass(frozen=True)
class RecordOutcome:
    """How the platform ended a case's dispute; `refund` for a decision for the buyer only."""

    case_id: int
    outcome: DisputeOutcome
    refund: Decimal | None = None


async def disputes(
    user_id: int,
    operator_ids: frozenset[int],
    which: DisputeFilter,
    uow: UnitOfWork,
    *,
    page: int = 0,
) -> DisputePage:
    """A page of the disputes awaiting their outcome (oldest escalation first) or of those
    decided (latest first), and how many each list holds: operators only."""
    operators.require_operator(user_id, operator_ids)
    decided = DisputeFilter(which) is DisputeFilter.DECIDED
    cases, total = await uow.returns.in_dispute(
        decided=decided, limit=PAGE_SIZE, offset=max(page, 0) * PAGE_SIZE
    )
    elsewhere = await uow.returns.count_in_dispute(decided=not decided)
    orders = await uow.tracking.orders_of(case.order_id for case in cases)
    contacts = await uow.tracking.seller_contacts(case.seller_id for case in cases)
    lines = [
        DisputeLine(
            case_id=case.id,
            order_number=orders[case.order_id].number if case.order_id in orders else "",
            store_name=contacts[case.seller_id].store_name if case.seller_id in contacts else "",
            escalated_at=case.escalated_at,
            escalated_by=case.escalated_by,
            currency=case.currency,
            paid=case.paid,
            outcome=case.dispute_outcome,
            refund=case.dispute_refund,
            recorded_at=case.outcome_recorded_at,
            actions=case.dispute_actions(Role.OPERATOR),
        )
        for case in cases
    ]
    return DisputePage(lines, total, elsewhere)


async def dispute_of(
    user_id: int, operator_ids: frozenset[int], case_id: int, uow: UnitOfWork, *, lock: bool = False
) -> ReturnCase:
    """The case, if the caller is an operator and it was taken to a platform dispute."""
    operators.require_operator(user_id, operator_ids)
    case = await (uow.returns.lock(case_id) if lock else uow.returns.get(case_id))
    if case is None or case.dispute_stage is DisputeStage.NOT_DISPUTED:
        raise NotFound(returns.CASE_NOT_FOUND)
    return case


async def awaiting_outcome(
    user_id: int, operator_ids: frozenset[int], case_id: int, uow: UnitOfWork
) -> DisputeLine:
    """The dispute whose outcome the caller is about to record, as its questions show it;
    refused (politely) once the outcome is recorded."""
    case = await dispute_of(user_id, operator_ids, case_id, uow)
    case.require_dispute(DisputeAction.RECORD_OUTCOME, Role.OPERATOR)
    order = await uow.orders.get(case.order_id)
    contacts = await uow.tracking.seller_contacts([case.seller_id])
    return DisputeLine(
        case_id=case.id,
        order_number=order.number if order is not None else "",
        store_name=contacts[case.seller_id].store_name if case.seller_id in contacts else "",
        escalated_at=case.escalated_at,
        escalated_by=case.escalated_by,
        currency=case.currency,
        paid=case.paid,
        outcome=None,
        refund=None,
        recorded_at=None,
        actions=case.dispute_actions(Role.OPERATOR),
    )


async def ask_to_record(
    user_id: int, operator_ids: frozenset[int], case_id: int, uow: UnitOfWork
) -> int:
    """The token of the question "record this outcome?", if the caller may record it now.
    Asking again voids the earlier question: only the latest one's yes records."""
    case = await dispute_of(user_id, operator_ids, case_id, uow)
    case.require_dispute(DisputeAction.RECORD_OUTCOME, Role.OPERATOR)
    return await confirmations.ask(user_id, RECORD, uow, about=case.id)


async def record_on_confirmation(
    user_id: int,
    operator_ids: frozenset[int],
    command: RecordOutcome,
    token: int,
    uow: UnitOfWork,
) -> ReturnCase:
    """The question's yes: `record_outcome`, if `token` is the latest question's about this
    case, within its lifetime, once (else `confirmation.stale`, and nothing changes). An
    outcome recorded meanwhile (by another operator) is refused as such first."""
    case = await dispute_of(user_id, operator_ids, command.case_id, uow, lock=True)
    case.require_dispute(DisputeAction.RECORD_OUTCOME, Role.OPERATOR)
    await confirmations.confirm(user_id, RECORD, token, uow, about=case.id)
    return await _record(user_id, case, command, uow)


async def record_outcome(
    user_id: int, operator_ids: frozenset[int], command: RecordOutcome, uow: UnitOfWork
) -> ReturnCase:
    """Record how the platform ended the dispute (the aggregate checks it may, once): audited,
    and both sides are told. The chat asks first (`ask_to_record`, `record_on_confirmation`)."""
    case = await dispute_of(user_id, operator_ids, command.case_id, uow, lock=True)
    return await _record(user_id, case, command, uow)


async def _record(
    user_id: int, case: ReturnCase, command: RecordOutcome, uow: UnitOfWork
) -> ReturnCase:
    outcome = DisputeOutcome(command.outcome)
    case.record_outcome(outcome, command.refund, user_id, uow.now())
    order = await uow.orders.get(case.order_id)
    details: dict[str, object] = {"case": case.id, "kind": outcome.value}
    if case.dispute_refund is not None:
        details |= {"amount": str(case.dispute_refund), "currency": case.currency}
    if order is not None:
        details["number"] = order.number
    # Recorded about the order (an audit subject erasure already knows), like the case's steps.
    uow.audit.add(
        "return_case.outcome_recorded",
        by=Actor("operator", user_id),
        about=("order", case.order_id),
        details=details,
    )
    params: dict[str, object] = {
        "case_id": case.id,
        "order_number": order.number if order is not None else "",
        "outcome": outcome.value,
        "amount": None if case.dispute_refund is None else str(case.dispute_refund),
        "currency": case.currency,
    }
    for side in (Side.BUYER, Side.SELLER):
        # Recorded once, so one notice per side, whatever retries the update gets.
        key = f"return-outcome:{case.id}:{side.value}"
        await return_notices.tell(
            case, side, OUTCOME_NOTICE, {**params, "side": side.value}, key, uow
        )
    return case
