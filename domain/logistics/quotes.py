"""Quotes: every method priced for one parcel on the lane it travels, with refusals, and the
cheapest and fastest allowed method marked.

The lane is chosen by the origin (the shipping warehouse's country) and the destination (the
buyer's); see `RateCard.lane_for`. A method the lane does not have is not available there
(``logistics.not_on_lane_<method>``); with no lane at all, nothing is
(``logistics.no_lane``). Either way the refusal names both countries.

Cost = max(units x price per unit, minimum) + fixed fee, in the card's currency, rounded to its
minor units. Units are chargeable kg for express and land, W/M for sea, where one W/M (1 m³ or
1000 kg) is the least sea freight bills: a parcel far below it is marked (`far_below_minimum`)
so the seller is told what they would pay for.

Restrictions: standalone lithium batteries and flammable liquids are refused for express (air);
a parcel beyond a rate's size or weight limit (the example card: express up to 120 cm a side and
30 kg) is refused for that method, which leaves sea or land. A refused method is still priced
when the lane has a rate, so the seller sees what it would have cost.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from domain.countries import is_country_code
from domain.errors import InvalidInput
from domain.logistics.parcels import (
    EXPRESS_REFUSED_GOODS,
    SEA_MINIMUM_WM,
    GoodsCharacteristic,
    Parcel,
    ShippingMethod,
    chargeable_weight,
    method_name_key,
    parcel_revenue_tons,
    revenue_tons,
)
from domain.logistics.rate_cards import Lane, MethodRate, RateCard, TransitRange
from domain.money import ExchangeRates, Money, convert

__all__ = ["FAR_BELOW_MINIMUM_SHARE", "MethodQuote", "compare", "quote"]

# A parcel using less than this share of the sea freight minimum pays mostly for empty space.
FAR_BELOW_MINIMUM_SHARE = Decimal("0.25")


@dataclass(frozen=True)
class MethodQuote:
    method: ShippingMethod
    origin: str  # the warehouse's country
    destination: str  # the buyer's country
    lane: Lane | None  # None when the card has no lane between them
    chargeable_weight_kg: Decimal  # kg-equivalent for sea (W/M x 1000)
    billable_units: Decimal  # what the price multiplies: kg, or W/M for sea
    unit: Literal["kg", "wm"]
    cost: Money | None  # None when the lane has no rate for this method
    transit: TransitRange | None
    allowed: bool
    refusal_keys: tuple[str, ...] = ()
    cheapest: bool = False
    fastest: bool = False
    # Sea freight: the W/M the parcel itself takes, and the least that is billed.
    parcel_units: Decimal | None = None
    minimum_units: Decimal | None = None

    @property
    def name_key(self) -> str:
        """The label key of the method's name on this lane (domestic or international
        express; see `method_name_key`)."""
        return method_name_key(self.method, self.origin, self.destination)

    @property
    def below_minimum(self) -> bool:
        return (
            self.parcel_units is not None
            and self.minimum_units is not None
            and self.parcel_units < self.minimum_units
        )

    @property
    def far_below_minimum(self) -> bool:
        if self.parcel_units is None or self.minimum_units is None:
            return False
        return self.parcel_units < self.minimum_units * FAR_BELOW_MINIMUM_SHARE


def _cost(rate: MethodRate, units: Decimal, currency: str) -> Money:
    freight = max(units * rate.price_per_unit, rate.minimum)
    return Money(freight + rate.fixed_fee, currency)


def _country(value: str) -> str:
    country = value.strip().upper() if isinstance(value, str) else ""
    if len(country) != 2 or not is_country_code(country):
        raise InvalidInput("logistics.invalid_country", country=str(value))
    return country


def _refusals(
    method: ShippingMethod,
    lane: Lane | None,
    rate: MethodRate | None,
    parcel: Parcel,
    goods: set[GoodsCharacteristic],
) -> list[str]:
    # A method the lane does not have is not available: that alone is the reason.
    if lane is None:
        return ["logistics.no_lane"]
    if rate is None:
        return [f"logistics.not_on_lane_{method.value}"]
    refusals: list[str] = []
    if method is ShippingMethod.EXPRESS:
        refusals.extend(key for good, key in EXPRESS_REFUSED_GOODS.items() if good in goods)
    if rate.max_side_cm is not None and parcel.longest_side_cm > rate.max_side_cm:
        refusals.append(f"logistics.oversize_{method.value}")
    if rate.max_weight_kg is not None and parcel.weight_kg > rate.max_weight_kg:
        refusals.append(f"logistics.overweight_{method.value}")
    return refusals


def quote(
    parcel: Parcel,
    origin_country: str,
    destination_country: str,
    rate_card: RateCard,
    goods: Iterable[GoodsCharacteristic],
) -> list[MethodQuote]:
    """Every method priced for this parcel on the lane from `origin_country` (the shipping
    warehouse's) to `destination_country` (the buyer's), with refusals and marks."""
    origin, destination = _country(origin_country), _country(destination_country)
    chosen = set(goods)
    lane = rate_card.lane_for(origin, destination)
    quotes: list[MethodQuote] = []
    for method in ShippingMethod:
        rate = None if lane is None else lane.methods.get(method)
        refusals = _refusals(method, lane, rate, parcel, chosen)
        weight = chargeable_weight(parcel, method)
        sea = method is ShippingMethod.SEA
        units = revenue_tons(parcel) if sea else weight
        quotes.append(
            MethodQuote(
                method=method,
                origin=origin,
                destination=destination,
                lane=lane,
                chargeable_weight_kg=weight,
                billable_units=units,
                unit="wm" if sea else "kg",
                cost=None if rate is None else _cost(rate, units, rate_card.currency),
                transit=None if rate is None else rate.transit,
                allowed=not refusals,
                refusal_keys=tuple(refusals),
                parcel_units=parcel_revenue_tons(parcel) if sea else None,
                minimum_units=SEA_MINIMUM_WM if sea else None,
            )
        )
    return compare(quotes)


def compare(
    quotes: Sequence[MethodQuote],
    rates: ExchangeRates | None = None,
    excluded: Collection[ShippingMethod] = (),
) -> list[MethodQuote]:
    """The quotes with the cheapest and the fastest *allowed* method marked (one each at most).

    `excluded` are methods the seller may not choose for another reason (the budget blocks
    them): a method that cannot be chosen is never the one recommended.
    Ties: the cheapest breaks ties by speed, the fastest (shortest maximum, then minimum transit)
    by price. Quotes in different currencies are compared in the first one's currency, with the
    seller's rates.
    """
    candidates = [
        q
        for q in quotes
        if q.allowed and q.cost is not None and q.transit is not None and q.method not in excluded
    ]
    if not candidates:
        return [replace(q, cheapest=False, fastest=False) for q in quotes]
    base = candidates[0].cost.currency if candidates[0].cost else ""

    def price(q: MethodQuote) -> Decimal:
        assert q.cost is not None
        return convert(q.cost.amount, q.cost.currency, base, rates)

    def speed(q: MethodQuote) -> tuple[int, int]:
        assert q.transit is not None
        return (q.transit.max_days, q.transit.min_days)

    cheapest = min(candidates, key=lambda q: (price(q), speed(q)))
    fastest = min(candidates, key=lambda q: (speed(q), price(q)))
    return [replace(q, cheapest=q is cheapest, fastest=q is fastest) for q in quotes]
