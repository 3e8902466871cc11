"""Rate cards: prices and transit times per zone and method, validated from JSON-like data.

The shipped default (`example_rate_card()`, `domain/rate_cards/example.json`) is labelled as
example rates and must be replaced by the seller's own (see `domain.logistics.card_files` for the
file formats a seller sends).

Invalid cards raise `InvalidInput("rates.invalid", reason=..., path=...)`, where `reason` says in
plain words what is wrong and `path` where (e.g. ``rates.europe.sea.per_wm`` or ``line 7``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from domain.countries import is_country_code
from domain.errors import InvalidInput
from domain.logistics.parcels import ShippingMethod
from domain.money import normalize_currency, to_decimal

MAX_TRANSIT_DAYS = 365


@dataclass(frozen=True)
class TransitRange:
    min_days: int
    max_days: int


@dataclass(frozen=True)
class MethodRate:
    """One method's price to one zone. `price_per_unit` is per kg, or per W/M for sea."""

    price_per_unit: Decimal
    transit: TransitRange
    minimum: Decimal = Decimal(0)
    fixed_fee: Decimal = Decimal(0)
    max_side_cm: Decimal | None = None
    max_weight_kg: Decimal | None = None


@dataclass(frozen=True)
class RateCard:
    label: str
    example: bool
    currency: str
    zones: Mapping[str, str]  # ISO 3166-1 alpha-2 -> zone name
    default_zone: str | None
    rates: Mapping[str, Mapping[ShippingMethod, MethodRate]]  # zone -> method -> rate

    def zone_for(self, country: str) -> str | None:
        return self.zones.get(country.upper(), self.default_zone)

    def rate_for(self, country: str, method: ShippingMethod) -> MethodRate | None:
        zone = self.zone_for(country)
        if zone is None:
            return None
        return self.rates.get(zone, {}).get(method)


_CARD_KEYS = {"label", "example", "currency", "zones", "default_zone", "rates", "notes"}
_RATE_KEYS = {
    "per_kg",
    "per_wm",
    "minimum",
    "fixed_fee",
    "transit_days",
    "max_side_cm",
    "max_weight_kg",
}


def _invalid(reason: str, path: str) -> InvalidInput:
    return InvalidInput("rates.invalid", reason=reason, path=path)


def _card_decimal(value: Any, path: str, *, positive: bool) -> Decimal:
    if isinstance(value, float):
        raise _invalid("write amounts as decimal text or parse JSON with Decimal, not float", path)
    if isinstance(value, str) and not value.strip():
        raise _invalid("a number is required", path)
    try:
        number = to_decimal(value)
    except InvalidInput:
        raise _invalid(f"{value!r} is not a number", path) from None
    if positive and number <= 0:
        raise _invalid("must be greater than zero", path)
    if number < 0:
        raise _invalid("must not be negative", path)
    return number


def _zone_name(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 64:
        raise _invalid("a zone name must be text of 1 to 64 characters", path)
    return value.strip()


def _transit(value: Any, path: str) -> TransitRange:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        raise _invalid("transit days must be a pair [min, max]", path)
    low, high = value
    if any(isinstance(day, bool) or not isinstance(day, int) for day in (low, high)):
        raise _invalid("transit days must be whole numbers", path)
    if not 0 <= low <= high <= MAX_TRANSIT_DAYS:
        raise _invalid(f"transit days need 0 <= min <= max <= {MAX_TRANSIT_DAYS}", path)
    return TransitRange(low, high)


def _method_rate(method: ShippingMethod, entry: Any, path: str) -> MethodRate:
    if not isinstance(entry, Mapping):
        raise _invalid("a method's rate must be an object", path)
    unknown = sorted(set(entry) - _RATE_KEYS)
    if unknown:
        raise _invalid(f"unknown field(s): {', '.join(map(str, unknown))}", path)
    price_key, wrong_key = (
        ("per_wm", "per_kg") if method is ShippingMethod.SEA else ("per_kg", "per_wm")
    )
    if wrong_key in entry:
        raise _invalid(f"{method.value} is priced with {price_key}, not {wrong_key}", path)
    if price_key not in entry:
        raise _invalid(f"{price_key} is required for {method.value}", path)
    if "transit_days" not in entry:
        raise _invalid("transit_days is required", path)

    def optional(name: str) -> Decimal | None:
        value = entry.get(name)
        return None if value is None else _card_decimal(value, f"{path}.{name}", positive=True)

    return MethodRate(
        price_per_unit=_card_decimal(entry[price_key], f"{path}.{price_key}", positive=True),
        transit=_transit(entry["transit_days"], f"{path}.transit_days"),
        minimum=_card_decimal(entry.get("minimum", 0), f"{path}.minimum", positive=False),
        fixed_fee=_card_decimal(entry.get("fixed_fee", 0), f"{path}.fixed_fee", positive=False),
        max_side_cm=optional("max_side_cm"),
        max_weight_kg=optional("max_weight_kg"),
    )


def load_rate_card(data: Mapping[str, Any]) -> RateCard:
    """A validated `RateCard` from parsed JSON-like data; `InvalidInput("rates.invalid")` if not."""
    if not isinstance(data, Mapping):
        raise _invalid("a rate card must be an object", "")
    unknown = sorted(set(data) - _CARD_KEYS)
    if unknown:
        raise _invalid(f"unknown field(s): {', '.join(map(str, unknown))}", "")

    label = data.get("label", "")
    if not isinstance(label, str) or len(label) > 200:
        raise _invalid("the label must be text of at most 200 characters", "label")
    example = data.get("example", False)
    if not isinstance(example, bool):
        raise _invalid("example must be true or false", "example")
    if "currency" not in data:
        raise _invalid("currency is required", "currency")
    try:
        currency = normalize_currency(data["currency"])
    except InvalidInput:
        raise _invalid(f"{data['currency']!r} is not an ISO-4217 currency", "currency") from None

    raw_rates = data.get("rates")
    if not isinstance(raw_rates, Mapping) or not raw_rates:
        raise _invalid("rates must name at least one zone", "rates")
    rates: dict[str, Mapping[ShippingMethod, MethodRate]] = {}
    for raw_zone, methods in raw_rates.items():
        zone = _zone_name(raw_zone, f"rates.{raw_zone}")
        if zone in rates:
            raise _invalid("zone listed twice", f"rates.{zone}")
        if not isinstance(methods, Mapping) or not methods:
            raise _invalid("a zone must price at least one method", f"rates.{zone}")
        zone_rates: dict[ShippingMethod, MethodRate] = {}
        for raw_method, entry in methods.items():
            path = f"rates.{zone}.{raw_method}"
            try:
                method = ShippingMethod(str(raw_method).strip().lower())
            except ValueError:
                raise _invalid("the method must be express, sea or land", path) from None
            if method in zone_rates:
                raise _invalid("method listed twice", path)
            zone_rates[method] = _method_rate(method, entry, path)
        rates[zone] = MappingProxyType(zone_rates)

    raw_zones = data.get("zones", {})
    if not isinstance(raw_zones, Mapping):
        raise _invalid("zones must map country codes to zone names", "zones")
    zones: dict[str, str] = {}
    for raw_country, raw_zone in raw_zones.items():
        path = f"zones.{raw_country}"
        country = str(raw_country).strip().upper()
        if len(country) != 2 or not is_country_code(country):
            raise _invalid(f"{raw_country!r} is not an ISO 3166 two-letter country code", path)
        if country in zones:
            raise _invalid("country listed twice", path)
        zone = _zone_name(raw_zone, path)
        if zone not in rates:
            raise _invalid(f"zone {zone!r} has no rates", path)
        zones[country] = zone

    default_zone = data.get("default_zone")
    if default_zone is not None:
        default_zone = _zone_name(default_zone, "default_zone")
        if default_zone not in rates:
            raise _invalid(f"zone {default_zone!r} has no rates", "default_zone")
    if not zones and default_zone is None:
        raise _invalid("map some countries to zones or set a default zone", "zones")

    return RateCard(
        label=label.strip(),
        example=example,
        currency=currency,
        zones=MappingProxyType(zones),
        default_zone=default_zone,
        rates=MappingProxyType(rates),
    )


@cache
def example_rate_card() -> RateCard:
    """The shipped default, labelled as example rates (not anyone's real prices)."""
    from domain.logistics.card_files import parse_rate_card_json

    text = resources.files("domain.rate_cards").joinpath("example.json").read_text("utf-8")
    return parse_rate_card_json(text)
