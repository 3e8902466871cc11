"""The buyer's return request as it is being entered: items and quantities -> reason ->
comment (optional) -> photos or videos -> resolution wanted -> amount (partial refunds only)
-> summary.

The rules of the conversation live here: a line already in an open case cannot be chosen, a
quantity is at most what is left of the line, the reasons where the goods are at fault need at
least one photo or video, up to `MAX_EVIDENCE_PER_SIDE`, videos are short, the amount step
applies only to a partial refund and is checked against what was paid for the chosen items,
and changing the items asks the amount again. `command` gives the request the service opens
(`domain.services.returns.open_case`), which checks it all again against the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import NamedTuple

from domain.drafts.stored import StoredDraft
from domain.errors import InvalidInput
from domain.model import NewEvidence
from domain.returns.offers import OfferTerms, checked_amount, typed_amount
from domain.returns.rules import (
    COMMENT_MAX,
    FILE_ID_MAX,
    MAX_EVIDENCE_PER_SIDE,
    NO_FAULT_REASONS,
    REASONS_NEEDING_EVIDENCE,
    EvidenceKind,
    OutOfPolicy,
    Resolution,
    ReturnReason,
)
from domain.services import buyer_returns, returns
from domain.typed_numbers import read_whole_number
from domain.typed_text import clean_typed_line

__all__ = ["MAX_VIDEO_SECONDS", "DraftEvidence", "DraftLine", "ReturnDraft"]

# A "short video": what shows the damage without becoming a film to store and relay.
MAX_VIDEO_SECONDS = 60
INVALID_CHOICE = "errors.invalid_choice"


class DraftLine(NamedTuple):
    """A line of the order as the conversation started: what is left of it to return."""

    line_id: int
    product_name: str
    unit_price: Decimal
    available: int  # 0: in an open case already, or all of it settled


class DraftEvidence(NamedTuple):
    kind: EvidenceKind
    file_id: str
    unique_id: str


@dataclass(frozen=True)
class ReturnDraft(StoredDraft):
    order_id: int
    order_number: str
    currency: str
    lines: tuple[DraftLine, ...]
    window_closed: bool = False
    not_taken_back: tuple[int, ...] = ()  # line ids of categories the seller does not take back
    quantities: dict[int, int] = field(default_factory=dict)  # line id -> quantity asked about
    reason: ReturnReason | None = None
    comment: str | None = None
    evidence: tuple[DraftEvidence, ...] = ()
    resolution: Resolution | None = None
    amount: Decimal | None = None

    @classmethod
    def start(cls, order: buyer_returns.ReturnStart) -> ReturnDraft:
        return cls(
            order_id=order.order_id,
            order_number=order.order_number,
            currency=order.currency,
            lines=tuple(
                DraftLine(line.line_id, line.product_name, line.unit_price, line.available)
                for line in order.lines
            ),
            window_closed=order.window_closed,
            not_taken_back=order.not_taken_back,
        )

    # ----- items -----
    def line(self, line_id: int) -> DraftLine:
        """A line the buyer may choose; lines of other orders and lines in an open case are not."""
        line = next((ln for ln in self.lines if ln.line_id == line_id), None)
        if line is None or line.available < 1:
            raise InvalidInput(INVALID_CHOICE)
        return line

    def with_quantity(self, line_id: int, raw: object) -> ReturnDraft:
        """How many of the line the request is about; 0 leaves the line out."""
        line = self.line(line_id)
        quantity = read_whole_number(raw)
        if not 0 <= quantity <= line.available:
            raise InvalidInput("returns.quantity_invalid", max=line.available)
        quantities = {k: v for k, v in self.quantities.items() if k != line_id}
        if quantity:
            quantities[line_id] = quantity
        return replace(self, quantities=quantities)

    def toggle_line(self, line_id: int) -> ReturnDraft:
        """For a line with one item left: in or out with a press."""
        line = self.line(line_id)
        return self.with_quantity(line_id, 0 if line_id in self.quantities else line.available)

    def finish_items(self) -> ReturnDraft:
        if not self.quantities:
            raise InvalidInput("returns.items_required")
        return self

    @property
    def paid(self) -> Decimal:
        """What was paid for the chosen items: no amount may be above it."""
        prices = {line.line_id: line.unit_price for line in self.lines}
        return sum(
            (prices[line_id] * quantity for line_id, quantity in self.quantities.items()),
            Decimal("0.00"),
        )

    @property
    def chosen(self) -> list[tuple[DraftLine, int]]:
        return [
            (ln, self.quantities[ln.line_id]) for ln in self.lines if ln.line_id in self.quantities
        ]

    # ----- reason, comment, evidence -----
    def with_reason(self, raw: str) -> ReturnDraft:
        try:
            return replace(self, reason=ReturnReason(raw))
        except ValueError:
            raise InvalidInput(INVALID_CHOICE) from None

    @property
    def needs_evidence(self) -> bool:
        return self.reason in REASONS_NEEDING_EVIDENCE

    def with_comment(self, raw: str) -> ReturnDraft:
        return replace(
            self, comment=clean_typed_line(raw, 1, COMMENT_MAX, "returns.comment_invalid")
        )

    def without_comment(self) -> ReturnDraft:
        return replace(self, comment=None)

    def with_evidence(
        self, kind: EvidenceKind, file_id: str, unique_id: str, *, seconds: int | None = None
    ) -> ReturnDraft:
        """One more photo or video (the same file twice is refused, as the case refuses it)."""
        if len(self.evidence) >= MAX_EVIDENCE_PER_SIDE:
            raise InvalidInput("returns.evidence_limit", max=MAX_EVIDENCE_PER_SIDE)
        if any(item.unique_id == unique_id for item in self.evidence):
            raise InvalidInput("returns.evidence_duplicate")
        if not file_id or not unique_id or len(file_id) > FILE_ID_MAX or len(unique_id) > 64:
            raise InvalidInput("returns.evidence_invalid")
        if kind is EvidenceKind.VIDEO and seconds is not None and seconds > MAX_VIDEO_SECONDS:
            raise InvalidInput("returns.video_too_long", max=MAX_VIDEO_SECONDS)
        item = DraftEvidence(EvidenceKind(kind), file_id, unique_id)
        return replace(self, evidence=(*self.evidence, item))

    def finish_evidence(self) -> ReturnDraft:
        if self.needs_evidence and not self.evidence:
            assert self.reason is not None
            raise InvalidInput("returns.evidence_required", reason=self.reason.value)
        return self

    # ----- what the buyer wants -----
    def with_resolution(self, raw: str) -> ReturnDraft:
        try:
            resolution = Resolution(raw)
        except ValueError:
            raise InvalidInput(INVALID_CHOICE) from None
        # An amount belongs to the partial resolutions only; another choice asks it again.
        return replace(self, resolution=resolution, amount=None)

    @property
    def amount_applies(self) -> bool:
        return self.resolution is not None and self.resolution.is_partial

    def with_amount(self, raw: str) -> ReturnDraft:
        if self.resolution is None or not self.amount_applies:
            raise InvalidInput(INVALID_CHOICE)
        # "12,50", "2,5 €" and "50%" as buyers write them.
        text = typed_amount(raw, self.paid, self.currency)
        amount = checked_amount(self.resolution, text, self.paid, self.currency)  # type: ignore[arg-type]
        return replace(self, amount=amount)

    # ----- the summary -----
    def for_edit(self, target: str) -> ReturnDraft:
        """What choosing an edit resets: other items change what was paid, so the amount is
        asked again (the edit of the items goes on through the resolution)."""
        return replace(self, amount=None) if target == "items" else self

    def out_of_policy(self) -> tuple[OutOfPolicy, ...]:
        """Why the request falls outside the seller's policy (the buyer may still ask)."""
        found = [OutOfPolicy.WINDOW] if self.window_closed else []
        if self.reason in NO_FAULT_REASONS and set(self.quantities) & set(self.not_taken_back):
            found.append(OutOfPolicy.CATEGORY)
        return tuple(found)

    def command(self, user_id: int) -> returns.OpenCase:
        """The request as entered; the service checks it again against the order."""
        if not self.quantities or self.reason is None or self.resolution is None:
            raise InvalidInput(INVALID_CHOICE)
        if self.amount_applies and self.amount is None:
            raise InvalidInput("returns.amount_required", currency=self.currency)
        self.finish_evidence()
        return returns.OpenCase(
            user_id=user_id,
            order_id=self.order_id,
            items=sorted(self.quantities.items()),
            reason=self.reason,
            wanted=OfferTerms(self.resolution, self.amount),
            comment=self.comment,
            evidence=[
                NewEvidence(item.kind, item.file_id, item.unique_id) for item in self.evidence
            ],
        )

    # ----- storage -----
