"""Tracking numbers: UPU S10 with its check digit, a few well-known carrier formats, the rest.

`parse_tracking_number` normalizes what the seller typed (full-width characters folded, spaces
dropped, upper case) and classifies it:

- ``s10``: two letters, eight digits, a check digit, a two-letter country code (UPU S10, used by
  every postal operator: ``RB123456785GB``). The check digit is verified; a wrong one makes the
  number invalid (``tracking.s10_check_digit``).
- ``carrier``: a format from the table below. Formats with a distinctive prefix (``1Z``, ``LP``,
  ``YT``, ``SF``) are recognised by shape, and a wrong check digit makes them invalid
  (``tracking.carrier_check_digit``). All-digit formats (DHL, FedEx, USPS) are only claimed when
  their check digit passes, because other carriers (many Chinese domestic ones) print
  all-digit numbers of the same lengths; a failed check leaves them ``unknown``.
- ``unknown``: anything else of sane length. It is valid here; the caller asks the seller to
  acknowledge it.

Why not the `tracking-numbers` package: evaluated at 0.1.8, its last release (November 2022,
pull requests from 2022 still open). It is offline and dependency-free, but it ships no
``py.typed`` (mypy sees `Any`), its bundled data snapshot lacks the cross-border carriers our
sellers use (Cainiao, YunExpress, SF), and its API returns only numbers that pass every check,
so a mistyped UPS number cannot be told from an unknown format. The few formats below, each
with a published algorithm, are smaller than the adapter would be.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from domain.errors import InvalidInput

__all__ = [
    "TrackingKind",
    "TrackingNumber",
    "parse_tracking_number",
    "s10_check_digit",
]

TrackingKind = Literal["s10", "carrier", "unknown"]

MIN_LENGTH = 6
MAX_LENGTH = 40

_S10 = re.compile(r"[A-Z]{2}(\d{8})(\d)[A-Z]{2}")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_ALLOWED = re.compile(r"[A-Z0-9]+")


@dataclass(frozen=True)
class TrackingNumber:
    value: str  # normalized: upper case, no spaces
    kind: TrackingKind
    carrier: str | None  # "ups", "fedex", ... for kind "carrier"
    valid: bool
    problem_key: str | None = None
    country: str | None = None  # the issuing postal operator's country, for S10

    @property
    def needs_acknowledgement(self) -> bool:
        return self.kind == "unknown"


def s10_check_digit(serial: str) -> int:
    """The UPU S10 check digit of an eight-digit serial number."""
    if len(serial) != 8 or not serial.isdigit():
        raise ValueError("an S10 serial number has eight digits")
    remainder = sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    check = 11 - remainder
    return {10: 0, 11: 5}.get(check, check)


def _ups_valid(value: str) -> bool:
    # 1Z + 15 characters + check digit; letters count as (ord - 3) mod 10 (A=2, B=3, ... Z=7),
    # then a mod-10 sum with every second character doubled.
    digits = [int(c) if c.isdigit() else (ord(c) - 3) % 10 for c in value[2:17]]
    total = sum(d if i % 2 == 0 else d * 2 for i, d in enumerate(digits))
    return (10 - total % 10) % 10 == int(value[17])


def _dhl_express_valid(value: str) -> bool:
    # 10 or 11 digits: the last is the rest taken as a number, modulo 7.
    return int(value[:-1]) % 7 == int(value[-1])


def _fedex_express_valid(value: str) -> bool:
    # 12 digits: weights 1, 3, 7 repeating from the right over the first 11, mod 11, mod 10.
    weights = (1, 3, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(value[:11])))
    return total % 11 % 10 == int(value[11])


def _usps_impb_valid(value: str) -> bool:
    # 22 digits starting 91-95: mod 10 with weights 3, 1 from the left over the first 21.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(value[:21]))
    return (10 - total % 10) % 10 == int(value[21])


@dataclass(frozen=True)
class _CarrierFormat:
    carrier: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] | None  # None: the format has no check digit
    distinctive: bool  # a failed check still identifies the carrier


_CARRIER_FORMATS: tuple[_CarrierFormat, ...] = (
    _CarrierFormat("ups", re.compile(r"1Z[0-9A-Z]{15}\d"), _ups_valid, True),
    _CarrierFormat("cainiao", re.compile(r"LP\d{14}"), None, True),
    _CarrierFormat("yunexpress", re.compile(r"YT\d{16}"), None, True),
    _CarrierFormat("sf_express", re.compile(r"SF\d{12,13}"), None, True),
    _CarrierFormat("usps", re.compile(r"9[1-5]\d{20}"), _usps_impb_valid, False),
    _CarrierFormat("fedex", re.compile(r"\d{12}"), _fedex_express_valid, False),
    _CarrierFormat("dhl", re.compile(r"\d{10,11}"), _dhl_express_valid, False),
)


def _normalize(text: str) -> str:
    # NFKC folds full-width letters and digits, which Chinese input methods produce.
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split()).upper()


def parse_tracking_number(text: str) -> TrackingNumber:
    """Classify a tracking number; `InvalidInput("tracking.invalid_characters")` if unusable.

    The error's `reason` param says which: ``empty``, ``too_short``, ``too_long`` or
    ``characters``.
    """
    value = _normalize(text) if isinstance(text, str) else ""
    if not value:
        raise InvalidInput("tracking.invalid_characters", reason="empty")
    if len(value) > MAX_LENGTH:
        raise InvalidInput("tracking.invalid_characters", reason="too_long", max=MAX_LENGTH)
    if not value.isascii() or not _ALLOWED.fullmatch(value):
        raise InvalidInput("tracking.invalid_characters", reason="characters")
    if len(value) < MIN_LENGTH:
        raise InvalidInput("tracking.invalid_characters", reason="too_short", min=MIN_LENGTH)

    s10 = _S10.fullmatch(value)
    if s10:
        ok = s10_check_digit(s10.group(1)) == int(s10.group(2))
        return TrackingNumber(
            value=value,
            kind="s10",
            carrier=None,
            valid=ok,
            problem_key=None if ok else "tracking.s10_check_digit",
            country=value[-2:],
        )

    for fmt in _CARRIER_FORMATS:
        if not fmt.pattern.fullmatch(value):
            continue
        ok = fmt.check is None or fmt.check(value)
        if ok or fmt.distinctive:
            return TrackingNumber(
                value=value,
                kind="carrier",
                carrier=fmt.carrier,
                valid=ok,
                problem_key=None if ok else "tracking.carrier_check_digit",
            )

    return TrackingNumber(value=value, kind="unknown", carrier=None, valid=True)


def valid_tracking_number(text: str) -> TrackingNumber:
    """`parse_tracking_number`, refusing also a number whose check digit is wrong: the one
    refusal, with the same parameters, for a seller's number and a buyer's return number."""
    number = parse_tracking_number(text)
    if not number.valid:
        raise InvalidInput(
            number.problem_key or "tracking.invalid_characters",
            tracking=number.value,
            carrier=number.carrier,
            reason="characters",
        )
    return number
