"""Return deadlines (who must act by when, reminders at half time and 24 hours before) and the
seller's return policy (window, categories not taken back, who pays return postage)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidInput
from domain.returns.deadlines import DeadlineKind, DeadlineRules, Firing, deadline
from domain.returns.policy import (
    DEFAULT_POSTAGE,
    NonReturnableCategory,
    ReturnPolicy,
    clean_category,
    clean_window_days,
)
from domain.returns.rules import OutOfPolicy, PostagePayer, ReturnReason, Side

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
RULES = DeadlineRules()


def _plan(kind: DeadlineKind, **kwargs: object) -> list[tuple[Firing, datetime]]:
    found = deadline(kind, START, RULES, **kwargs)  # type: ignore[arg-type]
    return [(f.firing, f.at) for f in found.firings]


def test_the_seller_answers_a_new_case_within_five_days() -> None:
    found = deadline(DeadlineKind.SELLER_FIRST_ANSWER, START, RULES)
    assert (found.side, found.due_at) == (Side.SELLER, START + timedelta(days=5))
    assert _plan(DeadlineKind.SELLER_FIRST_ANSWER) == [
        (Firing.HALF_TIME, START + timedelta(days=2, hours=12)),
        (Firing.DAY_BEFORE, START + timedelta(days=4)),
        (Firing.LAPSE, START + timedelta(days=5)),
    ]


def test_the_other_side_answers_an_offer_within_72_hours() -> None:
    found = deadline(DeadlineKind.OFFER_ANSWER, START, RULES, offer_from=Side.SELLER)
    assert found.side == Side.BUYER
    assert deadline(DeadlineKind.OFFER_ANSWER, START, RULES, offer_from=Side.BUYER).side == (
        Side.SELLER
    )
    assert _plan(DeadlineKind.OFFER_ANSWER, offer_from=Side.BUYER) == [
        (Firing.HALF_TIME, START + timedelta(hours=36)),
        (Firing.DAY_BEFORE, START + timedelta(hours=48)),
        (Firing.LAPSE, START + timedelta(hours=72)),
    ]
    with pytest.raises(ValueError, match="side that made the offer"):
        deadline(DeadlineKind.OFFER_ANSWER, START, RULES)


def test_the_buyer_ships_an_agreed_return_within_ten_days_or_the_offers_days() -> None:
    found = deadline(DeadlineKind.RETURN_SHIPMENT, START, RULES)
    assert (found.side, found.due_at) == (Side.BUYER, START + timedelta(days=10))
    own = deadline(DeadlineKind.RETURN_SHIPMENT, START, RULES, duration=timedelta(days=4))
    assert [f.at - START for f in own.firings] == [
        timedelta(days=2),
        timedelta(days=3),
        timedelta(days=4),
    ]


def test_short_deadlines_drop_the_reminders_that_would_not_make_sense() -> None:
    rules = DeadlineRules(offer_answer=timedelta(hours=24))
    # 24 hours: "24 hours before" is the start itself; only half time remains.
    assert [f.firing for f in deadline(
        DeadlineKind.OFFER_ANSWER, START, rules, offer_from=Side.SELLER
    ).firings] == [Firing.HALF_TIME, Firing.LAPSE]  # fmt: skip
    rules = DeadlineRules(offer_answer=timedelta(hours=48))
    # 48 hours: half time and 24 hours before are the same moment; one reminder.
    assert [f.firing for f in deadline(
        DeadlineKind.OFFER_ANSWER, START, rules, offer_from=Side.SELLER
    ).firings] == [Firing.HALF_TIME, Firing.LAPSE]  # fmt: skip


def test_deadlines_are_configurable_and_must_be_positive_and_aware() -> None:
    rules = DeadlineRules(seller_first_answer=timedelta(days=3))
    assert deadline(DeadlineKind.SELLER_FIRST_ANSWER, START, rules).due_at == START + timedelta(
        days=3
    )
    with pytest.raises(ValueError, match="positive"):
        DeadlineRules(return_shipment=timedelta(0))
    with pytest.raises(ValueError, match="naive"):
        deadline(DeadlineKind.SELLER_FIRST_ANSWER, START.replace(tzinfo=None), RULES)
    found = deadline(DeadlineKind.SELLER_FIRST_ANSWER, START, RULES)
    assert found.left(START + timedelta(days=1)) == timedelta(days=4)
    assert found.left(START + timedelta(days=9)) == timedelta(0)


# ----- policy -----


def test_default_postage_follows_the_marketplace() -> None:
    policy = ReturnPolicy()
    assert policy.window_days == 15
    for reason in (
        ReturnReason.DAMAGED,
        ReturnReason.NOT_AS_DESCRIBED,
        ReturnReason.WRONG_ITEM,
        ReturnReason.QUALITY_PROBLEM,
    ):
        assert policy.postage_payer(reason) == PostagePayer.STORE
    assert policy.postage_payer(ReturnReason.CHANGED_MIND) == PostagePayer.BUYER
    assert set(DEFAULT_POSTAGE) == set(ReturnReason)


def test_the_window_counts_from_delivery() -> None:
    policy = ReturnPolicy()
    delivered = START - timedelta(days=15)
    assert policy.out_of_policy(ReturnReason.DAMAGED, ["X"], delivered, START) == ()
    late = START + timedelta(seconds=1)
    assert policy.out_of_policy(ReturnReason.DAMAGED, ["X"], delivered, late) == (
        OutOfPolicy.WINDOW,
    )
    # Not known to be delivered yet: the window has not started.
    assert policy.out_of_policy(ReturnReason.CHANGED_MIND, ["X"], None, late) == ()


def test_categories_not_taken_back_apply_only_when_the_store_is_not_at_fault() -> None:
    policy = ReturnPolicy(non_returnable=(NonReturnableCategory("Swimwear", ("SW-", "bikini")),))
    assert policy.out_of_policy(ReturnReason.CHANGED_MIND, ["PC-1", "sw-204"], None, START) == (
        OutOfPolicy.CATEGORY,
    )
    assert policy.out_of_policy(ReturnReason.OTHER, ["BIKINI-RED"], None, START) == (
        OutOfPolicy.CATEGORY,
    )
    assert policy.out_of_policy(ReturnReason.DAMAGED, ["SW-204"], None, START) == ()
    assert policy.out_of_policy(ReturnReason.CHANGED_MIND, [None, "PC-1"], None, START) == ()


def test_a_policy_round_trips_through_storage_and_keeps_defaults_for_new_reasons() -> None:
    policy = ReturnPolicy(
        window_days=30,
        non_returnable=(NonReturnableCategory("Custom prints", ("CUST",)),),
        postage={ReturnReason.QUALITY_PROBLEM: PostagePayer.BUYER},
    )
    stored = policy.as_dict()
    assert ReturnPolicy.from_dict(stored) == policy
    del stored["postage"]["damaged"]
    stored["postage"]["reason_from_the_future"] = "store"
    again = ReturnPolicy.from_dict(stored)
    assert again.postage_payer(ReturnReason.DAMAGED) == PostagePayer.STORE
    assert again.postage_payer(ReturnReason.QUALITY_PROBLEM) == PostagePayer.BUYER


@pytest.mark.parametrize("raw", ["0", "366", "-1", "ten", "", None, "1.5"])
def test_window_days_refused(raw: object) -> None:
    with pytest.raises(InvalidInput):
        clean_window_days(raw)
    with pytest.raises(InvalidInput):
        ReturnPolicy(window_days=0)


def test_categories_as_typed() -> None:
    category = clean_category("  Underwear ", ["UW-", "uw-", "BRA"])
    assert category == NonReturnableCategory("Underwear", ("UW-", "BRA"))
    with pytest.raises(InvalidInput):
        clean_category("Underwear", [])
    with pytest.raises(InvalidInput):
        clean_category("Underwear", ["UW -1"])
    with pytest.raises(InvalidInput):
        clean_category("", ["UW"])
