"""What a return case's deadlines do when they pass unanswered (`domain.returns.deadlines`
plans them; `domain.services.return_deadlines` fires them): the new case expires, the open
offer lapses, or the agreed return that was never shipped expires. Each says whether it
changed anything, so a firing that arrives after the case moved on does nothing.

Mixed into `ReturnCase` (`domain.model.returns`), whose row and moves these use.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.returns.rules import CaseStatus, OfferStatus, Side

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapped

    from domain.model.return_parts import ReturnOffer


class DeadlineLapses:
    if TYPE_CHECKING:
        status: Mapped[CaseStatus]
        seller_answered_at: Mapped[datetime | None]

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
