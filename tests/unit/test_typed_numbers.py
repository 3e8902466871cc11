"""Numbers and codes as typed: one reading everywhere, and a refusal that says what was wrong."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import InvalidInput
from domain.model.warehouses import REVIEW_NOTE_MAX, _required_note
from domain.returns.offers import clean_amount, typed_amount
from domain.typed_numbers import read_decimal, read_whole_number


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12.50", "12.50"),
        ("12,50", "12.50"),
        ("1,234.50", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1 234,50", "1234.50"),
        ("1,234,567", "1234567"),
        ("１２.５", "12.5"),
        ("-5", "-5"),
    ],
)
def test_numbers_people_type(typed: str, expected: str) -> None:
    assert read_decimal(typed) == Decimal(expected)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("1e1", "numbers.not_a_number"),
        ("NaN", "numbers.not_a_number"),
        ("Infinity", "numbers.not_a_number"),
        ("deux", "numbers.not_a_number"),
        ("1,2.5", "numbers.not_a_number"),
        ("1,234", "numbers.ambiguous_separator"),
    ],
)
def test_what_is_not_a_number_says_so(typed: str, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_decimal(typed)
    assert refused.value.key == key


def test_a_count_is_whole() -> None:
    assert read_whole_number("３") == 3
    for typed, key in (("deux", "numbers.not_a_number"), ("1.5", "numbers.not_a_whole_number")):
        with pytest.raises(InvalidInput) as refused:
            read_whole_number(typed)
        assert refused.value.key == key


def test_a_share_above_everything_is_above_what_was_paid() -> None:
    with pytest.raises(InvalidInput) as refused:
        typed_amount("101%", Decimal("20.00"), "EUR")
    assert refused.value.key == "returns.amount_above_paid"
    assert typed_amount("100%", Decimal("20.00"), "EUR") == "20.00"


def test_an_amount_in_scientific_notation_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_amount(typed_amount("1e1", Decimal("20.00"), "EUR"), "EUR")
    assert refused.value.key == "numbers.not_a_number"
    assert clean_amount(typed_amount("１２,５ €", Decimal("20.00"), "EUR"), "EUR") == Decimal(
        "12.50"
    )


def test_a_reason_too_long_is_told_it_is_too_long() -> None:
    with pytest.raises(InvalidInput) as refused:
        _required_note("x" * (REVIEW_NOTE_MAX + 1))
    assert refused.value.key == "warehouse.reason_too_long"
    assert refused.value.params["max"] == REVIEW_NOTE_MAX
    with pytest.raises(InvalidInput) as short:
        _required_note("no")
    assert short.value.key == "warehouse.reason_required"
