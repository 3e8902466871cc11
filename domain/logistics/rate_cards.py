"""Rate cards: prices and transit times per **lane**, an origin and a destination.

A parcel from a warehouse in Germany to France travels a different lane, with different methods
and prices, than one from Shenzhen to France. A card therefore holds:

- **zones**: named groups of countries (``"eu": ["AT", "BE", ...]``); a zone listing ``"*"``
  also takes every country it does not list (the old "default zone");
- **lanes**: from a *place* to a *place*, with the methods that exist on that lane and their
  rates. A place is a country code (``"CN"``), a zone of the card (``"eu"``) or ``"*"``
  (anywhere). A method missing from a lane does not exist there.

Which lane a parcel travels (`RateCard.lane_for`): of the lanes whose origin covers the
warehouse's country and whose destination covers the buyer's, the one naming the origin most
specifically (its country code, then a zone listing it, then ``"*"``), then the destination most
specifically in the same order. Two lanes that would tie are refused when the card is loaded
(`domain.logistics.card_validation`), so the choice never depends on the order of the file.

The model is plain, picklable data (dicts, frozensets, tuples), so a card can be parsed in a
worker process and handed back. `rate_card_data` writes it as JSON-safe data that
`load_rate_card` reads back; cards stored before lanes existed (one set of zones, no origin) are
read as lanes from anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from domain.logistics.parcels import ShippingMethod

__all__ = [
    "ANYWHERE",
    "Lane",
    "MethodRate",
    "Place",
    "RateCard",
    "TransitRange",
    "rate_card_data",
]

ANYWHERE = "*"

PlaceKind = Literal["country", "zone", "anywhere"]

# How specifically a place names a country; lower is more specific.
RANK_COUNTRY, RANK_ZONE_MEMBER, RANK_EVERYWHERE = 0, 1, 2


@dataclass(frozen=True)
class TransitRange:
    min_days: int
    max_days: int


@dataclass(frozen=True)
class MethodRate:
    """One method's price on one lane. `price_per_unit` is per kg, or per W/M for sea."""

    price_per_unit: Decimal
    transit: TransitRange
    minimum: Decimal = Decimal(0)
    fixed_fee: Decimal = Decimal(0)
    max_side_cm: Decimal | None = None
    max_weight_kg: Decimal | None = None


@dataclass(frozen=True)
class Place:
    """Where a lane starts or ends: one country, a zone of the card, or anywhere (``"*"``).

    `countries` are the countries named outright (the country itself, or a zone's list);
    `everywhere` is set for ``"*"`` and for a zone that lists ``"*"``.
    """

    name: str
    kind: PlaceKind
    countries: frozenset[str] = frozenset()
    everywhere: bool = False

    def rank(self, country: str) -> int | None:
        """How specifically this place names `country`, or None when it does not cover it."""
        if country in self.countries:
            return RANK_COUNTRY if self.kind == "country" else RANK_ZONE_MEMBER
        return RANK_EVERYWHERE if self.everywhere else None

    def shares_rank_with(self, other: Place) -> str | None:
        """A country both places name equally specifically (so neither wins), or None."""
        if self.kind == "country" or other.kind == "country":
            same = self.kind == other.kind and self.name == other.name
            return self.name if same else None
        common = self.countries & other.countries  # two zones listing the same country
        if common:
            return min(common)
        if self.everywhere and other.everywhere:
            return ANYWHERE
        return None


@dataclass(frozen=True)
class Lane:
    origin: Place
    destination: Place
    methods: Mapping[ShippingMethod, MethodRate]  # only the methods that exist on this lane

    def rank(self, origin: str, destination: str) -> tuple[int, int] | None:
        from_rank, to_rank = self.origin.rank(origin), self.destination.rank(destination)
        if from_rank is None or to_rank is None:
            return None
        return (from_rank, to_rank)


@dataclass(frozen=True)
class RateCard:
    label: str
    example: bool
    currency: str
    zones: Mapping[str, frozenset[str]]  # zone name -> its countries ("*": all others too)
    lanes: tuple[Lane, ...]
    notes: str = field(default="", compare=False)

    def lane_for(self, origin: str, destination: str) -> Lane | None:
        """The lane a parcel from `origin` to `destination` (ISO codes) travels, if any."""
        origin, destination = origin.upper(), destination.upper()
        best: tuple[tuple[int, int], Lane] | None = None
        for lane in self.lanes:
            rank = lane.rank(origin, destination)
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, lane)
        return None if best is None else best[1]

    def rate_for(self, origin: str, destination: str, method: ShippingMethod) -> MethodRate | None:
        lane = self.lane_for(origin, destination)
        return None if lane is None else lane.methods.get(method)

    @property
    def origins(self) -> list[Place]:
        """Every distinct origin, in the card's order."""
        seen: dict[str, Place] = {}
        for lane in self.lanes:
            seen.setdefault(lane.origin.name, lane.origin)
        return list(seen.values())

    def lanes_from(self, origin: Place) -> list[Lane]:
        return [lane for lane in self.lanes if lane.origin.name == origin.name]


def _rate_data(method: ShippingMethod, rate: MethodRate) -> dict[str, Any]:
    price_key = "per_wm" if method is ShippingMethod.SEA else "per_kg"
    entry: dict[str, Any] = {
        price_key: str(rate.price_per_unit),
        "minimum": str(rate.minimum),
        "fixed_fee": str(rate.fixed_fee),
        "transit_days": [rate.transit.min_days, rate.transit.max_days],
    }
    if rate.max_side_cm is not None:
        entry["max_side_cm"] = str(rate.max_side_cm)
    if rate.max_weight_kg is not None:
        entry["max_weight_kg"] = str(rate.max_weight_kg)
    return entry


def rate_card_data(card: RateCard) -> dict[str, Any]:
    """The card as JSON-safe data that `load_rate_card` reads back (amounts as text)."""
    zones = {
        name: sorted(countries, key=lambda code: (code != ANYWHERE, code))
        for name, countries in card.zones.items()
    }
    lanes = []
    for lane in card.lanes:
        entry: dict[str, Any] = {"from": lane.origin.name, "to": lane.destination.name}
        for method in ShippingMethod:
            rate = lane.methods.get(method)
            if rate is not None:
                entry[method.value] = _rate_data(method, rate)
        lanes.append(entry)
    data: dict[str, Any] = {
        "label": card.label,
        "example": card.example,
        "currency": card.currency,
        "zones": zones,
        "lanes": lanes,
    }
    if card.notes:
        data["notes"] = card.notes
    return data
