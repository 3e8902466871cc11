"""How drafts are kept between updates (`domain.drafts.stored`): the stored data is plain JSON,
it is the format the earlier hand-written codecs wrote (a conversation in flight during an
upgrade resumes), older data with fewer keys still loads, and unreadable data fails with a
message that names fields, never what the user typed."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

import domain.drafts
from domain.drafts import OfferDraft, OrderDraft, ReturnDraft, ShippingDraft, WarehouseDraft
from domain.drafts.return_case import DraftEvidence, DraftLine
from domain.drafts.stored import StoredDraft, UnreadableDraft
from domain.model import DocumentKind, WarehouseKind
from domain.returns.addresses import ReturnAddress
from domain.returns.rules import EvidenceKind, PostagePayer, Resolution, ReturnReason, Side
from domain.services import warehouses
from domain.services.orders import intake

# Each pair: a draft, and the data the earlier codecs stored for it, key for key.
STORED_BEFORE: list[tuple[StoredDraft, dict[str, Any]]] = [
    (
        ReturnDraft(
            order_id=5,
            order_number="AE-1",
            currency="EUR",
            lines=(DraftLine(11, "Mug", Decimal("4.00"), 3),),
            not_taken_back=(12,),
            quantities={11: 2},
            reason=ReturnReason.MISSING_PARTS,
            evidence=(DraftEvidence(EvidenceKind.PHOTO, "file", "unique"),),
            resolution=Resolution.REFUND_PARTIAL,
            amount=Decimal("1.50"),
        ),
        {
            "order_id": 5,
            "order_number": "AE-1",
            "currency": "EUR",
            "lines": [[11, "Mug", "4.00", 3]],
            "window_closed": False,
            "not_taken_back": [12],
            "quantities": {"11": 2},
            "reason": "missing_parts",
            "comment": None,
            "evidence": [["photo", "file", "unique"]],
            "resolution": "refund_partial",
            "amount": "1.50",
        },
    ),
    (
        OfferDraft(
            case_id=7,
            side=Side.SELLER,
            counter=True,
            currency="EUR",
            paid=Decimal("7.00"),
            addresses=(ReturnAddress(2, "Lyon returns", "FR", "Lyon", True),),
            default_payer=PostagePayer.STORE,
            default_days=10,
            resolution=Resolution.EXCHANGE,
            payer=PostagePayer.BUYER,
            warehouse_id=2,
            days=5,
        ),
        {
            "case_id": 7,
            "side": "seller",
            "counter": True,
            "currency": "EUR",
            "paid": "7.00",
            "addresses": [[2, "Lyon returns", "FR", "Lyon", True]],
            "default_payer": "store",
            "default_days": 10,
            "resolution": "exchange",
            "amount": None,
            "payer": "buyer",
            "warehouse_id": 2,
            "days": 5,
        },
    ),
    (
        ShippingDraft(
            order_id=9,
            quantities={11: 2, 12: 1},
            declared_value=Decimal("250.00"),
            currency="EUR",
            weight_kg=Decimal("1.2"),
            dimensions_cm=(Decimal("30"), Decimal("20"), Decimal("10.5")),
            goods=("battery",),
            tracking_acknowledged=True,
            order_total=Decimal("250.00"),
            goods_value=Decimal("90.00"),
            value_typed=True,
        ),
        {
            "order_id": 9,
            "quantities": {"11": 2, "12": 1},
            "declared_value": "250.00",
            "currency": "EUR",
            "weight_kg": "1.2",
            "dimensions_cm": ["30", "20", "10.5"],
            "goods": ["battery"],
            "warehouse_id": None,
            "method": None,
            "carrier": None,
            "tracking": None,
            "tracking_acknowledged": True,
            "photo_file_id": None,
            "order_total": "250.00",
            "goods_value": "90.00",
            "value_typed": True,
        },
    ),
    (
        WarehouseDraft(
            home_country="CN",
            kind=WarehouseKind.OVERSEAS,
            name="Lyon",
            capabilities=("shipping",),
            documents=(
                warehouses.UploadedDocument(
                    DocumentKind.LEASE, "file", "unique", "lease.pdf", "a/pdf", 10
                ),
            ),
            premises_kind=DocumentKind.LEASE,
        ),
        {
            "home_country": "CN",
            "kind": "overseas",
            "name": "Lyon",
            "country": None,
            "street": None,
            "city": None,
            "region": None,
            "postcode": None,
            "contact_name": None,
            "phone": None,
            "capabilities": ["shipping"],
            "documents": [
                {
                    "kind": "lease",
                    "telegram_file_id": "file",
                    "file_unique_id": "unique",
                    "file_name": "lease.pdf",
                    "mime_type": "a/pdf",
                    "size": 10,
                    "is_photo": False,
                }
            ],
            "premises_kind": "lease",
        },
    ),
    (
        OrderDraft(
            seller_id=3,
            number="AE-2",
            lines=(intake.NewOrderLine("Phone case", "2", "12.50", "PC-1"),),
            line={"product_name": "Cable"},
            ship_by="2026-12-10T00:00:00+00:00",
        ),
        {
            "seller_id": 3,
            "number": "AE-2",
            "country": None,
            "postcode": None,
            "currency": None,
            "lines": [
                {
                    "product_name": "Phone case",
                    "sku": "PC-1",
                    "quantity": "2",
                    "unit_price": "12.50",
                }
            ],
            "line": {"product_name": "Cable"},
            "ship_by": "2026-12-10T00:00:00+00:00",
        },
    ),
]


@pytest.mark.parametrize(("draft", "stored"), STORED_BEFORE, ids=lambda v: type(v).__name__)
def test_the_stored_format_is_the_one_conversations_in_flight_have(
    draft: StoredDraft, stored: dict[str, Any]
) -> None:
    assert draft.to_data() == stored
    assert type(draft).from_data(stored) == draft
    assert type(draft).from_data(json.loads(json.dumps(draft.to_data()))) == draft


def test_every_draft_the_engine_keeps_is_stored_this_way() -> None:
    for name in domain.drafts.__all__:
        assert issubclass(getattr(domain.drafts, name), StoredDraft), name


def test_older_data_loads_and_unknown_keys_are_ignored() -> None:
    stored = dict(STORED_BEFORE[2][1])
    del stored["order_total"]  # written before the order's total was kept
    del stored["goods_value"], stored["value_typed"]  # and before the parcel's goods value
    stored["retired_field"] = "x"
    draft = ShippingDraft.from_data(stored)
    assert draft.order_total is None and draft.weight_kg == Decimal("1.2")
    assert (draft.goods_value, draft.value_typed) == (None, False)


def test_unreadable_data_names_the_field_not_the_value() -> None:
    stored = {**STORED_BEFORE[0][1], "order_number": ["Ms Secret Name"], "amount": "lots"}
    with pytest.raises(UnreadableDraft) as error:
        ReturnDraft.from_data(stored)
    assert "order_number" in str(error.value) and "amount" in str(error.value)
    assert "Secret" not in str(error.value) and "lots" not in str(error.value)
