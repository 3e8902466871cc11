"""The logistics comparison of a shipping document: every method priced on the lane the parcel
travels (from the shipping warehouse's country to the buyer's), with the seller's budget applied.

Pure functions over what the shipping steps have already loaded and checked (the order, the
warehouse, the seller's logistics profile); nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from domain.errors import InvalidInput
from domain.logistics import (
    BudgetCheck,
    GoodsCharacteristic,
    MethodQuote,
    Parcel,
    RateCard,
    ShippingMethod,
    check_budget,
    compare,
    quote,
)
from domain.money import Money
from domain.services import logistics_settings

__all__ = ["Comparison", "MethodOption", "budget_check", "budget_limit", "compare_methods"]


@dataclass(frozen=True)
class MethodOption:
    quote: MethodQuote
    budget: BudgetCheck | None  # None: no policy, or no price to check
    # Set when the budget could not be checked: the exchange rate the seller has not given.
    missing_rate: tuple[str, str] | None = None

    @property
    def blocked_by_budget(self) -> bool:
        return self.budget is not None and self.budget.over and self.budget.mode == "block"

    @property
    def choosable(self) -> bool:
        """What `steps.choose_method` accepts: priced, allowed for the goods and parcel, and
        not blocked by the budget. Only these get a button to choose them."""
        return self.quote.allowed and self.quote.cost is not None and not self.blocked_by_budget


@dataclass(frozen=True)
class Comparison:
    options: list[MethodOption]
    rate_card: RateCard
    custom_card: bool
    profile: logistics_settings.LogisticsProfile
    order_value: Money
    origin: str  # the shipping warehouse's country
    destination: str  # the buyer's country

    def option(self, method: ShippingMethod) -> MethodOption:
        return next(o for o in self.options if o.quote.method is method)


def budget_check(
    cost: Money | None, order_value: Money, profile: logistics_settings.LogisticsProfile
) -> tuple[BudgetCheck | None, tuple[str, str] | None]:
    """The budget check of one cost, or the exchange rate that is missing to make it."""
    if cost is None or profile.policy is None:
        return None, None
    try:
        return check_budget(cost, order_value, profile.policy, profile.rates), None
    except InvalidInput as error:
        if error.key != "rates.missing_exchange_rate":
            raise
        return None, (str(error.params.get("from_")), str(error.params.get("to")))


def budget_limit(check: BudgetCheck) -> Money | None:
    """The tighter of the policy's limits for one order, in the cost's currency."""
    limits = [m for m in (check.share_limit, check.per_order_limit) if m is not None]
    return min(limits, key=lambda m: m.amount) if limits else None


def compare_methods(
    parcel: Parcel,
    goods: Iterable[GoodsCharacteristic],
    origin: str,
    destination: str,
    order_value: Money,
    profile: logistics_settings.LogisticsProfile,
) -> Comparison:
    quotes = quote(parcel, origin, destination, profile.rate_card, goods)
    checks = [budget_check(item.cost, order_value, profile) for item in quotes]
    options = [
        MethodOption(item, budget, missing)
        for item, (budget, missing) in zip(quotes, checks, strict=True)
    ]
    # The cheapest and fastest are marked again among the methods the budget lets the seller
    # choose: a blocked method recommended as "cheapest" would be a button that only refuses.
    blocked = {option.quote.method for option in options if option.blocked_by_budget}
    if blocked:
        marked = compare(quotes, profile.rates, excluded=blocked)
        options = [replace(option, quote=q) for option, q in zip(options, marked, strict=True)]
    return Comparison(
        options=options,
        rate_card=profile.rate_card,
        custom_card=profile.custom_card,
        profile=profile,
        order_value=order_value,
        origin=quotes[0].origin,
        destination=quotes[0].destination,
    )
