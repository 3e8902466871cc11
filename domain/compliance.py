"""Compliance checks run when a shipping document is confirmed: pure rules over plain facts.

The caller gathers the facts into a `ShipmentCheck` (from the order, the warehouse, the shipment
and the budget check) and gets back every `Finding`. Blockers stop the document; warnings need
the seller's acknowledgement. Findings are meant to be stored as they are, for operators.

| rule                     | severity          | fires when                                           |
|--------------------------|-------------------|------------------------------------------------------|
| warehouse_not_verified   | blocker           | the shipping warehouse is not verified (yet)         |
| warehouse_suspended      | blocker           | an operator suspended the warehouse meanwhile        |
| warehouse_cannot_ship    | blocker           | the verified warehouse no longer declares shipping   |
| tracking_reused          | blocker           | the tracking number is on another order already      |
| tracking_check_digit     | blocker           | S10 (or a prefixed carrier format) fails its check   |
| tracking_unknown_format  | warning           | the format is not one we know                        |
| declared_value_mismatch  | warning           | declared value is more than 20 % off the order value |
| declared_value_unchecked | warning           | they differ in currency and no rate was supplied     |
| shipped_late             | warning           | shipped after the ship-by deadline                   |
| method_not_allowed       | blocker           | the method is refused for these goods or this parcel |
| over_budget              | warning / blocker | over the logistics budget, per the policy's mode     |
| quantity_mismatch        | warning           | shipped quantity differs from the ordered quantity   |
| country_embargoed        | blocker           | the warehouse's or the buyer's country is under      |
|                          |                   | embargo (entered before `domain.embargo` refused it) |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from domain import embargo
from domain.errors import InvalidInput
from domain.logistics import BudgetCheck
from domain.money import ExchangeRates, Money, convert
from domain.tracking_numbers import TrackingNumber

__all__ = [
    "DECLARED_VALUE_TOLERANCE",
    "Finding",
    "Severity",
    "ShipmentCheck",
    "blockers",
    "check_shipment",
    "warnings",
]

Severity = Literal["blocker", "warning"]

# Customs declarations further than this from what the buyer paid draw attention.
DECLARED_VALUE_TOLERANCE = Decimal("0.20")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message_key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ShipmentCheck:
    """The facts the rules look at; nothing here is loaded lazily."""

    warehouse_verified: bool  # verified and able to ship: what goods may ship from
    tracking: TrackingNumber
    tracking_used_on_other_order: bool
    declared_value: Money
    order_value: Money
    shipped_at: datetime
    ship_by: datetime
    method_allowed: bool
    quantity_ordered: int
    quantity_shipped: int
    method_refusal_keys: Sequence[str] = ()
    warehouse_name: str = ""
    warehouse_status: str | None = None  # the warehouse's status, to say why it may not ship
    warehouse_note: str | None = None  # the operator's note on that status, if any
    origin_country: str = ""  # the lane: the warehouse's country and the buyer's
    destination_country: str = ""
    budget: BudgetCheck | None = None  # None: no policy, or not checked
    rates: ExchangeRates | None = None  # the seller's, for a declared value in another currency
    # The goods go out again after the first parcel was lost or came back: the first one met
    # (or missed) the ship-by, so this one is not late against it.
    sent_again: bool = False

    def __post_init__(self) -> None:
        for name in ("shipped_at", "ship_by"):
            moment: datetime = getattr(self, name)
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")


def _warehouse(check: ShipmentCheck) -> list[Finding]:
    if check.warehouse_verified:
        return []
    name, status = check.warehouse_name, check.warehouse_status
    if status == "suspended":
        return [
            Finding(
                "warehouse_suspended",
                "blocker",
                "compliance.warehouse_suspended",
                {"name": name, "note": check.warehouse_note or ""},
            )
        ]
    if status == "verified":
        return [
            Finding(
                "warehouse_cannot_ship",
                "blocker",
                "compliance.warehouse_cannot_ship",
                {"name": name},
            )
        ]
    params = {} if status is None else {"name": name, "status": status}
    return [
        Finding("warehouse_not_verified", "blocker", "compliance.warehouse_not_verified", params)
    ]


def _tracking(check: ShipmentCheck) -> list[Finding]:
    findings: list[Finding] = []
    number = check.tracking.value
    if check.tracking_used_on_other_order:
        findings.append(
            Finding(
                "tracking_reused", "blocker", "compliance.tracking_reused", {"tracking": number}
            )
        )
    if not check.tracking.valid:
        key = (
            "compliance.s10_check_digit"
            if check.tracking.kind == "s10"
            else "compliance.carrier_check_digit"
        )
        findings.append(
            Finding(
                "tracking_check_digit",
                "blocker",
                key,
                {"tracking": number, "carrier": check.tracking.carrier},
            )
        )
    if check.tracking.kind == "unknown":
        findings.append(
            Finding(
                "tracking_unknown_format",
                "warning",
                "compliance.tracking_unknown_format",
                {"tracking": number},
            )
        )
    return findings


def _declared_value(check: ShipmentCheck) -> list[Finding]:
    declared, order = check.declared_value, check.order_value
    try:
        declared_amount = convert(declared.amount, declared.currency, order.currency, check.rates)
    except InvalidInput:
        return [
            Finding(
                "declared_value_unchecked",
                "warning",
                "compliance.declared_value_unchecked",
                {"declared": str(declared), "order_value": str(order)},
            )
        ]
    if order.amount == 0:
        differs = declared_amount != 0
        deviation = None
    else:
        deviation = abs(declared_amount - order.amount) / order.amount
        differs = deviation > DECLARED_VALUE_TOLERANCE
    if not differs:
        return []
    return [
        Finding(
            "declared_value_mismatch",
            "warning",
            "compliance.declared_value_mismatch",
            {
                "declared": str(declared),
                "order_value": str(order),
                "deviation_percent": None
                if deviation is None
                else str((deviation * 100).quantize(Decimal("0.1"))),
                "tolerance_percent": str(DECLARED_VALUE_TOLERANCE * 100),
            },
        )
    ]


def _deadline(check: ShipmentCheck) -> list[Finding]:
    if check.sent_again or check.shipped_at <= check.ship_by:
        return []
    late = check.shipped_at - check.ship_by
    return [
        Finding(
            "shipped_late",
            "warning",
            "compliance.shipped_late",
            {
                "ship_by": check.ship_by.isoformat(),
                "shipped_at": check.shipped_at.isoformat(),
                "hours_late": int(late.total_seconds() // 3600),
            },
        )
    ]


def _method(check: ShipmentCheck) -> list[Finding]:
    if check.method_allowed:
        return []
    return [
        Finding(
            "method_not_allowed",
            "blocker",
            "compliance.method_not_allowed",
            {
                "reasons": list(check.method_refusal_keys),
                "origin": check.origin_country,
                "destination": check.destination_country,
            },
        )
    ]


def _budget(check: ShipmentCheck) -> list[Finding]:
    budget = check.budget
    if budget is None or budget.status != "over":
        return []
    return [
        Finding(
            "over_budget",
            "blocker" if budget.mode == "block" else "warning",
            "compliance.over_budget",
            {
                "cost": str(budget.cost),
                "exceeded": list(budget.exceeded),
                "share_limit": None if budget.share_limit is None else str(budget.share_limit),
                "per_order_limit": None
                if budget.per_order_limit is None
                else str(budget.per_order_limit),
            },
        )
    ]


def _quantity(check: ShipmentCheck) -> list[Finding]:
    ordered, shipped = check.quantity_ordered, check.quantity_shipped
    if shipped == ordered:
        return []
    key = (
        "compliance.partial_shipment" if shipped < ordered else "compliance.quantity_exceeds_order"
    )
    return [Finding("quantity_mismatch", "warning", key, {"ordered": ordered, "shipped": shipped})]


def _embargo(check: ShipmentCheck) -> list[Finding]:
    # New orders and warehouses cannot name these countries; older ones still may.
    lane = dict.fromkeys((check.origin_country, check.destination_country))
    return [
        Finding("country_embargoed", "blocker", "compliance.country_embargoed", {"country": c})
        for c in lane
        if c and embargo.is_embargoed(c)
    ]


_RULES = (
    _embargo,
    _warehouse,
    _tracking,
    _declared_value,
    _deadline,
    _method,
    _budget,
    _quantity,
)


def check_shipment(check: ShipmentCheck) -> list[Finding]:
    """Every finding, in a stable order (blockers are not sorted first; use `blockers`)."""
    return [finding for rule in _RULES for finding in rule(check)]


def blockers(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "blocker"]


def warnings(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "warning"]
