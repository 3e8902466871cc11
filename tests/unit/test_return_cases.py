"""The return case aggregate without a database: every action in every state, allowed and
refused, against a table written out here independently of the code; offers and their caps;
evidence; lapses; messages."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.drafts import ReturnLegDraft
from domain.errors import ConflictError, InvalidInput
from domain.model import (
    RETURN_TRANSITIONS,
    WITHDRAWABLE_RETURNS,
    NewEvidence,
    OrderLine,
    ReturnCase,
)
from domain.returns.offers import OfferRules, OfferTerms
from domain.returns.rules import (
    FINAL_STATUSES,
    Action,
    CaseStatus,
    EvidenceKind,
    MessageKind,
    OfferStatus,
    PostagePayer,
    Resolution,
    ReturnReason,
    Side,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
B, S = Side.BUYER, Side.SELLER
A = Action
R = Resolution
WAREHOUSE = 77
_ids = itertools.count(1000)


def photo(n: int = 1) -> NewEvidence:
    return NewEvidence(EvidenceKind.PHOTO, f"file-{n}", f"uniq-{n}")


def order_lines() -> list[OrderLine]:
    return [
        OrderLine(id=11, position=1, product_name="Phone case", sku="PC-1", quantity=2,
                  unit_price=Decimal("3.50")),
        OrderLine(id=12, position=2, product_name="USB cable", sku=None, quantity=1,
                  unit_price=Decimal("0.99")),
    ]  # fmt: skip


def _ids_for(case: ReturnCase) -> None:
    """What a flush would do: give new offers an id."""
    for offer in case.offers:
        if offer.id is None:
            offer.id = next(_ids)


FULL_REFUND = OfferTerms(R.REFUND_FULL)


def open_case(
    wanted: OfferTerms = FULL_REFUND,
    *,
    reason: ReturnReason = ReturnReason.DAMAGED,
    evidence: tuple[NewEvidence, ...] = (photo(),),
    items: list[tuple[int, int]] | None = None,
) -> ReturnCase:
    lines = {line.id: line for line in order_lines()}
    case = ReturnCase.open(
        order_id=1,
        seller_id=2,
        buyer_user_id=3,
        currency="EUR",
        items=[(lines[i], q) for i, q in (items if items is not None else [(11, 2)])],
        reason=reason,
        comment="The box was crushed",
        wanted=wanted,
        evidence=evidence,
        out_of_policy=(),
        offer_rules=OfferRules(PostagePayer.STORE, 10, respond_by=NOW + timedelta(days=5)),
        now=NOW,
    )
    case.id = 500
    _ids_for(case)
    return case


OFFER_RULES = OfferRules(PostagePayer.STORE, 10, respond_by=NOW + timedelta(hours=72))


def propose(case: ReturnCase, side: Side, terms: OfferTerms) -> None:
    case.propose_offer(side, terms, OFFER_RULES, NOW)
    _ids_for(case)


def counter(case: ReturnCase, side: Side, terms: OfferTerms) -> None:
    case.counter_offer(side, terms, OFFER_RULES, NOW)
    _ids_for(case)


# ----- the cases in each state -----


def requested() -> ReturnCase:
    return open_case()


def negotiating_no_offer() -> ReturnCase:
    case = open_case()
    case.decline_offer(S, NOW)
    return case


def negotiating_seller_offer() -> ReturnCase:
    case = open_case()
    counter(case, S, OfferTerms(R.REFUND_PARTIAL, Decimal("2.10")))
    return case


def agreed_refund() -> ReturnCase:
    case = open_case()
    case.accept_offer(S, NOW)
    return case


def awaiting_return(resolution: Resolution = R.RETURN_AND_REFUND) -> ReturnCase:
    case = open_case(OfferTerms(resolution))
    case.accept_offer(S, NOW, warehouse_id=WAREHOUSE)
    return case


def in_transit(resolution: Resolution = R.RETURN_AND_REFUND) -> ReturnCase:
    case = awaiting_return(resolution)
    case.record_return_tracking(B, "RB123456785CN", "China Post", NOW)
    return case


def received(resolution: Resolution = R.RETURN_AND_REFUND) -> ReturnCase:
    case = in_transit(resolution)
    case.confirm_receipt(S, "Arrived in the original box", NOW)
    return case


def resolved() -> ReturnCase:
    case = agreed_refund()
    case.record_refund(S, "7.00", "PP-123", NOW)
    return case


def declined() -> ReturnCase:
    case = open_case()
    case.decline_case(S, "Used and washed", NOW)
    return case


def withdrawn() -> ReturnCase:
    case = open_case()
    case.withdraw(B, NOW)
    return case


def expired() -> ReturnCase:
    case = open_case()
    assert case.seller_silence_lapsed(NOW)
    return case


def refund_overdue() -> ReturnCase:
    case = agreed_refund()
    assert case.refund_lapsed(NOW + timedelta(days=7))
    return case


def escalated() -> ReturnCase:
    case = negotiating_seller_offer()
    case.escalate(B, NOW)
    return case


ALWAYS = {A.POST_MESSAGE, A.ESCALATE}
EXPECTED: dict[str, tuple[Callable[[], ReturnCase], CaseStatus, set[Action], set[Action]]] = {
    "requested": (
        requested,
        CaseStatus.REQUESTED,
        ALWAYS | {A.ADD_EVIDENCE, A.WITHDRAW},
        ALWAYS | {A.ACCEPT_OFFER, A.DECLINE_OFFER, A.COUNTER_OFFER, A.DECLINE_CASE},
    ),
    "negotiating, nothing on the table": (
        negotiating_no_offer,
        CaseStatus.NEGOTIATING,
        ALWAYS | {A.PROPOSE_OFFER, A.ADD_EVIDENCE, A.WITHDRAW},
        ALWAYS | {A.PROPOSE_OFFER, A.DECLINE_CASE},
    ),
    "negotiating, the seller's offer open": (
        negotiating_seller_offer,
        CaseStatus.NEGOTIATING,
        ALWAYS | {A.ACCEPT_OFFER, A.DECLINE_OFFER, A.COUNTER_OFFER, A.ADD_EVIDENCE, A.WITHDRAW},
        ALWAYS | {A.DECLINE_CASE},
    ),
    "agreed on a refund": (
        agreed_refund,
        CaseStatus.AGREED,
        ALWAYS | {A.WITHDRAW},
        ALWAYS | {A.RECORD_REFUND},
    ),
    "awaiting the return": (
        awaiting_return,
        CaseStatus.AWAITING_RETURN_SHIPMENT,
        ALWAYS | {A.RECORD_RETURN_TRACKING, A.WITHDRAW},
        ALWAYS,
    ),
    "return in transit": (
        in_transit,
        CaseStatus.RETURN_IN_TRANSIT,
        ALWAYS | {A.RECORD_RETURN_TRACKING},
        ALWAYS | {A.CONFIRM_RECEIPT},
    ),
    "received, refund to record": (
        received,
        CaseStatus.RECEIVED,
        ALWAYS,
        ALWAYS | {A.RECORD_REFUND},
    ),
    "received, exchange": (
        lambda: received(R.EXCHANGE),
        CaseStatus.RECEIVED,
        ALWAYS,
        ALWAYS | {A.RESOLVE},
    ),
    "resolved": (resolved, CaseStatus.RESOLVED, set(), set()),
    # The store's refusal closes the case, but the buyer may still take it to the platform.
    "declined": (declined, CaseStatus.DECLINED, {A.ESCALATE}, set()),
    "withdrawn": (withdrawn, CaseStatus.WITHDRAWN, set(), set()),
    "expired": (expired, CaseStatus.EXPIRED, set(), set()),
    # The store never recorded the agreed refund: closed, the buyer may go to the platform.
    "expired, refund not recorded": (refund_overdue, CaseStatus.EXPIRED, {A.ESCALATE}, set()),
    "escalated": (escalated, CaseStatus.ESCALATED, set(), set()),
}


def perform(case: ReturnCase, side: Side, action: Action) -> None:
    """Do `action` with arguments that are valid whenever the action is allowed."""
    terms = OfferTerms(R.REFUND_PARTIAL, Decimal("1.00"))
    calls: dict[Action, Callable[[], object]] = {
        A.POST_MESSAGE: lambda: case.post_message(
            side, MessageKind.TEXT, text="hello", telegram_file_id=None, masked=(), now=NOW
        ),
        A.ADD_EVIDENCE: lambda: case.add_evidence(side, photo(9), NOW),
        A.PROPOSE_OFFER: lambda: propose(case, side, terms),
        A.COUNTER_OFFER: lambda: counter(case, side, terms),
        A.ACCEPT_OFFER: lambda: case.accept_offer(side, NOW, warehouse_id=WAREHOUSE),
        A.DECLINE_OFFER: lambda: case.decline_offer(side, NOW),
        A.DECLINE_CASE: lambda: case.decline_case(side, "Worn already", NOW),
        A.WITHDRAW: lambda: case.withdraw(side, NOW),
        A.ESCALATE: lambda: case.escalate(side, NOW),
        A.RECORD_RETURN_TRACKING: lambda: case.record_return_tracking(
            side, "RB123456785CN", None, NOW
        ),
        A.CONFIRM_RECEIPT: lambda: case.confirm_receipt(side, None, NOW),
        A.RECORD_REFUND: lambda: case.record_refund(side, case.agreed_amount or "1.00", None, NOW),
        A.RESOLVE: lambda: case.resolve(side, "Replacement sent", NOW),
    }
    calls[action]()


@pytest.mark.parametrize("state", list(EXPECTED))
def test_each_state_offers_exactly_the_expected_actions(state: str) -> None:
    make, status, buyer, seller = EXPECTED[state]
    case = make()
    assert case.status == status
    assert case.allowed_actions(B) == buyer
    assert case.allowed_actions(S) == seller


@pytest.mark.parametrize(
    ("state", "side", "action"),
    [(state, side, action) for state in EXPECTED for side in Side for action in Action],
)
def test_every_action_is_done_when_allowed_and_refused_otherwise(
    state: str, side: Side, action: Action
) -> None:
    make, _status, buyer, seller = EXPECTED[state]
    case = make()
    allowed = action in (buyer if side is B else seller)
    before = (case.status, len(case.events), [(o.id, o.status) for o in case.offers])
    if allowed:
        perform(case, side, action)
        return
    with pytest.raises(ConflictError) as refused:
        perform(case, side, action)
    assert refused.value.key == "returns.action_refused"
    assert refused.value.params["action"] == action.value
    # A refused move changes nothing.
    assert (case.status, len(case.events), [(o.id, o.status) for o in case.offers]) == before


@pytest.mark.parametrize("state", list(EXPECTED))
def test_the_buyer_may_withdraw_exactly_in_the_statuses_erasure_tells_them_to(state: str) -> None:
    """/delete_my_data tells a buyer to withdraw their cases in `WITHDRAWABLE_RETURNS`."""
    _make, status, buyer, _seller = EXPECTED[state]
    assert (status in WITHDRAWABLE_RETURNS) == (A.WITHDRAW in buyer)


def test_the_transition_table_is_the_lifecycle_of_the_architecture() -> None:
    reachable = {status: set(targets) for status, targets in RETURN_TRANSITIONS.items()}
    assert reachable[CaseStatus.REQUESTED] >= {CaseStatus.NEGOTIATING, CaseStatus.AGREED}
    assert CaseStatus.AWAITING_RETURN_SHIPMENT in reachable[CaseStatus.AGREED]
    assert reachable[CaseStatus.AWAITING_RETURN_SHIPMENT] >= {CaseStatus.RETURN_IN_TRANSIT}
    assert reachable[CaseStatus.RETURN_IN_TRANSIT] == {CaseStatus.RECEIVED, CaseStatus.ESCALATED}
    # A received return whose refund is never recorded expires (the refund's deadline).
    assert reachable[CaseStatus.RECEIVED] == {
        CaseStatus.RESOLVED,
        CaseStatus.EXPIRED,
        CaseStatus.ESCALATED,
    }
    for final in FINAL_STATUSES - {CaseStatus.DECLINED, CaseStatus.EXPIRED}:
        assert reachable[final] == set()
    # The buyer may still go to the platform after a refusal or an unrecorded refund.
    assert reachable[CaseStatus.DECLINED] == {CaseStatus.ESCALATED}
    assert reachable[CaseStatus.EXPIRED] == {CaseStatus.ESCALATED}
    for status in set(CaseStatus) - FINAL_STATUSES:
        assert CaseStatus.ESCALATED in reachable[status]


def test_a_refused_case_taken_to_the_platform_puts_its_items_back_in_dispute() -> None:
    case = declined()
    assert [line.active for line in case.lines] == [False]
    case.escalate(B, NOW + timedelta(days=1))
    assert (case.status, case.status_before_escalation, case.escalated_by) == (
        CaseStatus.ESCALATED,
        CaseStatus.DECLINED,
        B,
    )
    assert [line.active for line in case.lines] == [True]
    assert case.allowed_actions(B) == case.allowed_actions(S) == frozenset()


# ----- opening -----


def test_opening_puts_the_buyers_wish_on_the_table_and_records_it() -> None:
    case = open_case(OfferTerms(R.REFUND_PARTIAL, Decimal("3.00")))
    assert case.status == CaseStatus.REQUESTED
    assert case.paid == Decimal("7.00")
    assert [(o.side, o.resolution, o.amount, o.status) for o in case.offers] == [
        (B, R.REFUND_PARTIAL, Decimal("3.00"), OfferStatus.OPEN)
    ]
    assert [e.action for e in case.events] == ["opened"]
    assert [(line.order_line_id, line.quantity, line.active) for line in case.lines] == [
        (11, 2, True)
    ]


@pytest.mark.parametrize(
    "reason",
    [
        ReturnReason.DAMAGED,
        ReturnReason.NOT_AS_DESCRIBED,
        ReturnReason.WRONG_ITEM,
        ReturnReason.MISSING_PARTS,
    ],
)
def test_reasons_that_need_proof_refuse_a_case_without_evidence(reason: ReturnReason) -> None:
    with pytest.raises(InvalidInput) as refused:
        open_case(reason=reason, evidence=())
    assert refused.value.key == "returns.evidence_required"


@pytest.mark.parametrize(
    "reason", [ReturnReason.CHANGED_MIND, ReturnReason.QUALITY_PROBLEM, ReturnReason.OTHER]
)
def test_other_reasons_open_without_evidence(reason: ReturnReason) -> None:
    assert open_case(reason=reason, evidence=()).evidence == []


def test_evidence_is_capped_at_ten_per_side_and_never_twice() -> None:
    case = open_case(evidence=tuple(photo(n) for n in range(10)))
    with pytest.raises(InvalidInput) as refused:
        case.add_evidence(B, photo(99), NOW)
    assert refused.value.key == "returns.evidence_limit"
    with pytest.raises(InvalidInput) as refused:
        open_case(evidence=tuple(photo(n) for n in range(11)))
    assert refused.value.key == "returns.evidence_limit"
    with pytest.raises(InvalidInput) as refused:
        open_case(evidence=(photo(1), photo(1)))
    assert refused.value.key == "returns.evidence_duplicate"


@pytest.mark.parametrize(
    "items", [[], [(11, 0)], [(11, 3)], [(12, 2)], [(11, 1), (11, 1)]], ids=str
)
def test_quantities_must_be_of_the_order(items: list[tuple[int, int]]) -> None:
    with pytest.raises(InvalidInput):
        open_case(items=items)


def test_items_already_taken_back_by_an_earlier_case_cannot_be_asked_again() -> None:
    line = order_lines()[0]
    kwargs = dict(
        order_id=1, seller_id=2, buyer_user_id=3, currency="EUR", reason=ReturnReason.OTHER,
        comment=None, wanted=OfferTerms(R.REFUND_FULL), evidence=(), out_of_policy=(),
        offer_rules=OfferRules(PostagePayer.BUYER, 10, respond_by=NOW), now=NOW,
    )  # fmt: skip
    with pytest.raises(InvalidInput):
        ReturnCase.open(items=[(line, 2)], returned={11: 1}, **kwargs)  # type: ignore[arg-type]
    case = ReturnCase.open(items=[(line, 1)], returned={11: 1}, **kwargs)  # type: ignore[arg-type]
    assert case.paid == Decimal("3.50")


# ----- offers -----


@pytest.mark.parametrize(
    ("terms", "key"),
    [
        (OfferTerms(R.REFUND_PARTIAL, Decimal("7.01")), "returns.amount_above_paid"),
        (OfferTerms(R.REFUND_PARTIAL, Decimal("7.00")), "returns.partial_below_paid"),
        (OfferTerms(R.KEEP_PARTIAL_REFUND, Decimal("0")), "returns.amount_invalid"),
        (OfferTerms(R.REFUND_PARTIAL, Decimal("-1")), "returns.amount_invalid"),
        (OfferTerms(R.REFUND_PARTIAL, Decimal("1.005")), "numbers.too_many_decimals"),
        (OfferTerms(R.REFUND_PARTIAL), "returns.amount_required"),
        (OfferTerms(R.REFUND_FULL, Decimal("6.00")), "returns.full_refund_is_all"),
        (OfferTerms(R.RETURN_AND_REFUND, Decimal("8"), warehouse_id=1), "returns.amount_above_paid"),
        (OfferTerms(R.EXCHANGE, Decimal("1"), warehouse_id=1), "returns.no_amount_for_exchange"),
        (OfferTerms(R.RETURN_AND_REFUND), "returns.warehouse_required"),
        (OfferTerms(R.EXCHANGE, warehouse_id=1, act_within_days=0), "returns.days_invalid"),
        (OfferTerms(R.EXCHANGE, warehouse_id=1, act_within_days=31), "returns.days_invalid"),
        (OfferTerms(R.REFUND_PARTIAL, Decimal("1"), warehouse_id=1), "returns.no_return_in_this_resolution"),
    ],
)  # fmt: skip
def test_offer_terms_are_capped_by_what_was_paid(terms: OfferTerms, key: str) -> None:
    case = negotiating_no_offer()
    with pytest.raises(InvalidInput) as refused:
        propose(case, S, terms)
    assert refused.value.key == key
    assert case.open_offer is None


def test_full_and_return_refunds_default_to_what_was_paid_and_postage_to_the_policy() -> None:
    case = negotiating_no_offer()
    propose(case, S, OfferTerms(R.RETURN_AND_REFUND, warehouse_id=WAREHOUSE))
    offer = case.open_offer
    assert offer is not None
    assert (offer.amount, offer.postage_payer, offer.act_within_days) == (
        Decimal("7.00"),
        PostagePayer.STORE,
        10,
    )
    case.decline_offer(B, NOW)
    propose(case, B, OfferTerms(R.REFUND_FULL))
    assert case.open_offer is not None and case.open_offer.amount == Decimal("7.00")
    assert case.open_offer.postage_payer is None


def test_one_open_offer_at_a_time_and_a_counter_replaces_it() -> None:
    case = negotiating_no_offer()
    propose(case, S, OfferTerms(R.REFUND_PARTIAL, Decimal("2.10")))
    with pytest.raises(ConflictError):
        propose(case, B, OfferTerms(R.REFUND_PARTIAL, Decimal("3.50")))
    with pytest.raises(ConflictError):
        counter(case, S, OfferTerms(R.REFUND_PARTIAL, Decimal("2.50")))  # not one's own
    first = case.open_offer
    assert first is not None
    counter(case, B, OfferTerms(R.REFUND_PARTIAL, Decimal("3.50")))
    second = case.open_offer
    assert second is not None and second.side == B and second.replaces_id == first.id
    assert first.status == OfferStatus.COUNTERED
    assert [o.status for o in case.offers].count(OfferStatus.OPEN) == 1
    case.accept_offer(S, NOW)
    assert (case.status, case.agreed_resolution, case.agreed_amount) == (
        CaseStatus.AGREED,
        R.REFUND_PARTIAL,
        Decimal("3.50"),
    )
    assert second.status == OfferStatus.ACCEPTED
    assert [e.action for e in case.events] == [
        "opened",
        "offer_declined",
        "offer_proposed",
        "offer_countered",
        "offer_accepted",
    ]


def test_a_refused_counter_leaves_the_open_offer_as_it_was() -> None:
    case = negotiating_seller_offer()
    before = [(o.id, o.status) for o in case.offers]
    with pytest.raises(InvalidInput):
        counter(case, B, OfferTerms(R.REFUND_PARTIAL, Decimal("99")))
    assert [(o.id, o.status) for o in case.offers] == before
    assert case.open_offer is case.offers[-1]


def test_a_buyers_return_needs_the_seller_to_name_the_warehouse_on_accepting() -> None:
    case = open_case(OfferTerms(R.EXCHANGE))
    with pytest.raises(InvalidInput) as refused:
        case.accept_offer(S, NOW)
    assert refused.value.key == "returns.warehouse_required"
    assert case.status == CaseStatus.REQUESTED
    case.accept_offer(S, NOW, warehouse_id=WAREHOUSE)
    assert case.status == CaseStatus.AWAITING_RETURN_SHIPMENT
    assert case.return_warehouse_id == WAREHOUSE
    assert case.return_ship_by == NOW + timedelta(days=10)
    assert [e.action for e in case.events][-2:] == ["offer_accepted", "return_requested"]


@pytest.mark.parametrize("recorded", ["3.00", "4.00"])
def test_the_refund_recorded_is_at_least_what_was_agreed(recorded: str) -> None:
    """Less than agreed does not close the case (the buyer would lose their dispute over the
    shortfall); the agreed amount or more (a store may give more, never above what was paid)
    does."""
    case = open_case(OfferTerms(R.REFUND_PARTIAL, Decimal("3.00")))
    case.accept_offer(S, NOW)
    with pytest.raises(InvalidInput) as refused:
        case.record_refund(S, "2.99", None, NOW)
    assert (refused.value.key, refused.value.params) == (
        "returns.refund_below_agreed",
        {"agreed": "3.00", "currency": "EUR"},
    )
    assert (case.status, case.refund_amount) == (CaseStatus.AGREED, None)
    assert A.ESCALATE in case.allowed_actions(S)  # the store's way if the goods were not as agreed
    case.record_refund(S, recorded, None, NOW)
    assert (case.status, case.refund_amount) == (CaseStatus.RESOLVED, Decimal(recorded))


def test_the_refund_form_refuses_less_than_agreed_before_the_summary() -> None:
    draft = ReturnLegDraft(case_id=1, currency="EUR", paid=Decimal("7.00"), agreed=Decimal("3.00"))
    with pytest.raises(InvalidInput) as refused:
        draft.with_amount("2")
    assert refused.value.key == "returns.refund_below_agreed"
    with pytest.raises(InvalidInput):
        draft.with_amount("40%")  # 2.80
    assert draft.with_amount("50%").amount == Decimal("3.50")
    assert draft.with_agreed_amount().amount == Decimal("3.00")


def test_the_refund_recorded_can_not_exceed_what_was_paid() -> None:
    case = agreed_refund()
    with pytest.raises(InvalidInput) as refused:
        case.record_refund(S, "7.01", None, NOW)
    assert refused.value.key == "returns.amount_above_paid"
    case.record_refund(S, "7.00", "  PP-2026-1 ", NOW)
    assert (case.status, case.refund_amount, case.refund_reference) == (
        CaseStatus.RESOLVED,
        Decimal("7.00"),
        "PP-2026-1",
    )


# ----- endings and lapses -----


def test_a_closed_case_frees_its_lines_and_ends_its_open_offer() -> None:
    case = withdrawn()
    assert [line.active for line in case.lines] == [False]
    assert [o.status for o in case.offers] == [OfferStatus.WITHDRAWN]
    assert case.closed_at == NOW


def test_escalation_freezes_the_case_as_it_stood() -> None:
    case = escalated()
    assert case.status_before_escalation == CaseStatus.NEGOTIATING
    assert case.escalated_by == B
    assert [line.active for line in case.lines] == [True]  # still in dispute
    assert case.open_offer is not None  # kept as it was, for the transcript
    with pytest.raises(ConflictError):
        case.post_message(B, MessageKind.TEXT, text="hi", telegram_file_id=None, masked=(), now=NOW)


def test_seller_silence_expires_only_an_unanswered_new_case() -> None:
    case = open_case()
    assert case.seller_silence_lapsed(NOW)
    assert case.status == CaseStatus.EXPIRED
    assert [o.status for o in case.offers] == [OfferStatus.LAPSED]
    answered = negotiating_seller_offer()
    assert not answered.seller_silence_lapsed(NOW)
    assert answered.status == CaseStatus.NEGOTIATING


def test_an_unanswered_offer_lapses_and_the_negotiation_goes_on() -> None:
    case = negotiating_seller_offer()
    offer = case.open_offer
    assert offer is not None
    assert not case.offer_lapsed(offer.id + 1, NOW)  # an older offer's firing
    assert case.offer_lapsed(offer.id, NOW)
    assert (offer.status, case.status) == (OfferStatus.LAPSED, CaseStatus.NEGOTIATING)
    assert A.PROPOSE_OFFER in case.allowed_actions(B)
    assert not case.offer_lapsed(offer.id, NOW)  # once only
    # The opening request is the seller's first answer: its own deadline, not this one.
    fresh = open_case()
    assert fresh.offers[0].id is not None
    assert not fresh.offer_lapsed(fresh.offers[0].id, NOW)


def test_a_return_not_shipped_in_time_expires_the_agreement() -> None:
    case = awaiting_return()
    assert case.return_shipment_lapsed(NOW)
    assert case.status == CaseStatus.EXPIRED
    assert not in_transit().return_shipment_lapsed(NOW)


def test_return_tracking_can_be_corrected_while_in_transit() -> None:
    case = in_transit()
    case.record_return_tracking(B, "RB987654321CN", None, NOW + timedelta(hours=1))
    assert case.return_tracking_number == "RB987654321CN"
    assert case.return_shipped_at == NOW
    assert case.events[-1].action == "return_tracking_corrected"


def test_inspection_photos_come_with_the_receipt() -> None:
    case = received()
    case.add_inspection_photo(S, photo(50), NOW)
    assert [(e.side, e.file_unique_id) for e in case.evidence][-1] == (S, "uniq-50")
    with pytest.raises(ConflictError):
        in_transit().add_inspection_photo(S, photo(50), NOW)


# ----- messages -----


def test_messages_keep_their_lines_and_need_content() -> None:
    case = requested()
    message = case.post_message(
        B, MessageKind.TEXT, text="  Line one\nLine two  ", telegram_file_id=None,
        masked=("phone",), now=NOW,
    )  # fmt: skip
    assert (message.text, message.masked, message.side) == ("Line one\nLine two", ["phone"], B)
    with pytest.raises(InvalidInput):
        case.post_message(B, MessageKind.TEXT, text="  ", telegram_file_id=None, masked=(), now=NOW)
    with pytest.raises(InvalidInput):
        case.post_message(
            B, MessageKind.PHOTO, text="hi", telegram_file_id=None, masked=(), now=NOW
        )
    with pytest.raises(InvalidInput) as refused:
        case.post_message(
            S, MessageKind.TEXT, text="x" * 4001, telegram_file_id=None, masked=(), now=NOW
        )
    assert refused.value.key == "returns.message_too_long"
    photo_message = case.post_message(
        S, MessageKind.PHOTO, text=None, telegram_file_id="ph-1", masked=(), now=NOW
    )
    assert photo_message.text is None


def test_a_document_is_stored_only_with_the_format_its_content_proved() -> None:
    case = requested()
    with pytest.raises(InvalidInput) as refused:
        case.post_message(
            B, MessageKind.DOCUMENT, text=None, telegram_file_id="doc-1", masked=(), now=NOW
        )
    assert refused.value.key == "returns.file_type"
    document = case.post_message(
        B, MessageKind.DOCUMENT, text=None, telegram_file_id="doc-1", masked=(), now=NOW,
        file_type="pdf",
    )  # fmt: skip
    assert document.file_type == "pdf"
    with pytest.raises(InvalidInput):
        case.post_message(
            B, MessageKind.PHOTO, text=None, telegram_file_id="ph-2", masked=(), now=NOW,
            file_type="pdf",
        )  # fmt: skip


def test_only_the_author_edits_a_message() -> None:
    case = requested()
    message = case.post_message(
        B, MessageKind.TEXT, text="hello", telegram_file_id=None, masked=(), now=NOW
    )
    message.case_id = case.id
    with pytest.raises(ConflictError):
        case.edit_message(message, S, "changed", (), NOW)
    case.edit_message(message, B, "hello again", ("email",), NOW + timedelta(minutes=1))
    assert (message.text, message.edits, message.masked) == ("hello again", 1, ["email"])
