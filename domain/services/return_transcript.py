"""The transcript of a return case: the evidence for a platform dispute.

A transcript holds the whole case as plain data: what was asked, the timeline, every message in
order (as relayed: contact details masked), the evidence list, every offer with its terms and
what became of it, the agreement, the return and the refund, the dispute and its outcome; times are aware UTC, written out
in the reader's zone (`time_zone`: the buyer's own for the buyer, UTC for everyone else). Only the
case's two sides get it, and operators once the case is escalated to a platform dispute (the
issue: "operators read the transcripts of escalated cases"; `DisputeAction.READ_TRANSCRIPT`);
anyone else reads "not found", as for any case.
Neither side's Telegram identity is in it: the store by its name, the buyer as "the buyer".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from domain.errors import NotFound
from domain.model import ReturnCase, ReturnOffer
from domain.returns.rules import DisputeAction, EvidenceKind, Side
from domain.roles import Role
from domain.services import return_notices, returns
from domain.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class TranscriptItem:
    product_name: str
    sku: str | None
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class TranscriptStep:
    at: datetime
    side: Side | None  # None: the bot (a deadline)
    action: str


@dataclass(frozen=True, slots=True)
class TranscriptOffer:
    number: int  # 1, 2, ... in the order they were made
    at: datetime
    side: Side
    resolution: str
    amount: Decimal | None
    postage_payer: str | None
    warehouse: str | None
    days: int | None
    status: str
    answered_at: datetime | None
    replaces: int | None  # the number of the offer this one countered


@dataclass(frozen=True, slots=True)
class TranscriptMessage:
    at: datetime
    side: Side
    kind: str
    text: str | None
    masked: tuple[str, ...]
    edited_at: datetime | None


@dataclass(frozen=True, slots=True)
class TranscriptEvidence:
    at: datetime
    side: Side
    kind: str
    file_unique_id: str  # Telegram's stable id of the file: the platform can ask for it


@dataclass(frozen=True, slots=True)
class Transcript:
    case_number: str
    order_number: str
    store_name: str
    status: str
    reason: str
    comment: str | None
    wanted: str
    currency: str
    paid: Decimal
    out_of_policy: tuple[str, ...]
    opened_at: datetime
    closed_at: datetime | None
    items: tuple[TranscriptItem, ...]
    timeline: tuple[TranscriptStep, ...]
    offers: tuple[TranscriptOffer, ...]
    messages: tuple[TranscriptMessage, ...]
    evidence: tuple[TranscriptEvidence, ...]
    agreed: TranscriptOffer | None
    return_tracking_number: str | None
    inspection_note: str | None
    refund_amount: Decimal | None
    refund_reference: str | None
    decline_reason: str | None
    escalated_at: datetime | None
    escalated_by: Side | None
    generated_at: datetime
    # How the platform decided the dispute, as an operator recorded it.
    dispute_outcome: str | None = None
    dispute_refund: Decimal | None = None
    outcome_recorded_at: datetime | None = None
    # The zone its times are written in: the buyer's own for the buyer, else UTC.
    time_zone: str = return_notices.SELLER_ZONE


async def readable_case(
    user_id: int, case_id: int, operator_ids: frozenset[int], uow: UnitOfWork
) -> tuple[ReturnCase, Side | None]:
    """The case and the caller's side in it (None: an operator), if the caller is one of its
    two sides, or an operator and the case is escalated; else "not found", as for a case that
    does not exist."""
    if user_id in operator_ids:
        case = await uow.returns.get(case_id)
        if case is not None and DisputeAction.READ_TRANSCRIPT in case.dispute_actions(
            Role.OPERATOR
        ):
            return case, None
        # An operator who is also a side of the case still reads it as that side (below).
    try:
        return await returns.case_for(user_id, case_id, Side.SELLER, uow), Side.SELLER
    except NotFound:
        return await returns.case_for(user_id, case_id, Side.BUYER, uow), Side.BUYER


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """A photo or video one side attached to the case, as Telegram holds it."""

    side: Side
    kind: EvidenceKind
    telegram_file_id: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Evidence:
    case_number: str
    # The zone the reader reads the case's times in (as in the transcript).
    time_zone: str
    files: tuple[EvidenceFile, ...]


async def evidence(
    user_id: int, case_id: int, operator_ids: frozenset[int], uow: UnitOfWork
) -> Evidence:
    """The photos and videos both sides attached, oldest first, for whoever may read the
    case's transcript (the same check: anyone else reads "not found"). The transcript counts
    them; this is how each side, and an operator deciding a dispute, sees them."""
    case, reader = await readable_case(user_id, case_id, operator_ids, uow)
    ordered = sorted(case.evidence, key=lambda item: (item.added_at, item.id))
    return Evidence(
        case_number=returns.case_number(case.id),
        time_zone=await return_notices.zone_of(case, reader or Side.SELLER, uow),
        files=tuple(
            EvidenceFile(item.side, item.kind, item.telegram_file_id, item.added_at)
            for item in ordered
        ),
    )


async def transcript(
    user_id: int, case_id: int, operator_ids: frozenset[int], uow: UnitOfWork
) -> Transcript:
    case, reader = await readable_case(user_id, case_id, operator_ids, uow)
    order = await uow.orders.get(case.order_id)
    contacts = await uow.tracking.seller_contacts([case.seller_id])
    numbers = {offer.id: n for n, offer in enumerate(case.offers, start=1)}
    names = {}
    for offer in case.offers:
        if offer.warehouse_id is not None and offer.warehouse_id not in names:
            warehouse = await uow.warehouses.get(offer.warehouse_id)
            names[offer.warehouse_id] = warehouse.name if warehouse is not None else ""

    def offer_of(offer: ReturnOffer) -> TranscriptOffer:
        return TranscriptOffer(
            number=numbers[offer.id],
            at=offer.created_at,
            side=offer.side,
            resolution=offer.resolution.value,
            amount=offer.amount,
            postage_payer=offer.postage_payer.value if offer.postage_payer else None,
            warehouse=names.get(offer.warehouse_id) if offer.warehouse_id else None,
            days=offer.act_within_days,
            status=offer.status.value,
            answered_at=offer.answered_at,
            replaces=numbers.get(offer.replaces_id) if offer.replaces_id else None,
        )

    offers = tuple(offer_of(offer) for offer in case.offers)
    messages = await uow.returns.messages_of(case.id)
    return Transcript(
        case_number=returns.case_number(case.id),
        order_number=order.number if order is not None else "",
        store_name=contacts[case.seller_id].store_name if case.seller_id in contacts else "",
        status=case.status.value,
        reason=case.reason.value,
        comment=case.comment,
        wanted=case.wanted.value,
        currency=case.currency,
        paid=case.paid,
        out_of_policy=tuple(case.out_of_policy),
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        items=tuple(
            TranscriptItem(line.product_name, line.sku, line.quantity, line.unit_price)
            for line in case.lines
        ),
        timeline=tuple(TranscriptStep(e.at, e.side, e.action) for e in case.events),
        offers=offers,
        messages=tuple(
            TranscriptMessage(
                m.created_at, m.side, m.kind.value, m.text, tuple(m.masked), m.edited_at
            )
            for m in messages
        ),
        evidence=tuple(
            TranscriptEvidence(e.added_at, e.side, e.kind.value, e.file_unique_id)
            for e in case.evidence
        ),
        agreed=next((o for o in offers if o.status == "accepted"), None),
        return_tracking_number=case.return_tracking_number,
        inspection_note=case.inspection_note,
        refund_amount=case.refund_amount,
        refund_reference=case.refund_reference,
        decline_reason=case.decline_reason,
        escalated_at=case.escalated_at,
        escalated_by=case.escalated_by,
        generated_at=uow.now(),
        time_zone=await return_notices.zone_of(case, reader or Side.SELLER, uow),
        dispute_outcome=case.dispute_outcome.value if case.dispute_outcome else None,
        dispute_refund=case.dispute_refund,
        outcome_recorded_at=case.outcome_recorded_at,
    )
