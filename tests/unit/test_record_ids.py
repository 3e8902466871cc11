"""A record id typed into a button's value: ASCII digits within a 64-bit key, else refused."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.record_ids import MAX_RECORD_ID, parse_record_id


@pytest.mark.parametrize("text", ["0", "7", "0042", str(MAX_RECORD_ID)])
def test_ids_a_database_key_holds_are_taken(text: str) -> None:
    assert parse_record_id(text) == int(text)


@pytest.mark.parametrize(
    "text", ["", "-1", "+1", " 1", "1.0", "²", "١٢", "１２", str(MAX_RECORD_ID + 1), "9" * 400]
)
def test_anything_else_is_an_invalid_choice(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_record_id(text)
    assert refused.value.key == "errors.invalid_choice"
