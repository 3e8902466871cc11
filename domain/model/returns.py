"""The return case aggregate: a buyer's request about items of an order, negotiated with the
seller through structured offers, on the record.

Lifecycle (`TRANSITIONS`):

    requested -> negotiating -> agreed -> (awaiting_return_shipment -> return_in_transit
              -> received) -> resolved

plus `declined` (the seller refuses the case), `withdrawn` (the buyer gives up), `expired` (the
seller never answered, the buyer never shipped an agreed return, or the store never recorded an
agreed refund: `domain.model.return_lapses`) and `escalated` (either side
took it to a platform dispute: frozen, kept for the transcript; an operator records how the
platform decided, `domain.model.return_disputes`). Opening a case puts the buyer's
wanted resolution on the table as the first open offer; the seller accepts, declines or
counters it. One offer is open at a time; a counter replaces it. Accepting moves the case to
agreed, and on to awaiting the return when the goods travel back.

Every move is a method. Each first checks `allowed_actions(side)` — the same table the buttons
are drawn from — and `_move` checks `TRANSITIONS` again, so an illegal move raises
`ConflictError("returns.action_refused")` and changes nothing. Every step is written to the
case's timeline (`ReturnCaseEvent`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.errors import ConflictError, InvalidInput
from domain.model.base import (
    Base,
    enum_column,
    link_id,
    money_amount,
    parent_id,
    primary_id,
    warehouse_reference,
)
from domain.model.orders import OrderLine
from domain.model.return_disputes import DisputeRecord
from domain.model.return_lapses import DeadlineLapses
from domain.model.return_parts import (
    NewEvidence,
    ReturnCaseEvent,
    ReturnCaseLine,
    ReturnEvidence,
    ReturnMessage,
    ReturnOffer,
    clean_message_text,
)
from domain.returns.offers import OfferRules, OfferTerms, checked_terms, recorded_refund
from domain.returns.rules import (
    COMMENT_MAX,
    FINAL_STATUSES,
    MAX_EVIDENCE_PER_SIDE,
    NOTE_MAX,
    REASONS_NEEDING_EVIDENCE,
    REFUND_REFERENCE_MAX,
    Action,
    CaseStatus,
    EvidenceKind,
    MessageKind,
    OfferStatus,
    OutOfPolicy,
    PostagePayer,
    Resolution,
    ReturnReason,
    Side,
)
from domain.typed_text import clean_typed_line

S = CaseStatus
TRANSITIONS: Mapping[CaseStatus, frozenset[CaseStatus]] = {
    S.REQUESTED: frozenset({S.NEGOTIATING, S.AGREED, S.DECLINED, S.WITHDRAWN, S.EXPIRED, S.ESCALATED}),
    S.NEGOTIATING: frozenset({S.AGREED, S.DECLINED, S.WITHDRAWN, S.ESCALATED}),
    S.AGREED: frozenset({S.AWAITING_RETURN_SHIPMENT, S.RESOLVED, S.WITHDRAWN, S.EXPIRED,
                         S.ESCALATED}),
    S.AWAITING_RETURN_SHIPMENT: frozenset(
        {S.RETURN_IN_TRANSIT, S.WITHDRAWN, S.EXPIRED, S.ESCALATED}
    ),
    S.RETURN_IN_TRANSIT: frozenset({S.RECEIVED, S.ESCALATED}),
    S.RECEIVED: frozenset({S.RESOLVED, S.EXPIRED, S.ESCALATED}),
    **{final: frozenset() for final in FINAL_STATUSES},
    # The refused buyer, or one whose agreed refund was never recorded, may still go to the
    # platform.
    S.DECLINED: frozenset({S.ESCALATED}),
    S.EXPIRED: frozenset({S.ESCALATED}),
}  # fmt: skip
# Where the buyer may still withdraw the case: the statuses that lead to `withdrawn`.
WITHDRAWABLE = frozenset(status for status, to in TRANSITIONS.items() if S.WITHDRAWN in to)


def _clean_note(raw: object, key: str, *, minimum: int = 1) -> str:
    return clean_typed_line(raw, minimum, NOTE_MAX, key)


class ReturnCase(DisputeRecord, DeadlineLapses, Base):
    __tablename__ = "return_cases"
    __table_args__ = (
        # The seller's /returns lists: their cases in a status, most recently moved first.
        Index("ix_return_cases_seller_status_updated", "seller_id", "status", "updated_at"),
    )

    id: Mapped[int] = primary_id()
    order_id: Mapped[int] = parent_id("orders", index=True)
    # Copied from the order: every query about a case is scoped to its seller.
    seller_id: Mapped[int] = parent_id("sellers")
    # The account the order's link bound when the case was opened: the case's buyer for good (a
    # new link hands the order on, not the case); emptied if they erase.
    buyer_user_id: Mapped[int | None] = link_id("telegram_users", index=True)
    reason: Mapped[ReturnReason] = mapped_column(enum_column(ReturnReason))
    comment: Mapped[str | None] = mapped_column(Text)
    wanted: Mapped[Resolution] = mapped_column(enum_column(Resolution))
    currency: Mapped[str] = mapped_column(String(3))
    # What the buyer paid for the items of the case: no amount may go above it.
    paid: Mapped[Decimal] = mapped_column(money_amount())
    status: Mapped[CaseStatus] = mapped_column(enum_column(CaseStatus))
    # Why the case is outside the seller's policy (OutOfPolicy values); empty: inside it.
    out_of_policy: Mapped[list[str]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The seller's first structured answer (an offer, an answer to one, a refusal).
    seller_answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The accepted terms.
    agreed_at: Mapped[datetime | None]
    agreed_resolution: Mapped[Resolution | None] = mapped_column(enum_column(Resolution))
    agreed_amount: Mapped[Decimal | None] = mapped_column(money_amount())
    postage_payer: Mapped[PostagePayer | None] = mapped_column(enum_column(PostagePayer, 8))
    return_warehouse_id: Mapped[int | None] = warehouse_reference()
    return_ship_by: Mapped[datetime | None]
    # The goods on their way back.
    return_tracking_number: Mapped[str | None] = mapped_column(String(64), index=True)
    return_carrier: Mapped[str | None] = mapped_column(String(64))
    return_shipped_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    inspection_note: Mapped[str | None] = mapped_column(Text)
    # The money, as the seller recorded it (the bot never moves money itself).
    refund_amount: Mapped[Decimal | None] = mapped_column(money_amount())
    refund_reference: Mapped[str | None] = mapped_column(String(REFUND_REFERENCE_MAX))
    refunded_at: Mapped[datetime | None]
    resolution_note: Mapped[str | None] = mapped_column(Text)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime | None]
    escalated_by: Mapped[Side | None] = mapped_column(enum_column(Side, 8))
    status_before_escalation: Mapped[CaseStatus | None] = mapped_column(enum_column(CaseStatus))
    # The order that ships an exchange's replacement, once the returned goods arrived.
    replacement_order_id: Mapped[int | None] = link_id("orders")
    # Each side's thread: a private-chat topic; None: the reply-context fallback.
    buyer_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    seller_thread_id: Mapped[int | None] = mapped_column(BigInteger)

    lines: Mapped[list[ReturnCaseLine]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=ReturnCaseLine.id
    )
    evidence: Mapped[list[ReturnEvidence]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=ReturnEvidence.id
    )
    offers: Mapped[list[ReturnOffer]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=ReturnOffer.id
    )
    events: Mapped[list[ReturnCaseEvent]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=ReturnCaseEvent.id
    )

    # ----- opening -----

    @classmethod
    def open(
        cls,
        *,
        order_id: int,
        seller_id: int,
        buyer_user_id: int,
        currency: str,
        items: Sequence[tuple[OrderLine, int]],
        reason: ReturnReason,
        comment: str | None,
        wanted: OfferTerms,
        evidence: Sequence[NewEvidence],
        out_of_policy: Sequence[OutOfPolicy],
        offer_rules: OfferRules,
        now: datetime,
        returned: Mapping[int, int] | None = None,
    ) -> ReturnCase:
        """A new case; `returned` is how many of each order line earlier cases took back."""
        reason = ReturnReason(reason)
        if not items:
            raise InvalidInput("returns.items_required")
        lines: list[ReturnCaseLine] = []
        seen: set[int] = set()
        for line, quantity in items:
            available = line.quantity - (returned or {}).get(line.id, 0)
            if line.id in seen or not 1 <= quantity <= available:
                raise InvalidInput("returns.quantity_invalid", max=max(available, 0))
            seen.add(line.id)
            lines.append(
                ReturnCaseLine(
                    order_line_id=line.id,
                    product_name=line.product_name,
                    sku=line.sku,
                    quantity=quantity,
                    unit_price=line.unit_price,
                    active=True,
                )
            )
        if reason in REASONS_NEEDING_EVIDENCE and not evidence:
            raise InvalidInput("returns.evidence_required", reason=reason.value)
        case = cls(
            order_id=order_id,
            seller_id=seller_id,
            buyer_user_id=buyer_user_id,
            reason=reason,
            comment=(
                clean_typed_line(comment, 1, COMMENT_MAX, "returns.comment_invalid")
                if comment is not None and comment.strip()
                else None
            ),
            wanted=Resolution(wanted.resolution),
            currency=currency,
            paid=sum((line.amount for line in lines), Decimal("0.00")),
            status=CaseStatus.REQUESTED,
            out_of_policy=[OutOfPolicy(o).value for o in out_of_policy],
            opened_at=now,
            updated_at=now,
            lines=lines,
            evidence=[],
            offers=[],
            events=[],
        )
        for item in evidence:
            case._attach(Side.BUYER, item, now)
        case._record(Side.BUYER, "opened", now, reason=reason.value)
        case._put_offer(Side.BUYER, wanted, offer_rules, now)
        return case

    # ----- what each side may do now -----

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES

    @property
    def open_offer(self) -> ReturnOffer | None:
        return next((offer for offer in self.offers if offer.is_open), None)

    def allowed_actions(self, side: Side) -> frozenset[Action]:
        if side is Side.BUYER and (self.status is CaseStatus.DECLINED or self.refund_overdue):
            return frozenset({Action.ESCALATE})  # the buyer may still go to the platform
        if not self.is_open:
            return frozenset()
        actions = {Action.POST_MESSAGE, Action.ESCALATE}
        status, buyer = self.status, side is Side.BUYER
        if status in (CaseStatus.REQUESTED, CaseStatus.NEGOTIATING):
            offer = self.open_offer
            if offer is None:
                actions.add(Action.PROPOSE_OFFER)
            elif offer.side != side:
                actions |= {Action.ACCEPT_OFFER, Action.DECLINE_OFFER, Action.COUNTER_OFFER}
            actions |= {Action.ADD_EVIDENCE, Action.WITHDRAW} if buyer else {Action.DECLINE_CASE}
        elif status is CaseStatus.AGREED:
            actions.add(Action.WITHDRAW if buyer else Action.RECORD_REFUND)
        elif status is CaseStatus.AWAITING_RETURN_SHIPMENT:
            if buyer:
                actions |= {Action.RECORD_RETURN_TRACKING, Action.WITHDRAW}
        elif status is CaseStatus.RETURN_IN_TRANSIT:
            actions.add(Action.RECORD_RETURN_TRACKING if buyer else Action.CONFIRM_RECEIPT)
        elif status is CaseStatus.RECEIVED and not buyer:
            exchange = self.agreed_resolution is Resolution.EXCHANGE
            actions.add(Action.RESOLVE if exchange else Action.RECORD_REFUND)
        return frozenset(actions)

    def _require(self, side: Side, action: Action) -> None:
        if action not in self.allowed_actions(Side(side)):
            raise ConflictError(
                "returns.action_refused", action=action.value, status=self.status.value
            )

    # ----- negotiation -----

    def add_evidence(self, side: Side, item: NewEvidence, now: datetime) -> ReturnEvidence:
        self._require(side, Action.ADD_EVIDENCE)
        added = self._attach(side, item, now)
        self._record(side, "evidence_added", now, kind=added.kind.value)
        return added

    def propose_offer(
        self, side: Side, terms: OfferTerms, rules: OfferRules, now: datetime
    ) -> ReturnOffer:
        self._require(side, Action.PROPOSE_OFFER)
        offer = self._put_offer(side, terms, rules, now)
        self._seller_answered(side, now)
        self._move(CaseStatus.NEGOTIATING, side, "offer_proposed", now, offer=offer.id)
        return offer

    def counter_offer(
        self, side: Side, terms: OfferTerms, rules: OfferRules, now: datetime
    ) -> ReturnOffer:
        """Replace the other side's open offer with this side's terms."""
        self._require(side, Action.COUNTER_OFFER)
        replaced = self.open_offer
        assert replaced is not None  # allowed_actions offers countering only then
        # The new terms are checked first: a refused counter leaves the open offer as it was.
        offer = self._put_offer(side, terms, rules, now)
        replaced.status = OfferStatus.COUNTERED
        replaced.answered_at = now
        offer.replaces_id = replaced.id
        self._seller_answered(side, now)
        self._move(CaseStatus.NEGOTIATING, side, "offer_countered", now, offer=offer.id)
        return offer

    def offer_to_answer(self, side: Side, action: Action, offer_id: int | None) -> ReturnOffer:
        """The open offer `side` accepts or declines. `offer_id` is the offer the caller was
        shown (client input, None only for callers that show none): when the offer on the table
        is another one by now, the answer is refused, never applied to terms nobody saw."""
        offer = self.open_offer
        if offer_id is not None and self.is_open and (offer is None or offer.id != offer_id):
            raise ConflictError("returns.offer_changed")
        self._require(side, action)
        assert offer is not None
        return offer

    def accept_offer(
        self,
        side: Side,
        now: datetime,
        *,
        warehouse_id: int | None = None,
        offer_id: int | None = None,
    ) -> ReturnOffer:
        """Agree to the other side's open offer (`offer_id`, see `offer_to_answer`); a return
        goes to `warehouse_id` when the offer (a buyer's) did not name one, and only the seller
        can name it."""
        offer = self.offer_to_answer(side, Action.ACCEPT_OFFER, offer_id)
        if offer.resolution.needs_return and offer.warehouse_id is None:
            if side is not Side.SELLER or warehouse_id is None:
                raise InvalidInput("returns.warehouse_required")
            offer.warehouse_id = warehouse_id
        offer.status = OfferStatus.ACCEPTED
        offer.answered_at = now
        self.agreed_at = now
        self.agreed_resolution = offer.resolution
        self.agreed_amount = offer.amount
        self.postage_payer = offer.postage_payer
        self.return_warehouse_id = offer.warehouse_id
        self._seller_answered(side, now)
        self._move(CaseStatus.AGREED, side, "offer_accepted", now, offer=offer.id)
        if offer.resolution.needs_return:
            self.return_ship_by = now + timedelta(days=offer.act_within_days or 0)
            self._move(CaseStatus.AWAITING_RETURN_SHIPMENT, None, "return_requested", now)
        return offer

    def decline_offer(
        self, side: Side, now: datetime, *, offer_id: int | None = None
    ) -> ReturnOffer:
        offer = self.offer_to_answer(side, Action.DECLINE_OFFER, offer_id)
        offer.status = OfferStatus.DECLINED
        offer.answered_at = now
        self._seller_answered(side, now)
        self._move(CaseStatus.NEGOTIATING, side, "offer_declined", now, offer=offer.id)
        return offer

    def decline_case(self, side: Side, reason: str, now: datetime) -> None:
        self._require(side, Action.DECLINE_CASE)
        checked = _clean_note(reason, "returns.decline_reason_invalid", minimum=3)
        self.decline_reason = checked
        self._seller_answered(side, now)
        self._move(CaseStatus.DECLINED, side, "case_declined", now)

    def withdraw(self, side: Side, now: datetime) -> None:
        self._require(side, Action.WITHDRAW)
        self._move(CaseStatus.WITHDRAWN, side, "withdrawn", now)

    def escalate(self, side: Side, now: datetime) -> None:
        """Take the case to a platform dispute: nothing moves it afterwards. A refused case's
        items are in dispute again, as are an expired case's (the service refuses it if a later
        case holds one)."""
        self._require(side, Action.ESCALATE)
        if self.status in (CaseStatus.DECLINED, CaseStatus.EXPIRED):
            for line in self.lines:
                line.active = True
        self.status_before_escalation = self.status
        self.escalated_at = now
        self.escalated_by = side
        self._move(CaseStatus.ESCALATED, side, "escalated", now)

    # ----- carrying out the agreement -----

    def record_return_tracking(
        self, side: Side, tracking_number: str, carrier: str | None, now: datetime
    ) -> None:
        """The buyer shipped the goods back (a number already validated); again to correct it."""
        self._require(side, Action.RECORD_RETURN_TRACKING)
        corrected = self.status is CaseStatus.RETURN_IN_TRANSIT
        self.return_tracking_number = tracking_number
        self.return_carrier = carrier
        if corrected:
            self._record(side, "return_tracking_corrected", now)
            return
        self.return_shipped_at = now
        self._move(CaseStatus.RETURN_IN_TRANSIT, side, "return_shipped", now)

    def confirm_receipt(self, side: Side, note: str | None, now: datetime) -> None:
        self._require(side, Action.CONFIRM_RECEIPT)
        checked = _clean_note(note, "returns.note_invalid") if note and note.strip() else None
        self.inspection_note = checked
        self.received_at = now
        self._move(CaseStatus.RECEIVED, side, "return_received", now)

    def add_inspection_photo(self, side: Side, item: NewEvidence, now: datetime) -> ReturnEvidence:
        """A photo of the goods as they came back, with the receipt (or right after it)."""
        if side is not Side.SELLER or self.status is not CaseStatus.RECEIVED:
            raise ConflictError(
                "returns.action_refused", action="inspection_photo", status=self.status.value
            )
        added = self._attach(side, item, now)
        self._record(side, "inspection_photo", now)
        return added

    def record_refund(
        self, side: Side, amount: object, reference: str | None, now: datetime
    ) -> None:
        """The seller refunded the buyer (outside the bot); the case is resolved."""
        self._require(side, Action.RECORD_REFUND)
        checked = recorded_refund(amount, self.paid, self.agreed_amount, self.currency)
        ref = (
            clean_typed_line(reference, 1, REFUND_REFERENCE_MAX, "returns.reference_invalid")
            if reference is not None and reference.strip()
            else None
        )
        self.refund_amount = checked
        self.refund_reference = ref
        self.refunded_at = now
        self._move(CaseStatus.RESOLVED, side, "refund_recorded", now, amount=str(checked))

    def resolve(self, side: Side, note: str | None, now: datetime) -> None:
        """An exchange whose returned goods arrived: the replacement is on its way."""
        self._require(side, Action.RESOLVE)
        self.resolution_note = (
            _clean_note(note, "returns.note_invalid") if note and note.strip() else None
        )
        self._move(CaseStatus.RESOLVED, side, "resolved", now)

    # ----- messages -----

    def post_message(
        self,
        side: Side,
        kind: MessageKind,
        *,
        text: str | None,
        telegram_file_id: str | None,
        masked: Sequence[str],
        now: datetime,
        reply_to_id: int | None = None,
        file_type: str | None = None,
    ) -> ReturnMessage:
        """The record of what `side` wrote (text already masked); the caller stores and relays
        it. A document must come with the format its content was checked to be (`file_type`)."""
        self._require(side, Action.POST_MESSAGE)
        kind = MessageKind(kind)
        body = clean_message_text(text)
        if kind is MessageKind.TEXT and (body is None or telegram_file_id is not None):
            raise InvalidInput("returns.message_empty")
        if kind is not MessageKind.TEXT and not telegram_file_id:
            raise InvalidInput("returns.message_empty")
        if (kind is MessageKind.DOCUMENT) != (file_type is not None):
            raise InvalidInput("returns.file_type", file_name="")
        return ReturnMessage(
            case_id=self.id,
            side=side,
            kind=kind,
            text=body,
            telegram_file_id=telegram_file_id,
            file_type=file_type,
            masked=list(masked),
            reply_to_id=reply_to_id,
            created_at=now,
            edits=0,
            copies=[],
        )

    def edit_message(
        self,
        message: ReturnMessage,
        side: Side,
        text: str | None,
        masked: Sequence[str],
        now: datetime,
    ) -> None:
        """The author changed the text (or caption); the copy is edited to match."""
        self._require(side, Action.POST_MESSAGE)
        if message.case_id != self.id or message.side != side:
            raise ConflictError("returns.not_your_message")
        body = clean_message_text(text)
        if message.kind is MessageKind.TEXT and body is None:
            raise InvalidInput("returns.message_empty")
        message.text = body
        message.masked = sorted(set(message.masked) | set(masked))
        message.edited_at = now
        message.edits += 1

    # ----- internals -----

    def _attach(self, side: Side, item: NewEvidence, now: datetime) -> ReturnEvidence:
        if any(e.file_unique_id == item.file_unique_id for e in self.evidence):
            raise InvalidInput("returns.evidence_duplicate")
        if sum(1 for e in self.evidence if e.side == side) >= MAX_EVIDENCE_PER_SIDE:
            raise InvalidInput("returns.evidence_limit", max=MAX_EVIDENCE_PER_SIDE)
        if not item.telegram_file_id or not item.file_unique_id:
            raise InvalidInput("returns.evidence_invalid")
        added = ReturnEvidence(
            side=side,
            kind=EvidenceKind(item.kind),
            telegram_file_id=item.telegram_file_id,
            file_unique_id=item.file_unique_id,
            added_at=now,
        )
        self.evidence.append(added)
        return added

    def _put_offer(
        self, side: Side, terms: OfferTerms, rules: OfferRules, now: datetime
    ) -> ReturnOffer:
        checked = checked_terms(
            terms,
            side=side,
            paid=self.paid,
            currency=self.currency,
            default_payer=rules.default_payer,
            default_days=rules.default_days,
        )
        offer = ReturnOffer(
            side=side,
            resolution=checked.resolution,
            amount=checked.amount,
            currency=self.currency,
            postage_payer=checked.postage_payer,
            warehouse_id=checked.warehouse_id,
            act_within_days=checked.act_within_days,
            status=OfferStatus.OPEN,
            created_at=now,
            respond_by=rules.respond_by,
        )
        self.offers.append(offer)
        return offer

    def _seller_answered(self, side: Side, now: datetime) -> None:
        if side is Side.SELLER and self.seller_answered_at is None:
            self.seller_answered_at = now

    def _record(self, side: Side | None, action: str, now: datetime, **details: Any) -> None:
        self.events.append(
            ReturnCaseEvent(
                at=now, side=side, action=action, status=self.status.value, details=details
            )
        )
        self.updated_at = now

    def _move(
        self, to: CaseStatus, side: Side | None, action: str, now: datetime, **details: Any
    ) -> None:
        if to != self.status and to not in TRANSITIONS[self.status]:
            raise ConflictError("returns.action_refused", action=action, status=self.status.value)
        self.status = to
        if to in FINAL_STATUSES:
            self._close(now)
        self._record(side, action, now, **details)

    def _close(self, now: datetime) -> None:
        self.closed_at = now
        if self.status is CaseStatus.ESCALATED:
            return  # frozen as it stood: the items stay in dispute, the offer as it was
        for line in self.lines:
            line.active = False
        offer = self.open_offer
        if offer is not None:
            expired = self.status is CaseStatus.EXPIRED
            offer.status = OfferStatus.LAPSED if expired else OfferStatus.WITHDRAWN
            offer.answered_at = now
