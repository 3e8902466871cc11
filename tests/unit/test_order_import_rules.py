"""The intake rules an order file meets beyond its cells' formats: a rate card sent as an order
file is recognised as one, and a row whose ship-by deadline has passed is refused by row and date
while the file's other orders go in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from domain.errors import InvalidInput
from domain.logistics import is_rate_card_header, parse_rate_card_csv
from domain.order_import import Column, ImportRow, read_order_file
from domain.services.orders import file_import

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

RATE_CARD = (
    b"country,zone\nDE,eu\nFR,eu\n\n"
    b"from,to,method,currency,per_kg,per_wm,minimum,fixed_fee,transit_min,transit_max\n"
    b"CN,eu,express,USD,8.5,,20,3,4,8\n"
)


def _refusal(content: bytes, name: str = "rates.csv") -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        list(read_order_file(content, name))
    return raised.value


@pytest.mark.parametrize(
    "content",
    [
        RATE_CARD,
        # The rates table first, in the format before lanes (`zone` for `to`), with `;`.
        b"zone;method;currency;per_kg;transit_min;transit_max\neu;express;USD;8,5;4;8\n",
        # Rate cards may open with comments.
        b"# my rates 2026\n# prices in USD\n\n" + RATE_CARD,
        # Spelt as a spreadsheet program may have saved it.
        b"\xef\xbb\xbfFrom,To,Method,Currency,Per_kg,Transit_min,Transit_max\nCN,*,express,USD,9,5,9\n",
    ],
)
def test_a_rate_card_sent_as_an_order_file_is_named_as_one(content: bytes) -> None:
    assert _refusal(content).key == "import.rate_card_sent"


def test_the_card_recognised_is_one_the_rate_card_parser_takes() -> None:
    assert _refusal(RATE_CARD).key == "import.rate_card_sent"
    assert parse_rate_card_csv(RATE_CARD).currency == "USD"


def test_other_files_keep_their_own_answers() -> None:
    # Not a card, not an order file: the missing columns, as before.
    assert _refusal(b"name,price\nCase,3\n", "notes.csv").key == "import.columns_missing"
    # Comments that lead to no card are no card either.
    assert _refusal(b"# hello\nname,price\n", "notes.csv").key == "import.columns_missing"
    # An order file whose header starts like a card's zone table is still read as orders.
    header = "country,zone,order_number,currency,product_name,quantity,unit_price,ship_by"
    rows = list(
        read_order_file(f"{header}\nUS,x,A-1,USD,Case,1,3.50,2026-12-01\n".encode(), "orders.csv")
    )
    assert [row.get(Column.ORDER_NUMBER) for row in rows] == ["A-1"]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["country", "zone"], True),
        ([" Country ", "ZONE", None], True),
        (["from", "to", "method", "currency"], True),
        (["to", "method"], True),
        (["order_number", "country"], False),
        (["zone", "price"], False),
        ([], False),
    ],
)
def test_rate_card_headers(cells: Sequence[object], expected: bool) -> None:
    assert is_rate_card_header(cells) is expected


def _row(number: int, order: str, ship_by: object) -> ImportRow:
    return ImportRow(
        number,
        {
            Column.ORDER_NUMBER: order,
            Column.SHIP_TO_COUNTRY: "US",
            Column.SHIP_TO_POSTCODE: "94105",
            Column.CURRENCY: "USD",
            Column.PRODUCT_NAME: "Phone case",
            Column.QUANTITY: "1",
            Column.UNIT_PRICE: "3.50",
            Column.SHIP_BY: ship_by,
        },
    )


def test_a_row_past_its_ship_by_is_skipped_naming_the_date_and_the_rest_imported() -> None:
    plan = file_import.plan_order_rows(
        [
            _row(2, "LATE-1", "2026-11-20"),
            _row(3, "OK-1", "2026-12-01"),
            _row(4, "LATE-2", "2026-11-25 09:30"),
            # Later today is still ahead.
            _row(5, "TODAY", "2026-11-25"),
            # Long past: the same answer, not the one for a date that cannot be read.
            _row(6, "STALE", "2026-08-01"),
        ],
        NOW,
    )
    assert [order.number for order in plan.orders] == ["OK-1", "TODAY"]
    assert [(s.row, s.order_number, s.reason, s.params) for s in plan.skipped] == [
        (2, "LATE-1", "import.ship_by_past", {"ship_by": "2026-11-20"}),
        (4, "LATE-2", "import.ship_by_past", {"ship_by": "2026-11-25 09:30 UTC"}),
        (6, "STALE", "import.ship_by_past", {"ship_by": "2026-08-01"}),
    ]


def test_a_past_deadline_on_a_later_row_of_an_order_skips_the_order() -> None:
    plan = file_import.plan_order_rows(
        [_row(2, "A-1", "2026-12-01"), _row(3, "A-1", "2026-11-01")], NOW
    )
    assert plan.orders == []
    assert [(s.row, s.reason) for s in plan.skipped] == [
        (2, "import.order_has_bad_rows"),
        (3, "import.ship_by_past"),
    ]


def test_a_deadline_long_past_is_named_as_past_and_one_too_far_ahead_as_implausible() -> None:
    # "Write it as YYYY-MM-DD" would be the wrong answer to a date written just so.
    plan = file_import.plan_order_rows(
        [_row(2, "OLD", "2025-01-01"), _row(3, "FAR", "2031-01-01"), _row(4, "BAD", "soon")], NOW
    )
    assert [(s.reason, s.params) for s in plan.skipped] == [
        ("import.ship_by_past", {"ship_by": "2025-01-01"}),
        ("orders.ship_by_invalid", {}),
        ("orders.ship_by_invalid", {}),
    ]
