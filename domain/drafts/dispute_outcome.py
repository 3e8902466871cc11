"""How an operator records the outcome of a platform dispute, as it is entered: the outcome,
and for a decision for the buyer the amount the platform refunded them (typed, or all that was
paid with one press; never above it, in the case's currency).

The service checks it all again when the operator confirms
(`domain.services.return_disputes.record_on_confirmation`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from domain.drafts.stored import StoredDraft
from domain.errors import InvalidInput
from domain.returns.offers import refunded_amount, typed_amount
from domain.returns.rules import DisputeOutcome
from domain.services import return_disputes

INVALID_CHOICE = "errors.invalid_choice"


@dataclass(frozen=True)
class OutcomeDraft(StoredDraft):
    case_id: int
    currency: str
    paid: Decimal  # what was paid for the case's items: the platform refunds no more
    # What the questions name the dispute by, besides its case number.
    order_number: str = ""
    store: str = ""
    outcome: DisputeOutcome | None = None
    refund: Decimal | None = None

    def with_outcome(self, raw: str) -> OutcomeDraft:
        """The outcome pressed (client input: only the known ones); another outcome drops an
        amount entered for the buyer."""
        try:
            outcome = DisputeOutcome(raw)
        except ValueError:
            raise InvalidInput(INVALID_CHOICE) from None
        return replace(
            self, outcome=outcome, refund=self.refund if outcome is self.outcome else None
        )

    @property
    def refund_applies(self) -> bool:
        """Only a decision for the buyer refunds them: no amount is asked otherwise."""
        return self.outcome is DisputeOutcome.FOR_BUYER

    def with_refund(self, raw: str) -> OutcomeDraft:
        """The amount as typed ("12,50", "€12.50", or a share such as "30%" of what was paid)."""
        if not self.refund_applies:
            raise InvalidInput(INVALID_CHOICE)
        amount = refunded_amount(
            typed_amount(raw, self.paid, self.currency), self.paid, self.currency
        )
        return replace(self, refund=amount)

    def with_whole_refund(self) -> OutcomeDraft:
        """All that was paid for the case's items."""
        if not self.refund_applies:
            raise InvalidInput(INVALID_CHOICE)
        return replace(self, refund=self.paid)

    def command(self) -> return_disputes.RecordOutcome:
        """What the confirmation records; a step left unanswered (a stale button) is refused."""
        if self.outcome is None or (self.refund_applies and self.refund is None):
            raise InvalidInput(INVALID_CHOICE)
        return return_disputes.RecordOutcome(self.case_id, self.outcome, self.refund)
