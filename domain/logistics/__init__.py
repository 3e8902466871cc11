"""Logistics cost model: chargeable weight, rate cards, restrictions by goods, quotes, budget.

One module per job: `parcels` (parcels and chargeable weight), `rate_cards` (the card model and
its validation), `card_files` (the JSON and CSV files a seller sends), `quotes` (pricing and
comparing the methods) and `budget` (the seller's logistics budget). Import from here.
"""

from __future__ import annotations

from domain.logistics.budget import BudgetCheck, BudgetMode, BudgetPolicy, check_budget
from domain.logistics.card_files import (
    parse_rate_card_csv,
    parse_rate_card_file,
    parse_rate_card_json,
)
from domain.logistics.parcels import (
    EXPRESS_REFUSED_GOODS,
    GoodsCharacteristic,
    Parcel,
    ShippingMethod,
    chargeable_weight,
    revenue_tons,
    volumetric_weight,
)
from domain.logistics.quotes import MethodQuote, compare, quote
from domain.logistics.rate_cards import (
    MethodRate,
    RateCard,
    TransitRange,
    example_rate_card,
    load_rate_card,
)
from domain.money import ExchangeRates, convert

__all__ = [
    "EXPRESS_REFUSED_GOODS",
    "BudgetCheck",
    "BudgetMode",
    "BudgetPolicy",
    "ExchangeRates",
    "GoodsCharacteristic",
    "MethodQuote",
    "MethodRate",
    "Parcel",
    "RateCard",
    "ShippingMethod",
    "TransitRange",
    "chargeable_weight",
    "check_budget",
    "compare",
    "convert",
    "example_rate_card",
    "load_rate_card",
    "parse_rate_card_csv",
    "parse_rate_card_file",
    "parse_rate_card_json",
    "quote",
    "revenue_tons",
    "volumetric_weight",
]
