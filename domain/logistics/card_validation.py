"""Validating a rate card's data (parsed JSON, or what the CSV reader built) into a `RateCard`.

Nothing here trusts a type: every value is checked before it is used, and every problem raises
``InvalidInput("rates.invalid", problem=..., path=..., line=..., **details)``. `problem` names
the template (``templates/messages/rates/problem/<problem>.html``) that explains it in the
seller's language; `path` says where, in JSON terms (``lanes[2].sea.per_wm``); `line` is the CSV
line when the card came from a CSV file. Details are short texts (a value is cut to 40
characters), so a hostile file cannot make the answer huge.

Two shapes are read:

- the current one, ``{"currency", "zones": {zone: [countries]}, "lanes": [{"from", "to",
  "express" | "sea" | "land": rate}]}`` (see `domain.logistics.rate_cards`);
- the one before lanes, ``{"currency", "zones": {country: zone}, "default_zone", "rates":
  {zone: {method: rate}}}``, still stored for some sellers: it becomes one lane from anywhere
  (``"*"``) to each zone, which is exactly what it priced.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from domain import embargo
from domain.countries import is_country_code
from domain.errors import InvalidInput
from domain.logistics.parcels import ShippingMethod
from domain.logistics.rate_cards import (
    ANYWHERE,
    Lane,
    MethodRate,
    Place,
    RateCard,
    TransitRange,
)
from domain.money import normalize_currency

__all__ = [
    "MAX_CARD_PROBLEMS",
    "MAX_LANES",
    "CardProblems",
    "card_problems",
    "each_problem",
    "invalid_card",
    "load_rate_card",
    "load_sent_rate_card",
    "method_rate_problems",
    "shown",
]

MAX_AMOUNT = Decimal(1_000_000_000)
MAX_DECIMAL_PLACES = 6
MAX_NUMBER_CHARS = 40
MAX_TRANSIT_DAYS = 365
MAX_ZONES = 500
MAX_ZONE_COUNTRIES = 300
MAX_LANES = 500
MAX_NAME_CHARS = 64
MAX_LABEL_CHARS = 200
MAX_NOTES_CHARS = 2000
SHOWN_CHARS = 40
# The most problems one refusal lists: enough to fix a card in one go, while a file that is wrong
# everywhere (a shifted column) does not flood the chat; the rest are only counted.
MAX_CARD_PROBLEMS = 10

_CARD_KEYS = {"label", "example", "currency", "zones", "lanes", "notes"}
_LEGACY_CARD_KEYS = {"label", "example", "currency", "zones", "default_zone", "rates", "notes"}
_METHOD_KEYS = {method.value for method in ShippingMethod}
# Bidi embeddings, overrides and isolates: they reorder what is shown after them.
_DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})
_LANE_KEYS = {"from", "to", "notes"} | _METHOD_KEYS
_RATE_KEYS = {
    "per_kg",
    "per_wm",
    "minimum",
    "fixed_fee",
    "transit_days",
    "max_side_cm",
    "max_weight_kg",
}


def shown(value: Any) -> str:
    """A value as the seller wrote it, short enough to quote back."""
    if isinstance(value, Mapping):
        text = "{…}"
    elif isinstance(value, list | tuple):
        text = "[…]"
    else:
        text = str(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def invalid_card(
    problem: str, path: str = "", *, line: int | None = None, **details: Any
) -> InvalidInput:
    return InvalidInput("rates.invalid", problem=problem, path=path, line=line, **details)


class CardProblems(InvalidInput):
    """Several problems of one card, refused together in the order found (file order).

    It reads as the first problem (its parameters are that problem's), plus `problems`, the
    parameters of at most `MAX_CARD_PROBLEMS` of them, and `unlisted`, how many were left out.
    A reader that gathers problems from several parts takes each part's `each_problem`.
    """

    def __init__(self, problems: Sequence[InvalidInput]) -> None:
        listed = [dict(problem.params) for problem in problems[:MAX_CARD_PROBLEMS]]
        super().__init__(
            "rates.invalid",
            **problems[0].params,
            problems=listed,
            unlisted=len(problems) - len(listed),
        )
        self.problems = list(problems)


def card_problems(problems: Sequence[InvalidInput]) -> InvalidInput:
    """One refusal for every problem in `problems`: a single one as it is."""
    return problems[0] if len(problems) == 1 else CardProblems(problems)


def each_problem(error: InvalidInput) -> list[InvalidInput]:
    """The problems one refusal stands for."""
    return error.problems if isinstance(error, CardProblems) else [error]


def _key(value: Any) -> str:
    """A mapping key as it may appear in a path."""
    return shown(value).replace(".", "·")


def _mapping(value: Any, path: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise invalid_card("not_an_object", path)
    return value


def _list(value: Any, path: str, limit: int) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise invalid_card("not_a_list", path)
    if len(value) > limit:
        raise invalid_card("too_many", path, max=limit)
    return value


def _no_unknown(data: Mapping[Any, Any], allowed: set[str], path: str) -> None:
    unknown = sorted(shown(key) for key in data if key not in allowed)
    if unknown:
        raise invalid_card("unknown_fields", path, fields=unknown[:5])


def _hidden(char: str) -> bool:
    if char in "\t\n":
        return False
    return char in _DIRECTION_CONTROLS or unicodedata.category(char) in _HIDDEN_CATEGORIES


def _visible(text: str, path: str) -> str:
    """Refuse control characters and direction overrides in text shown back to the seller."""
    if any(_hidden(char) for char in text):
        raise invalid_card("control_characters", path)
    return text


def _text(value: Any, path: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise invalid_card("text_expected", path, max=limit)
    return _visible(value, path).strip()


def _zone_name(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > MAX_NAME_CHARS:
        raise invalid_card("zone_name", path, max=MAX_NAME_CHARS)
    name = _visible(value, path).strip()
    if name == ANYWHERE or "\n" in name or "\t" in name:
        raise invalid_card("zone_name", path, max=MAX_NAME_CHARS)
    return name


def _country(value: Any, path: str) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if len(code) != 2 or not code.isascii() or not is_country_code(code):
        raise invalid_card("country_code", path, value=shown(value))
    return code


# ----- numbers ---------------------------------------------------------------------------------


def _decimal_places(number: Decimal) -> int:
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite numbers only reach here
    places = -exponent
    end = len(digits)
    while places > 0 and end > 0 and digits[end - 1] == 0:
        end -= 1
        places -= 1
    return max(places, 0)


def _amount(value: Any, path: str, *, positive: bool) -> Decimal:
    if isinstance(value, float):
        raise invalid_card("float_amount", path)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise invalid_card("number_required", path)
        if len(text) > MAX_NUMBER_CHARS:
            raise invalid_card("number_too_long", path, max=MAX_NUMBER_CHARS)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise invalid_card("not_a_number", path, value=shown(value)) from None
    elif isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        number = Decimal(value)
    else:
        raise invalid_card("not_a_number", path, value=shown(value))
    if not number.is_finite():
        raise invalid_card("not_a_number", path, value=shown(value))
    if number < 0:
        raise invalid_card("negative", path)
    if positive and number == 0:
        raise invalid_card("not_positive", path)
    if number > MAX_AMOUNT:
        raise invalid_card("number_too_large", path, max=str(MAX_AMOUNT))
    if _decimal_places(number) > MAX_DECIMAL_PLACES:
        raise invalid_card("too_many_decimals", path, max=MAX_DECIMAL_PLACES)
    return number


def _transit(value: Any, path: str) -> TransitRange:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise invalid_card("transit_pair", path)
    low, high = value
    if any(isinstance(day, bool) or not isinstance(day, int) for day in (low, high)):
        raise invalid_card("transit_whole", path)
    if not 0 <= low <= high <= MAX_TRANSIT_DAYS:
        raise invalid_card("transit_order", path, max=MAX_TRANSIT_DAYS)
    return TransitRange(low, high)


def _price_keys(method: ShippingMethod) -> tuple[str, str]:
    """The key a method is priced with, and the other one, which it must not use."""
    return ("per_wm", "per_kg") if method is ShippingMethod.SEA else ("per_kg", "per_wm")


def method_rate_problems(
    method: ShippingMethod, entry: Mapping[str, Any], path: str
) -> list[InvalidInput]:
    """Every problem of the values of one method's rate, each value checked on its own so one
    bad value (or CSV cell) does not hide the next."""
    problems: list[InvalidInput] = []
    price_key, wrong_key = _price_keys(method)
    if wrong_key in entry:
        problems.append(
            invalid_card(
                "price_key_wrong", path, method=method.value, expected=price_key, given=wrong_key
            )
        )
    elif price_key not in entry:
        problems.append(
            invalid_card("price_key_missing", path, method=method.value, expected=price_key)
        )
    for name in (price_key, "minimum", "fixed_fee", "max_side_cm", "max_weight_kg"):
        # The price must be a number; the others may be null, as if not given.
        if name in entry and (name == price_key or entry[name] is not None):
            try:
                _amount(entry[name], f"{path}.{name}", positive=name not in _MAY_BE_ZERO)
            except InvalidInput as error:
                problems.append(error)
    if "transit_days" in entry:
        try:
            _transit(entry["transit_days"], f"{path}.transit_days")
        except InvalidInput as error:
            problems.append(error)
    return problems


_MAY_BE_ZERO = frozenset({"minimum", "fixed_fee"})


def _method_rate(method: ShippingMethod, entry: Any, path: str) -> MethodRate:
    """One method's rate, refused with every problem of its values (`CardProblems`)."""
    entry = _mapping(entry, path)
    _no_unknown(entry, _RATE_KEYS, path)
    problems = method_rate_problems(method, entry, path)
    if "transit_days" not in entry:
        problems.append(invalid_card("required", path, field="transit_days"))
    if problems:
        raise card_problems(problems)
    price_key, _ = _price_keys(method)

    def amount(name: str) -> Decimal | None:
        """A value checked above (so reading it cannot fail), or None when not given."""
        value = entry.get(name)
        return None if value is None else _amount(value, f"{path}.{name}", positive=False)

    return MethodRate(
        price_per_unit=_amount(entry[price_key], f"{path}.{price_key}", positive=True),
        transit=_transit(entry["transit_days"], f"{path}.transit_days"),
        minimum=amount("minimum") or Decimal(0),
        fixed_fee=amount("fixed_fee") or Decimal(0),
        max_side_cm=amount("max_side_cm"),
        max_weight_kg=amount("max_weight_kg"),
    )


# ----- the current shape: zones and lanes ------------------------------------------------------


def _zones(raw: Any) -> dict[str, frozenset[str]]:
    raw = _mapping(raw, "zones")
    if len(raw) > MAX_ZONES:
        raise invalid_card("too_many", "zones", max=MAX_ZONES)
    zones: dict[str, frozenset[str]] = {}
    for raw_name, raw_members in raw.items():
        path = f"zones.{_key(raw_name)}"
        name = _zone_name(raw_name, path)
        if name in zones:
            raise invalid_card("listed_twice", path, value=name)
        members: set[str] = set()
        for index, member in enumerate(_list(raw_members, path, MAX_ZONE_COUNTRIES)):
            where = f"{path}[{index}]"
            code = ANYWHERE if member == ANYWHERE else _country(member, where)
            if code in members:
                raise invalid_card("listed_twice", where, value=code)
            members.add(code)
        if not members:
            raise invalid_card("zone_empty", path)
        zones[name] = frozenset(members)
    return zones


def zone_place(name: str, members: frozenset[str]) -> Place:
    return Place(name, "zone", members - {ANYWHERE}, ANYWHERE in members)


def _place(raw: Any, zones: Mapping[str, frozenset[str]], path: str) -> Place:
    """A country code, a zone of the card, or "*"; a zone wins over a country of the same name."""
    text = raw.strip() if isinstance(raw, str) else None
    if text is None or not text:
        raise invalid_card("place_unknown", path, value=shown(raw))
    if text == ANYWHERE:
        return Place(ANYWHERE, "anywhere", everywhere=True)
    if text in zones:
        return zone_place(text, zones[text])
    code = text.upper()
    if len(code) == 2 and code.isascii() and is_country_code(code):
        return Place(code, "country", frozenset({code}))
    raise invalid_card("place_unknown", path, value=shown(raw))


def _places(raw: Any, zones: Mapping[str, frozenset[str]], path: str) -> list[Place]:
    if not isinstance(raw, list | tuple):
        return [_place(raw, zones, path)]
    items = _list(raw, path, MAX_ZONE_COUNTRIES)
    if not items:
        raise invalid_card("place_unknown", path, value="[]")
    return [_place(item, zones, f"{path}[{index}]") for index, item in enumerate(items)]


def describe(lane: Lane) -> str:
    return f"{lane.origin.name} → {lane.destination.name}"


def _check_no_tie(lanes: list[Lane], paths: list[str]) -> None:
    """Refuse two lanes that would cover one origin and destination equally specifically."""
    buckets: dict[str, list[int]] = {}
    for index, lane in enumerate(lanes):
        bucket = lane.origin.name if lane.origin.kind == "country" else ""
        for other_index in buckets.get(bucket, []):
            other = lanes[other_index]
            origin = lane.origin.shares_rank_with(other.origin)
            destination = lane.destination.shares_rank_with(other.destination)
            if origin is not None and destination is not None:
                raise invalid_card(
                    "lanes_ambiguous",
                    paths[index],
                    first=describe(other),
                    second=describe(lane),
                    origin=origin,
                    destination=destination,
                )
        buckets.setdefault(bucket, []).append(index)


def _lanes(raw: Any, zones: Mapping[str, frozenset[str]]) -> tuple[Lane, ...]:
    """The card's lanes. Each lane, and each method's rate in it, is checked on its own, so
    the refusal lists every lane's problems at once (`card_problems`), in file order."""
    items = _list(raw, "lanes", MAX_LANES)
    if not items:
        raise invalid_card("no_lanes", "lanes")
    lanes: list[Lane] = []
    paths: list[str] = []
    seen: set[tuple[str, str]] = set()
    problems: list[InvalidInput] = []
    for index, item in enumerate(items):
        path = f"lanes[{index}]"
        try:
            found = _lane(item, zones, path, seen)
        except InvalidInput as error:
            problems.extend(each_problem(error))
            continue
        lanes.extend(found)
        paths.extend(path for _ in found)
        if len(lanes) > MAX_LANES:  # at once: zones crossing zones add up fast
            raise invalid_card("too_many", "lanes", max=MAX_LANES)
    if problems:
        raise card_problems(problems)
    _check_no_tie(lanes, paths)
    return tuple(lanes)


def _lane(
    item: Any, zones: Mapping[str, frozenset[str]], path: str, seen: set[tuple[str, str]]
) -> list[Lane]:
    """One entry of `lanes`: a lane for each origin and destination it names."""
    entry = _mapping(item, path)
    _no_unknown(entry, _LANE_KEYS, path)
    for required in ("from", "to"):
        if required not in entry:
            raise invalid_card("required", path, field=required)
    if "notes" in entry:
        _text(entry["notes"], f"{path}.notes", MAX_NOTES_CHARS)
    origins = _places(entry["from"], zones, f"{path}.from")
    destinations = _places(entry["to"], zones, f"{path}.to")
    methods: dict[ShippingMethod, MethodRate] = {}
    problems: list[InvalidInput] = []
    for method in ShippingMethod:
        if method.value in entry:
            try:
                methods[method] = _method_rate(
                    method, entry[method.value], f"{path}.{method.value}"
                )
            except InvalidInput as error:
                problems.extend(each_problem(error))
    if problems:
        raise card_problems(problems)
    if not methods:
        raise invalid_card("lane_no_methods", path)
    lanes: list[Lane] = []
    for origin in origins:
        for destination in destinations:
            pair = (origin.name, destination.name)
            if pair in seen:
                raise invalid_card(
                    "lane_listed_twice", path, origin=origin.name, destination=destination.name
                )
            seen.add(pair)
            lanes.append(Lane(origin, destination, dict(methods)))
    return lanes


# ----- the shape before lanes ------------------------------------------------------------------


def _legacy(data: Mapping[Any, Any]) -> tuple[dict[str, frozenset[str]], tuple[Lane, ...]]:
    raw_rates = data.get("rates")
    if not isinstance(raw_rates, Mapping) or not raw_rates:
        raise invalid_card("no_rates", "rates")
    if len(raw_rates) > MAX_ZONES:
        raise invalid_card("too_many", "rates", max=MAX_ZONES)
    rates: dict[str, dict[ShippingMethod, MethodRate]] = {}
    for raw_zone, raw_methods in raw_rates.items():
        path = f"rates.{_key(raw_zone)}"
        zone = _zone_name(raw_zone, path)
        if zone in rates:
            raise invalid_card("listed_twice", path, value=zone)
        methods = _mapping(raw_methods, path)
        if not methods:
            raise invalid_card("lane_no_methods", path)
        zone_rates: dict[ShippingMethod, MethodRate] = {}
        for raw_method, entry in methods.items():
            where = f"{path}.{_key(raw_method)}"
            try:
                method = ShippingMethod(str(raw_method).strip().lower())
            except ValueError:
                raise invalid_card("method_unknown", where, value=shown(raw_method)) from None
            if method in zone_rates:
                raise invalid_card("listed_twice", where, value=method.value)
            zone_rates[method] = _method_rate(method, entry, where)
        rates[zone] = zone_rates

    members: dict[str, set[str]] = {zone: set() for zone in rates}
    raw_zones = _mapping(data.get("zones", {}), "zones")
    countries: set[str] = set()
    for raw_country, raw_zone in raw_zones.items():
        path = f"zones.{_key(raw_country)}"
        country = _country(raw_country, path)
        if country in countries:
            raise invalid_card("listed_twice", path, value=country)
        countries.add(country)
        zone = _zone_name(raw_zone, path)
        if zone not in rates:
            raise invalid_card("zone_without_rates", path, value=zone)
        members[zone].add(country)
    default_zone = data.get("default_zone")
    if default_zone is not None:
        default_zone = _zone_name(default_zone, "default_zone")
        if default_zone not in rates:
            raise invalid_card("zone_without_rates", "default_zone", value=default_zone)
        members[default_zone].add(ANYWHERE)
    if not countries and default_zone is None:
        raise invalid_card("no_countries", "zones")

    # A zone no country reaches priced nothing; it is left out rather than kept empty.
    zones = {zone: frozenset(found) for zone, found in members.items() if found}
    anywhere = Place(ANYWHERE, "anywhere", everywhere=True)
    lanes = tuple(
        Lane(anywhere, zone_place(zone, zones[zone]), rates[zone])
        for zone in rates
        if zone in zones
    )
    return zones, lanes


# ----- the card --------------------------------------------------------------------------------


def load_rate_card(data: Any) -> RateCard:
    """A validated `RateCard` from JSON-like data; `InvalidInput("rates.invalid")` if not."""
    data = _mapping(data, "")
    legacy = "lanes" not in data and "rates" in data
    _no_unknown(data, _LEGACY_CARD_KEYS if legacy else _CARD_KEYS, "")

    label = _text(data.get("label", ""), "label", MAX_LABEL_CHARS)
    notes = _text(data.get("notes", ""), "notes", MAX_NOTES_CHARS)
    example = data.get("example", False)
    if not isinstance(example, bool):
        raise invalid_card("not_true_false", "example")
    if "currency" not in data:
        raise invalid_card("required", "currency", field="currency")
    try:
        currency = normalize_currency(data["currency"])
    except InvalidInput:
        raise invalid_card("currency_unknown", "currency", value=shown(data["currency"])) from None

    if legacy:
        zones, lanes = _legacy(data)
    else:
        zones = _zones(data.get("zones", {}))
        if "lanes" not in data:
            raise invalid_card("no_lanes", "lanes")
        lanes = _lanes(data["lanes"], zones)
    return RateCard(
        label=label,
        example=example,
        currency=currency,
        zones=zones,
        lanes=lanes,
        notes=notes,
    )


def load_sent_rate_card(data: Any) -> RateCard:
    """`load_rate_card` for a card the seller sends now, which may also not name a country
    the marketplace cannot serve (`domain.embargo`) as where a lane starts or ends. A stored
    card is read without this rule, so a lane stored before it leaves the card readable (no
    order can travel it)."""
    card = load_rate_card(data)
    problems: list[InvalidInput] = []
    lanes = data.get("lanes", []) if isinstance(data, Mapping) else []
    for index, entry in enumerate(lanes):  # the shape before lanes starts anywhere, ends in zones
        for end in ("from", "to"):
            raw = entry[end]
            listed = isinstance(raw, list | tuple)
            for place_index, item in enumerate(raw if listed else [raw]):
                path = f"lanes[{index}].{end}" + (f"[{place_index}]" if listed else "")
                place = _place(item, card.zones, path)  # as the lane read it: a zone wins
                if place.kind == "country" and embargo.is_embargoed(place.name):
                    problems.append(invalid_card("country_embargoed", path, country=place.name))
    if problems:
        raise card_problems(problems)
    return card
