"""Money: a `Decimal` amount in an ISO-4217 currency, and conversion with the seller's own rates.

Amounts are quantized to the currency's minor units (JPY 0, USD 2, KWD 3, from CLDR via Babel)
with half-up rounding, so two `Money` values that print the same compare equal.

Exchange rates are never invented: `convert` uses a rate the seller supplied for the pair, or the
inverse of the rate supplied for the opposite pair, and otherwise raises
`InvalidInput("rates.missing_exchange_rate")`. Rates are not chained through a third currency
(USD->EUR and EUR->CNY do not give USD->CNY): a cross rate the seller never saw would be a rate
we made up.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_precision, is_currency

from domain.errors import InvalidInput

__all__ = [
    "ExchangeRates",
    "Money",
    "convert",
    "convert_money",
    "minor_unit_exponent",
    "normalize_currency",
    "to_decimal",
]


def normalize_currency(code: str) -> str:
    """The upper-case ISO-4217 code, or `InvalidInput("money.invalid_currency")`."""
    normalized = code.strip().upper() if isinstance(code, str) else ""
    if len(normalized) != 3 or not normalized.isascii() or not normalized.isalpha():
        raise InvalidInput("money.invalid_currency", currency=str(code))
    if not is_currency(normalized):
        raise InvalidInput("money.invalid_currency", currency=normalized)
    return normalized


def minor_unit_exponent(currency: str) -> Decimal:
    """`Decimal("0.01")` for USD, `Decimal("1")` for JPY: the quantum of the currency."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def to_decimal(value: Any, *, key: str = "money.invalid_amount") -> Decimal:
    """A finite `Decimal` from a `Decimal`, an `int` or a numeric string; floats are refused."""
    if isinstance(value, bool | float):
        # A float has already lost the cents (0.1 + 0.2); make the caller pass text instead.
        raise InvalidInput(key, value=str(value))
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidInput(key, value=value) from None
    else:
        raise InvalidInput(key, value=str(value))
    if not result.is_finite():
        raise InvalidInput(key, value=str(value))
    return result


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency, quantized to its minor units on construction."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        currency = normalize_currency(self.currency)
        try:
            amount = to_decimal(self.amount).quantize(
                minor_unit_exponent(currency), rounding=ROUND_HALF_UP
            )
        except InvalidOperation:  # more digits than the decimal context holds
            raise InvalidInput("money.invalid_amount", value=str(self.amount)) from None
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", amount)

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        return cls(to_decimal(amount), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput("money.currency_mismatch", left=self.currency, right=other.currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * to_decimal(factor), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount >= other.amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


@dataclass(frozen=True)
class ExchangeRates:
    """Rates the seller supplied: `(from, to) -> r` means 1 unit of `from` buys `r` of `to`."""

    rates: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cleaned: dict[tuple[str, str], Decimal] = {}
        for pair, raw in self.rates.items():
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InvalidInput("rates.invalid_exchange_rate", pair=str(pair))
            source, target = normalize_currency(pair[0]), normalize_currency(pair[1])
            rate = to_decimal(raw, key="rates.invalid_exchange_rate")
            if rate <= 0 or source == target:
                raise InvalidInput(
                    "rates.invalid_exchange_rate", from_=source, to=target, rate=str(rate)
                )
            cleaned[(source, target)] = rate
        object.__setattr__(self, "rates", cleaned)

    def rate(self, source: str, target: str) -> Decimal | None:
        """The supplied rate, its inverse, 1 for the same currency, or None: never a guess."""
        source, target = normalize_currency(source), normalize_currency(target)
        if source == target:
            return Decimal(1)
        direct = self.rates.get((source, target))
        if direct is not None:
            return direct
        inverse = self.rates.get((target, source))
        if inverse is not None:
            return Decimal(1) / inverse
        return None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.rates)

    def __len__(self) -> int:
        return len(self.rates)


def convert(amount: Decimal, from_ccy: str, to_ccy: str, rates: ExchangeRates | None) -> Decimal:
    """`amount` of `from_ccy` in `to_ccy`, unrounded; raises when the seller gave no rate."""
    source, target = normalize_currency(from_ccy), normalize_currency(to_ccy)
    rate = (rates or ExchangeRates()).rate(source, target)
    if rate is None:
        raise InvalidInput("rates.missing_exchange_rate", from_=source, to=target)
    return to_decimal(amount) * rate


def convert_money(money: Money, to_ccy: str, rates: ExchangeRates | None) -> Money:
    """`money` in `to_ccy`, rounded to its minor units."""
    target = normalize_currency(to_ccy)
    if money.currency == target:
        return money
    return Money(convert(money.amount, money.currency, target, rates), target)
