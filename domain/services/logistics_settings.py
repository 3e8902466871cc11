"""A seller's logistics settings: budget policy, own rate card, and the exchange rates they supply.

What the shipping document needs from them is a `LogisticsProfile` (`profile_for`): the rate card
to quote with (the seller's, or the shipped example card, which says so), the budget policy, and
the exchange rates. Rates are only ever the seller's own; nothing here invents one.

Text the seller types is parsed here, not in the handlers:

- budget: ``15%`` (share of the order value), ``20 USD`` (cap per order), ``warn`` or ``block``,
  in any order and combination, or ``off``;
- an exchange rate: ``USD CNY 7.2`` (1 USD buys 7.2 CNY); the inverse pair is implied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from domain.errors import InvalidInput
from domain.logistics import (
    BudgetMode,
    BudgetPolicy,
    RateCard,
    example_rate_card,
    load_rate_card,
    parse_rate_card_file,
    rate_card_data,
)
from domain.model import BudgetMode as StoredBudgetMode
from domain.model import SellerLogisticsSettings
from domain.money import ExchangeRates, Money, normalize_currency
from domain.repositories import Actor
from domain.services import warehouses
from domain.typed_numbers import read_decimal
from domain.typed_text import displayable_name
from domain.unit_of_work import UnitOfWork

MAX_EXCHANGE_RATES = 20
_OFF_WORDS = {"off", "none", "clear", "reset", "0"}


@dataclass(frozen=True)
class LogisticsProfile:
    """What quoting and budget checks need; `custom_card` is False for the example rates."""

    rate_card: RateCard
    custom_card: bool
    policy: BudgetPolicy | None
    rates: ExchangeRates


# ----- conversions between stored rows and domain values -----


def policy_of(row: SellerLogisticsSettings | None) -> BudgetPolicy | None:
    if row is None or (row.budget_max_share is None and row.budget_max_per_order is None):
        return None
    per_order = None
    if row.budget_max_per_order is not None and row.budget_currency is not None:
        per_order = Money(row.budget_max_per_order, row.budget_currency)
    mode: BudgetMode = "block" if row.budget_mode == StoredBudgetMode.BLOCK else "warn"
    return BudgetPolicy(max_share=row.budget_max_share, max_per_order=per_order, mode=mode)


def rates_of(row: SellerLogisticsSettings | None) -> ExchangeRates:
    if row is None:
        return ExchangeRates()
    return ExchangeRates(
        {(entry["from"], entry["to"]): Decimal(entry["rate"]) for entry in row.exchange_rates}
    )


def profile_from(row: SellerLogisticsSettings | None) -> LogisticsProfile:
    custom = row is not None and row.rate_card is not None
    card = load_rate_card(row.rate_card) if row is not None and row.rate_card else None
    return LogisticsProfile(
        rate_card=card if card is not None else example_rate_card(),
        custom_card=custom,
        policy=policy_of(row),
        rates=rates_of(row),
    )


async def profile_for(seller_id: int, uow: UnitOfWork) -> LogisticsProfile:
    return profile_from(await uow.logistics_settings.for_seller(seller_id))


async def _row(seller_id: int, uow: UnitOfWork) -> SellerLogisticsSettings:
    row = await uow.logistics_settings.for_seller(seller_id)
    if row is None:
        row = SellerLogisticsSettings(
            seller_id=seller_id,
            budget_mode=StoredBudgetMode.WARN,
            exchange_rates=[],
            updated_at=uow.now(),
        )
        uow.logistics_settings.add(row)
    return row


def _audit(uow: UnitOfWork, user_id: int, seller_id: int, action: str, **details: Any) -> None:
    uow.audit.add(action, by=Actor("seller", user_id), about=("seller", seller_id), details=details)


async def current_profile(user_id: int, uow: UnitOfWork) -> LogisticsProfile:
    seller = await warehouses.seller_of(user_id, uow)
    return await profile_for(seller.id, uow)


# ----- budget -----


def parse_budget(text: str) -> BudgetPolicy | None:
    """A policy from ``15% 20 USD block`` style text; None for ``off``."""
    tokens = text.split()  # a decimal comma is read by read_decimal
    if len(tokens) == 1 and tokens[0].casefold() in _OFF_WORDS:
        return None
    share: Decimal | None = None
    amount: Decimal | None = None
    currency: str | None = None
    mode: BudgetMode = "warn"
    for token in tokens:
        lowered = token.casefold()
        if lowered.endswith("%"):
            percent = read_decimal(lowered.removesuffix("%"))
            if not Decimal(0) < percent <= Decimal(100):
                raise InvalidInput("budget.invalid_share", value=token)
            share = percent / 100
        elif lowered == "warn":
            mode = "warn"
        elif lowered == "block":
            mode = "block"
        elif token.isalpha():
            currency = normalize_currency(token)
        else:
            amount = read_decimal(token)
            if amount <= 0:
                raise InvalidInput("budget.invalid_max_per_order", value=token)
    if share is None and amount is None:
        raise InvalidInput("budget.usage")
    if amount is not None and currency is None:
        raise InvalidInput("budget.currency_required", value=str(amount))
    per_order = Money(amount, currency) if amount is not None and currency is not None else None
    return BudgetPolicy(max_share=share, max_per_order=per_order, mode=mode)


async def set_budget_policy(
    user_id: int, policy: BudgetPolicy | None, uow: UnitOfWork
) -> BudgetPolicy | None:
    seller = await warehouses.seller_of(user_id, uow)
    row = await _row(seller.id, uow)
    row.budget_max_share = None if policy is None else policy.max_share
    per_order = None if policy is None else policy.max_per_order
    row.budget_max_per_order = None if per_order is None else per_order.amount
    row.budget_currency = None if per_order is None else per_order.currency
    row.budget_mode = (
        StoredBudgetMode.BLOCK
        if policy is not None and policy.mode == "block"
        else StoredBudgetMode.WARN
    )
    row.updated_at = uow.now()
    _audit(
        uow,
        user_id,
        seller.id,
        "logistics.budget_set",
        max_share=None if row.budget_max_share is None else str(row.budget_max_share),
        max_per_order=None if per_order is None else str(per_order),
        mode=row.budget_mode.value,
    )
    return policy


# ----- rate card -----


def read_rate_card_file(filename: str, content: bytes) -> dict[str, Any]:
    """An uploaded JSON or CSV rate card, as the data `store_rate_card` keeps.

    A parser of untrusted input: the bot runs it in its file worker, never on the event loop.
    A CSV card (or a JSON one without a label) is named after its file, so the seller can tell
    which card the comparisons use.
    """
    return rate_card_data(parse_rate_card_file(filename, content))


async def store_rate_card(
    user_id: int, filename: str, card_data: Mapping[str, Any], uow: UnitOfWork
) -> RateCard:
    """Replace the seller's rate card with one read by `read_rate_card_file`."""
    seller = await warehouses.seller_of(user_id, uow)
    card = load_rate_card(card_data)
    # Either name is shown, so hidden controls go.
    label = displayable_name(card.label, 200, "") or displayable_name(filename, 100, "—")
    card = replace(card, label=label)
    row = await _row(seller.id, uow)
    row.rate_card = rate_card_data(card)
    row.updated_at = uow.now()
    _audit(
        uow,
        user_id,
        seller.id,
        "logistics.rate_card_set",
        filename=filename[:200],
        lanes=len(card.lanes),
        currency=card.currency,
    )
    return card


async def reset_rate_card(user_id: int, uow: UnitOfWork) -> RateCard:
    """Go back to the shipped example rates."""
    seller = await warehouses.seller_of(user_id, uow)
    row = await uow.logistics_settings.for_seller(seller.id)
    if row is not None and row.rate_card is not None:
        row.rate_card = None
        row.updated_at = uow.now()
        _audit(uow, user_id, seller.id, "logistics.rate_card_reset")
    return example_rate_card()


# ----- exchange rates -----


@dataclass(frozen=True)
class ExchangeRateEntry:
    source: str
    target: str
    rate: Decimal


def parse_exchange_rate(text: str) -> ExchangeRateEntry:
    """``USD CNY 7.2`` -> 1 USD buys 7.2 CNY."""
    tokens = text.replace(",", ".").replace("/", " ").replace("=", " ").split()
    if len(tokens) != 3:
        raise InvalidInput("rates.exchange_usage")
    source, target = normalize_currency(tokens[0]), normalize_currency(tokens[1])
    rate = read_decimal(tokens[2])
    # ExchangeRates validates the pair (positive, two different currencies).
    ExchangeRates({(source, target): rate})
    return ExchangeRateEntry(source, target, rate)


def exchange_rate_list(rates: ExchangeRates) -> list[ExchangeRateEntry]:
    return [ExchangeRateEntry(s, t, rates.rates[(s, t)]) for s, t in rates]


async def set_exchange_rate(
    user_id: int, entry: ExchangeRateEntry, uow: UnitOfWork
) -> ExchangeRates:
    """Add or replace the rate for a pair (the opposite pair is replaced too: one truth)."""
    seller = await warehouses.seller_of(user_id, uow)
    row = await _row(seller.id, uow)
    pair = {entry.source, entry.target}
    kept = [e for e in row.exchange_rates or [] if {e["from"], e["to"]} != pair]
    if len(kept) >= MAX_EXCHANGE_RATES:
        raise InvalidInput("rates.too_many_exchange_rates", max=MAX_EXCHANGE_RATES)
    row.exchange_rates = [
        *kept,
        {"from": entry.source, "to": entry.target, "rate": str(entry.rate)},
    ]
    row.updated_at = uow.now()
    _audit(
        uow,
        user_id,
        seller.id,
        "logistics.exchange_rate_set",
        pair=f"{entry.source}/{entry.target}",
        rate=str(entry.rate),
    )
    return rates_of(row)


async def clear_exchange_rates(user_id: int, uow: UnitOfWork) -> None:
    seller = await warehouses.seller_of(user_id, uow)
    row = await uow.logistics_settings.for_seller(seller.id)
    if row is not None and row.exchange_rates:
        row.exchange_rates = []
        row.updated_at = uow.now()
        _audit(uow, user_id, seller.id, "logistics.exchange_rates_cleared")
