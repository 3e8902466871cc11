"""Month-to-date logistics costs: spend on confirmed shipping documents, by method and cost
currency, against the budget the seller's current policy allows for those orders."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.logistics import ShippingMethod
from domain.model import Order, Seller, Shipment
from domain.money import Money
from domain.services import logistics_settings
from domain.services.shipping import method_comparison
from domain.unit_of_work import UnitOfWork

__all__ = ["CostReport", "MethodCosts", "month_start", "month_to_date_costs"]


@dataclass(frozen=True)
class MethodCosts:
    method: ShippingMethod
    currency: str
    shipments: int
    spent: Money
    budget: Money | None  # the sum of each shipment's limit, when a policy is set
    over_budget: int  # shipments that went over their limit
    unchecked: int  # shipments whose budget could not be checked (no exchange rate)


@dataclass(frozen=True)
class CostReport:
    since: datetime
    until: datetime
    rows: list[MethodCosts]
    policy_set: bool


def month_start(now: datetime) -> datetime:
    moment = now.astimezone(UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def month_to_date_costs(seller: Seller, now: datetime, uow: UnitOfWork) -> CostReport:
    """Logistics spend on documents confirmed this calendar month (UTC), by method and cost
    currency, against the budget the seller's current policy allows for those orders."""
    since = month_start(now)
    profile = await logistics_settings.profile_for(seller.id, uow)
    grouped: dict[tuple[str, str], list[tuple[Shipment, Order]]] = defaultdict(list)
    for shipment, order in await uow.shipments.confirmed_between(seller.id, since, now):
        if shipment.estimated_cost is None or shipment.cost_currency is None:
            continue
        grouped[(shipment.method, shipment.cost_currency)].append((shipment, order))
    rows: list[MethodCosts] = []
    for method in ShippingMethod:
        for (method_value, currency), items in sorted(grouped.items()):
            if method_value != method.value:
                continue
            spent = Money.zero(currency)
            budget = Money.zero(currency) if profile.policy is not None else None
            over = unchecked = 0
            for shipment, order in items:
                assert shipment.estimated_cost is not None
                cost = Money(shipment.estimated_cost, currency)
                spent += cost
                check, missing = method_comparison.budget_check(
                    cost, Money(order.total, order.currency), profile
                )
                if missing is not None:
                    unchecked += 1
                if check is None:
                    continue
                limit = method_comparison.budget_limit(check)
                if budget is not None and limit is not None:
                    budget += limit
                if check.over:
                    over += 1
            rows.append(MethodCosts(method, currency, len(items), spent, budget, over, unchecked))
    return CostReport(since=since, until=now, rows=rows, policy_set=profile.policy is not None)
