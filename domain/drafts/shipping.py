"""The shipping document's draft: lines to ship -> declared value -> weight -> dimensions ->
goods -> warehouse -> method -> carrier -> tracking number -> parcel photo.

What the seller has entered so far, kept in the conversation state as JSON-safe data, so a
restart resumes the document where it was. Ids in it are client input;
`domain.services.shipping.steps` re-checks them on every use. The conversation's own rule is
here: the photo of the packed parcel is asked only above the configured order value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from domain.drafts.stored import StoredDraft
from domain.errors import ConflictError
from domain.logistics import GoodsCharacteristic, Parcel

__all__ = ["ShippingDraft", "photo_required"]


def photo_required(order_total: Decimal, threshold: Decimal) -> bool:
    """Above this order value (in the order's currency) a photo of the packed parcel is due."""
    return order_total > threshold


@dataclass(frozen=True)
class ShippingDraft(StoredDraft):
    """What the seller has entered so far; JSON-safe through `to_data` / `from_data`."""

    order_id: int
    quantities: dict[int, int]  # order line id -> quantity to ship
    declared_value: Decimal
    currency: str
    weight_kg: Decimal | None = None
    dimensions_cm: tuple[Decimal, Decimal, Decimal] | None = None
    goods: tuple[str, ...] = ()
    warehouse_id: int | None = None
    method: str | None = None
    carrier: str | None = None
    tracking: str | None = None
    tracking_acknowledged: bool = False
    photo_file_id: str | None = None
    # The order's total when the document was started (None in drafts stored before it was).
    order_total: Decimal | None = None
    # What the goods in this parcel are worth at the order's prices, once the lines are chosen
    # (None before, and in drafts stored before it was kept), and whether the seller typed the
    # declared value (kept when the lines change) rather than keeping the one offered.
    goods_value: Decimal | None = None
    value_typed: bool = False

    @property
    def value_offered(self) -> Decimal:
        """The declared value the step offers: the parcel's goods, else the order's total."""
        return next(
            v for v in (self.goods_value, self.order_total, self.declared_value) if v is not None
        )

    @property
    def declared_nothing(self) -> bool:
        """Goods of some value declared at 0: customs may hold the parcel, so it is said at once
        (and the summary's declared-value check asks for an acknowledgement)."""
        return self.declared_value == 0 and self.value_offered > 0

    def needs_photo(self, threshold: Decimal) -> bool:
        """Whether the photo step applies (asked when the order total is not known)."""
        return self.order_total is None or photo_required(self.order_total, threshold)

    @property
    def parcel(self) -> Parcel:
        if self.weight_kg is None or self.dimensions_cm is None:
            raise ConflictError("shipping.parcel_missing")
        length, width, height = self.dimensions_cm
        return Parcel(self.weight_kg, length, width, height)

    @property
    def goods_characteristics(self) -> list[GoodsCharacteristic]:
        return [GoodsCharacteristic(g) for g in self.goods]

    @property
    def quantity_shipped(self) -> int:
        return sum(self.quantities.values())

    def is_partial(self, ordered: Mapping[int, int]) -> bool:
        """Some line (order line id -> quantity ordered) ships short. More than ordered is not
        partial: it is a finding of its own (`domain.compliance`)."""
        return any(self.quantities.get(line_id, 0) < q for line_id, q in ordered.items())
