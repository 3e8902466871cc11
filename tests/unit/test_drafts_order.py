"""The new order's rules, on its draft: lines, what a change resets, the limits."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.drafts import OrderDraft
from domain.drafts.order import MAX_LINES
from domain.errors import InvalidInput
from domain.services.orders import intake

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _with_lines(*prices: str, currency: str = "EUR") -> OrderDraft:
    draft = OrderDraft(seller_id=1).with_number("AE-1").with_country("FR").with_postcode("75001")
    draft = draft.with_currency(currency)
    for number, price in enumerate(prices, start=1):
        draft = draft.start_line().with_product_name(f"Lamp {number}").with_sku(None)
        draft = draft.with_quantity("2").with_unit_price(price)
    return draft


def test_a_line_is_built_answer_by_answer_and_joins_at_its_price() -> None:
    draft = _with_lines("12,50")
    assert draft.line == {}
    (line,) = draft.lines
    assert (line.product_name, line.sku, line.quantity, line.unit_price) == (
        "Lamp 1",
        None,
        2,
        "12.50",
    )


def test_another_country_drops_the_postcode_the_same_keeps_it() -> None:
    draft = _with_lines("1")
    assert draft.with_country("FR").postcode == "75001"
    assert draft.with_country("Germany").postcode is None


def test_the_postcode_may_be_skipped_only_where_the_country_has_none() -> None:
    with pytest.raises(InvalidInput) as refused:
        OrderDraft(seller_id=1).with_country("FR").with_postcode(None)
    assert refused.value.key == "orders.postcode_invalid"
    assert OrderDraft(seller_id=1).with_country("HK").with_postcode(None).postcode is None


def test_another_currency_must_fit_every_price_already_entered() -> None:
    draft = _with_lines("12.50")
    with pytest.raises(InvalidInput) as refused:
        draft.with_currency("JPY")  # no cents in yen
    assert refused.value.key == "orders.line_price_unfit"
    assert _with_lines("12").with_currency("JPY").currency == "JPY"


def test_back_from_the_list_reopens_the_last_line_at_its_price() -> None:
    draft = _with_lines("1", "2").reopen_last_line()
    assert [line.product_name for line in draft.lines] == ["Lamp 1"]
    assert draft.line == {"product_name": "Lamp 2", "sku": None, "quantity": 2}
    assert draft.with_unit_price("3").lines[-1].unit_price == "3.00"


def test_a_line_entered_again_keeps_its_place_and_the_others() -> None:
    draft = _with_lines("1", "2", "3").change_line(1)
    assert draft.line_number == 2
    # Until its new price, the line is as it was (Back on the way leaves it so).
    assert [line.product_name for line in draft.lines] == ["Lamp 1", "Lamp 2", "Lamp 3"]
    changed = draft.with_product_name("Desk lamp").with_sku(None).with_quantity("4")
    done = changed.with_unit_price("9.50")
    assert [(line.product_name, line.quantity, line.unit_price) for line in done.lines] == [
        ("Lamp 1", 2, "1.00"),
        ("Desk lamp", 4, "9.50"),
        ("Lamp 3", 2, "3.00"),
    ]
    assert done.line == {}
    # A new line after it goes at the end again.
    assert done.start_line().line_number == 4


def test_a_line_is_removed_by_its_number_in_the_list() -> None:
    draft = _with_lines("1", "2", "3")
    assert [line.product_name for line in draft.remove_line(draft.line_index("2")).lines] == [
        "Lamp 1",
        "Lamp 3",
    ]
    for wrong in ("0", "4", "two", "-1", ""):
        with pytest.raises(InvalidInput) as refused:
            draft.line_index(wrong)
        assert (refused.value.key, refused.value.params) == (
            "orders.line_number_invalid",
            {"max": 3},
        )
    with pytest.raises(InvalidInput):
        draft.remove_line(3)
    with pytest.raises(InvalidInput):
        draft.change_line(-1)


def test_lines_are_needed_and_limited() -> None:
    with pytest.raises(InvalidInput) as refused:
        OrderDraft(seller_id=1).finish_lines()
    assert refused.value.key == "orders.no_lines"
    full = OrderDraft(seller_id=1, lines=_with_lines("1").lines * MAX_LINES)
    with pytest.raises(InvalidInput) as refused:
        full.start_line()
    assert refused.value.key == "orders.too_many_lines"


def test_ship_by_from_a_button_or_typed_and_the_command_builds_the_order() -> None:
    draft = _with_lines("12.50").ship_in_days(3, NOW)
    assert draft.ship_by == "2026-12-03T23:59:59+00:00"
    with pytest.raises(InvalidInput):
        draft.with_ship_by("2030-01-01", NOW)  # more than a year ahead
    order = intake.build_order(draft.command(actor_id=5), NOW)
    assert (order.number, order.ship_to_country, order.currency) == ("AE-1", "FR", "EUR")
    assert order.total == Decimal("25.00")
    assert OrderDraft.from_data(draft.to_data()) == draft
