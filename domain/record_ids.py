"""Ids of stored records as client input carries them (a button's text value): ASCII digits
within what a 64-bit database key holds. Anything else is refused as an invalid choice before
it reaches a query (the database cannot even compare a larger number, and `int()` would take
other scripts' digits or fail on "²")."""

from __future__ import annotations

from domain.errors import InvalidInput

# The largest value of a signed 64-bit key (PostgreSQL BIGINT, SQLite INTEGER).
MAX_RECORD_ID = 2**63 - 1
# The largest page a list offers to page to: far past any real list, small enough that its
# offset stays a 64-bit number.
MAX_PAGE = 1_000_000


def parse_record_id(text: str) -> int:
    """The id in `text`; InvalidInput("errors.invalid_choice") unless it is one."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_RECORD_ID)):
        raise InvalidInput("errors.invalid_choice")
    value = int(text)
    if value > MAX_RECORD_ID:
        raise InvalidInput("errors.invalid_choice")
    return value
