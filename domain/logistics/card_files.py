"""Rate-card files a seller sends, JSON or CSV, parsed within bounds into a `RateCard`.

Every file is hostile until parsed: at most 512 KB of UTF-8, JSON nested at most 32 deep (checked
before the parser sees it, so 100 000 ``[`` is a validation message, not a RecursionError),
numbers of at most 40 characters, no ``NaN`` / ``Infinity``, no key given twice. Every problem
is an ``InvalidInput("rates.invalid", problem=...)`` (see `domain.logistics.card_validation`);
the problems of a CSV card's rows, or of a JSON card's lanes, are gathered and refused together
(`CardProblems`), in file order.
The functions take and return plain, picklable data, so they can run in a worker process.

**JSON**::

    {"label": "My rates 2026", "currency": "USD",
     "zones": {"eu": ["AT", "BE", "DE", "FR"], "rest": ["*"]},
     "lanes": [
       {"from": "CN", "to": "eu",
        "express": {"per_kg": "8.50", "minimum": "20", "fixed_fee": "3",
                    "transit_days": [4, 8], "max_side_cm": "120", "max_weight_kg": "30"},
        "sea": {"per_wm": "95", "minimum": "60", "fixed_fee": "45", "transit_days": [30, 45]}},
       {"from": "eu", "to": "eu",
        "land": {"per_kg": "0.60", "minimum": "6", "transit_days": [2, 5]}}]}

`from` and `to` are a country code, a zone of the card, ``"*"`` (anywhere), or a list of them.
`per_kg` prices express and land, `per_wm` sea; `minimum`, `fixed_fee`, `max_side_cm` and
`max_weight_kg` are optional. Amounts may be JSON numbers (read as Decimal) or strings. A card in
the older shape (``"zones": {country: zone}, "default_zone", "rates": {zone: {method: rate}}``)
is still accepted: its rates apply from anywhere.

**CSV** -- two tables in one file, in either order, separated by any number of blank lines
(lines starting with ``#`` are comments; ``,`` or ``;`` as the delimiter, and with ``;`` a
decimal comma is accepted)::

    country,zone
    DE,eu
    FR,eu
    *,rest                       <- "*": every country not listed

    from,to,method,currency,per_kg,per_wm,minimum,fixed_fee,transit_min,transit_max,max_side_cm,max_weight_kg
    CN,eu,express,USD,8.50,,20,3,4,8,120,30
    CN,eu,sea,USD,,95,60,45,30,45,,
    eu,eu,land,USD,0.60,,6,2,2,5,,

`to, method, currency, transit_min, transit_max` are required columns, and one of `per_kg` /
`per_wm` per row; the others may be missing or blank. Without a `from` column (the older
format, whose `to` column was called `zone`) every row applies from anywhere. Every row must use
the same currency. A country may belong to several zones.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any, Literal

from domain.errors import InvalidInput
from domain.logistics.card_validation import (
    card_problems,
    each_problem,
    invalid_card,
    load_sent_rate_card,
    method_rate_problems,
    shown,
)
from domain.logistics.parcels import ShippingMethod
from domain.logistics.rate_cards import ANYWHERE, RateCard

__all__ = [
    "MAX_CARD_BYTES",
    "MAX_JSON_DEPTH",
    "example_rate_card",
    "is_rate_card_header",
    "parse_rate_card_csv",
    "parse_rate_card_file",
    "parse_rate_card_json",
]

MAX_CARD_BYTES = 512 * 1024
MAX_JSON_DEPTH = 32
MAX_NUMBER_CHARS = 40

# A JSON string (skipped whole, brackets inside it do not count) or one bracket.
_JSON_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _decode(content: bytes | str) -> str:
    if isinstance(content, str):
        text = content
    else:
        if len(content) > MAX_CARD_BYTES:
            raise invalid_card("file_too_large", max_kb=MAX_CARD_BYTES // 1024)
        try:
            text = content.decode("utf-8-sig")  # spreadsheet exports often start with a BOM
        except UnicodeDecodeError:
            raise invalid_card("not_utf8") from None
    if len(text) > MAX_CARD_BYTES:
        raise invalid_card("file_too_large", max_kb=MAX_CARD_BYTES // 1024)
    return text.removeprefix("\ufeff")


# ----- JSON ------------------------------------------------------------------------------------


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _check_depth(text: str) -> None:
    """Refuse nesting deeper than a rate card needs before `json` recurses into it."""
    depth = 0
    for match in _JSON_STRUCTURE.finditer(text):
        piece = match.group()
        if piece in ("[", "{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise invalid_card(
                    "json_too_deep", line=_line_of(text, match.start()), max=MAX_JSON_DEPTH
                )
        elif piece in ("]", "}"):
            depth -= 1


def _json_number(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise invalid_card("number_too_long", max=MAX_NUMBER_CHARS)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise invalid_card("not_a_number", value=shown(text)) from None


def _json_integer(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise invalid_card("number_too_long", max=MAX_NUMBER_CHARS)
    return int(text)


def _json_constant(name: str) -> Any:
    raise invalid_card("json_constant", value=name)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise invalid_card("listed_twice", value=shown(key))
        result[key] = value
    return result


def parse_rate_card_json(content: bytes | str) -> RateCard:
    """A seller's JSON rate card; numbers are read as Decimal, never float."""
    text = _decode(content)
    _check_depth(text)
    try:
        data = json.loads(
            text,
            parse_float=_json_number,
            parse_int=_json_integer,
            parse_constant=_json_constant,
            object_pairs_hook=_json_object,
        )
    except json.JSONDecodeError as error:
        raise invalid_card("json_syntax", line=error.lineno, column=error.colno) from None
    except RecursionError:  # the depth check above should make this unreachable
        raise invalid_card("json_too_deep", max=MAX_JSON_DEPTH) from None
    return load_sent_rate_card(data)


# ----- CSV -------------------------------------------------------------------------------------

_ZONE_HEADER = ("country", "zone")
_RATE_REQUIRED = ("to", "method", "currency", "transit_min", "transit_max")
_RATE_OPTIONAL = (
    "from",
    "per_kg",
    "per_wm",
    "minimum",
    "fixed_fee",
    "max_side_cm",
    "max_weight_kg",
)
_RATE_COLUMNS = _RATE_REQUIRED + _RATE_OPTIONAL
_METHODS = frozenset(method.value for method in ShippingMethod)


_TRANSIT_COLUMNS = "transit_min, transit_max"


class _CsvCard:
    """What the rows say so far, as card data, and the line each part came from."""

    def __init__(self) -> None:
        self.zones: dict[str, list[str]] = {}
        self.lanes: dict[tuple[str, str], dict[str, Any]] = {}
        self.lane_index: dict[tuple[str, str], int] = {}
        self.currencies: set[str] = set()
        self.lines: dict[str, int] = {}  # path in the card data -> CSV line

    def add_zone_row(self, values: dict[str, str], line: int) -> None:
        country, zone = values.get("country", ""), values.get("zone", "")
        if not zone or not country:
            raise invalid_card("csv_required_cells", line=line, columns="country, zone")
        members = self.zones.setdefault(zone, [])
        code = country if country == ANYWHERE else country.upper()
        if code in members:
            raise invalid_card("listed_twice", line=line, value=f"{code} / {zone}")
        self.lines.setdefault(f"zones.{zone}", line)
        self.lines[f"zones.{zone}[{len(members)}]"] = line
        members.append(code)

    def add_rate_row(self, values: dict[str, str], line: int, decimal_comma: bool) -> None:
        origin = values.get("from") or ANYWHERE
        destination, method = values.get("to", ""), values.get("method", "").lower()
        if not destination or not method:
            raise invalid_card("csv_required_cells", line=line, columns="to, method")
        if method not in _METHODS:
            raise invalid_card("method_unknown", line=line, value=shown(method))
        key = (origin, destination)
        if method in self.lanes.get(key, {}):
            raise invalid_card(
                "listed_twice", line=line, value=f"{origin} → {destination} {method}"
            )
        self.currencies.add(values.get("currency", "").upper())
        entry: dict[str, Any] = {}
        for name in _RATE_OPTIONAL:
            if name != "from" and values.get(name):
                entry[name] = values[name].replace(",", ".") if decimal_comma else values[name]
        transit = values.get("transit_min", ""), values.get("transit_max", "")
        transit_whole = all(day.isdigit() and len(day) <= 3 for day in transit)
        if transit_whole:
            entry["transit_days"] = [int(transit[0]), int(transit[1])]
        # Every cell of the row is checked, so one bad cell does not hide the next.
        problems: list[InvalidInput] = []
        for problem in method_rate_problems(ShippingMethod(method), entry, ""):
            where = str(problem.params.get("path") or "").lstrip(".")
            where = _TRANSIT_COLUMNS if where == "transit_days" else where
            problems.append(
                InvalidInput(problem.key, **{**problem.params, "line": line, "path": where})
            )
        if not transit_whole:
            problems.append(invalid_card("transit_whole", line=line, path=_TRANSIT_COLUMNS))
        if problems:
            raise card_problems(problems)
        if key not in self.lanes:
            self.lane_index[key] = len(self.lanes)
            self.lanes[key] = {"from": origin, "to": destination}
        self.lanes[key][method] = entry
        index = self.lane_index[key]
        self.lines.setdefault(f"lanes[{index}]", line)
        self.lines[f"lanes[{index}].{method}"] = line

    def data(self) -> dict[str, Any]:
        if not self.lanes:
            raise invalid_card("csv_no_rates")
        if len(self.currencies) != 1:
            raise invalid_card("csv_one_currency")
        return {
            "label": "",
            "example": False,
            "currency": next(iter(self.currencies)),
            "zones": self.zones,
            "lanes": list(self.lanes.values()),
        }

    def locate(self, error: InvalidInput) -> InvalidInput:
        """The validation error pointed at the CSV line (and column) it came from; each of
        them when it lists several."""
        problems = each_problem(error)
        if len(problems) > 1:
            return card_problems([self.locate(problem) for problem in problems])
        path = str(error.params.get("path") or "")
        prefix = max(
            (p for p in self.lines if path == p or path.startswith(p + ".")), key=len, default=None
        )
        if prefix is None:
            return error
        column = path[len(prefix) + 1 :] if path != prefix else ""
        params = {**error.params, "line": self.lines[prefix], "path": column}
        return InvalidInput(error.key, **params)


def _rate_header(cells: list[str], line: int) -> list[str]:
    # The older format called the destination column "zone".
    header = ["to" if cell == "zone" else cell for cell in cells]
    missing = [name for name in _RATE_REQUIRED if name not in header]
    if missing:
        raise invalid_card("csv_missing_columns", line=line, columns=", ".join(missing))
    unknown = [shown(name) for name in header if name and name not in _RATE_COLUMNS]
    if unknown:
        raise invalid_card("csv_unknown_columns", line=line, columns=", ".join(unknown[:5]))
    named = [name for name in header if name]
    if len(named) != len(set(named)):
        raise invalid_card("csv_repeated_columns", line=line)
    return header


def _is_rate_header(cells: list[str]) -> bool:
    return bool(cells) and cells[0] in {"from", "to", "zone"} and "method" in cells


def is_rate_card_header(cells: Sequence[object]) -> bool:
    """Whether a row of a CSV or sheet is one of a rate card's table headers (`country,zone`
    or `from,to,method,…`): how a card sent where an order file was expected is recognised."""
    lowered = [str(cell).strip().lower() if cell is not None else "" for cell in cells]
    return tuple(lowered[:2]) == _ZONE_HEADER or _is_rate_header(lowered)


def parse_rate_card_csv(content: bytes | str) -> RateCard:
    """A seller's CSV rate card (format in the module docstring)."""
    text = _decode(content)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    card = _CsvCard()
    header: list[str] | None = None
    table: Literal["zones", "rates"] | None = None
    # The problems of every row, in file order: the card is refused listing them all. A header
    # problem, a row before any header or a file that is not CSV stop the reading instead, since
    # the rows after them cannot be read.
    problems: list[InvalidInput] = []
    line = 0
    try:
        for line, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            cells = [cell.strip() for cell in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            lowered = [cell.lower() for cell in cells]
            if tuple(lowered[:2]) == _ZONE_HEADER:
                table, header = "zones", lowered
                continue
            if _is_rate_header(lowered):
                table, header = "rates", _rate_header(lowered, line)
                continue
            if table is None or header is None:
                raise invalid_card("csv_header_expected", line=line)
            try:
                if len(cells) > len(header) and any(cells[len(header) :]):
                    raise invalid_card("csv_extra_cells", line=line)
                values = dict(zip(header, cells, strict=False))
                if table == "zones":
                    card.add_zone_row(values, line)
                else:
                    card.add_rate_row(values, line, decimal_comma=delimiter == ";")
            except InvalidInput as error:
                problems.extend(each_problem(error))
    except csv.Error:
        raise invalid_card("csv_unreadable", line=line + 1) from None
    if problems:
        raise card_problems(problems)
    data = card.data()
    try:
        return load_sent_rate_card(data)
    except InvalidInput as error:
        raise card.locate(error) from None


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
    """The shipped default, labelled as example rates (not anyone's real prices), read from
    `domain/rate_cards/example.json` like any seller's JSON card."""
    text = resources.files("domain.rate_cards").joinpath("example.json").read_text("utf-8")
    return parse_rate_card_json(text)
