"""What `/costs` may be asked: a month (`YYYY-MM`) and a method, in any order; anything else is
refused naming the word."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import InvalidInput
from domain.logistics import ShippingMethod
from domain.money import Money
from domain.services.shipping import cost_ledger

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "month", "method"),
    [
        (None, NOVEMBER, None),
        ("", NOVEMBER, None),
        ("2026-10", datetime(2026, 10, 1, tzinfo=UTC), None),
        ("2026-1", datetime(2026, 1, 1, tzinfo=UTC), None),
        ("sea", NOVEMBER, ShippingMethod.SEA),
        ("EXPRESS 2025-12", datetime(2025, 12, 1, tzinfo=UTC), ShippingMethod.EXPRESS),
        ("2026-11 road", NOVEMBER, ShippingMethod.LAND),
        # A Chinese keyboard's full-width forms, and commas between the words.
        ("ｅｘｐｒｅｓｓ", NOVEMBER, ShippingMethod.EXPRESS),
        ("２０２６－１０", datetime(2026, 10, 1, tzinfo=UTC), None),
        ("2026-10，sea", datetime(2026, 10, 1, tzinfo=UTC), ShippingMethod.SEA),
        ("2026-10、express", datetime(2026, 10, 1, tzinfo=UTC), ShippingMethod.EXPRESS),
        ("sea, 2026-10", datetime(2026, 10, 1, tzinfo=UTC), ShippingMethod.SEA),
    ],
)
def test_arguments(text: str | None, month: datetime, method: ShippingMethod | None) -> None:
    assert cost_ledger.parse_costs_query(text, NOW) == cost_ledger.CostsQuery(month, method)


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("novembre", "logistics.costs_bad_argument", "novembre"),
        ("sea air", "logistics.costs_bad_argument", "air"),
        ("sea land", "logistics.costs_bad_argument", "land"),
        ("2026-10 2026-09", "logistics.costs_bad_argument", "2026-09"),
        ("2026-13", "logistics.costs_bad_month", "2026-13"),
        ("1999-05", "logistics.costs_bad_month", "1999-05"),
        ("2026-12", "logistics.costs_month_ahead", "2026-12"),
    ],
)
def test_refusals_name_the_word(text: str, key: str, value: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        cost_ledger.parse_costs_query(text, NOW)
    assert (raised.value.key, raised.value.params) == (key, {"value": value})


def test_totals_add_up_each_currency() -> None:
    def row(method: ShippingMethod, amount: str, currency: str) -> cost_ledger.MethodCosts:
        return cost_ledger.MethodCosts(
            method, currency, 1, Money(amount, currency), None, over_budget=0, unchecked=0
        )

    report = cost_ledger.CostReport(
        since=NOVEMBER,
        until=NOW,
        rows=[
            row(ShippingMethod.EXPRESS, "10.50", "USD"),
            row(ShippingMethod.SEA, "100", "CNY"),
            row(ShippingMethod.LAND, "4.25", "USD"),
        ],
        policy_set=False,
    )
    assert report.totals == [Money("14.75", "USD"), Money("100", "CNY")]
