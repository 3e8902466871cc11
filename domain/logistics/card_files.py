"""Rate-card files a seller sends: JSON or CSV, parsed within a size bound into a `RateCard`.

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
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any, Literal

from domain.errors import InvalidInput
from domain.logistics.rate_cards import RateCard, _invalid, load_rate_card

MAX_CARD_BYTES = 512 * 1024


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
