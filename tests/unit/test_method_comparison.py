"""The comparison a seller chooses a method from: the budget, not only the goods, decides what
may be chosen, and only a method that may be chosen is recommended as cheapest or fastest."""

from __future__ import annotations

from decimal import Decimal

from domain.logistics import BudgetPolicy, Parcel, ShippingMethod, example_rate_card
from domain.money import ExchangeRates, Money
from domain.services import logistics_settings
from domain.services.shipping import method_comparison

D = Decimal
EXPRESS, SEA, LAND = ShippingMethod.EXPRESS, ShippingMethod.SEA, ShippingMethod.LAND
# 60 x 40 x 40 cm, 12 kg from China to Germany on the example card: express 168.75 USD (the
# fastest), sea 140.00, land 99.60 (the cheapest).
BOX = Parcel(D("12"), D("60"), D("40"), D("40"))


def _compare(policy: BudgetPolicy | None) -> dict[ShippingMethod, method_comparison.MethodOption]:
    profile = logistics_settings.LogisticsProfile(
        example_rate_card(), False, policy, ExchangeRates({})
    )
    result = method_comparison.compare_methods(
        BOX, set(), "CN", "DE", Money(D("500"), "USD"), profile
    )
    return {option.quote.method: option for option in result.options}


def test_without_a_budget_every_priced_method_may_be_chosen() -> None:
    options = _compare(None)
    assert all(o.choosable for o in options.values())
    assert options[LAND].quote.cheapest and options[EXPRESS].quote.fastest


def test_a_method_the_budget_blocks_is_neither_choosable_nor_recommended() -> None:
    options = _compare(BudgetPolicy(max_per_order=Money(D("100"), "USD"), mode="block"))
    land, sea, express = options[LAND], options[SEA], options[EXPRESS]
    assert land.choosable and not land.blocked_by_budget
    assert sea.blocked_by_budget and not sea.choosable
    assert express.blocked_by_budget and not express.choosable
    # Express is the fastest method, but it cannot be chosen: land is both.
    assert land.quote.cheapest and land.quote.fastest
    assert not express.quote.fastest and not sea.quote.cheapest


def test_a_budget_that_only_warns_leaves_every_method_choosable() -> None:
    options = _compare(BudgetPolicy(max_per_order=Money(D("100"), "USD"), mode="warn"))
    assert all(o.choosable for o in options.values())
    assert options[EXPRESS].quote.fastest


def test_when_the_budget_blocks_every_method_none_is_recommended() -> None:
    options = _compare(BudgetPolicy(max_per_order=Money(D("50"), "USD"), mode="block"))
    assert not any(o.choosable for o in options.values())
    assert not any(o.quote.cheapest or o.quote.fastest for o in options.values())
