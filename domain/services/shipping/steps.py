"""Filling in the shipping document step by step: starting it for a confirmed order, the lines,
value, parcel, goods, warehouse, method, carrier, tracking number and photo.

Every use case that reads the database takes the caller's Telegram user id and re-checks that
the order (and warehouse) are theirs: ids in the draft and in buttons are client input. The pure
steps take the draft and return a new one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal

from domain.drafts import shipping as shipping_draft
from domain.drafts.shipping import ShippingDraft
from domain.errors import ConflictError, InvalidInput, NotAllowed, NotFound
from domain.logistics import GoodsCharacteristic, Parcel, ShippingMethod
from domain.model import Order, OrderAction, Warehouse, WarehouseStatus
from domain.money import Money, minor_unit_exponent
from domain.services import logistics_settings, warehouses
from domain.services.orders import lifecycle
from domain.services.shipping import method_comparison
from domain.tracking_numbers import TrackingNumber, valid_tracking_number
from domain.typed_numbers import AMBIGUOUS, check_decimals, read_decimal, read_whole_number
from domain.typed_text import clean_typed_line
from domain.unit_of_work import UnitOfWork

MAX_LINE_QUANTITY = 100_000
# Declared values from this amount up are typing mistakes (and beyond the stored column).
DECLARED_VALUE_LIMIT = Decimal("1e12")
CARRIER_MIN, CARRIER_MAX = 2, 64
_DIMENSION_SEPARATORS = re.compile(r"\s*[x×X*хХ]\s*|\s+")


async def confirmed_order(user_id: int, order_id: int, uow: UnitOfWork) -> Order:
    return await lifecycle.order_for(user_id, order_id, OrderAction.SHIP, uow)


async def start_document(user_id: int, order_id: int, uow: UnitOfWork) -> ShippingDraft:
    """A draft for a confirmed order of the caller: every line in full, declared value = total."""
    order = await confirmed_order(user_id, order_id, uow)
    return ShippingDraft(
        order_id=order.id,
        quantities={line.id: line.quantity for line in order.lines},
        declared_value=order.total,
        currency=order.currency,
        order_total=order.total,
    )


async def start_document_by_number(user_id: int, number: str, uow: UnitOfWork) -> ShippingDraft:
    """`/ship <order number>`: the same, finding the order by its marketplace number."""
    seller = await warehouses.seller_of(user_id, uow)
    cleaned = " ".join(number.split())
    if not cleaned:
        raise InvalidInput("shipping.order_number_required")
    order = await uow.orders.by_number(seller.id, cleaned[:64])
    if order is None:
        raise NotFound("shipping.order_not_found", number=cleaned[:64])
    return await start_document(user_id, order.id, uow)


async def order_of(user_id: int, draft: ShippingDraft, uow: UnitOfWork) -> Order:
    """The draft's order, re-checked: still the caller's and still waiting to ship."""
    return await confirmed_order(user_id, draft.order_id, uow)


# ----- steps -----


def set_line_quantity(order: Order, draft: ShippingDraft, line_id: int, raw: str) -> ShippingDraft:
    """A new quantity for one line (0 leaves it out: a partial shipment)."""
    if line_id not in {line.id for line in order.lines}:
        raise InvalidInput("errors.invalid_choice")
    quantity = read_whole_number(raw)
    if not 0 <= quantity <= MAX_LINE_QUANTITY:
        raise InvalidInput("shipping.line_quantity_invalid", max=MAX_LINE_QUANTITY)
    quantities = dict(draft.quantities)
    quantities[line_id] = quantity
    return replace(draft, quantities=quantities)


def goods_value(order: Order, draft: ShippingDraft) -> Decimal:
    """What the goods in this parcel are worth at the order's prices."""
    total = sum(
        (line.unit_price * draft.quantities.get(line.id, 0) for line in order.lines), Decimal(0)
    )
    return Money(total, order.currency).amount


def finish_lines(order: Order, draft: ShippingDraft) -> ShippingDraft:
    """The lines chosen: the declared value offered is what this parcel's goods are worth (a
    partial parcel does not carry the whole order's value); one the seller typed is kept."""
    if draft.quantity_shipped <= 0:
        raise InvalidInput("shipping.nothing_to_ship")
    value = goods_value(order, draft)
    declared = draft.declared_value if draft.value_typed else value
    return replace(draft, goods_value=value, declared_value=declared)


def _number(raw: str, key: str) -> Decimal:
    """A typed number; `key` (the step's own example) when it is none, but "1,234" is told
    it is ambiguous, which the example would not explain."""
    try:
        return read_decimal(raw)
    except InvalidInput as error:
        if error.key == AMBIGUOUS:
            raise
        raise InvalidInput(key) from None


def set_declared_value(draft: ShippingDraft, raw: str) -> ShippingDraft:
    text = unicodedata.normalize("NFKC", raw).upper().replace(draft.currency, "")
    amount = _number(text, "shipping.declared_value_invalid")
    if amount < 0:
        raise InvalidInput("shipping.declared_value_negative")
    if amount >= DECLARED_VALUE_LIMIT:
        raise InvalidInput(
            "shipping.declared_value_too_large",
            max=DECLARED_VALUE_LIMIT - 1,
            currency=draft.currency,
        )
    decimals = -int(minor_unit_exponent(draft.currency).as_tuple().exponent)
    check_decimals(amount, decimals, draft.currency)
    return replace(draft, declared_value=Money(amount, draft.currency).amount, value_typed=True)


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
    seller = await warehouses.seller_of(user_id, uow)
    return await warehouses.shipping_warehouses(seller.id, uow)


async def choose_warehouse(
    user_id: int, draft: ShippingDraft, warehouse_id: int, uow: UnitOfWork
) -> ShippingDraft:
    """Only a verified warehouse of the caller that can ship; anything else is refused."""
    seller = await warehouses.seller_of(user_id, uow)
    warehouse = await uow.warehouses.get(warehouse_id)
    if warehouse is None or warehouse.seller_id != seller.id:
        raise NotFound("warehouse.not_found")
    allowed = {w.id for w in await warehouses.shipping_warehouses(seller.id, uow)}
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


async def owned_warehouse(seller_id: int, warehouse_id: int | None, uow: UnitOfWork) -> Warehouse:
    if warehouse_id is None:
        raise ConflictError("shipping.document_incomplete")
    warehouse = await uow.warehouses.get(warehouse_id)
    if warehouse is None or warehouse.seller_id != seller_id:
        raise NotFound("warehouse.not_found")
    return warehouse


def compare(
    order: Order,
    draft: ShippingDraft,
    warehouse: Warehouse,
    profile: logistics_settings.LogisticsProfile,
) -> method_comparison.Comparison:
    return method_comparison.compare_methods(
        draft.parcel,
        draft.goods_characteristics,
        warehouse.country,
        order.ship_to_country,
        Money(order.total, order.currency),
        profile,
    )


async def draft_warehouse(user_id: int, draft: ShippingDraft, uow: UnitOfWork) -> Warehouse:
    """The warehouse the draft ships from, re-checked to be the caller's (any status)."""
    seller = await warehouses.seller_of(user_id, uow)
    return await owned_warehouse(seller.id, draft.warehouse_id, uow)


async def comparison(
    user_id: int, draft: ShippingDraft, uow: UnitOfWork
) -> method_comparison.Comparison:
    """Every method for this parcel on the lane from the chosen warehouse's country to the
    buyer's: chargeable weight, cost, transit, refusals, budget."""
    order = await order_of(user_id, draft, uow)
    warehouse = await owned_warehouse(order.seller_id, draft.warehouse_id, uow)
    return compare(
        order, draft, warehouse, await logistics_settings.profile_for(order.seller_id, uow)
    )


def parse_method(value: str) -> ShippingMethod:
    try:
        return ShippingMethod(value)
    except ValueError:
        raise InvalidInput("errors.invalid_choice") from None


async def choose_method(
    user_id: int, draft: ShippingDraft, value: str, uow: UnitOfWork
) -> ShippingDraft:
    """A method the goods and parcel allow and, under a blocking policy, the budget too."""
    method = parse_method(value)
    option = (await comparison(user_id, draft, uow)).option(method)
    if not option.quote.allowed:
        raise InvalidInput(
            "shipping.method_refused",
            method=method.value,
            method_name=option.quote.name_key,
            reasons=list(option.quote.refusal_keys),
            origin=option.quote.origin,
            destination=option.quote.destination,
        )
    if option.blocked_by_budget:
        assert option.budget is not None
        raise InvalidInput(
            "shipping.budget_blocked",
            method=method.value,
            method_name=option.quote.name_key,
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
    another order is refused at once (compliance checks both again at confirmation), and so is
    the number of this order's parcel that was lost or came back: the goods sent again travel
    in a new parcel, and its news must not be taken for the old one's."""
    number = valid_tracking_number(raw)
    order = await order_of(user_id, draft, uow)
    if await uow.shipments.tracking_number_used_elsewhere(number.value, order.id):
        raise ConflictError("tracking.reused", tracking=number.value)
    if await uow.shipments.tracking_number_replaced(number.value, order.id):
        raise ConflictError("tracking.replaced_parcel", tracking=number.value)
    updated = replace(draft, tracking=number.value, tracking_acknowledged=False)
    return TrackingEntry(updated, number)


def acknowledge_tracking(draft: ShippingDraft) -> ShippingDraft:
    if draft.tracking is None:
        raise ConflictError("shipping.tracking_missing")
    return replace(draft, tracking_acknowledged=True)


def photo_required(order: Order, threshold: Decimal) -> bool:
    """Above this order value (in the order's currency) a photo of the packed parcel is due."""
    return shipping_draft.photo_required(order.total, threshold)


def set_photo(draft: ShippingDraft, file_id: str) -> ShippingDraft:
    if not file_id or len(file_id) > 255:
        raise InvalidInput("shipping.photo_invalid")
    return replace(draft, photo_file_id=file_id)
