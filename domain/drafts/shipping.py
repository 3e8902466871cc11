"""The shipping document's draft: lines to ship -> declared value -> weight -> dimensions ->
goods -> warehouse -> method -> carrier -> tracking number -> parcel photo.

What the seller has entered so far, kept in the conversation state as JSON-safe data, so a
restart resumes the document where it was. Ids in it are client input;
`domain.services.shipping.steps` re-checks them on every use. The conversation's own rule is
here: the photo of the packed parcel is asked only above the configured order value.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.errors import ConflictError
from domain.logistics import GoodsCharacteristic, Parcel

__all__ = ["ShippingDraft", "photo_required"]


def photo_required(order_total: Decimal, threshold: Decimal) -> bool:
    """Above this order value (in the order's currency) a photo of the packed parcel is due."""
    return order_total > threshold


@dataclass(frozen=True)
class ShippingDraft:
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

    def needs_photo(self, threshold: Decimal) -> bool:
        """Whether the photo step applies (asked when the order total is not known)."""
        return self.order_total is None or photo_required(self.order_total, threshold)

    def to_data(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "quantities": {str(k): v for k, v in self.quantities.items()},
            "declared_value": str(self.declared_value),
            "currency": self.currency,
            "weight_kg": None if self.weight_kg is None else str(self.weight_kg),
            "dimensions_cm": None
            if self.dimensions_cm is None
            else [str(side) for side in self.dimensions_cm],
            "goods": list(self.goods),
            "warehouse_id": self.warehouse_id,
            "method": self.method,
            "carrier": self.carrier,
            "tracking": self.tracking,
            "tracking_acknowledged": self.tracking_acknowledged,
            "photo_file_id": self.photo_file_id,
            "order_total": None if self.order_total is None else str(self.order_total),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ShippingDraft:
        dims = data.get("dimensions_cm")
        weight, total = data.get("weight_kg"), data.get("order_total")
        return cls(
            order_id=int(data["order_id"]),
            quantities={int(k): int(v) for k, v in data["quantities"].items()},
            declared_value=Decimal(data["declared_value"]),
            currency=data["currency"],
            weight_kg=None if weight is None else Decimal(weight),
            dimensions_cm=None
            if dims is None
            else (Decimal(dims[0]), Decimal(dims[1]), Decimal(dims[2])),
            goods=tuple(data.get("goods", ())),
            warehouse_id=data.get("warehouse_id"),
            method=data.get("method"),
            carrier=data.get("carrier"),
            tracking=data.get("tracking"),
            tracking_acknowledged=bool(data.get("tracking_acknowledged")),
            photo_file_id=data.get("photo_file_id"),
            order_total=None if total is None else Decimal(total),
        )

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
