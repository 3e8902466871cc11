"""Logistics cost model: chargeable weight, rate cards, restrictions by goods, quotes, budget.

Chargeable weight is max(actual, volumetric), per method:

- **express**: volumetric kg = L x W x H (cm) / 5000. The result is rounded *up* to the next
  0.5 kg, as express carriers bill in half-kilo steps (19.2 kg -> 19.5 kg).
- **sea**: priced per revenue ton, W/M = max(weight in tonnes, volume in m³, 1): 1 m³ counts as
  1000 kg and one W/M is the minimum. W/M is rounded up to 0.001. The chargeable weight is
  reported as a kg-equivalent (W/M x 1000) so all methods read alike; the price is per W/M.
- **land** (road/rail): volumetric kg = volume in m³ x 333, rounded up to the next whole kg,
  as road freight bills whole kilos (31.968 kg -> 32 kg).

Cost = max(units x price per unit, minimum) + fixed fee, in the card's currency, rounded to its
minor units. Units are chargeable kg for express and land, W/M for sea.

Restrictions: standalone lithium batteries and flammable liquids are refused for express (air);
a parcel beyond a rate's size or weight limit (the example card: express up to 120 cm a side and
30 kg) is refused for that method, which leaves sea or land; a method with no rate for the
destination zone is refused too. A refused method is still priced when it has a rate, so the
seller sees what it would have cost.

Rate cards are data. The shipped default (`example_rate_card()`, `domain/rate_cards/example.json`)
is labelled as example rates and must be replaced by the seller's own. A seller sends a card as:

**JSON** -- the same shape as the example::

    {"label": "...", "example": false, "currency": "USD",
     "zones": {"DE": "europe", "US": "north_america"}, "default_zone": "rest_of_world",
     "rates": {"europe": {"express": {"per_kg": 8.5, "minimum": 20, "fixed_fee": 3,
                                      "transit_days": [4, 8], "max_side_cm": 120,
                                      "max_weight_kg": 30},
                          "sea": {"per_wm": 95, "minimum": 60, "fixed_fee": 45,
                                  "transit_days": [30, 45]}}}}

`per_kg` prices express and land, `per_wm` prices sea; `minimum`, `fixed_fee`, `max_side_cm` and
`max_weight_kg` are optional. Amounts may be JSON numbers (read as Decimal) or strings.

**CSV** -- two tables in one file, in either order, separated by any number of blank lines
(lines starting with ``#`` are comments; ``,`` or ``;`` as the delimiter, and with ``;`` a
decimal comma is accepted)::

    country,zone
    DE,europe
    *,rest_of_world            <- "*" names the default zone

    zone,method,currency,per_kg,per_wm,minimum,fixed_fee,transit_min,transit_max,max_side_cm,max_weight_kg
    europe,express,USD,8.50,,20,3,4,8,120,30
    europe,sea,USD,,95,60,45,30,45,,

`zone, method, currency, transit_min, transit_max` are required columns, and one of `per_kg` /
`per_wm` per row; the others may be missing or blank. Every row must use the same currency.

Invalid cards raise `InvalidInput("rates.invalid", reason=..., path=...)`, where `reason` says in
plain words what is wrong and `path` where (e.g. ``rates.europe.sea.per_wm`` or ``line 7``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

from domain.countries import is_country_code
from domain.errors import InvalidInput
from domain.money import (
    ExchangeRates,
    Money,
    convert,
    convert_money,
    normalize_currency,
    to_decimal,
)

__all__ = [
    "EXPRESS_REFUSED_GOODS",
    "BudgetCheck",
    "BudgetMode",
    "BudgetPolicy",
    "ExchangeRates",
    "GoodsCharacteristic",
    "MethodQuote",
    "MethodRate",
    "Parcel",
    "RateCard",
    "ShippingMethod",
    "TransitRange",
    "chargeable_weight",
    "check_budget",
    "compare",
    "convert",
    "example_rate_card",
    "load_rate_card",
    "parse_rate_card_csv",
    "parse_rate_card_file",
    "parse_rate_card_json",
    "quote",
    "volumetric_weight",
]


class ShippingMethod(StrEnum):
    EXPRESS = "express"
    SEA = "sea"
    LAND = "land"


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
PARCEL_WEIGHT_STEP = Decimal("0.001")
PARCEL_SIDE_STEP = Decimal("0.1")

MAX_TRANSIT_DAYS = 365
MAX_CARD_BYTES = 512 * 1024


def _ceil_to(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


# --- parcels and chargeable weight -----------------------------------------------------------


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


def revenue_tons(parcel: Parcel) -> Decimal:
    """Sea freight W/M: the larger of tonnes and m³, at least 1, rounded up to 0.001."""
    wm = max(parcel.weight_kg / SEA_KG_PER_M3, parcel.volume_m3, SEA_MINIMUM_WM)
    return _ceil_to(wm, Decimal("0.001"))


def chargeable_weight(parcel: Parcel, method: ShippingMethod) -> Decimal:
    """What the method bills, in kg (kg-equivalent for sea), rounded as the module describes."""
    if method is ShippingMethod.EXPRESS:
        return _ceil_to(max(parcel.weight_kg, volumetric_weight(parcel, method)), Decimal("0.5"))
    if method is ShippingMethod.SEA:
        return revenue_tons(parcel) * SEA_KG_PER_M3
    return _ceil_to(max(parcel.weight_kg, volumetric_weight(parcel, method)), Decimal(1))


# --- rate cards ------------------------------------------------------------------------------


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


def _decode(content: bytes | str) -> str:
    if isinstance(content, str):
        text = content
    else:
        if len(content) > MAX_CARD_BYTES:
            raise _invalid(f"the file is larger than {MAX_CARD_BYTES // 1024} KB", "")
        try:
            text = content.decode("utf-8-sig")  # spreadsheet exports often start with a BOM
        except UnicodeDecodeError:
            raise _invalid("the file is not UTF-8 text", "") from None
    if len(text) > MAX_CARD_BYTES:
        raise _invalid(f"the file is larger than {MAX_CARD_BYTES // 1024} KB", "")
    return text.removeprefix("\ufeff")


def parse_rate_card_json(content: bytes | str) -> RateCard:
    """A seller's JSON rate card; numbers are read as Decimal, never float."""
    try:
        data = json.loads(_decode(content), parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise _invalid(f"not valid JSON ({error.msg})", f"line {error.lineno}") from None
    return load_rate_card(data)


_ZONE_HEADER = ("country", "zone")
_RATE_REQUIRED = ("zone", "method", "currency", "transit_min", "transit_max")
_RATE_OPTIONAL = ("per_kg", "per_wm", "minimum", "fixed_fee", "max_side_cm", "max_weight_kg")


def parse_rate_card_csv(content: bytes | str) -> RateCard:
    """A seller's CSV rate card (format in the module docstring)."""
    text = _decode(content)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","

    def number(cell: str) -> str:
        return cell.replace(",", ".") if delimiter == ";" else cell

    zones: dict[str, str] = {}
    default_zone: str | None = None
    rates: dict[str, dict[str, dict[str, Any]]] = {}
    currencies: set[str] = set()
    header: list[str] | None = None
    table: Literal["zones", "rates"] | None = None

    for line_no, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        path = f"line {line_no}"
        if not any(cells) or cells[0].startswith("#"):
            continue
        lowered = [cell.lower() for cell in cells]
        if tuple(lowered[:2]) == _ZONE_HEADER:
            table, header = "zones", lowered
            continue
        if tuple(lowered[:2]) == ("zone", "method"):
            missing = [name for name in _RATE_REQUIRED if name not in lowered]
            if missing:
                raise _invalid(f"missing column(s): {', '.join(missing)}", path)
            unknown = [n for n in lowered if n and n not in _RATE_REQUIRED + _RATE_OPTIONAL]
            if unknown:
                raise _invalid(f"unknown column(s): {', '.join(unknown)}", path)
            table, header = "rates", lowered
            continue
        if table is None or header is None:
            raise _invalid("expected a 'country,zone' or 'zone,method,...' header row", path)
        if len(cells) > len(header) and any(cells[len(header) :]):
            raise _invalid("more cells than header columns", path)
        values = dict(zip(header, cells, strict=False))
        if table == "zones":
            country, zone = values.get("country", ""), values.get("zone", "")
            if not zone:
                raise _invalid("the zone is empty", path)
            if country == "*":
                if default_zone is not None:
                    raise _invalid("the default zone '*' is listed twice", path)
                default_zone = zone
                continue
            country = country.upper()
            if country in zones:
                raise _invalid(f"country {country} listed twice", path)
            zones[country] = zone
            continue
        zone, method = values.get("zone", ""), values.get("method", "").lower()
        if not zone or not method:
            raise _invalid("zone and method are required", path)
        if method in rates.get(zone, {}):
            raise _invalid(f"{zone} / {method} listed twice", path)
        currencies.add(values.get("currency", "").upper())
        entry: dict[str, Any] = {}
        for name in _RATE_OPTIONAL:
            if values.get(name):
                entry[name] = number(values[name])
        try:
            entry["transit_days"] = [int(values["transit_min"]), int(values["transit_max"])]
        except ValueError:
            raise _invalid("transit_min and transit_max must be whole numbers", path) from None
        rates.setdefault(zone, {})[method] = entry

    if not rates:
        raise _invalid("no rate rows found", "")
    if len(currencies) != 1:
        raise _invalid("every row must use the same currency", "currency")
    data: dict[str, Any] = {
        "label": "",
        "example": False,
        "currency": currencies.pop(),
        "zones": zones,
        "rates": rates,
    }
    if default_zone is not None:
        data["default_zone"] = default_zone
    return load_rate_card(data)


def parse_rate_card_file(filename: str, content: bytes) -> RateCard:
    """A seller's rate-card file, JSON or CSV by its extension."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if suffix == "json":
        return parse_rate_card_json(content)
    if suffix in {"csv", "txt"}:
        return parse_rate_card_csv(content)
    raise InvalidInput("rates.unsupported_file", filename=filename)


@cache
def example_rate_card() -> RateCard:
    """The shipped default, labelled as example rates (not anyone's real prices)."""
    text = resources.files("domain.rate_cards").joinpath("example.json").read_text("utf-8")
    return parse_rate_card_json(text)


# --- quotes ----------------------------------------------------------------------------------


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


# --- budget ----------------------------------------------------------------------------------

BudgetMode = Literal["warn", "block"]


@dataclass(frozen=True)
class BudgetPolicy:
    """The seller's logistics budget: a share of order value and/or a cap per order."""

    max_share: Decimal | None = None  # 0.15 = 15 % of the order value
    max_per_order: Money | None = None
    mode: BudgetMode = "warn"

    def __post_init__(self) -> None:
        if self.max_share is not None:
            share = to_decimal(self.max_share, key="budget.invalid_share")
            if not Decimal(0) < share <= Decimal(1):
                raise InvalidInput("budget.invalid_share", value=str(share))
            object.__setattr__(self, "max_share", share)
        if self.max_per_order is not None and self.max_per_order.amount <= 0:
            raise InvalidInput("budget.invalid_max_per_order", value=str(self.max_per_order))
        if self.mode not in ("warn", "block"):
            raise InvalidInput("budget.invalid_mode", value=str(self.mode))


@dataclass(frozen=True)
class BudgetCheck:
    """The outcome; limits are shown in the cost's currency."""

    status: Literal["within", "over"]
    exceeded: tuple[str, ...]  # "max_share", "max_per_order"
    mode: BudgetMode
    cost: Money
    share: Decimal | None = None  # cost / order value, 4 places; None for a zero order value
    share_limit: Money | None = None
    per_order_limit: Money | None = None

    @property
    def over(self) -> bool:
        return self.status == "over"


def check_budget(
    cost: Money,
    order_value: Money,
    policy: BudgetPolicy | None,
    rates: ExchangeRates | None = None,
) -> BudgetCheck:
    """Whether `cost` keeps within `policy` for an order worth `order_value`.

    Amounts in other currencies are converted with the seller's rates only (a missing rate
    raises `InvalidInput("rates.missing_exchange_rate")`). Exactly at a limit is within it.
    """
    if policy is None:
        return BudgetCheck(status="within", exceeded=(), mode="warn", cost=cost)
    value = convert_money(order_value, cost.currency, rates)
    share = (cost.amount / value.amount).quantize(Decimal("0.0001")) if value.amount else None
    exceeded: list[str] = []
    share_limit = per_order_limit = None
    if policy.max_share is not None:
        share_limit = Money(value.amount * policy.max_share, cost.currency)
        if cost > share_limit:
            exceeded.append("max_share")
    if policy.max_per_order is not None:
        per_order_limit = convert_money(policy.max_per_order, cost.currency, rates)
        if cost > per_order_limit:
            exceeded.append("max_per_order")
    return BudgetCheck(
        status="over" if exceeded else "within",
        exceeded=tuple(exceeded),
        mode=policy.mode,
        cost=cost,
        share=share,
        share_limit=share_limit,
        per_order_limit=per_order_limit,
    )
