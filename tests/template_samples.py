"""Sample parameters for every message template, so a test can render each in every locale.

A new template without an entry here fails `test_every_template_has_sample_data`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.model import DocumentKind, Warehouse, WarehouseDocument, WarehouseKind, WarehouseStatus
from domain.services import compliance_review, erasure

_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
WAREHOUSE = Warehouse(
    id=7,
    seller_id=1,
    kind=WarehouseKind.OVERSEAS,
    name="Berlin <hub>",
    name_key="berlin <hub>",
    country="DE",
    street="Lagerstraße 5 & Co",
    city="Berlin",
    region=None,
    postcode="10117",
    contact_name="Hans <Müller>",
    contact_phone="+49301234567",
    capabilities=["shipping", "local_returns"],
    status=WarehouseStatus.NEEDS_DOCUMENTS,
    review_note="Lease <unsigned>",
    created_at=_NOW,
    updated_at=_NOW,
    documents=[
        WarehouseDocument(
            kind=DocumentKind.BUSINESS_LICENCE,
            telegram_file_id="f",
            file_unique_id="u",
            file_name="licence <1>.pdf",
            mime_type="application/pdf",
            size=100,
            uploaded_at=_NOW,
        )
    ],
)
FORM = {
    "kind": "overseas",
    "name": "Berlin <hub>",
    "country": "DE",
    "street": "Lagerstraße 5",
    "city": "Berlin",
    "region": None,
    "postcode": "10117",
    "contact_name": "Hans",
    "phone": "+49301234567",
}

SAMPLES: dict[str, dict[str, Any]] = {
    "cancel.done": {},
    "cancel.nothing": {},
    "common.details_in_chat": {},
    "common.not_understood": {},
    "common.file_not_expected": {"seller": True},
    "common.slow_down": {},
    "confirmation.stale": {},
    "conversation.expecting_text": {},
    "conversation.resumed": {},
    "conversation.use_buttons": {},
    "countries.choices": {"unserved": ["KP"]},
    "countries.not_found": {"query": "<script>"},
    "erasure.blocked": {
        "blockers": [
            erasure.ErasureBlocker(key="erasure.open_orders", count=2),
            erasure.ErasureBlocker(
                key="erasure.returns_in_dispute",
                count=1,
                advice="erasure.wait_for_dispute",
                until=_NOW.date(),
            ),
        ]
    },
    "erasure.confirm": {},
    "erasure.done": {},
    "erasure.kept": {},
    "erasure.settle_returns": {"count": 3},
    "erasure.stale": {},
    "erasure.wait_for_dispute": {"count": 2, "until": _NOW.date()},
    "erasure.wait_for_store": {"count": 1},
    "erasure.withdraw_or_wait": {"count": 2},
    "errors.conflict": {},
    "errors.generic": {},
    "errors.hidden_characters": {},
    "errors.invalid_choice": {},
    "errors.invalid_input": {},
    "errors.not_allowed": {},
    "errors.not_found": {},
    "errors.stale_button": {},
    "errors.stale_button_in_conversation": {"conversation": "warehouse_registration"},
    "errors.unexpected": {"incident_id": "1a2b3c4d"},
    "errors.unavailable": {},
    "help.guest": {},
    "help.operator": {},
    "help.seller": {},
    "language.changed": {"language": "Español"},
    "language.choose": {},
    "privacy.policy": {"outbox_days": 30, "update_id_hours": 48, "dispute_hold_days": 90},
    "registration.already_registered": {},
    "registration.ask_country": {},
    "registration.ask_language": {},
    "registration.ask_store_name": {"current": "Shenzhen <Gadgets> & Co"},
    "registration.done": {"store_name": "Shenzhen <Gadgets> & Co"},
    "registration.store_name_invalid": {"min": 2, "max": 64},
    "registration.store_name_contact": {},
    "registration.summary": {
        "store_name": "Shenzhen <Gadgets> & Co",
        "country": "CN",
        "language": "中文",
    },
    "start.buyer_info": {},
    "start.welcome_new": {"name": "Li <Wei>"},
    "start.welcome_operator": {"name": "Olga"},
    "start.welcome_seller": {"store_name": "Shenzhen <Gadgets> & Co"},
    "tests.ping": {"n": 1},
    "operator.warehouse_submitted": {
        "warehouse_id": 7,
        "name": "Berlin <hub>",
        "kind": "overseas",
        "country": "DE",
        "store_name": "Shop <1>",
    },
    "review.queue": {"total": 0},
    "review.findings": {
        "entries": [
            {
                "finding": compliance_review.FindingView(
                    created_at=_NOW,
                    store_name="Shop <1>",
                    order_number="AE<1>",
                    tracking_number="RB123456785GB",
                    rule="shipped_late",
                    severity="warning",
                    message_key="compliance.shipped_late",
                    params={},
                    acknowledged=True,
                ),
                "text": "Shipped <b>late</b>",
            }
        ],
        "total": 1,
        "page": 1,
    },
    "review.verified": {"total": 3},
    "review.warehouse_changed": {},
    "review.card": {
        "warehouse": WAREHOUSE,
        "store_name": "Shop <1>",
        "home_country": "CN",
        "status": "⏳",
        "capabilities": ["Shipping"],
    },
    "review.document_caption": {"kind": "Business licence", "file_name": "a <b>.pdf"},
    "review.ask_note_reject": {"name": "Berlin <hub>"},
    "review.ask_note_docs": {"name": "Berlin <hub>"},
    "review.ask_note_suspend": {"name": "Berlin <hub>"},
    "review.decided": {"name": "Berlin <hub>", "decision": "✅ Approve"},
    "warehouse.ask_kind": {},
    "warehouse.ask_name": {"country": ""},
    "warehouse.ask_country": {"kind": "overseas", "home": "CN"},
    "warehouse.ask_street": {"country": "DE"},
    "warehouse.ask_city": {"country": "DE"},
    "warehouse.ask_region": {"country": "DE", "optional": True},
    "warehouse.ask_postcode": {"country": "DE", "optional": False},
    "warehouse.ask_contact_name": {"country": "DE"},
    "warehouse.ask_phone": {"country": "DE"},
    "warehouse.ask_capabilities": {},
    "warehouse.ask_premises_kind": {"uploaded": ["licence <1>.pdf"]},
    "warehouse.ask_document": {"document": "Business licence", "uploaded": [], "max_mb": 20},
    "warehouse.documents_complete": {"uploaded": ["a.pdf", "b <2>.png"]},
    "warehouse.document_received": {"document": "Business licence", "file_name": "<x>.pdf"},
    "warehouse.expecting_document": {"max_mb": 20},
    "warehouse.summary": {
        "data": FORM,
        "documents": [("Business licence", "licence <1>.pdf")],
        "capabilities": ["Shipping"],
    },
    # The part the warehouse card, its review card and the summary include.
    "warehouse.details": {
        "kind": "overseas",
        "country": "DE",
        "street": "Lagerstraße 5 & <Co>",
        "city": "Berlin",
        "region": None,
        "postcode": "10117",
        "contact": "Hans <Müller>",
        "phone": "+49301234567",
        "capabilities": ["Shipping"],
    },
    "warehouse.submitted": {"name": "Berlin <hub>"},
    "warehouse.list": {"warehouses": [WAREHOUSE]},
    "warehouse.card": {
        "warehouse": WAREHOUSE,
        "status": "📎",
        "capabilities": ["Shipping"],
        "documents": [("Business licence", "licence <1>.pdf")],
    },
    "warehouse.choose_field": {"name": "Berlin <hub>", "verified": True},
    "warehouse.ask_new_value": {"field": "City", "current": "Berlin <1>", "verified": True},
    "warehouse.confirm_back_to_review": {
        "name": "Berlin <hub>",
        "field": "City",
        "value": "<Hamburg>",
    },
    "warehouse.saved": {"name": "Berlin <hub>", "back_to_review": True},
    "warehouse.confirm_archive": {"name": "Berlin <hub>"},
    "warehouse.archived": {"name": "Berlin <hub>"},
    "warehouse.ask_more_documents": {"name": "Berlin <hub>", "note": "Lease <x>", "max_mb": 20},
    "warehouse.documents_kept": {"name": "Berlin <hub>"},
    "warehouse.decision_approve": {"warehouse_id": 7, "name": "Berlin <hub>", "note": None},
    "warehouse.decision_reject": {"warehouse_id": 7, "name": "Berlin <hub>", "note": "No <lease>"},
    "warehouse.decision_docs": {"warehouse_id": 7, "name": "Berlin <hub>", "note": "Send <VAT>"},
    "warehouse.decision_suspend": {"warehouse_id": 7, "name": "Berlin <hub>", "note": "Fake <x>"},
    "warehouse.name_invalid": {"min": 2, "max": 64},
    "warehouse.name_taken": {"name": "Berlin <hub>"},
    "warehouse.domestic_outside_home": {"home": "CN", "country": "DE"},
    "warehouse.overseas_in_home": {"home": "CN"},
    "warehouse.country_embargoed": {"country": "SY"},
    "registration.country_embargoed": {"country": "KP"},
    "warehouse.street_invalid": {"min": 3, "max": 200},
    "warehouse.city_invalid": {"min": 2, "max": 80},
    "warehouse.region_invalid": {"min": 2, "max": 80},
    "warehouse.postcode_invalid": {"example": "10117"},
    "warehouse.contact_invalid": {"min": 2, "max": 100},
    "warehouse.phone_invalid": {"country": "DE"},
    "warehouse.capabilities_required": {},
    "warehouse.document_type": {"file_name": "<setup>.exe"},
    "warehouse.document_too_large": {"max_mb": 20},
    "warehouse.document_checking": {"file_name": "<licence>.pdf"},
    "warehouse.document_not_type": {"file_name": "<setup>.pdf", "claimed": "PDF"},
    "warehouse.document_damaged": {"file_name": "<scan>.jpg"},
    "warehouse.document_too_many_pixels": {"file_name": "<bomb>.png", "max_megapixels": 50},
    "warehouse.document_active_content": {"file_name": "<macro>.pdf"},
    "warehouse.too_many_documents": {"max": 10},
    "warehouse.documents_missing": {"missing": ["premises"]},
    "warehouse.no_new_documents": {},
    "warehouse.choose_document_kind": {},
    "warehouse.seller_required": {},
    "warehouse.not_found": {},
    "warehouse.transition_refused": {"current": "verified", "wanted": "rejected"},
    "warehouse.not_editable": {"current": "rejected"},
    "warehouse.documents_not_requested": {},
    "warehouse.reason_required": {},
    "warehouse.reason_too_long": {"length": 3990, "max": 1000},
    "numbers.not_a_number": {"value": "<script>"},
    "numbers.not_a_whole_number": {"value": "<script>"},
    "numbers.ambiguous_separator": {"value": "1,234"},
    "numbers.too_many_decimals": {"currency": "EUR", "decimals": 2},
    "warehouse.archive_blocked": {"reasons": ["warehouse.used_by_open_orders"]},
}


def _merge_feature_samples() -> None:
    """Each feature keeps its samples in its own module, next to this one."""
    from tests.template_samples_orders import ORDER_SAMPLES
    from tests.template_samples_returns import RETURN_SAMPLES
    from tests.template_samples_shipping import SHIPPING_SAMPLES
    from tests.template_samples_tracking import TRACKING_SAMPLES

    SAMPLES.update(ORDER_SAMPLES)
    SAMPLES.update(RETURN_SAMPLES)
    SAMPLES.update(SHIPPING_SAMPLES)
    SAMPLES.update(TRACKING_SAMPLES)


_merge_feature_samples()
