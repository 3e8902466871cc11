"""What operators record of a return case's platform dispute, and what they may do with it.

Either side may take a case to a platform dispute (`ReturnCase.escalate`): the case freezes for
both sides for good, and the platform decides outside the bot. An operator then records how the
dispute ended — decided for the buyer (with the amount refunded, at most what was paid, in the
case's currency), decided for the store, or closed without a decision (withdrawn, or settled on
the platform) — once: like the escalation, the outcome is final.

What an operator may do is one table, role -> where the case stands with the platform -> the
actions (`DISPUTE_ACTIONS_BY_ROLE`), read by `dispute_actions(role)` (the buttons, and who may
read the transcript) and by `record_outcome`, which refuses through it: the pattern of
`Warehouse.allowed_actions` and `Order.allowed_actions`, over the dispute's stage rather than
the case's status, which stays `escalated`. Mixed into `ReturnCase` (`domain.model.returns`),
whose row holds the columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from domain.errors import ConflictError, InvalidInput
from domain.model.base import enum_column, money_amount
from domain.returns.offers import refunded_amount
from domain.returns.rules import CaseStatus, DisputeAction, DisputeOutcome, DisputeStage, Side
from domain.roles import Role

if TYPE_CHECKING:
    from domain.model.return_parts import ReturnCaseLine

# Role -> the dispute's stage -> what that role may do; a role or stage not listed: nothing.
# Before a side takes the case to the platform it is the two sides' business (an operator reads
# "not found", as for a case that does not exist); while the platform decides, operators read
# the record and, once it has decided, record how; afterwards they can only read it.
DISPUTE_ACTIONS_BY_ROLE: Mapping[Role, Mapping[DisputeStage, frozenset[DisputeAction]]] = {
    Role.OPERATOR: {
        DisputeStage.AWAITING_OUTCOME: frozenset(
            {DisputeAction.READ_TRANSCRIPT, DisputeAction.RECORD_OUTCOME}
        ),
        DisputeStage.DECIDED: frozenset({DisputeAction.READ_TRANSCRIPT}),
    },
}
# The timeline's step for each outcome (`ReturnCaseEvent.action`; nobody of the two sides did
# it, so the step names no side).
OUTCOME_EVENTS: Mapping[DisputeOutcome, str] = {
    outcome: f"dispute_{outcome.value}" for outcome in DisputeOutcome
}


class DisputeRecord:
    """The outcome of a case's platform dispute as an operator recorded it (all None until)."""

    dispute_outcome: Mapped[DisputeOutcome | None] = mapped_column(enum_column(DisputeOutcome, 16))
    # What the platform had refunded to the buyer (decided for the buyer only), in `currency`.
    dispute_refund: Mapped[Decimal | None] = mapped_column(money_amount())
    outcome_recorded_at: Mapped[datetime | None]
    # The operator who recorded it (their Telegram id; emptied if they erase their data).
    outcome_recorded_by: Mapped[int | None] = mapped_column(BigInteger)

    if TYPE_CHECKING:
        id: Mapped[int]
        status: Mapped[CaseStatus]
        currency: Mapped[str]
        paid: Mapped[Decimal]
        lines: Mapped[list[ReturnCaseLine]]

        def _record(
            self, side: Side | None, action: str, now: datetime, **details: Any
        ) -> None: ...

    @property
    def dispute_stage(self) -> DisputeStage:
        if self.status is not CaseStatus.ESCALATED:
            return DisputeStage.NOT_DISPUTED
        if self.dispute_outcome is None:
            return DisputeStage.AWAITING_OUTCOME
        return DisputeStage.DECIDED

    def dispute_actions(self, role: Role) -> frozenset[DisputeAction]:
        """What `role` may do with the case's dispute now (the two sides: nothing)."""
        return DISPUTE_ACTIONS_BY_ROLE.get(Role(role), {}).get(self.dispute_stage, frozenset())

    def require_dispute(self, action: DisputeAction, role: Role) -> None:
        """Refuse, with the words the user reads, what the dispute does not allow `role` now:
        its outcome is recorded already, or the case is in no dispute."""
        if action in self.dispute_actions(role):
            return
        if self.dispute_outcome is not None:
            raise ConflictError("returns.outcome_recorded", outcome=self.dispute_outcome.value)
        raise ConflictError("returns.not_in_dispute")

    def record_outcome(
        self, outcome: DisputeOutcome, refund: object, operator_id: int, now: datetime
    ) -> None:
        """How the platform ended the dispute; `refund` (decided for the buyer only) is what it
        refunded, up to what was paid. Once: a second record is refused, and so is a record on
        a case that is not in a dispute."""
        self.require_dispute(DisputeAction.RECORD_OUTCOME, Role.OPERATOR)
        outcome = DisputeOutcome(outcome)
        amount = None
        if outcome is DisputeOutcome.FOR_BUYER:
            amount = refunded_amount(refund, self.paid, self.currency)
        elif refund is not None:
            raise InvalidInput("errors.invalid_choice")  # only the buyer is refunded
        self.dispute_outcome = outcome
        self.dispute_refund = amount
        self.outcome_recorded_at = now
        self.outcome_recorded_by = operator_id
        # The items are no longer in dispute: what the platform refunded counts as settled
        # (`ReturnRepository.settled_quantities`), the rest may be asked about again.
        for line in self.lines:
            line.active = False
        details = {"outcome": outcome.value} | ({} if amount is None else {"amount": str(amount)})
        self._record(None, OUTCOME_EVENTS[outcome], now, **details)
