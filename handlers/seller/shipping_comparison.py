"""The logistics comparison step of the shipping document, as template parameters and buttons.

Every method on the lane from the chosen warehouse's country to the buyer's: what it bills
(chargeable kg, or W/M with the sea freight minimum spelled out), its cost and transit time,
why it is not available or not allowed, and the budget check.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from domain.logistics import MethodQuote, Parcel
from domain.services.shipping import method_comparison
from handlers.responder import Button, Responder
from handlers.shipping_callbacks import ShippingForm, ShippingFormAction


def plain(number: Decimal | None) -> str:
    """A measurement without trailing zeros (12.000 -> 12, 60.0 -> 60, 19.5 -> 19.5)."""
    if number is None:
        return ""
    return format(number.normalize(), "f")


def fill_percent(quote: MethodQuote) -> int | None:
    """How much of the sea freight minimum the parcel fills, in whole percent (at least 1)."""
    if quote.parcel_units is None or not quote.minimum_units:
        return None
    return max(1, math.ceil(quote.parcel_units * 100 / quote.minimum_units))


def _option(option: method_comparison.MethodOption, responder: Responder) -> dict[str, Any]:
    q = option.quote
    budget = option.budget
    limit = None if budget is None else method_comparison.budget_limit(budget)
    return {
        "method": q.method.value,
        "name": responder.label(q.name_key),
        "allowed": q.allowed,
        "reasons": list(q.refusal_keys),
        "cost": None if q.cost is None else q.cost.amount,
        "currency": None if q.cost is None else q.cost.currency,
        "chargeable": plain(q.chargeable_weight_kg),
        "unit": q.unit,
        "units": plain(q.billable_units),
        "parcel_units": plain(q.parcel_units),
        "below_minimum": q.below_minimum,
        "far_below_minimum": q.far_below_minimum,
        "fill_percent": fill_percent(q),
        "transit_min": None if q.transit is None else q.transit.min_days,
        "transit_max": None if q.transit is None else q.transit.max_days,
        "cheapest": q.cheapest,
        "fastest": q.fastest,
        "budget": "none" if budget is None else ("over" if budget.over else "within"),
        "budget_mode": None if budget is None else budget.mode,
        "budget_limit": None if limit is None else limit.amount,
        "budget_currency": None if limit is None else limit.currency,
        "missing_rate": None if option.missing_rate is None else list(option.missing_rate),
    }


def _button(option: method_comparison.MethodOption, responder: Responder) -> Button:
    """✅ only on a method the seller may choose; a refused or budget-blocked one keeps its
    button (pressing it says why, as a stale comparison's press would) but reads as refused."""
    q = option.quote
    name = responder.label(q.name_key)
    callback = ShippingForm(action=ShippingFormAction.METHOD, value=q.method.value)
    if option.choosable and q.cost is not None:
        cost = responder.renderer.money(q.cost.amount, q.cost.currency, responder.locale)
        return Button(
            label="shipping.method_choice", params={"name": name, "cost": cost}, callback=callback
        )
    if option.blocked_by_budget:
        return Button(
            label="shipping.method_blocked_choice", params={"name": name}, callback=callback
        )
    return Button(label="shipping.method_refused_choice", params={"name": name}, callback=callback)


def comparison_view(
    result: method_comparison.Comparison,
    parcel: Parcel,
    warehouse_name: str,
    responder: Responder,
) -> tuple[dict[str, Any], list[list[Button]]]:
    """The `shipping.comparison` template's parameters, and one button per method."""
    lane = result.options[0].quote.lane
    params = {
        "options": [_option(option, responder) for option in result.options],
        "card_label": result.rate_card.label,
        "example_rates": result.rate_card.example or not result.custom_card,
        "custom_card": result.custom_card,
        "policy_set": result.profile.policy is not None,
        # Said once under the methods: the budget, not the goods, leaves nothing to choose.
        "all_blocked": any(o.blocked_by_budget for o in result.options)
        and not any(o.choosable for o in result.options),
        "origin": result.origin,
        "destination": result.destination,
        "warehouse": warehouse_name,
        "lane": None
        if lane is None
        else {
            "from_kind": lane.origin.kind,
            "from_name": lane.origin.name,
            "to_kind": lane.destination.kind,
            "to_name": lane.destination.name,
        },
        "weight": plain(parcel.weight_kg),
        "length": plain(parcel.length_cm),
        "width": plain(parcel.width_cm),
        "height": plain(parcel.height_cm),
    }
    return params, [[_button(option, responder)] for option in result.options]
