"""The shipping document's draft: when the photo step applies, the declared value offered (the
parcel's goods), and the draft as stored."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from domain.drafts import ShippingDraft
from domain.drafts.shipping import photo_required
from domain.errors import ConflictError
from domain.services.shipping import steps


def _draft(**changes: object) -> ShippingDraft:
    fields: dict[str, object] = {
        "order_id": 7,
        "quantities": {11: 2, 12: 1},
        "declared_value": Decimal("250.00"),
        "currency": "EUR",
        "order_total": Decimal("250.00"),
    }
    return ShippingDraft(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("total", "threshold", "asked"),
    [("250.00", "200", True), ("200.00", "200", False), ("199.99", "200", False)],
)
def test_the_photo_is_asked_only_above_the_threshold(
    total: str, threshold: str, asked: bool
) -> None:
    assert photo_required(Decimal(total), Decimal(threshold)) is asked
    assert _draft(order_total=Decimal(total)).needs_photo(Decimal(threshold)) is asked


def test_the_rule_reads_the_order_total_not_the_declared_value() -> None:
    # A partial shipment declares less; the photo rule is about the order.
    draft = _draft(declared_value=Decimal("10.00"))
    assert draft.needs_photo(Decimal("200"))


def test_a_draft_stored_without_the_total_asks_for_the_photo() -> None:
    data = _draft().to_data()
    del data["order_total"]
    assert ShippingDraft.from_data(data).needs_photo(Decimal("1000000"))


def test_the_parcel_needs_weight_and_dimensions() -> None:
    with pytest.raises(ConflictError):
        _ = _draft(weight_kg=Decimal("1.5")).parcel
    parcel = _draft(
        weight_kg=Decimal("1.5"), dimensions_cm=(Decimal(30), Decimal(20), Decimal(10))
    ).parcel
    assert parcel.weight_kg == Decimal("1.5")


def test_the_draft_survives_a_round_trip_through_its_data() -> None:
    draft = _draft(
        weight_kg=Decimal("1.5"),
        dimensions_cm=(Decimal(30), Decimal(20), Decimal(10)),
        goods=("battery_in_equipment",),
        warehouse_id=3,
        method="express",
        carrier="DHL",
        tracking="RB123456785GB",
        photo_file_id="photo-1",
    )
    assert ShippingDraft.from_data(draft.to_data()) == draft
    assert draft.quantity_shipped == 3


def test_only_a_line_shipped_short_makes_the_shipment_partial() -> None:
    ordered = {11: 2, 12: 1}
    assert not _draft().is_partial(ordered)
    assert _draft(quantities={11: 1, 12: 1}).is_partial(ordered)
    assert _draft(quantities={11: 2}).is_partial(ordered)  # a line left out
    # More than ordered is the compliance check's "more items than ordered", not partial.
    assert not _draft(quantities={11: 5, 12: 1}).is_partial(ordered)


def test_the_value_offered_is_the_parcels_goods_then_the_order_total() -> None:
    assert _draft().value_offered == Decimal("250.00")
    assert _draft(goods_value=Decimal("90.00")).value_offered == Decimal("90.00")
    # A draft stored before either was kept offers what it declares.
    assert _draft(order_total=None, declared_value=Decimal("5")).value_offered == Decimal("5")


def test_nothing_declared_for_goods_of_some_value_is_said() -> None:
    assert _draft(declared_value=Decimal("0")).declared_nothing
    assert not _draft(declared_value=Decimal("0.01")).declared_nothing
    # Goods worth nothing may declare nothing.
    free = _draft(declared_value=Decimal("0"), goods_value=Decimal("0"), order_total=Decimal("0"))
    assert not free.declared_nothing


def test_the_lines_chosen_offer_their_goods_value_unless_one_was_typed() -> None:
    order: Any = SimpleNamespace(
        currency="EUR",
        lines=[
            SimpleNamespace(id=11, unit_price=Decimal("100.00")),
            SimpleNamespace(id=12, unit_price=Decimal("50.00")),
        ],
    )
    partial = _draft(quantities={11: 1, 12: 1})
    assert steps.finish_lines(order, partial).declared_value == Decimal("150.00")
    typed = steps.set_declared_value(partial, "120")
    kept = steps.finish_lines(order, typed)
    assert (kept.declared_value, kept.goods_value) == (Decimal("120"), Decimal("150.00"))
