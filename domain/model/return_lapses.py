"""What a return case's deadlines do when they pass unanswered (`domain.returns.deadlines`
plans them; `domain.services.return_deadlines` fires them): the new case expires, the open
offer lapses, the agreed return that was never shipped expires, or the agreed refund the store
never recorded expires the case — which the buyer may then still take to a platform dispute
(`refund_overdue`). Each says whether it changed anything, so a firing that arrives after the
case moved on does nothing.

Why an unrecorded refund closes the case rather than leaving it open: an open case holds both
sides' erasure (`domain.services.erasure`) and the store's list for as long as it is open, and
nothing but the store's own record would ever end it. Closed as expired, it holds nothing; if
the buyer takes it to the platform, the dispute's own hold applies (until its outcome is
recorded, at most `DISPUTE_RECORD_HOLD`).

Mixed into `ReturnCase` (`domain.model.returns`), whose row and moves these use.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.returns.rules import CaseStatus, OfferStatus, Resolution, Side

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapped

    from domain.model.return_parts import ReturnCaseEvent, ReturnOffer

# The timeline step of a case closed because the store never recorded the agreed refund.
REFUND_NOT_RECORDED = "refund_not_recorded"


class DeadlineLapses:
    if TYPE_CHECKING:
        status: Mapped[CaseStatus]
        seller_answered_at: Mapped[datetime | None]
        agreed_at: Mapped[datetime | None]
        agreed_resolution: Mapped[Resolution | None]
        received_at: Mapped[datetime | None]
        events: Mapped[list[ReturnCaseEvent]]

        @property
        def open_offer(self) -> ReturnOffer | None: ...

        def _move(
            self, to: CaseStatus, side: Side | None, action: str, now: datetime, **details: Any
        ) -> None: ...

        def _record(
            self, side: Side | None, action: str, now: datetime, **details: Any
        ) -> None: ...

    def seller_silence_lapsed(self, now: datetime) -> bool:
        """The seller never answered the new case: it expires (the platform refunds)."""
        if self.status is not CaseStatus.REQUESTED or self.seller_answered_at is not None:
            return False
        self._move(CaseStatus.EXPIRED, None, "seller_silent", now)
        return True

    def offer_lapsed(self, offer_id: int, now: datetime) -> bool:
        """Nobody answered the offer in time: it lapses, the case stays in negotiation."""
        offer = self.open_offer
        # The opening request left unanswered is the seller's silence, handled above.
        if self.status is not CaseStatus.NEGOTIATING or offer is None or offer.id != offer_id:
            return False
        offer.status = OfferStatus.LAPSED
        offer.answered_at = now
        self._record(None, "offer_lapsed", now, offer=offer.id)
        return True

    def return_shipment_lapsed(self, now: datetime) -> bool:
        """The buyer did not ship the agreed return in time: the agreement lapses."""
        if self.status is not CaseStatus.AWAITING_RETURN_SHIPMENT:
            return False
        self._move(CaseStatus.EXPIRED, None, "return_not_shipped", now)
        return True

    @property
    def refund_due_from(self) -> datetime | None:
        """Since when the store owes the agreed refund, while it does: from the agreement when
        the goods stay with the buyer, from its confirmation of their arrival when they came
        back. None when no refund is owed now (an exchange, goods still on their way, the case
        over)."""
        if self.agreed_resolution is None or not self.agreed_resolution.pays_money:
            return None
        if self.status is CaseStatus.AGREED:
            return self.agreed_at
        if self.status is CaseStatus.RECEIVED:
            return self.received_at
        return None

    def refund_lapsed(self, now: datetime) -> bool:
        """The store did not record the agreed refund in time: the case expires, and the buyer
        may take it to the platform (`refund_overdue`)."""
        if self.refund_due_from is None:
            return False
        self._move(CaseStatus.EXPIRED, None, REFUND_NOT_RECORDED, now)
        return True

    @property
    def refund_overdue(self) -> bool:
        """Closed because the agreed refund was never recorded: the buyer is owed money the
        store did not say it paid, so the buyer may still escalate it."""
        return self.status is CaseStatus.EXPIRED and any(
            event.action == REFUND_NOT_RECORDED for event in self.events
        )
