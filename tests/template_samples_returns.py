"""Sample parameters of the return case templates (merged into `tests.template_samples`)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

DEADLINE = {
    "case_id": 1042,
    "order_number": "8123<45>",
    "kind": "seller_first_answer",
    "recipient": "seller",
    "due_at": "2026-11-30T12:00:00+00:00",
}

_PAID = {"paid": "7.00", "currency": "EUR"}
_LIMITS = {"min": 3, "max": 1000}

_FRAME = {
    "header": True,
    "case": "R-1042",
    "product": "Mug <large> & co",
    "order_number": "8123<45>",
    "store_name": "Li's <Shop>",
    "recipient": "seller",
}

RETURN_SAMPLES: dict[str, dict[str, Any]] = {
    "returns._relay_header": _FRAME,
    "returns.topic_name": {"case": "R-1042"},
    "returns.thread": _FRAME,
    "returns.relayed": {
        **_FRAME,
        "recipient": "buyer",
        "text": "Call me <b>now</b> at [•••]",
        "kind": "photo",
        "masked": True,
        "edited": True,
    },
    "returns.relay_sent": {"case": "R-1042", "masked": True, "confirm": True},
    "returns.pick_case": {"holding": True},
    "returns.no_open_cases": {},
    "returns.case_chosen": {
        "case": "R-1042",
        "product": "Mug <large>",
        "order_number": "8123<45>",
        "recipient": "seller",
    },
    "returns.case_number_invalid": {},
    "returns.case_closed": {"case": "R-1042"},
    "returns.deadline_reminder": DEADLINE,
    "returns.deadline_lapsed": DEADLINE,
    "returns.new_case": {
        "case_id": 1042,
        "order_number": "8123<45>",
        "reason": "changed_mind",
        "wanted": "return_and_refund",
        "out_of_policy": ["window"],
        "answer_by": "2026-11-30T12:00:00+00:00",
    },
    "returns.list": {"filter_name": "Waiting <for> me", "total": 3, "page": 1, "pages": 1},
    "returns.card": {
        "case": "R-1042",
        "order_number": "8123<45>",
        "status": "negotiating",
        "reason": "damaged",
        "comment": "Box <crushed> & wet",
        "wanted": "refund_partial",
        "paid": Decimal("7.00"),
        "currency": "EUR",
        "items": [("Phone <case>", 2)],
        "evidence": 2,
        "out_of_policy": ["window", "category"],
        "offer_side": "buyer",
        "offer_resolution": "refund_partial",
        "offer_amount": Decimal("3.50"),
        "offer_respond_by": _NOW,
        "waiting_on": "seller",
        "timeline": [
            {"at": _NOW, "side": "buyer", "action": "opened"},
            {"at": _NOW, "side": None, "action": "offer_lapsed"},
        ],
    },
    # Domain errors (their params as the domain raises them).
    "returns.action_refused": {"action": "accept_offer", "status": "awaiting_return_shipment"},
    "returns.amount_above_paid": _PAID,
    "returns.amount_invalid": {"currency": "EUR"},
    "returns.amount_required": {"currency": "EUR"},
    "returns.case_not_found": {},
    "returns.category_name_invalid": {"min": 1, "max": 64},
    "returns.comment_invalid": _LIMITS,
    "returns.days_invalid": {"min": 1, "max": 30},
    "returns.decline_reason_invalid": _LIMITS,
    "returns.evidence_duplicate": {},
    "returns.evidence_invalid": {},
    "returns.evidence_limit": {"max": 10},
    "returns.evidence_required": {"reason": "damaged"},
    "returns.full_refund_is_all": _PAID,
    "returns.items_required": {},
    "returns.line_has_open_case": {"number": "8123<45>"},
    "returns.message_empty": {},
    "returns.message_too_long": {"max": 4000},
    "returns.no_amount_for_exchange": {},
    "returns.no_return_in_this_resolution": {},
    "returns.not_your_message": {},
    "returns.note_invalid": _LIMITS,
    "returns.order_not_found": {},
    "returns.order_not_returnable": {"status": "cancelled"},
    "returns.partial_below_paid": _PAID,
    "returns.quantity_invalid": {"max": 2},
    "returns.reference_invalid": {"min": 1, "max": 64},
    "returns.sku_prefix_invalid": {"max": 32},
    "returns.too_many_categories": {"max": 20},
    "returns.warehouse_invalid": {},
    "returns.warehouse_required": {},
    "returns.window_invalid": {"max": 365},
    "returns.video_too_long": {"max": 60},
    "returns.nothing_to_return": {"number": "8123<45>"},
    "returns.withdrawn_notice": {"case_id": 1042, "order_number": "8123<45>"},
    # The buyer's request (handlers/buyer/return_request.py) and withdrawal.
    "return_request.ask_items": {
        "order_number": "8123<45>",
        "lines": [
            {"name": "Phone <case>", "chosen": 1, "available": 2},
            {"name": "Cable & plug", "chosen": 0, "available": 0},
        ],
        "window_closed": True,
    },
    "return_request.ask_quantity": {"name": "Phone <case>", "max": 2},
    "return_request.ask_reason": {},
    "return_request.ask_comment": {},
    "return_request.ask_evidence": {"count": 2, "max": 10, "required": True},
    "return_request.evidence_received": {"count": 2, "max": 10},
    "return_request.evidence_reminder": {},
    "return_request.ask_resolution": _PAID,
    "return_request.ask_amount": _PAID,
    "return_request.summary": {
        "order_number": "8123<45>",
        "items": [("Phone <case>", 2)],
        "reason": "damaged",
        "comment": "Box <crushed> & wet",
        "evidence": 2,
        "resolution": "refund_partial",
        "amount": Decimal("3.50"),
        "paid": Decimal("7.00"),
        "currency": "EUR",
        "out_of_policy": ["window"],
    },
    "return_request.opened": {
        "case": "R-1042",
        "order_number": "8123<45>",
        "out_of_policy": ["window"],
        "answer_by": _NOW,
    },
    "return_request.no_orders": {},
    "return_request.choose_order": {},
    "return_request.confirm_withdraw": {"case": "R-1042", "product": "Phone <case>"},
    "return_request.withdrawn": {"case": "R-1042"},
    "return_request.kept": {},
}
