"""The outcome of a platform dispute without a database: what each role may do with a case's
dispute in every state of the case (a table written out here, not read from the code), an
outcome recorded once and only on an escalated case, the refund capped at what was paid, and
the operator checked by the services before anything is read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

from domain.errors import ConflictError, InvalidInput, NotAllowed
from domain.model import ReturnCase
from domain.model.return_disputes import OUTCOME_EVENTS
from domain.returns.rules import (
    CaseStatus,
    DisputeAction,
    DisputeOutcome,
    DisputeStage,
    OfferStatus,
    Side,
)
from domain.roles import Role
from domain.services import return_disputes
from domain.unit_of_work import UnitOfWork
from tests.unit.test_return_cases import EXPECTED, NOW, escalated

OPERATOR = 42
LATER = NOW + timedelta(days=20)
D = DisputeAction
OUT = DisputeOutcome

OPERATOR_ACTIONS: dict[DisputeStage, set[DisputeAction]] = {
    DisputeStage.NOT_DISPUTED: set(),
    DisputeStage.AWAITING_OUTCOME: {D.READ_TRANSCRIPT, D.RECORD_OUTCOME},
    DisputeStage.DECIDED: {D.READ_TRANSCRIPT},
}


def decided(outcome: DisputeOutcome = OUT.FOR_SELLER, refund: str | None = None) -> ReturnCase:
    case = escalated()
    case.record_outcome(outcome, refund, OPERATOR, LATER)
    return case


def _expected(role: Role, stage: DisputeStage) -> set[DisputeAction]:
    # Buyers and sellers act on their case as its sides, never on its dispute; guests on nothing.
    return OPERATOR_ACTIONS[stage] if role is Role.OPERATOR else set()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("state", [*EXPECTED, "decided"])
def test_what_each_role_may_do_with_the_dispute_in_every_state(state: str, role: Role) -> None:
    if state == "decided":
        case, stage = decided(), DisputeStage.DECIDED
    else:
        make, status, _buyer, _seller = EXPECTED[state]
        case = make()
        escalated_now = status is CaseStatus.ESCALATED
        stage = DisputeStage.AWAITING_OUTCOME if escalated_now else DisputeStage.NOT_DISPUTED
    assert case.dispute_stage is stage
    assert case.dispute_actions(role) == _expected(role, stage)


def test_every_dispute_action_is_allowed_somewhere() -> None:
    reachable = {action for actions in OPERATOR_ACTIONS.values() for action in actions}
    assert reachable == set(DisputeAction)
    assert escalated().dispute_actions(Role.OPERATOR) == reachable


@pytest.mark.parametrize(
    ("outcome", "refund", "recorded"),
    [
        (OUT.FOR_BUYER, "3.50", Decimal("3.50")),
        (OUT.FOR_BUYER, Decimal("7.00"), Decimal("7.00")),  # all that was paid
        (OUT.FOR_SELLER, None, None),
        (OUT.CLOSED, None, None),
    ],
)
def test_an_outcome_is_recorded_with_its_time_and_operator_and_goes_on_the_timeline(
    outcome: DisputeOutcome, refund: object, recorded: Decimal | None
) -> None:
    case = escalated()
    closed_at, offer = case.closed_at, case.open_offer
    case.record_outcome(outcome, refund, OPERATOR, LATER)
    assert (case.dispute_outcome, case.dispute_refund) == (outcome, recorded)
    assert (case.outcome_recorded_at, case.outcome_recorded_by) == (LATER, OPERATOR)
    step = case.events[-1]
    details = {"outcome": outcome.value} | ({"amount": str(recorded)} if recorded else {})
    assert (step.at, step.side, step.action, step.details) == (
        LATER,
        None,
        OUTCOME_EVENTS[outcome],
        details,
    )
    # Still the escalated case, frozen for both sides as the dispute left it...
    assert case.status is CaseStatus.ESCALATED and step.status == "escalated"
    assert case.allowed_actions(Side.BUYER) == case.allowed_actions(Side.SELLER) == frozenset()
    assert case.closed_at == closed_at
    assert offer is not None and offer.status is OfferStatus.OPEN
    # ...but its items are no longer in dispute.
    assert [line.active for line in case.lines] == [False]
    assert case.dispute_stage is DisputeStage.DECIDED


@pytest.mark.parametrize("state", [state for state in EXPECTED if state != "escalated"])
def test_a_case_not_in_a_dispute_has_no_outcome_to_record(state: str) -> None:
    case = EXPECTED[state][0]()
    steps = len(case.events)
    with pytest.raises(ConflictError) as refused:
        case.record_outcome(OUT.CLOSED, None, OPERATOR, LATER)
    assert refused.value.key == "returns.not_in_dispute"
    assert (case.dispute_outcome, case.outcome_recorded_at, len(case.events)) == (None, None, steps)


@pytest.mark.parametrize("second", list(DisputeOutcome))
def test_a_second_record_is_refused_politely_and_changes_nothing(second: DisputeOutcome) -> None:
    case = decided(OUT.FOR_BUYER, "3.50")
    steps = len(case.events)
    with pytest.raises(ConflictError) as refused:
        case.record_outcome(second, "1.00" if second is OUT.FOR_BUYER else None, 7, LATER)
    assert (refused.value.key, refused.value.params) == (
        "returns.outcome_recorded",
        {"outcome": "for_buyer"},
    )
    assert (case.dispute_outcome, case.dispute_refund) == (OUT.FOR_BUYER, Decimal("3.50"))
    assert (case.outcome_recorded_by, len(case.events)) == (OPERATOR, steps)


@pytest.mark.parametrize(
    ("refund", "key"),
    [
        ("7.01", "returns.amount_above_paid"),  # €7.00 was paid for the items
        ("70", "returns.amount_above_paid"),
        ("0", "returns.amount_invalid"),
        ("-1", "returns.amount_invalid"),
        ("1.005", "numbers.too_many_decimals"),  # more decimals than the euro has
        ("ten", "numbers.not_a_number"),
        (None, "numbers.not_a_number"),  # a decision for the buyer says what was refunded
    ],
)
def test_the_buyers_refund_is_an_amount_up_to_what_was_paid(refund: object, key: str) -> None:
    case = escalated()
    with pytest.raises(InvalidInput) as refused:
        case.record_outcome(OUT.FOR_BUYER, refund, OPERATOR, LATER)
    assert refused.value.key == key
    assert case.dispute_stage is DisputeStage.AWAITING_OUTCOME
    if key == "returns.amount_above_paid":
        assert refused.value.params == {"paid": "7.00", "currency": "EUR"}


@pytest.mark.parametrize("outcome", [OUT.FOR_SELLER, OUT.CLOSED])
def test_only_a_decision_for_the_buyer_carries_a_refund(outcome: DisputeOutcome) -> None:
    case = escalated()
    with pytest.raises(InvalidInput):
        case.record_outcome(outcome, "1.00", OPERATOR, LATER)
    assert case.dispute_outcome is None


class _Untouched:
    """A unit of work that fails the test if anything reads or writes through it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the service used uow.{name} before checking the operator")


async def test_only_operators_may_list_or_record_outcomes() -> None:
    """The services check the operator before they read anything: a seller, a buyer or a
    stranger calling them (a handler that forgot the check, a forged press) is refused."""
    uow = cast(UnitOfWork, _Untouched())
    operators = frozenset({OPERATOR})
    command = return_disputes.RecordOutcome(1, OUT.FOR_BUYER, Decimal("1.00"))
    for caller in (9001, 9002, 0):
        calls = [
            return_disputes.disputes(
                caller, operators, return_disputes.DisputeFilter.AWAITING, uow
            ),
            return_disputes.awaiting_outcome(caller, operators, 1, uow),
            return_disputes.ask_to_record(caller, operators, 1, uow),
            return_disputes.record_on_confirmation(caller, operators, command, 123, uow),
            return_disputes.record_outcome(caller, operators, command, uow),
        ]
        for call in calls:
            with pytest.raises(NotAllowed):
                await call
