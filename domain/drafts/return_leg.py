"""The return leg's small forms as they are entered: the buyer's return tracking number, the
seller's receipt (an inspection note and photos) and the seller's refund (amount, reference).

`ReturnLegDraft` holds what one of them has so far; each answer is checked with the case's
own rules (note and reference lengths, evidence limits, an amount in the order's currency and
never above what was paid). The service checks it all again on sending
(`domain.services.returns.confirm_receipt` / `record_refund`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from domain.drafts.stored import StoredDraft
from domain.errors import InvalidInput
from domain.model import NewEvidence
from domain.returns.offers import refunded_amount, typed_amount
from domain.returns.rules import (
    FILE_ID_MAX,
    MAX_EVIDENCE_PER_SIDE,
    NOTE_MAX,
    REFUND_REFERENCE_MAX,
    EvidenceKind,
)
from domain.typed_text import clean_typed_line


@dataclass(frozen=True)
class ReturnLegDraft(StoredDraft):
    case_id: int
    currency: str
    paid: Decimal  # what was paid for the case's items: no refund above it
    agreed: Decimal | None = None  # the agreed amount, offered with one press
    note: str | None = None
    photos: tuple[tuple[str, str], ...] = ()  # (file id, unique id)
    amount: Decimal | None = None
    reference: str | None = None

    # ----- receipt -----
    def with_note(self, raw: str) -> ReturnLegDraft:
        return replace(self, note=clean_typed_line(raw, 1, NOTE_MAX, "returns.note_invalid"))

    def without_note(self) -> ReturnLegDraft:
        return replace(self, note=None)

    def with_photo(self, file_id: str, unique_id: str) -> ReturnLegDraft:
        if len(self.photos) >= MAX_EVIDENCE_PER_SIDE:
            raise InvalidInput("returns.evidence_limit", max=MAX_EVIDENCE_PER_SIDE)
        if any(unique == unique_id for _, unique in self.photos):
            raise InvalidInput("returns.evidence_duplicate")
        if not file_id or not unique_id or len(file_id) > FILE_ID_MAX or len(unique_id) > 64:
            raise InvalidInput("returns.evidence_invalid")
        return replace(self, photos=(*self.photos, (file_id, unique_id)))

    @property
    def evidence(self) -> list[NewEvidence]:
        return [NewEvidence(EvidenceKind.PHOTO, file_id, unique) for file_id, unique in self.photos]

    # ----- refund -----
    def with_amount(self, raw: str) -> ReturnLegDraft:
        amount = refunded_amount(
            typed_amount(raw, self.paid, self.currency), self.paid, self.currency
        )
        return replace(self, amount=amount)

    def with_agreed_amount(self) -> ReturnLegDraft:
        if self.agreed is None:
            raise InvalidInput("errors.invalid_choice")
        return replace(self, amount=self.agreed)

    def with_reference(self, raw: str) -> ReturnLegDraft:
        checked = clean_typed_line(raw, 1, REFUND_REFERENCE_MAX, "returns.reference_invalid")
        return replace(self, reference=checked)

    def without_reference(self) -> ReturnLegDraft:
        return replace(self, reference=None)

    # ----- storage -----
