"""An offer on a return case as one side enters it (a new offer, or a counter to the other
side's): resolution -> amount (what the resolution pays, when it is not simply everything) ->
who pays return postage, the warehouse and the days to ship (only when the goods travel back)
-> summary.

The rules are the case's (`domain.returns.offers.checked_terms`): an amount in the order's
currency, never above what was paid for the case's items; a seller's return names one of their
verified warehouses, a buyer's may leave it to the store. The service checks everything again
when the offer is sent (`domain.services.returns.propose_offer` / `counter_offer`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from domain.drafts.stored import StoredDraft
from domain.errors import InvalidInput
from domain.returns.addresses import ReturnAddress
from domain.returns.offers import OfferTerms, checked_amount, typed_amount
from domain.returns.rules import (
    ACT_WITHIN_DAYS_MAX,
    ACT_WITHIN_DAYS_MIN,
    PostagePayer,
    Resolution,
    Side,
)

INVALID_CHOICE = "errors.invalid_choice"


@dataclass(frozen=True)
class OfferDraft(StoredDraft):
    case_id: int
    side: Side
    counter: bool  # replaces the other side's open offer
    currency: str
    paid: Decimal
    addresses: tuple[ReturnAddress, ...]  # the suggested one first
    default_payer: PostagePayer
    default_days: int
    resolution: Resolution | None = None
    amount: Decimal | None = None
    payer: PostagePayer | None = None
    warehouse_id: int | None = None
    days: int | None = None

    # ----- resolution and amount -----
    def with_resolution(self, raw: str) -> OfferDraft:
        try:
            resolution = Resolution(raw)
        except ValueError:
            raise InvalidInput(INVALID_CHOICE) from None
        # Everything after the resolution depends on it: asked again.
        amount = self.paid if resolution is Resolution.REFUND_FULL else None
        return replace(
            self, resolution=resolution, amount=amount, payer=None, warehouse_id=None, days=None
        )

    @property
    def amount_applies(self) -> bool:
        """A full refund is all that was paid and an exchange pays nothing: no question."""
        return self.resolution is not None and self.resolution not in (
            Resolution.REFUND_FULL,
            Resolution.EXCHANGE,
        )

    @property
    def may_take_everything(self) -> bool:
        """A return and refund may pay back all that was paid (one press)."""
        return self.resolution is Resolution.RETURN_AND_REFUND

    def with_amount(self, raw: str) -> OfferDraft:
        if self.resolution is None or not self.amount_applies:
            raise InvalidInput(INVALID_CHOICE)
        text = typed_amount(raw, self.paid, self.currency)
        amount = checked_amount(self.resolution, text, self.paid, self.currency)  # type: ignore[arg-type]
        return replace(self, amount=amount)

    def with_everything(self) -> OfferDraft:
        if not self.may_take_everything:
            raise InvalidInput(INVALID_CHOICE)
        return replace(self, amount=self.paid)

    # ----- the return -----
    @property
    def return_applies(self) -> bool:
        return self.resolution is not None and self.resolution.needs_return

    def with_payer(self, raw: str) -> OfferDraft:
        try:
            return replace(self, payer=PostagePayer(raw))
        except ValueError:
            raise InvalidInput(INVALID_CHOICE) from None

    def with_warehouse(self, raw: str) -> OfferDraft:
        """One of the offered warehouses (the id is client input: only those are taken)."""
        ids = {address.warehouse_id for address in self.addresses}
        if not raw.isdigit() or int(raw) not in ids:
            raise InvalidInput(INVALID_CHOICE)
        return replace(self, warehouse_id=int(raw))

    @property
    def may_leave_warehouse(self) -> bool:
        """A buyer may leave the warehouse to the store, which names it when accepting."""
        return self.side is Side.BUYER

    def without_warehouse(self) -> OfferDraft:
        if not self.may_leave_warehouse:
            raise InvalidInput("returns.warehouse_required")
        return replace(self, warehouse_id=None)

    def with_days(self, raw: str) -> OfferDraft:
        text = raw.strip()
        if not text.isdecimal() or not ACT_WITHIN_DAYS_MIN <= int(text) <= ACT_WITHIN_DAYS_MAX:
            raise InvalidInput(
                "returns.days_invalid", min=ACT_WITHIN_DAYS_MIN, max=ACT_WITHIN_DAYS_MAX
            )
        return replace(self, days=int(text))

    def address(self, warehouse_id: int | None) -> ReturnAddress | None:
        return next((a for a in self.addresses if a.warehouse_id == warehouse_id), None)

    # ----- the summary -----
    def terms(self) -> OfferTerms:
        """The offer as entered; the case checks it again when it is sent."""
        if self.resolution is None or (self.amount_applies and self.amount is None):
            raise InvalidInput(INVALID_CHOICE)
        if not self.return_applies:
            return OfferTerms(self.resolution, self.amount)
        return OfferTerms(
            self.resolution,
            self.amount,
            postage_payer=self.payer or self.default_payer,
            warehouse_id=self.warehouse_id,
            act_within_days=self.days or self.default_days,
        )

    # ----- storage -----
