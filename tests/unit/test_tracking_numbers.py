"""Tracking-number classification: UPU S10 check digits, carrier formats, input hygiene."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.tracking_numbers import parse_tracking_number, s10_check_digit


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("RB123456785GB", "GB"),
        ("EB000717618HK", "HK"),
        ("LZ000000005CN", "CN"),  # weighted sum 0 -> 11 -> 5
        ("RA000000080CN", "CN"),  # weighted sum 56, remainder 1 -> 10 -> 0
        ("CP000000102DE", "DE"),  # weighted sum 9 -> 2
    ],
)
def test_valid_s10_numbers(number: str, country: str) -> None:
    result = parse_tracking_number(number)
    assert result.kind == "s10"
    assert result.valid is True
    assert result.problem_key is None
    assert result.country == country
    assert result.needs_acknowledgement is False


@pytest.mark.parametrize("number", ["RB123456784GB", "EB000717610HK", "LZ000000000CN"])
def test_s10_with_a_wrong_check_digit_is_invalid(number: str) -> None:
    result = parse_tracking_number(number)
    assert result.kind == "s10"
    assert result.valid is False
    assert result.problem_key == "tracking.s10_check_digit"


@pytest.mark.parametrize(
    ("serial", "check"),
    [
        ("12345678", 5),  # 204 mod 11 = 6 -> 11 - 6 = 5
        ("00071761", 8),  # 113 mod 11 = 3 -> 8
        ("00000000", 5),  # remainder 0 -> 11 -> 5
        ("00000008", 0),  # 56 mod 11 = 1 -> 10 -> 0
        ("00000010", 2),  # 9 -> 2
    ],
)
def test_s10_check_digit_rules(serial: str, check: int) -> None:
    assert s10_check_digit(serial) == check


def test_s10_serial_must_be_eight_digits() -> None:
    with pytest.raises(ValueError, match="eight digits"):
        s10_check_digit("1234567")


def test_normalization_of_spaces_case_and_full_width() -> None:
    assert parse_tracking_number(" rb 1234 5678 5gb ").value == "RB123456785GB"
    assert parse_tracking_number("ＥＢ０００７１７６１８ＨＫ").value == "EB000717618HK"


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("1Z999AA10123456784", "ups"),
        ("986578788855", "fedex"),
        ("3318810025", "dhl"),
        ("73891051146", "dhl"),
        ("9400111201080805483016", "usps"),
        ("9361289878700317633795", "usps"),
        ("LP00123456789012", "cainiao"),
        ("YT2229521272164446", "yunexpress"),
        ("SF1234567890123", "sf_express"),
    ],
)
def test_known_carrier_formats(number: str, carrier: str) -> None:
    result = parse_tracking_number(number)
    assert (result.kind, result.carrier, result.valid) == ("carrier", carrier, True)
    assert result.needs_acknowledgement is False


def test_prefixed_carrier_number_with_a_wrong_check_digit_is_invalid() -> None:
    result = parse_tracking_number("1Z999AA10123456785")
    assert (result.kind, result.carrier, result.valid) == ("carrier", "ups", False)
    assert result.problem_key == "tracking.carrier_check_digit"


@pytest.mark.parametrize(
    "number",
    [
        "986578788856",  # FedEx-shaped, check fails: could be another carrier's 12 digits
        "3318810010",  # DHL-shaped, check fails
        "9400111201080805483017",  # USPS-shaped, check fails
        "ABCDEF123",
        "4PX3000123456789CN",
        "RB12345678GB",  # one digit short of S10
    ],
)
def test_unknown_formats_are_reported_not_refused(number: str) -> None:
    result = parse_tracking_number(number)
    assert (result.kind, result.carrier, result.valid) == ("unknown", None, True)
    assert result.needs_acknowledgement is True


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("RB-123456785-GB", "characters"),
        ("RB123456785GB!", "characters"),
        ("ПОЧТА123456", "characters"),
        ("A" * 41, "too_long"),
        ("AB12", "too_short"),
    ],
)
def test_unusable_input_is_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_tracking_number(text)
    assert caught.value.key == "tracking.invalid_characters"
    assert caught.value.params["reason"] == reason
