"""The store's deadline to record an agreed refund, without a database: when it starts, who it
binds, what its lapse does to the case, and what a lapsed refund still lets the buyer do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import ConflictError
from domain.returns.deadlines import DeadlineKind, DeadlineRules, Firing, deadline
from domain.returns.rules import Action, CaseStatus, Resolution, Side
from domain.services import return_deadlines
from tests.unit.test_return_cases import (
    NOW,
    agreed_refund,
    awaiting_return,
    expired,
    in_transit,
    received,
)

RULES = DeadlineRules()
B, S = Side.BUYER, Side.SELLER


def test_the_store_records_an_agreed_refund_within_seven_days_by_default() -> None:
    assert RULES.refund_payment == timedelta(days=7)
    refund = deadline(DeadlineKind.REFUND, NOW, RULES)
    assert (refund.side, refund.due_at) == (Side.SELLER, NOW + timedelta(days=7))
    assert [f.firing for f in refund.firings] == [Firing.HALF_TIME, Firing.DAY_BEFORE, Firing.LAPSE]


def test_the_refund_deadline_is_configurable_and_must_be_positive() -> None:
    assert DeadlineRules(refund_payment=timedelta(days=3)).duration(DeadlineKind.REFUND) == (
        timedelta(days=3)
    )
    with pytest.raises(ValueError, match="positive"):
        DeadlineRules(refund_payment=timedelta(0))


def test_a_refund_without_a_return_is_due_from_the_agreement() -> None:
    case = agreed_refund()
    assert case.refund_due_from == case.agreed_at == NOW
    [running] = return_deadlines.running_deadlines(case, RULES)
    assert (running.key, running.deadline.kind) == ("refund", DeadlineKind.REFUND)
    assert running.deadline.side is Side.SELLER
    assert running.deadline.due_at == NOW + timedelta(days=7)


def test_a_refund_after_a_return_is_due_only_once_the_goods_are_back() -> None:
    # While the goods travel, only the buyer's shipment deadline runs, then none.
    waiting = awaiting_return()
    assert waiting.refund_due_from is None
    assert [r.deadline.kind for r in return_deadlines.running_deadlines(waiting, RULES)] == [
        DeadlineKind.RETURN_SHIPMENT
    ]
    assert in_transit().refund_due_from is None
    assert return_deadlines.running_deadlines(in_transit(), RULES) == []
    back = received()
    back.received_at = NOW + timedelta(days=4)
    assert back.refund_due_from == NOW + timedelta(days=4)
    [running] = return_deadlines.running_deadlines(back, RULES)
    assert running.deadline.starts_at == NOW + timedelta(days=4)
    assert running.deadline.due_at == NOW + timedelta(days=11)


def test_an_exchange_owes_no_refund() -> None:
    case = received(Resolution.EXCHANGE)
    assert case.refund_due_from is None
    assert return_deadlines.running_deadlines(case, RULES) == []


def test_recording_the_refund_in_time_ends_the_deadline() -> None:
    case = agreed_refund()
    case.record_refund(S, case.agreed_amount, "PP-1", NOW + timedelta(days=2))
    assert case.status is CaseStatus.RESOLVED
    assert case.refund_due_from is None
    assert return_deadlines.running_deadlines(case, RULES) == []
    assert not case.refund_lapsed(NOW + timedelta(days=7))  # a late firing changes nothing


def test_an_unrecorded_refund_expires_the_case_and_leaves_the_buyer_the_platform() -> None:
    case = agreed_refund()
    lapsed_at = NOW + timedelta(days=7)
    assert case.refund_lapsed(lapsed_at)
    assert (case.status, case.closed_at) == (CaseStatus.EXPIRED, lapsed_at)
    assert case.events[-1].action == "refund_not_recorded"
    assert case.events[-1].side is None
    assert case.refund_overdue
    assert return_deadlines.running_deadlines(case, RULES) == []
    assert not case.refund_lapsed(lapsed_at)  # fired twice: the second does nothing
    # Only the buyer may still go to the platform; the store can no longer record it here.
    assert case.allowed_actions(B) == frozenset({Action.ESCALATE})
    assert case.allowed_actions(S) == frozenset()
    with pytest.raises(ConflictError):
        case.record_refund(S, case.agreed_amount, None, lapsed_at)
    assert [line.active for line in case.lines] == [False]
    case.escalate(B, lapsed_at + timedelta(days=1))
    assert (case.status, case.status_before_escalation) == (
        CaseStatus.ESCALATED,
        CaseStatus.EXPIRED,
    )
    assert [line.active for line in case.lines] == [True]  # the items are in dispute again


def test_a_received_return_whose_refund_is_not_recorded_expires_too() -> None:
    case = received()
    assert case.refund_lapsed(NOW + timedelta(days=7))
    assert case.refund_overdue and case.allowed_actions(B) == frozenset({Action.ESCALATE})


def test_other_expiries_leave_nothing_to_escalate() -> None:
    # The unanswered case: the marketplace refunds the buyer by itself.
    silent = expired()
    assert not silent.refund_overdue
    assert silent.allowed_actions(B) == frozenset()
    with pytest.raises(ConflictError):
        silent.escalate(B, NOW)
    # The return the buyer never shipped: nothing is owed.
    unshipped = awaiting_return()
    assert unshipped.return_shipment_lapsed(NOW + timedelta(days=10))
    assert not unshipped.refund_overdue
    assert unshipped.allowed_actions(B) == frozenset()
