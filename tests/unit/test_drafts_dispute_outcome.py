"""The form recording a dispute's outcome, without Telegram: the amount is asked only for a
decision for the buyer, typed (a value or a share) or all that was paid, never above it; another
outcome drops it; the command is complete or refused; the draft survives storage."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.drafts import OutcomeDraft
from domain.errors import InvalidInput
from domain.returns.rules import DisputeOutcome
from domain.services import return_disputes

OUT = DisputeOutcome


def draft() -> OutcomeDraft:
    return OutcomeDraft(
        case_id=7, currency="EUR", paid=Decimal("7.00"), order_number="AE-1", store="Li"
    )


def test_only_a_decision_for_the_buyer_asks_the_refund() -> None:
    assert not draft().refund_applies
    assert draft().with_outcome("for_buyer").refund_applies
    for outcome in ("for_seller", "closed"):
        chosen = draft().with_outcome(outcome)
        assert not chosen.refund_applies
        assert chosen.command() == return_disputes.RecordOutcome(7, OUT(outcome), None)
        with pytest.raises(InvalidInput):
            chosen.with_refund("1.00")
        with pytest.raises(InvalidInput):
            chosen.with_whole_refund()


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("3.50", "3.50"), ("3,5", "3.50"), ("€ 2", "2.00"), ("50%", "3.50"), ("7", "7.00")],
)
def test_the_refund_as_people_type_it(typed: str, amount: str) -> None:
    chosen = draft().with_outcome("for_buyer").with_refund(typed)
    assert chosen.command() == return_disputes.RecordOutcome(7, OUT.FOR_BUYER, Decimal(amount))


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("7.01", "returns.amount_above_paid"),
        ("0", "returns.amount_invalid"),
        ("1.005", "numbers.too_many_decimals"),
        ("lots", "numbers.not_a_number"),
        ("1e1", "numbers.not_a_number"),
        ("150%", "returns.amount_above_paid"),
        ("101%", "returns.amount_above_paid"),
    ],
)
def test_a_refund_above_what_was_paid_or_unreadable_is_refused(typed: str, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        draft().with_outcome("for_buyer").with_refund(typed)
    assert refused.value.key == key


def test_all_that_was_paid_with_one_press() -> None:
    chosen = draft().with_outcome("for_buyer").with_whole_refund()
    assert chosen.refund == Decimal("7.00")


def test_another_outcome_drops_the_refund_and_the_same_one_keeps_it() -> None:
    chosen = draft().with_outcome("for_buyer").with_refund("2")
    assert chosen.with_outcome("for_buyer").refund == Decimal("2.00")
    assert chosen.with_outcome("closed").refund is None
    assert chosen.with_outcome("closed").with_outcome("for_buyer").refund is None


def test_an_unknown_outcome_or_an_unanswered_form_is_refused() -> None:
    with pytest.raises(InvalidInput):
        draft().with_outcome("for_everyone")
    with pytest.raises(InvalidInput):
        draft().command()
    with pytest.raises(InvalidInput):
        draft().with_outcome("for_buyer").command()  # the amount is not given yet


def test_the_draft_survives_storage() -> None:
    chosen = draft().with_outcome("for_buyer").with_refund("3.50")
    assert OutcomeDraft.from_data(chosen.to_data()) == chosen
