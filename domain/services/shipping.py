"""The shipping document: a draft filled step by step, the logistics comparison (in
`domain.services.logistics_comparison`), compliance at confirmation; the month-to-date costs are
in `domain.services.logistics_costs`.

The draft (`ShippingDraft`, in `domain.services.shipping_draft`) is plain data kept in the
conversation state, so a restart resumes the document where it was. Every use case takes the caller's Telegram user id and re-checks that
the order (and warehouse) are theirs: ids in the draft and in buttons are client input.

At confirmation the rules of `domain.compliance` run over facts read *then* (the warehouse's
status, tracking numbers used elsewhere, the clock), and every finding is stored on the
shipment. Blockers keep the document a draft; warnings must have been acknowledged by the seller;
otherwise the shipment is confirmed, the order moves to shipped and a buyer link is issued, in
one transaction.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from domain.compliance import Finding, ShipmentCheck, blockers, check_shipment, warnings
from domain.errors import ConflictError, InvalidInput, NotAllowed, NotFound
from domain.logistics import GoodsCharacteristic, Parcel, ShippingMethod
from domain.model import (
    ComplianceFinding,
    FindingSeverity,
    Order,
    OrderStatus,
    Seller,
    Shipment,
    Warehouse,
    WarehouseStatus,
)
from domain.money import Money, to_decimal
from domain.services.logistics_comparison import Comparison as Comparison
from domain.services.logistics_comparison import MethodOption as MethodOption
from domain.services.logistics_comparison import budget_limit as budget_limit
from domain.services.logistics_comparison import compare_methods
from domain.services.logistics_costs import CostReport as CostReport
from domain.services.logistics_costs import MethodCosts as MethodCosts
from domain.services.logistics_costs import month_start as month_start
from domain.services.logistics_costs import month_to_date_costs as month_to_date_costs
from domain.services.logistics_settings import LogisticsProfile, profile_for
from domain.services.orders import issue_buyer_link, owned_order
from domain.services.shipping_draft import ShippingDraft as ShippingDraft
from domain.services.warehouses import seller_of, shipping_warehouses
from domain.tracking_numbers import TrackingNumber, parse_tracking_number
from domain.typed_text import clean_typed_line
from domain.unit_of_work import UnitOfWork

MAX_LINE_QUANTITY = 100_000
CARRIER_MIN, CARRIER_MAX = 2, 64
_DIMENSION_SEPARATORS = re.compile(r"\s*[x×X*хХ]\s*|\s+")


# ----- the draft -----


async def _confirmed_order(user_id: int, order_id: int, uow: UnitOfWork) -> Order:
    order = await owned_order(user_id, order_id, uow)
    if order.status != OrderStatus.CONFIRMED:
        raise ConflictError(
            "shipping.order_not_confirmed", number=order.number, status=order.status.value
        )
    return order


async def start_document(user_id: int, order_id: int, uow: UnitOfWork) -> ShippingDraft:
    """A draft for a confirmed order of the caller: every line in full, declared value = total."""
    order = await _confirmed_order(user_id, order_id, uow)
    return ShippingDraft(
        order_id=order.id,
        quantities={line.id: line.quantity for line in order.lines},
        declared_value=order.total,
        currency=order.currency,
    )


async def start_document_by_number(user_id: int, number: str, uow: UnitOfWork) -> ShippingDraft:
    """`/ship <order number>`: the same, finding the order by its marketplace number."""
    seller = await seller_of(user_id, uow)
    cleaned = " ".join(number.split())
    if not cleaned:
        raise InvalidInput("shipping.order_number_required")
    order = await uow.orders.by_number(seller.id, cleaned[:64])
    if order is None:
        raise NotFound("shipping.order_not_found", number=cleaned[:64])
    return await start_document(user_id, order.id, uow)


async def order_of(user_id: int, draft: ShippingDraft, uow: UnitOfWork) -> Order:
    """The draft's order, re-checked: still the caller's and still waiting to ship."""
    return await _confirmed_order(user_id, draft.order_id, uow)


# ----- steps -----


def set_line_quantity(order: Order, draft: ShippingDraft, line_id: int, raw: str) -> ShippingDraft:
    """A new quantity for one line (0 leaves it out: a partial shipment)."""
    if line_id not in {line.id for line in order.lines}:
        raise InvalidInput("errors.invalid_choice")
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text.isdigit() or int(text) > MAX_LINE_QUANTITY:
        raise InvalidInput("shipping.line_quantity_invalid", max=MAX_LINE_QUANTITY)
    quantities = dict(draft.quantities)
    quantities[line_id] = int(text)
    return replace(draft, quantities=quantities)


def finish_lines(draft: ShippingDraft) -> ShippingDraft:
    if draft.quantity_shipped <= 0:
        raise InvalidInput("shipping.nothing_to_ship")
    return draft


def _number(raw: str, key: str) -> Decimal:
    text = unicodedata.normalize("NFKC", raw).strip().replace(",", ".")
    text = "".join(text.split())
    try:
        return to_decimal(text, key=key)
    except InvalidInput:
        raise InvalidInput(key) from None


def set_declared_value(draft: ShippingDraft, raw: str) -> ShippingDraft:
    amount = _number(raw.upper().replace(draft.currency, ""), "shipping.declared_value_invalid")
    if amount < 0:
        raise InvalidInput("shipping.declared_value_invalid")
    money = Money(amount, draft.currency)
    if money.amount >= Decimal("1e12"):
        raise InvalidInput("shipping.declared_value_invalid")
    return replace(draft, declared_value=money.amount)


def set_weight(draft: ShippingDraft, raw: str) -> ShippingDraft:
    text = raw.casefold().replace("kg", "").replace("кг", "").replace("公斤", "")
    weight = _number(text, "shipping.weight_invalid").quantize(Decimal("0.001"))
    # Parcel checks the range; any valid dimensions do for that check.
    Parcel(weight, Decimal(1), Decimal(1), Decimal(1))
    return replace(draft, weight_kg=weight)


def set_dimensions(draft: ShippingDraft, raw: str) -> ShippingDraft:
    """``60x40x40`` (cm); ``×``, ``*`` and spaces separate too."""
    text = unicodedata.normalize("NFKC", raw).casefold().replace("cm", "").replace("см", "")
    parts = [p for p in _DIMENSION_SEPARATORS.split(text.strip()) if p]
    if len(parts) != 3:
        raise InvalidInput("shipping.dimensions_invalid")
    sides = tuple(_number(p, "shipping.dimensions_invalid").quantize(Decimal("0.1")) for p in parts)
    length, width, height = sides
    Parcel(draft.weight_kg or Decimal(1), length, width, height)
    return replace(draft, dimensions_cm=(length, width, height))


def toggle_goods(draft: ShippingDraft, value: str) -> ShippingDraft:
    try:
        characteristic = GoodsCharacteristic(value)
    except ValueError:
        raise InvalidInput("errors.invalid_choice") from None
    chosen = set(draft.goods) ^ {characteristic.value}
    ordered = tuple(g.value for g in GoodsCharacteristic if g.value in chosen)
    # Other goods change which methods are allowed: the method must be chosen again.
    return replace(draft, goods=ordered, method=None)


async def warehouses_for(user_id: int, uow: UnitOfWork) -> list[Warehouse]:
    seller = await seller_of(user_id, uow)
    return await shipping_warehouses(seller.id, uow)


async def choose_warehouse(
    user_id: int, draft: ShippingDraft, warehouse_id: int, uow: UnitOfWork
) -> ShippingDraft:
    """Only a verified warehouse of the caller that can ship; anything else is refused."""
    seller = await seller_of(user_id, uow)
    warehouse = await uow.warehouses.get(warehouse_id)
    if warehouse is None or warehouse.seller_id != seller.id:
        raise NotFound("warehouse.not_found")
    allowed = {w.id for w in await shipping_warehouses(seller.id, uow)}
    if warehouse.id not in allowed:
        if warehouse.status == WarehouseStatus.VERIFIED:
            raise NotAllowed("shipping.warehouse_cannot_ship", name=warehouse.name)
        raise NotAllowed(
            "shipping.warehouse_not_verified",
            name=warehouse.name,
            status=warehouse.status.value,
        )
    return replace(draft, warehouse_id=warehouse.id)


# ----- comparison -----


async def _owned_warehouse(seller_id: int, warehouse_id: int | None, uow: UnitOfWork) -> Warehouse:
    if warehouse_id is None:
        raise ConflictError("shipping.document_incomplete")
    warehouse = await uow.warehouses.get(warehouse_id)
    if warehouse is None or warehouse.seller_id != seller_id:
        raise NotFound("warehouse.not_found")
    return warehouse


def _compare(
    order: Order, draft: ShippingDraft, warehouse: Warehouse, profile: LogisticsProfile
) -> Comparison:
    return compare_methods(
        draft.parcel,
        draft.goods_characteristics,
        warehouse.country,
        order.ship_to_country,
        Money(order.total, order.currency),
        profile,
    )


async def draft_warehouse(user_id: int, draft: ShippingDraft, uow: UnitOfWork) -> Warehouse:
    """The warehouse the draft ships from, re-checked to be the caller's (any status)."""
    seller = await seller_of(user_id, uow)
    return await _owned_warehouse(seller.id, draft.warehouse_id, uow)


async def comparison(user_id: int, draft: ShippingDraft, uow: UnitOfWork) -> Comparison:
    """Every method for this parcel on the lane from the chosen warehouse's country to the
    buyer's: chargeable weight, cost, transit, refusals, budget."""
    order = await order_of(user_id, draft, uow)
    warehouse = await _owned_warehouse(order.seller_id, draft.warehouse_id, uow)
    return _compare(order, draft, warehouse, await profile_for(order.seller_id, uow))


def _method(value: str) -> ShippingMethod:
    try:
        return ShippingMethod(value)
    except ValueError:
        raise InvalidInput("errors.invalid_choice") from None


async def choose_method(
    user_id: int, draft: ShippingDraft, value: str, uow: UnitOfWork
) -> ShippingDraft:
    """A method the goods and parcel allow and, under a blocking policy, the budget too."""
    method = _method(value)
    option = (await comparison(user_id, draft, uow)).option(method)
    if not option.quote.allowed:
        raise InvalidInput(
            "shipping.method_refused",
            method=method.value,
            reasons=list(option.quote.refusal_keys),
            origin=option.quote.origin,
            destination=option.quote.destination,
        )
    if option.blocked_by_budget:
        assert option.budget is not None
        raise InvalidInput(
            "shipping.budget_blocked",
            method=method.value,
            cost=str(option.budget.cost),
            exceeded=list(option.budget.exceeded),
        )
    return replace(draft, method=method.value)


# ----- carrier, tracking number, photo -----


def set_carrier(draft: ShippingDraft, raw: str) -> ShippingDraft:
    # NFKC: a carrier typed in full-width letters (ＤＨＬ) is the same carrier.
    text = clean_typed_line(
        unicodedata.normalize("NFKC", raw),
        CARRIER_MIN,
        CARRIER_MAX,
        "shipping.carrier_invalid",
        refuse_commands=True,
    )
    return replace(draft, carrier=text)


@dataclass(frozen=True)
class TrackingEntry:
    draft: ShippingDraft
    number: TrackingNumber

    @property
    def needs_acknowledgement(self) -> bool:
        return self.number.needs_acknowledgement and not self.draft.tracking_acknowledged


async def set_tracking(
    user_id: int, draft: ShippingDraft, raw: str, uow: UnitOfWork
) -> TrackingEntry:
    """Check a tracking number as it is typed: a wrong check digit or a number already on
    another order is refused at once (compliance checks both again at confirmation)."""
    number = parse_tracking_number(raw)
    if not number.valid:
        raise InvalidInput(
            number.problem_key or "tracking.invalid_characters",
            tracking=number.value,
            carrier=number.carrier,
            reason="characters",
        )
    order = await order_of(user_id, draft, uow)
    if await uow.shipments.tracking_number_used_elsewhere(number.value, order.id):
        raise ConflictError("tracking.reused", tracking=number.value)
    updated = replace(draft, tracking=number.value, tracking_acknowledged=False)
    return TrackingEntry(updated, number)


def acknowledge_tracking(draft: ShippingDraft) -> ShippingDraft:
    if draft.tracking is None:
        raise ConflictError("shipping.tracking_missing")
    return replace(draft, tracking_acknowledged=True)


def photo_required(order: Order, threshold: Decimal) -> bool:
    """Above this order value (in the order's currency) a photo of the packed parcel is due."""
    return order.total > threshold


def set_photo(draft: ShippingDraft, file_id: str) -> ShippingDraft:
    if not file_id or len(file_id) > 255:
        raise InvalidInput("shipping.photo_invalid")
    return replace(draft, photo_file_id=file_id)


# ----- review and confirmation -----


@dataclass(frozen=True)
class DocumentReview:
    """The document as it would be confirmed now, with what compliance says about it."""

    order: Order
    seller: Seller
    warehouse: Warehouse
    option: MethodOption
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
    order = await order_of(user_id, draft, uow)
    seller = await seller_of(user_id, uow)
    if draft.method is None or draft.tracking is None or draft.carrier is None:
        raise ConflictError("shipping.document_incomplete")
    warehouse = await _owned_warehouse(seller.id, draft.warehouse_id, uow)
    verified = warehouse.id in {w.id for w in await shipping_warehouses(seller.id, uow)}
    profile = await profile_for(seller.id, uow)
    option = _compare(order, draft, warehouse, profile).option(_method(draft.method))
    tracking = parse_tracking_number(draft.tracking)
    used = await uow.shipments.tracking_number_used_elsewhere(tracking.value, order.id)
    findings = check_shipment(
        ShipmentCheck(
            warehouse_verified=verified,
            warehouse_name=warehouse.name,
            warehouse_status=warehouse.status.value,
            warehouse_note=warehouse.review_note,
            tracking=tracking,
            tracking_used_on_other_order=used,
            declared_value=Money(draft.declared_value, draft.currency),
            order_value=Money(order.total, order.currency),
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
        photo_required=photo_required(order, photo_threshold),
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
    ordered = {line.id: line.quantity for line in review.order.lines}
    shipment.is_partial = any(draft.quantities.get(i, 0) < q for i, q in ordered.items())
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
    await uow.session.flush()
    uow.audit.record(
        at=now,
        actor_id=user_id,
        actor_role="seller",
        action="shipment.confirmed" if status == "shipped" else f"shipment.{status}",
        subject_type="order",
        subject_id=review.order.id,
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
    token = await issue_buyer_link(review.order, uow)
    return Confirmation(status, review, shipment, buyer_token=token)
