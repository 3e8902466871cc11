"""Logistics costs of a calendar month (this one so far, or a past one): spend on confirmed
shipping documents, by method and cost currency, against the budget the seller's current
policy allows for those orders; and what `/costs` may be asked (`parse_costs_query`)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.errors import InvalidInput
from domain.logistics import ShippingMethod
from domain.model import Order, Seller, Shipment
from domain.money import Money
from domain.services import logistics_settings
from domain.services.shipping import method_comparison
from domain.unit_of_work import UnitOfWork

__all__ = [
    "CostReport",
    "CostsQuery",
    "MethodCosts",
    "costs_of",
    "month_start",
    "month_to_date_costs",
    "parse_costs_query",
]

_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_ARGUMENT_SEPARATORS = re.compile(r"[\s,、;]+")
# Words a seller may type for a method besides its code (the bot's command arguments are
# Latin; these are the English names the help shows).
_METHOD_WORDS = {
    "express": ShippingMethod.EXPRESS,
    "sea": ShippingMethod.SEA,
    "land": ShippingMethod.LAND,
    "road": ShippingMethod.LAND,
}


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
    until: datetime  # exclusive: the next month's start, or now for this month so far
    rows: list[MethodCosts]
    policy_set: bool
    method: ShippingMethod | None = None  # the one method asked for, else every method
    current: bool = True  # this month, so far

    @property
    def totals(self) -> list[Money]:
        """The spend of every method together, one sum per cost currency (first seen first)."""
        sums: dict[str, Money] = {}
        for row in self.rows:
            sums[row.currency] = sums.get(row.currency, Money.zero(row.currency)) + row.spent
        return list(sums.values())


@dataclass(frozen=True)
class CostsQuery:
    """What `/costs` was asked: a calendar month (its first moment, UTC) and maybe a method."""

    month: datetime
    method: ShippingMethod | None = None


def parse_costs_query(text: str | None, now: datetime) -> CostsQuery:
    """`/costs` arguments, in any order: a month as `YYYY-MM` (this month if none) and a method
    (`express`, `sea`, `land`). Anything else, a second month or method, or a month that has
    not begun, is refused with a message naming the word."""
    this_month = month_start(now)
    month: datetime | None = None
    method: ShippingMethod | None = None
    # Full-width letters, digits and dashes read as their ASCII forms (a Chinese keyboard's
    # "２０２６－１２"), and a comma (also "，" and "、") separates like a space.
    for word in _ARGUMENT_SEPARATORS.split(unicodedata.normalize("NFKC", text or "")):
        if not word:
            continue
        folded = word.casefold()
        matched = _MONTH.fullmatch(folded)
        if matched is not None and month is None:
            year, number = int(matched.group(1)), int(matched.group(2))
            if not 1 <= number <= 12 or year < 2000:
                raise InvalidInput("logistics.costs_bad_month", value=word[:20])
            month = datetime(year, number, 1, tzinfo=UTC)
            if month > this_month:
                raise InvalidInput("logistics.costs_month_ahead", value=word[:20])
        elif folded in _METHOD_WORDS and method is None:
            method = _METHOD_WORDS[folded]
        else:
            raise InvalidInput("logistics.costs_bad_argument", value=word[:40])
    return CostsQuery(month=month or this_month, method=method)


def _next_month(start: datetime) -> datetime:
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def month_start(now: datetime) -> datetime:
    moment = now.astimezone(UTC)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def month_to_date_costs(seller: Seller, now: datetime, uow: UnitOfWork) -> CostReport:
    """Logistics spend on documents confirmed this calendar month (UTC) so far."""
    return await costs_of(seller, CostsQuery(month_start(now)), now, uow)


async def costs_of(seller: Seller, query: CostsQuery, now: datetime, uow: UnitOfWork) -> CostReport:
    """Logistics spend on documents confirmed in the query's calendar month (UTC; up to now
    for this month), by method and cost currency, against the budget the seller's current
    policy allows for those orders; one method only when the query names one."""
    since = query.month
    current = _next_month(since) > now
    until = now if current else _next_month(since)
    profile = await logistics_settings.profile_for(seller.id, uow)
    grouped: dict[tuple[str, str], list[tuple[Shipment, Order]]] = defaultdict(list)
    # The query is inclusive at both ends: a past month stops just before the next one starts.
    last = until if current else until - timedelta(microseconds=1)
    for shipment, order in await uow.shipments.confirmed_between(seller.id, since, last):
        if shipment.estimated_cost is None or shipment.cost_currency is None:
            continue
        grouped[(shipment.method, shipment.cost_currency)].append((shipment, order))
    rows: list[MethodCosts] = []
    for method in ShippingMethod:
        if query.method is not None and method != query.method:
            continue
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
    return CostReport(
        since=since,
        until=until,
        rows=rows,
        policy_set=profile.policy is not None,
        method=query.method,
        current=current,
    )
