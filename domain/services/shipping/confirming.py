"""Reviewing and confirming the shipping document.

At confirmation the rules of `domain.compliance` run over facts read *then* (the warehouse's
status, tracking numbers used elsewhere, the clock), and every finding is stored on the
shipment. Blockers keep the document a draft; warnings must have been acknowledged by the seller;
otherwise the shipment is confirmed, the order moves to shipped and a buyer link is issued, in
one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from domain.compliance import Finding, ShipmentCheck, blockers, check_shipment, warnings
from domain.drafts.shipping import ShippingDraft
from domain.errors import ConflictError
from domain.model import (
    ComplianceFinding,
    FindingSeverity,
    Order,
    OrderStatus,
    Seller,
    Shipment,
    Warehouse,
)
from domain.money import Money
from domain.repositories import Actor
from domain.services import logistics_settings, warehouses
from domain.services.orders import buyer_links
from domain.services.shipping import method_comparison, steps
from domain.tracking_numbers import TrackingNumber, parse_tracking_number
from domain.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class DocumentReview:
    """The document as it would be confirmed now, with what compliance says about it."""

    order: Order
    seller: Seller
    warehouse: Warehouse
    option: method_comparison.MethodOption
    tracking: TrackingNumber
    findings: list[Finding]
    photo_required: bool

    @property
    def blockers(self) -> list[Finding]:
        return blockers(self.findings)

    @property
    def warnings(self) -> list[Finding]:
        return warnings(self.findings)

    @property
    def warning_rules(self) -> list[str]:
        return sorted({f.rule for f in self.warnings})


def _quantity_ordered(order: Order) -> int:
    return sum(line.quantity for line in order.lines)


async def review_document(
    user_id: int, draft: ShippingDraft, photo_threshold: Decimal, uow: UnitOfWork
) -> DocumentReview:
    """Run every compliance rule over facts read now (warehouse status, tracking numbers used
    elsewhere, the clock). Nothing is stored; `confirm_document` stores what it finds."""
    order = await steps.order_of(user_id, draft, uow)
    seller = await warehouses.seller_of(user_id, uow)
    if draft.method is None or draft.tracking is None or draft.carrier is None:
        raise ConflictError("shipping.document_incomplete")
    warehouse = await steps.owned_warehouse(seller.id, draft.warehouse_id, uow)
    verified = warehouse.id in {w.id for w in await warehouses.shipping_warehouses(seller.id, uow)}
    profile = await logistics_settings.profile_for(seller.id, uow)
    option = steps.compare(order, draft, warehouse, profile).option(
        steps.parse_method(draft.method)
    )
    tracking = parse_tracking_number(draft.tracking)
    # The replaced parcel's number is refused as it is typed (`steps.set_tracking`); checked
    # again here like another order's, so no path confirms a new parcel under the old number.
    used = await uow.shipments.tracking_number_used_elsewhere(
        tracking.value, order.id
    ) or await uow.shipments.tracking_number_replaced(tracking.value, order.id)
    findings = check_shipment(
        ShipmentCheck(
            warehouse_verified=verified,
            warehouse_name=warehouse.name,
            warehouse_status=warehouse.status.value,
            warehouse_note=warehouse.review_note,
            tracking=tracking,
            tracking_used_on_other_order=used,
            declared_value=Money(draft.declared_value, draft.currency),
            # Compared with the goods in this parcel: a partial one declares only those.
            order_value=Money(steps.goods_value(order, draft), order.currency),
            shipped_at=uow.now(),
            ship_by=order.ship_by,
            method_allowed=option.quote.allowed,
            method_refusal_keys=option.quote.refusal_keys,
            origin_country=option.quote.origin,
            destination_country=option.quote.destination,
            quantity_ordered=_quantity_ordered(order),
            quantity_shipped=draft.quantity_shipped,
            budget=option.budget,
            rates=profile.rates,
            sent_again=order.status is OrderStatus.TO_SHIP_AGAIN,
        )
    )
    if option.missing_rate is not None:
        # The policy could not be applied: say so and have it acknowledged, never guess a rate.
        source, target = option.missing_rate
        findings.append(
            Finding(
                "budget_unchecked",
                "warning",
                "compliance.budget_unchecked",
                {"from_": source, "to": target},
            )
        )
    return DocumentReview(
        order=order,
        seller=seller,
        warehouse=warehouse,
        option=option,
        tracking=tracking,
        findings=findings,
        photo_required=steps.photo_required(order, photo_threshold),
    )


ConfirmationStatus = Literal["blocked", "needs_acknowledgement", "shipped"]


@dataclass(frozen=True)
class Confirmation:
    status: ConfirmationStatus
    review: DocumentReview
    shipment: Shipment
    buyer_token: str | None = None
    unacknowledged: list[str] = field(default_factory=list)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, Decimal | datetime):
        return str(value)
    return value


async def _draft_shipment(order: Order, uow: UnitOfWork) -> Shipment | None:
    """The unconfirmed document of an earlier, refused attempt on this order, if any."""
    for shipment in await uow.shipments.for_order(order.id):
        if shipment.confirmed_at is None:
            return shipment
    return None


def _fill(shipment: Shipment, draft: ShippingDraft, review: DocumentReview) -> None:
    quote_ = review.option.quote
    parcel = draft.parcel
    shipment.warehouse_id = review.warehouse.id
    shipment.method = quote_.method.value
    shipment.carrier = draft.carrier
    shipment.tracking_number = review.tracking.value
    shipment.declared_value = draft.declared_value
    shipment.declared_currency = draft.currency
    shipment.weight_kg = parcel.weight_kg
    shipment.length_cm = parcel.length_cm
    shipment.width_cm = parcel.width_cm
    shipment.height_cm = parcel.height_cm
    shipment.goods_characteristics = list(draft.goods)
    shipment.chargeable_weight_kg = quote_.chargeable_weight_kg
    shipment.estimated_cost = None if quote_.cost is None else quote_.cost.amount
    shipment.cost_currency = None if quote_.cost is None else quote_.cost.currency
    shipment.transit_min_days = None if quote_.transit is None else quote_.transit.min_days
    shipment.transit_max_days = None if quote_.transit is None else quote_.transit.max_days
    shipment.lines_shipped = [
        {"line_id": line_id, "quantity": quantity}
        for line_id, quantity in draft.quantities.items()
        if quantity > 0
    ]
    shipment.is_partial = draft.is_partial({line.id: line.quantity for line in review.order.lines})
    shipment.parcel_photo_file_id = draft.photo_file_id


def _record_findings(
    shipment: Shipment, findings: Sequence[Finding], acknowledged: set[str], now: datetime
) -> None:
    """Add this check's findings to the document's history.

    Findings are history, never replaced: an operator still reads in /compliance the blocker
    that stopped an earlier attempt after the seller fixed it and confirmed. A finding this check
    repeats word for word is not stored twice; its acknowledgement is brought up to date.
    """
    stored = {
        (f.rule, f.severity.value, json.dumps(f.params, sort_keys=True)): f
        for f in shipment.findings
    }
    for finding in findings:
        params = {"message_key": finding.message_key, **_json_safe(dict(finding.params))}
        is_acknowledged = finding.severity == "warning" and finding.rule in acknowledged
        key = (finding.rule, finding.severity, json.dumps(params, sort_keys=True))
        earlier = stored.get(key)
        if earlier is not None:
            earlier.acknowledged = earlier.acknowledged or is_acknowledged
            continue
        stored[key] = ComplianceFinding(
            rule=finding.rule,
            severity=FindingSeverity(finding.severity),
            params=params,
            acknowledged=is_acknowledged,
            created_at=now,
        )
        shipment.findings.append(stored[key])


async def confirm_document(
    user_id: int,
    draft: ShippingDraft,
    acknowledged_rules: Iterable[str],
    photo_threshold: Decimal,
    uow: UnitOfWork,
) -> Confirmation:
    """Check the document again and store every finding on it. Blockers leave it a draft;
    warnings the seller has not acknowledged leave it a draft too; otherwise the shipment is
    confirmed, the order is shipped and a single-use buyer link is issued.

    Returns rather than raises for blockers, so that the findings are committed. Findings of
    earlier attempts stay on the document (see `_record_findings`).
    """
    review = await review_document(user_id, draft, photo_threshold, uow)
    if review.photo_required and not draft.photo_file_id:
        raise ConflictError("shipping.photo_required")
    now = uow.now()
    shipment = await _draft_shipment(review.order, uow)
    if shipment is None:
        shipment = Shipment(order_id=review.order.id, created_at=now, findings=[])
        uow.shipments.add(shipment)
    _fill(shipment, draft, review)
    acknowledged = set(acknowledged_rules)
    unacknowledged = sorted({f.rule for f in review.warnings} - acknowledged)
    _record_findings(shipment, review.findings, acknowledged, now)
    status: ConfirmationStatus
    if review.blockers:
        status = "blocked"
    elif unacknowledged:
        status = "needs_acknowledgement"
    else:
        status = "shipped"
    await uow.flush()
    uow.audit.add(
        "shipment.confirmed" if status == "shipped" else f"shipment.{status}",
        by=Actor("seller", user_id),
        about=("order", review.order.id),
        details={
            "number": review.order.number,
            "shipment_id": shipment.id,
            "findings": [f.rule for f in review.findings],
        },
    )
    if status != "shipped":
        return Confirmation(status, review, shipment, unacknowledged=unacknowledged)

    shipment.confirmed_at = now
    shipment.compliance_acknowledged = bool(review.warnings)
    shipment.next_poll_at = now  # due for its first tracking check at once
    review.order.mark_shipped(now)
    # An exchange's replacement is followed already (the buyer's subscription came with it):
    # no link for the seller to pass on.
    following = await uow.buyers.for_order(review.order.id) is not None
    token = None if following else await buyer_links.issue_buyer_link(review.order, uow)
    return Confirmation(status, review, shipment, buyer_token=token)
