"""The buyer's return request draft: its rules, without Telegram or a database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.drafts import ReturnDraft
from domain.drafts.return_case import MAX_VIDEO_SECONDS, DraftLine
from domain.errors import InvalidInput
from domain.model import NewEvidence
from domain.returns.offers import OfferTerms
from domain.returns.rules import (
    MAX_EVIDENCE_PER_SIDE,
    EvidenceKind,
    OutOfPolicy,
    Resolution,
    ReturnReason,
)
from domain.services import buyer_returns

CASE = 11
MUG, PLATE, BOWL = 101, 102, 103


def _draft(**changes: object) -> ReturnDraft:
    draft = ReturnDraft(
        order_id=7,
        order_number="AE-1",
        currency="EUR",
        lines=(
            DraftLine(MUG, "Mug", Decimal("4.00"), 3),
            DraftLine(PLATE, "Plate", Decimal("2.50"), 1),
            DraftLine(BOWL, "Bowl", Decimal("6.00"), 0),  # in an open case already
        ),
        not_taken_back=(PLATE,),
    )
    return ReturnDraft(**{**draft.__dict__, **changes})  # type: ignore[arg-type]


def _refused(key: str, call: object, *args: object, **kwargs: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        call(*args, **kwargs)  # type: ignore[operator]
    assert refused.value.key == key
    return refused.value


def _photo(n: int) -> tuple[EvidenceKind, str, str]:
    return EvidenceKind.PHOTO, f"file-{n}", f"uniq-{n}"


def test_starts_from_what_the_service_says_the_order_offers() -> None:
    start = buyer_returns.ReturnStart(
        order_id=7,
        order_number="AE-1",
        currency="EUR",
        lines=(buyer_returns.ReturnableLine(MUG, "Mug", Decimal("4.00"), 3, False),),
        window_closed=True,
        window_closes_at=datetime(2026, 11, 1, tzinfo=UTC),
        not_taken_back=(),
    )
    draft = ReturnDraft.start(start)
    assert draft.lines == (DraftLine(MUG, "Mug", Decimal("4.00"), 3),)
    assert draft.window_closed and draft.quantities == {}


def test_quantities_are_at_most_what_is_left_and_zero_leaves_the_line_out() -> None:
    draft = _draft().with_quantity(MUG, "2")
    assert draft.quantities == {MUG: 2}
    assert draft.paid == Decimal("8.00")
    assert _refused("returns.quantity_invalid", draft.with_quantity, MUG, "4").params == {"max": 3}
    _refused("numbers.not_a_number", draft.with_quantity, MUG, "two")
    _refused("returns.quantity_invalid", draft.with_quantity, MUG, "-1")
    _refused("numbers.not_a_whole_number", draft.with_quantity, MUG, "1.5")
    assert draft.with_quantity(MUG, " 0 ").quantities == {}


def test_a_line_in_an_open_case_or_of_another_order_cannot_be_chosen() -> None:
    _refused("errors.invalid_choice", _draft().with_quantity, BOWL, "1")
    _refused("errors.invalid_choice", _draft().toggle_line, 999)


def test_a_line_with_one_item_left_is_toggled() -> None:
    draft = _draft().toggle_line(PLATE)
    assert draft.quantities == {PLATE: 1}
    assert draft.toggle_line(PLATE).quantities == {}


def test_at_least_one_item_is_needed() -> None:
    _refused("returns.items_required", _draft().finish_items)
    assert _draft().with_quantity(MUG, "1").finish_items().quantities == {MUG: 1}


def test_reasons_and_resolutions_come_from_the_vocabulary() -> None:
    assert _draft().with_reason("damaged").reason is ReturnReason.DAMAGED
    _refused("errors.invalid_choice", _draft().with_reason, "bored")
    _refused("errors.invalid_choice", _draft().with_resolution, "money_back_twice")


def test_comment_is_one_line_of_limited_length() -> None:
    assert _draft().with_comment("  Box\ncrushed ").comment == "Box crushed"
    _refused("returns.comment_invalid", _draft().with_comment, "x" * 1001)
    assert _draft(comment="old").without_comment().comment is None


@pytest.mark.parametrize(
    "reason",
    [
        ReturnReason.DAMAGED,
        ReturnReason.NOT_AS_DESCRIBED,
        ReturnReason.WRONG_ITEM,
        ReturnReason.MISSING_PARTS,
    ],
)
def test_goods_at_fault_need_a_photo_or_video(reason: ReturnReason) -> None:
    draft = _draft(reason=reason)
    assert draft.needs_evidence
    assert _refused("returns.evidence_required", draft.finish_evidence).params == {
        "reason": reason.value
    }
    assert draft.with_evidence(*_photo(1)).finish_evidence().evidence


@pytest.mark.parametrize(
    "reason", [ReturnReason.QUALITY_PROBLEM, ReturnReason.CHANGED_MIND, ReturnReason.OTHER]
)
def test_other_reasons_may_go_without_evidence(reason: ReturnReason) -> None:
    assert _draft(reason=reason).finish_evidence().evidence == ()


def test_evidence_up_to_ten_never_twice_and_videos_short() -> None:
    draft = _draft(reason=ReturnReason.DAMAGED)
    for n in range(MAX_EVIDENCE_PER_SIDE):
        draft = draft.with_evidence(*_photo(n))
    assert len(draft.evidence) == MAX_EVIDENCE_PER_SIDE
    _refused("returns.evidence_limit", draft.with_evidence, *_photo(99))
    _refused(
        "returns.evidence_duplicate", _draft().with_evidence(*_photo(1)).with_evidence, *_photo(1)
    )
    _refused(
        "returns.video_too_long",
        _draft().with_evidence,
        EvidenceKind.VIDEO,
        "v",
        "uv",
        seconds=MAX_VIDEO_SECONDS + 1,
    )
    short = _draft().with_evidence(EvidenceKind.VIDEO, "v", "uv", seconds=MAX_VIDEO_SECONDS)
    assert short.evidence[0].kind is EvidenceKind.VIDEO


def test_the_amount_step_applies_only_to_partial_refunds() -> None:
    draft = _draft().with_quantity(MUG, "2")
    for resolution in Resolution:
        assert draft.with_resolution(resolution.value).amount_applies == resolution.is_partial
    _refused("errors.invalid_choice", draft.with_resolution("exchange").with_amount, "3")


def test_the_amount_is_checked_against_what_was_paid_for_the_chosen_items() -> None:
    draft = _draft().with_quantity(MUG, "2").with_resolution("refund_partial")
    assert draft.with_amount("3,50").amount == Decimal("3.50")
    # As buyers write it: with the currency, or as a share of what was paid (the prompt's hint).
    assert draft.with_amount("2,5 €").amount == Decimal("2.50")
    assert draft.with_amount("EUR 3").amount == Decimal("3.00")
    assert draft.with_amount("50%").amount == Decimal("4.00")
    refused = _refused("returns.amount_above_paid", draft.with_amount, "8.01")
    assert refused.params == {"paid": "8.00", "currency": "EUR"}
    _refused("returns.partial_below_paid", draft.with_amount, "8")
    _refused("returns.amount_invalid", draft.with_amount, "0")
    _refused("numbers.too_many_decimals", draft.with_amount, "1.234")
    _refused("numbers.not_a_number", draft.with_amount, "lots")


def test_another_resolution_or_other_items_ask_the_amount_again() -> None:
    draft = _draft().with_quantity(MUG, "2").with_resolution("refund_partial").with_amount("3")
    assert draft.with_resolution("keep_partial_refund").amount is None
    assert draft.for_edit("items").amount is None
    assert draft.for_edit("reason").amount == Decimal("3")


def test_out_of_policy_window_and_category_for_no_fault_reasons_only() -> None:
    plate = _draft().toggle_line(PLATE)
    assert plate.with_reason("changed_mind").out_of_policy() == (OutOfPolicy.CATEGORY,)
    assert plate.with_reason("damaged").out_of_policy() == ()
    late = _draft(window_closed=True).with_quantity(MUG, "1").with_reason("other")
    assert late.out_of_policy() == (OutOfPolicy.WINDOW,)


def test_the_command_is_the_request_as_entered() -> None:
    draft = (
        _draft()
        .with_quantity(MUG, "2")
        .toggle_line(PLATE)
        .with_reason("damaged")
        .with_comment("Crushed")
        .with_evidence(*_photo(1))
        .with_resolution("keep_partial_refund")
        .with_amount("5")
    )
    command = draft.command(CASE)
    assert command.user_id == CASE and command.order_id == 7
    assert list(command.items) == [(MUG, 2), (PLATE, 1)]
    assert command.reason is ReturnReason.DAMAGED and command.comment == "Crushed"
    assert command.wanted == OfferTerms(Resolution.KEEP_PARTIAL_REFUND, Decimal("5.00"))
    assert list(command.evidence) == [NewEvidence(EvidenceKind.PHOTO, "file-1", "uniq-1")]


def test_an_incomplete_request_is_not_submitted() -> None:
    _refused("errors.invalid_choice", _draft().command, CASE)
    partial = (
        _draft().with_quantity(MUG, "1").with_reason("other").with_resolution("refund_partial")
    )
    _refused("returns.amount_required", partial.command, CASE)
    no_photo = _draft().with_quantity(MUG, "1").with_reason("damaged").with_resolution("exchange")
    _refused("returns.evidence_required", no_photo.command, CASE)


def test_it_survives_storage_as_json() -> None:
    draft = (
        _draft(window_closed=True)
        .with_quantity(MUG, "2")
        .with_reason("missing_parts")
        .with_evidence(EvidenceKind.VIDEO, "v", "uv", seconds=5)
        .with_resolution("refund_partial")
        .with_amount("1.50")
    )
    assert ReturnDraft.from_data(json.loads(json.dumps(draft.to_data()))) == draft
