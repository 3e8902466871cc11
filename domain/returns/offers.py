"""The terms of a resolution one side proposes, and the rules they must meet.

Amounts are in the order's currency and never above what was paid for the items of the case:

- full refund: exactly what was paid (filled in when not given);
- partial refund, keep with partial refund: more than nothing, less than what was paid;
- return and refund: more than nothing, at most what was paid (filled in when not given);
- exchange: no amount.

Goods travel back only for return and refund and for exchange: those terms say who pays the
postage (the policy's payer for the reason when not given), the seller's warehouse the goods go
to (a seller's offer must name it; a buyer's may leave it to the seller, who names it when
accepting) and how many days the buyer has to ship them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from domain.errors import InvalidInput
from domain.money import minor_unit_exponent
from domain.returns.rules import (
    ACT_WITHIN_DAYS_MAX,
    ACT_WITHIN_DAYS_MIN,
    PostagePayer,
    Resolution,
    Side,
)
from domain.typed_numbers import check_decimals, code_text, read_decimal


@dataclass(frozen=True, slots=True)
class OfferTerms:
    resolution: Resolution
    amount: Decimal | None = None
    postage_payer: PostagePayer | None = None
    warehouse_id: int | None = None
    act_within_days: int | None = None


@dataclass(frozen=True, slots=True)
class OfferRules:
    """What a new offer takes from outside its terms: the seller's policy for terms that leave
    them out (who pays the postage back, how many days the buyer has to ship the goods), and
    when the other side's answer is due."""

    default_payer: PostagePayer
    default_days: int
    respond_by: datetime


def clean_amount(raw: object, currency: str) -> Decimal:
    """A positive amount with no more decimals than the currency has (no silent rounding)."""
    amount = read_decimal(raw)
    quantum = minor_unit_exponent(currency)
    if amount <= 0:
        raise InvalidInput("returns.amount_invalid", currency=currency)
    decimals = -int(quantum.as_tuple().exponent)
    return check_decimals(amount, decimals, currency).quantize(quantum)


def checked_terms(
    terms: OfferTerms,
    *,
    side: Side,
    paid: Decimal,
    currency: str,
    default_payer: PostagePayer,
    default_days: int,
) -> OfferTerms:
    """`terms` completed and checked against what was paid, or InvalidInput."""
    resolution = Resolution(terms.resolution)
    amount = checked_amount(resolution, terms.amount, paid, currency)
    if not resolution.needs_return:
        if terms.warehouse_id is not None or terms.act_within_days is not None:
            raise InvalidInput("returns.no_return_in_this_resolution")
        return replace(terms, resolution=resolution, amount=amount, postage_payer=None)
    if side is Side.SELLER and terms.warehouse_id is None:
        raise InvalidInput("returns.warehouse_required")
    days = terms.act_within_days if terms.act_within_days is not None else default_days
    if not ACT_WITHIN_DAYS_MIN <= days <= ACT_WITHIN_DAYS_MAX:
        raise InvalidInput("returns.days_invalid", min=ACT_WITHIN_DAYS_MIN, max=ACT_WITHIN_DAYS_MAX)
    return OfferTerms(
        resolution=resolution,
        amount=amount,
        postage_payer=PostagePayer(terms.postage_payer or default_payer),
        warehouse_id=terms.warehouse_id,
        act_within_days=days,
    )


def refunded_amount(raw: object, paid: Decimal, currency: str) -> Decimal:
    """An amount refunded for a case's items (an offer's, the seller's refund, the platform's in
    a dispute): above zero, in the currency's decimals, never above what was paid for them."""
    amount = clean_amount(raw, currency)
    if amount > paid:
        raise InvalidInput("returns.amount_above_paid", paid=str(paid), currency=currency)
    return amount


def checked_amount(
    resolution: Resolution, raw: Decimal | None, paid: Decimal, currency: str
) -> Decimal | None:
    """The amount `resolution` pays (None for an exchange), checked against what was paid;
    also what the buyer's conversation checks a typed amount with."""
    if resolution is Resolution.EXCHANGE:
        if raw is not None:
            raise InvalidInput("returns.no_amount_for_exchange")
        return None
    if raw is None:
        if resolution.is_partial:
            raise InvalidInput("returns.amount_required", currency=currency)
        return paid
    amount = refunded_amount(raw, paid, currency)
    if resolution is Resolution.REFUND_FULL and amount != paid:
        raise InvalidInput("returns.full_refund_is_all", paid=str(paid), currency=currency)
    if resolution.is_partial and amount == paid:
        raise InvalidInput("returns.partial_below_paid", paid=str(paid), currency=currency)
    return amount


def typed_amount(raw: str, paid: Decimal, currency: str) -> str:
    """An amount as people type it, as plain decimal text: "12,50" is 12.50, and "30%" is that
    share of what was paid, rounded to the currency (the checks come after, on the result)."""
    text = code_text(raw)
    # A currency written with the amount ("2,5 €", "EUR 12.50", "$3") says nothing more.
    text = re.sub(re.escape(currency), "", text, flags=re.IGNORECASE)
    text = "".join(char for char in text if unicodedata.category(char) != "Sc")
    if not text.endswith("%"):
        return str(read_decimal(text))  # "12,50" and "1 234,50" are plain decimals
    share = read_decimal(text[:-1])
    if share <= 0:
        raise InvalidInput("returns.amount_invalid", currency=currency)
    if share > 100:
        raise InvalidInput("returns.amount_above_paid", paid=str(paid), currency=currency)
    quantum = minor_unit_exponent(currency)
    return str((paid * share / 100).quantize(quantum, rounding=ROUND_HALF_UP))


def recorded_refund(raw: object, paid: Decimal, agreed: Decimal | None, currency: str) -> Decimal:
    """The refund a seller records for an agreed case: never above what was paid, and never
    below what the two sides agreed. The agreement is what the buyer accepted to close the case
    for; a store that paid less has not done it, and recording it would close the case and take
    away the buyer's dispute. A store whose returned goods came back not as agreed takes it to
    the platform instead (the case allows it the dispute until the refund is recorded)."""
    amount = refunded_amount(raw, paid, currency)
    if agreed is not None and amount < agreed:
        raise InvalidInput("returns.refund_below_agreed", agreed=str(agreed), currency=currency)
    return amount
