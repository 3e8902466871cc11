"""Numbers and codes as people type them or a file holds them, read one way everywhere.

Codes (postcodes, SKUs, order and tracking numbers) and numbers are NFKC-folded first: an
input method in full-width mode types "１００００" or "ＡＢ", which are the digits and letters
10000 and AB, and are kept as those.

A number is plain digits with at most one decimal mark, "." or ","; a thousands separator is
accepted only where it cannot be the decimal mark ("1,234.50", "1.234,50", "1 234,50",
"1,234,567"). A lone "," or "." before exactly three digits ("1,234") could be either, and is
refused as ambiguous rather than read as 1234 or 1.234. Exponents ("1e1"), "NaN" and
"Infinity" are not numbers anyone types for money or a quantity: `Decimal` would take them.

Each refusal has its own key, so the person reads what was wrong (not a number, ambiguous,
not whole) rather than a range that was never the problem.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from domain.errors import InvalidInput

NOT_A_NUMBER = "numbers.not_a_number"
NOT_A_WHOLE_NUMBER = "numbers.not_a_whole_number"
AMBIGUOUS = "numbers.ambiguous_separator"
TOO_MANY_DECIMALS = "numbers.too_many_decimals"
# Longer than any amount or quantity anyone means: refused before the work of reading it.
MAX_NUMBER_CHARS = 40

# Spaces and apostrophes people put between thousands (1 234, 1'234; NBSP and thin spaces).
_GROUP_SPACES = re.compile(r"[\s\u00a0\u2009\u202f'’]+")
_MINUS = "-\u2212"
_DIGITS = re.compile(r"[0-9]+")
_GROUPED = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{3})+")


def code_text(raw: object) -> str:
    """A code as typed, NFKC-folded (full-width letters and digits become ASCII), trimmed."""
    return unicodedata.normalize("NFKC", str(raw) if raw is not None else "").strip()


def _unsigned(text: str, raw: str) -> str:
    """`text` (digits and separators, no sign) as plain "123.45", or InvalidInput."""
    if "," in text and "." in text:
        mark = "," if text.rfind(",") > text.rfind(".") else "."
        whole, _, fraction = text.rpartition(mark)
        if not _GROUPED.fullmatch(whole) or len(set(whole) - set("0123456789")) != 1:
            raise InvalidInput(NOT_A_NUMBER, value=raw)
        whole = whole.replace("," if mark == "." else ".", "")
        text = f"{whole}.{fraction}"
    else:
        mark = "," if "," in text else "."
        count = text.count(mark)
        # "1.234" stays 1.234 (a decimal point is never a lone thousands mark in our inputs'
        # languages' usual writing of prices); "1,234" is 1234 in English and 1.234 in French.
        lone_comma = count == 1 and mark == "," and len(text.rpartition(mark)[2]) == 3
        if count > 1 or lone_comma:
            if _GROUPED.fullmatch(text):
                if count == 1:
                    raise InvalidInput(AMBIGUOUS, value=raw)
                text = text.replace(mark, "")
            else:
                raise InvalidInput(NOT_A_NUMBER, value=raw)
        text = text.replace(",", ".")
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?|\.[0-9]+", text):
        raise InvalidInput(NOT_A_NUMBER, value=raw)
    return text


def read_decimal(raw: object) -> Decimal:
    """A typed or read number as an exact Decimal (negative when typed with a minus sign).

    `int` and `Decimal` values are taken as they are; floats go through their shortest text
    (12.3, not 12.2999…). Text is read as the module says; "NaN", "inf", "1e3" and other
    non-numbers raise `numbers.not_a_number`, "1,234" `numbers.ambiguous_separator`.
    """
    if isinstance(raw, bool):
        raise InvalidInput(NOT_A_NUMBER, value=str(raw))
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float | Decimal):
        value = Decimal(repr(raw)) if isinstance(raw, float) else raw
        if not value.is_finite():
            raise InvalidInput(NOT_A_NUMBER, value=str(raw))
        return value
    shown = str(raw).strip()[:MAX_NUMBER_CHARS] if raw is not None else ""
    text = _GROUP_SPACES.sub("", code_text(raw))
    if not text or len(text) > MAX_NUMBER_CHARS:
        raise InvalidInput(NOT_A_NUMBER, value=shown)
    negative = text[0] in _MINUS
    if negative or text[0] == "+":
        text = text[1:]
    value = Decimal(_unsigned(text, shown))
    return -value if negative else value


def read_whole_number(raw: object) -> int:
    """A count (a quantity, a number of days): digits only, or an integral number a file cell
    holds. "deux" raises `numbers.not_a_number`, "1.5" `numbers.not_a_whole_number`."""
    if isinstance(raw, str) and _DIGITS.fullmatch(code_text(raw)):
        return int(code_text(raw))
    value = read_decimal(raw)
    if value != value.to_integral_value():
        raise InvalidInput(NOT_A_WHOLE_NUMBER, value=str(raw).strip()[:MAX_NUMBER_CHARS])
    return int(value)


def decimal_places(value: Decimal) -> int:
    """How many decimals `value` needs (12.50 needs 1, 12.00 none)."""
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite numbers only reach here
    return max(-exponent, 0)


def check_decimals(value: Decimal, decimals: int, currency: str) -> Decimal:
    """`value` when it has no more decimals than `currency` (JPY 0, USD 2), else InvalidInput
    naming the currency and how many it has (never rounded silently)."""
    if decimal_places(value) > decimals:
        raise InvalidInput(TOO_MANY_DECIMALS, currency=currency, decimals=decimals)
    return value
