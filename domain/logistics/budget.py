"""The seller's logistics budget: a share of the order value and/or a cap per order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from domain.errors import InvalidInput
from domain.money import ExchangeRates, Money, convert_money, to_decimal

BudgetMode = Literal["warn", "block"]


@dataclass(frozen=True)
class BudgetPolicy:
    """The seller's logistics budget: a share of order value and/or a cap per order."""

    max_share: Decimal | None = None  # 0.15 = 15 % of the order value
    max_per_order: Money | None = None
    mode: BudgetMode = "warn"

    def __post_init__(self) -> None:
        if self.max_share is not None:
            share = to_decimal(self.max_share, key="budget.invalid_share")
            if not Decimal(0) < share <= Decimal(1):
                raise InvalidInput("budget.invalid_share", value=str(share))
            object.__setattr__(self, "max_share", share)
        if self.max_per_order is not None and self.max_per_order.amount <= 0:
            raise InvalidInput("budget.invalid_max_per_order", value=str(self.max_per_order))
        if self.mode not in ("warn", "block"):
            raise InvalidInput("budget.invalid_mode", value=str(self.mode))


@dataclass(frozen=True)
class BudgetCheck:
    """The outcome; limits are shown in the cost's currency."""

    status: Literal["within", "over"]
    exceeded: tuple[str, ...]  # "max_share", "max_per_order"
    mode: BudgetMode
    cost: Money
    share: Decimal | None = None  # cost / order value, 4 places; None for a zero order value
    share_limit: Money | None = None
    per_order_limit: Money | None = None

    @property
    def over(self) -> bool:
        return self.status == "over"


def check_budget(
    cost: Money,
    order_value: Money,
    policy: BudgetPolicy | None,
    rates: ExchangeRates | None = None,
) -> BudgetCheck:
    """Whether `cost` keeps within `policy` for an order worth `order_value`.

    Amounts in other currencies are converted with the seller's rates only (a missing rate
    raises `InvalidInput("rates.missing_exchange_rate")`). Exactly at a limit is within it.
    """
    if policy is None:
        return BudgetCheck(status="within", exceeded=(), mode="warn", cost=cost)
    value = convert_money(order_value, cost.currency, rates)
    share = (cost.amount / value.amount).quantize(Decimal("0.0001")) if value.amount else None
    exceeded: list[str] = []
    share_limit = per_order_limit = None
    if policy.max_share is not None:
        share_limit = Money(value.amount * policy.max_share, cost.currency)
        if cost > share_limit:
            exceeded.append("max_share")
    if policy.max_per_order is not None:
        per_order_limit = convert_money(policy.max_per_order, cost.currency, rates)
        if cost > per_order_limit:
            exceeded.append("max_per_order")
    return BudgetCheck(
        status="over" if exceeded else "within",
        exceeded=tuple(exceeded),
        mode=policy.mode,
        cost=cost,
        share=share,
        share_limit=share_limit,
        per_order_limit=per_order_limit,
    )
