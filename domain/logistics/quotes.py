"""Quotes: every method priced for one parcel, with refusals, and the cheapest and fastest marked.

Cost = max(units x price per unit, minimum) + fixed fee, in the card's currency, rounded to its
minor units. Units are chargeable kg for express and land, W/M for sea.

Restrictions: standalone lithium batteries and flammable liquids are refused for express (air);
a parcel beyond a rate's size or weight limit (the example card: express up to 120 cm a side and
30 kg) is refused for that method, which leaves sea or land; a method with no rate for the
destination zone is refused too. A refused method is still priced when it has a rate, so the
seller sees what it would have cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from domain.countries import is_country_code
from domain.errors import InvalidInput
from domain.logistics.parcels import (
    EXPRESS_REFUSED_GOODS,
    GoodsCharacteristic,
    Parcel,
    ShippingMethod,
    chargeable_weight,
    revenue_tons,
)
from domain.logistics.rate_cards import MethodRate, RateCard, TransitRange
from domain.money import ExchangeRates, Money, convert


@dataclass(frozen=True)
class MethodQuote:
    method: ShippingMethod
    zone: str | None
    chargeable_weight_kg: Decimal  # kg-equivalent for sea (W/M x 1000)
    billable_units: Decimal  # what the price multiplies: kg, or W/M for sea
    unit: Literal["kg", "wm"]
    cost: Money | None  # None when the card has no rate for this method and zone
    transit: TransitRange | None
    allowed: bool
    refusal_keys: tuple[str, ...] = ()
    cheapest: bool = False
    fastest: bool = False


def _cost(rate: MethodRate, units: Decimal, currency: str) -> Money:
    freight = max(units * rate.price_per_unit, rate.minimum)
    return Money(freight + rate.fixed_fee, currency)


def quote(
    parcel: Parcel,
    destination_country: str,
    rate_card: RateCard,
    goods: Iterable[GoodsCharacteristic],
) -> list[MethodQuote]:
    """Every method priced for this parcel and destination, with refusals and marks."""
    country = destination_country.strip().upper() if isinstance(destination_country, str) else ""
    if len(country) != 2 or not is_country_code(country):
        raise InvalidInput("logistics.invalid_country", country=str(destination_country))
    goods = set(goods)
    zone = rate_card.zone_for(country)
    quotes: list[MethodQuote] = []
    for method in ShippingMethod:
        rate = rate_card.rate_for(country, method)
        refusals: list[str] = []
        if rate is None:
            refusals.append("logistics.no_rate")
        if method is ShippingMethod.EXPRESS:
            refusals.extend(key for good, key in EXPRESS_REFUSED_GOODS.items() if good in goods)
        if rate is not None:
            if rate.max_side_cm is not None and parcel.longest_side_cm > rate.max_side_cm:
                refusals.append(f"logistics.oversize_{method.value}")
            if rate.max_weight_kg is not None and parcel.weight_kg > rate.max_weight_kg:
                refusals.append(f"logistics.overweight_{method.value}")
        weight = chargeable_weight(parcel, method)
        units = revenue_tons(parcel) if method is ShippingMethod.SEA else weight
        quotes.append(
            MethodQuote(
                method=method,
                zone=zone,
                chargeable_weight_kg=weight,
                billable_units=units,
                unit="wm" if method is ShippingMethod.SEA else "kg",
                cost=None if rate is None else _cost(rate, units, rate_card.currency),
                transit=None if rate is None else rate.transit,
                allowed=not refusals,
                refusal_keys=tuple(refusals),
            )
        )
    return compare(quotes)


def compare(quotes: Sequence[MethodQuote], rates: ExchangeRates | None = None) -> list[MethodQuote]:
    """The quotes with the cheapest and the fastest *allowed* method marked (one each at most).

    Ties: the cheapest breaks ties by speed, the fastest (shortest maximum, then minimum transit)
    by price. Quotes in different currencies are compared in the first one's currency, with the
    seller's rates.
    """
    candidates = [q for q in quotes if q.allowed and q.cost is not None and q.transit is not None]
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
