"""Logistics cost model: chargeable weight, rate cards, restrictions by goods, quotes, budget.

Prices and transit times belong to a **lane**, from the shipping warehouse's country to the
buyer's: a parcel from Hamburg to France has other methods and prices than one from Shenzhen.

One module per job: `parcels` (parcels and chargeable weight), `rate_cards` (the card model:
zones, lanes, which lane a parcel travels), `card_validation` (checking a card's data),
`card_files` (the JSON and CSV files a seller sends, parsed within bounds, and the shipped
example card), `quotes` (pricing and comparing the methods on a lane) and `budget` (the seller's
logistics budget). Import from here.
"""

from __future__ import annotations

from domain.logistics.budget import BudgetCheck, BudgetMode, BudgetPolicy, check_budget
from domain.logistics.card_files import (
    MAX_CARD_BYTES,
    MAX_JSON_DEPTH,
    example_rate_card,
    is_rate_card_header,
    parse_rate_card_csv,
    parse_rate_card_file,
    parse_rate_card_json,
)
from domain.logistics.card_validation import load_rate_card
from domain.logistics.parcels import (
    EXPRESS_REFUSED_GOODS,
    GoodsCharacteristic,
    Parcel,
    ShippingMethod,
    chargeable_weight,
    method_name_key,
    parcel_revenue_tons,
    revenue_tons,
    volumetric_weight,
)
from domain.logistics.quotes import FAR_BELOW_MINIMUM_SHARE, MethodQuote, compare, quote
from domain.logistics.rate_cards import (
    ANYWHERE,
    Lane,
    MethodRate,
    Place,
    RateCard,
    TransitRange,
    rate_card_data,
)
from domain.money import ExchangeRates, convert

__all__ = [
    "ANYWHERE",
    "EXPRESS_REFUSED_GOODS",
    "FAR_BELOW_MINIMUM_SHARE",
    "MAX_CARD_BYTES",
    "MAX_JSON_DEPTH",
    "BudgetCheck",
    "BudgetMode",
    "BudgetPolicy",
    "ExchangeRates",
    "GoodsCharacteristic",
    "Lane",
    "MethodQuote",
    "MethodRate",
    "Parcel",
    "Place",
    "RateCard",
    "ShippingMethod",
    "TransitRange",
    "chargeable_weight",
    "check_budget",
    "compare",
    "convert",
    "example_rate_card",
    "is_rate_card_header",
    "load_rate_card",
    "method_name_key",
    "parcel_revenue_tons",
    "parse_rate_card_csv",
    "parse_rate_card_file",
    "parse_rate_card_json",
    "quote",
    "rate_card_data",
    "revenue_tons",
    "volumetric_weight",
]
