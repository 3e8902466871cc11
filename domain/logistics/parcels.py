"""Parcels and chargeable weight: what each method bills for a parcel, before any price.

Chargeable weight is max(actual, volumetric), per method:

- **express**: volumetric kg = L x W x H (cm) / 5000. The result is rounded *up* to the next
  0.5 kg, as express carriers bill in half-kilo steps (19.2 kg -> 19.5 kg).
- **sea**: priced per revenue ton, W/M = max(weight in tonnes, volume in m³, 1): 1 m³ counts as
  1000 kg and one W/M is the minimum. W/M is rounded up to 0.001. The chargeable weight is
  reported as a kg-equivalent (W/M x 1000) so all methods read alike; the price is per W/M.
- **land** (road/rail): volumetric kg = volume in m³ x 333, rounded up to the next whole kg,
  as road freight bills whole kilos (31.968 kg -> 32 kg).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from types import MappingProxyType

from domain.errors import InvalidInput
from domain.money import to_decimal


class ShippingMethod(StrEnum):
    EXPRESS = "express"
    SEA = "sea"
    LAND = "land"


def method_name_key(
    method: ShippingMethod | str, origin: str | None = None, destination: str | None = None
) -> str:
    """The label key that names `method` on the lane from `origin` (the shipping warehouse's
    country) to `destination` (the buyer's), as sellers and buyers read it.

    Express says whether it crosses a border: within one country (an overseas warehouse in
    Germany shipping to a buyer in Germany) it is domestic express, across one international
    express, and where no single lane is meant (a month's costs by method, a rate card's
    prices) plain express. Sea freight and land transport keep one name on every lane: land
    transport within a country is ordinary road freight, and sea freight that stays in one
    country is rare enough not to need a name of its own.
    """
    method = ShippingMethod(method)
    if method is not ShippingMethod.EXPRESS or not origin or not destination:
        return f"shipping.method_{method.value}"
    scope = "domestic" if origin.upper() == destination.upper() else "international"
    return f"shipping.method_express_{scope}"


class GoodsCharacteristic(StrEnum):
    BATTERY_STANDALONE = "battery_standalone"  # loose lithium cells / power banks
    BATTERY_IN_EQUIPMENT = "battery_in_equipment"  # packed in or with the device it powers
    LIQUID_FLAMMABLE = "liquid_flammable"
    LIQUID_OTHER = "liquid_other"
    FRAGILE = "fragile"
    HIGH_VALUE = "high_value"


# Dangerous goods that air carriers refuse; each maps to the key explaining the refusal.
EXPRESS_REFUSED_GOODS: Mapping[GoodsCharacteristic, str] = MappingProxyType(
    {
        GoodsCharacteristic.BATTERY_STANDALONE: "logistics.express_battery",
        GoodsCharacteristic.LIQUID_FLAMMABLE: "logistics.express_flammable",
    }
)

EXPRESS_DIVISOR_CM3_PER_KG = Decimal(5000)
SEA_KG_PER_M3 = Decimal(1000)
SEA_MINIMUM_WM = Decimal(1)
LAND_KG_PER_M3 = Decimal(333)
CM3_PER_M3 = Decimal(1_000_000)

# Sane bounds for one consignment: beyond these the input is a typo, not a parcel.
PARCEL_MAX_WEIGHT_KG = Decimal(5000)
PARCEL_MAX_SIDE_CM = Decimal(1200)


def _ceil_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


@dataclass(frozen=True)
class Parcel:
    """Actual weight (kg) and outside dimensions (cm) of what is shipped."""

    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal

    def __post_init__(self) -> None:
        weight = to_decimal(self.weight_kg, key="logistics.weight_out_of_range")
        if not Decimal(0) < weight <= PARCEL_MAX_WEIGHT_KG:
            raise InvalidInput(
                "logistics.weight_out_of_range", value=str(weight), max=str(PARCEL_MAX_WEIGHT_KG)
            )
        object.__setattr__(self, "weight_kg", weight)
        for name in ("length_cm", "width_cm", "height_cm"):
            side = to_decimal(getattr(self, name), key="logistics.dimension_out_of_range")
            if not Decimal(0) < side <= PARCEL_MAX_SIDE_CM:
                raise InvalidInput(
                    "logistics.dimension_out_of_range",
                    dimension=name.removesuffix("_cm"),
                    value=str(side),
                    max=str(PARCEL_MAX_SIDE_CM),
                )
            object.__setattr__(self, name, side)

    @property
    def volume_cm3(self) -> Decimal:
        return self.length_cm * self.width_cm * self.height_cm

    @property
    def volume_m3(self) -> Decimal:
        return self.volume_cm3 / CM3_PER_M3

    @property
    def longest_side_cm(self) -> Decimal:
        return max(self.length_cm, self.width_cm, self.height_cm)


def volumetric_weight(parcel: Parcel, method: ShippingMethod) -> Decimal:
    """Volumetric (dimensional) weight in kg, unrounded."""
    if method is ShippingMethod.EXPRESS:
        return parcel.volume_cm3 / EXPRESS_DIVISOR_CM3_PER_KG
    if method is ShippingMethod.SEA:
        return parcel.volume_m3 * SEA_KG_PER_M3
    return parcel.volume_m3 * LAND_KG_PER_M3


def parcel_revenue_tons(parcel: Parcel) -> Decimal:
    """The W/M the parcel itself takes (the larger of tonnes and m³), rounded up to 0.001,
    before the sea freight minimum applies."""
    return _ceil_to(max(parcel.weight_kg / SEA_KG_PER_M3, parcel.volume_m3), Decimal("0.001"))


def revenue_tons(parcel: Parcel) -> Decimal:
    """Sea freight W/M: the larger of tonnes and m³, at least 1, rounded up to 0.001."""
    return max(parcel_revenue_tons(parcel), SEA_MINIMUM_WM)


def chargeable_weight(parcel: Parcel, method: ShippingMethod) -> Decimal:
    """What the method bills, in kg (kg-equivalent for sea), rounded as the module describes."""
    if method is ShippingMethod.EXPRESS:
        return _ceil_to(max(parcel.weight_kg, volumetric_weight(parcel, method)), Decimal("0.5"))
    if method is ShippingMethod.SEA:
        return revenue_tons(parcel) * SEA_KG_PER_M3
    return _ceil_to(max(parcel.weight_kg, volumetric_weight(parcel, method)), Decimal(1))
