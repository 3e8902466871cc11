"""Template samples of the orders features (see tests/template_samples.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.model import Order, OrderLine, OrderSource, OrderStatus
from domain.services.orders import intake

_NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ORDER = Order(
    id=42,
    seller_id=1,
    number="8123<45>",
    ship_to_country="FR",
    ship_to_postcode="75001",
    currency="EUR",
    total=Decimal("37.00"),
    ship_by=datetime(2026, 11, 27, 23, 59, 59, tzinfo=UTC),
    status=OrderStatus.CANCELLED,
    source=OrderSource.CONVERSATION,
    created_at=_NOW,
    cancel_reason="Buyer <asked>",
    lines=[
        OrderLine(
            position=1,
            product_name="Phone <case>",
            sku="PC-1",
            quantity=2,
            unit_price=Decimal("12.50"),
        ),
        OrderLine(
            position=2, product_name="Cable & plug", sku=None, quantity=1, unit_price=Decimal("12")
        ),
    ],
)
OPEN_ORDER = Order(
    id=43,
    seller_id=1,
    number="8123-46",
    ship_to_country="US",
    ship_to_postcode=None,
    currency="USD",
    total=Decimal("5.00"),
    ship_by=datetime(2026, 11, 26, 8, 0, tzinfo=UTC),
    status=OrderStatus.AWAITING_CONFIRMATION,
    source=OrderSource.IMPORT,
    created_at=_NOW,
    lines=[
        OrderLine(position=1, product_name="Pin", sku=None, quantity=5, unit_price=Decimal("1"))
    ],
)
_REMINDER = {
    "order_id": 42,
    "order_number": "8123<45>",
    "ship_by": "2026-11-27T23:59:59+00:00",
    "status": "confirmed",
}

ORDER_SAMPLES: dict[str, dict[str, Any]] = {
    # conversation
    "orders.new_order_intro": {},
    "orders.ask_number": {},
    "orders.ask_country": {},
    "orders.ask_postcode": {"country": "FR"},
    "orders.ask_currency": {},
    "orders.ask_product_name": {"line_number": 2},
    "orders.ask_sku": {},
    "orders.ask_quantity": {"max": 100000},
    "orders.ask_unit_price": {"currency": "EUR"},
    "orders.lines_so_far": {
        "lines": [
            intake.NewOrderLine(
                product_name="Phone <case>", sku="<b>", quantity=2, unit_price="12.50"
            ),
            intake.NewOrderLine(product_name="Cable", sku=None, quantity=1, unit_price="3"),
        ],
        "currency": "EUR",
    },
    "orders.ask_ship_by": {},
    "orders.summary": {"order": ORDER, "deadline_passed": True},
    "orders.created": {"number": "8123<45>", "ship_by": ORDER.ship_by},
    # list, card, confirmation, cancellation
    "orders.list": {
        "filter": "awaiting",
        "filter_name": "To <confirm>",
        "total": 12,
        "page": 1,
        "pages": 2,
    },
    "orders.card": {"order": ORDER, "minutes_left": -200},
    "orders.confirmed": {"number": "8123<45>", "ship_by": ORDER.ship_by, "minutes_left": 2000},
    "orders.ask_cancel_reason": {"number": "8123<45>"},
    "orders.cancelled": {"number": "8123<45>", "reason": "Buyer <asked>"},
    # a lost or returned parcel: ship again, or cancel and refund
    "orders.shipping_again": {"number": "8123<45>", "buyer_told": True},
    "orders.ask_refund_reason": {"number": "8123<45>"},
    "orders.confirm_refund": {"number": "8123<45>", "reason": "Parcel <lost>"},
    "orders.cancelled_refunded": {
        "number": "8123<45>",
        "reason": "Parcel <lost>",
        "buyer_told": True,
    },
    "orders.buyer_shipping_again": {
        "order_id": 42,
        "order_number": "8123<45>",
        "store_name": "Shop <1>",
    },
    "orders.buyer_cancelled_refunded": {
        "order_id": 42,
        "order_number": "8123<45>",
        "store_name": "Shop <1>",
        "reason": "Parcel <lost>",
    },
    "orders.parcel_not_undeliverable": {"status": "delivered"},
    # reminders
    "orders.reminder_24h": _REMINDER,
    "orders.reminder_4h": _REMINDER,
    "orders.overdue": _REMINDER,
    "orders.reminder_summary": {
        "kind": "overdue",
        "count": 50000,
        "numbers": ["BIG-1", "8123<45>", "BIG-3"],
        "ship_by": "2026-11-20T23:59:59+00:00",
    },
    # domain errors (params as the services raise them)
    "orders.number_invalid": {"max": 64},
    "orders.number_contact": {},
    "orders.country_invalid": {"value": "<Atlantis>"},
    "orders.country_embargoed": {"country": "KP"},
    "orders.postcode_invalid": {"country": "DE", "example": "10117"},
    "orders.currency_invalid": {"value": "<XX>"},
    "orders.product_name_invalid": {"min": 1, "max": 200},
    "orders.sku_invalid": {"min": 1, "max": 64},
    "orders.quantity_invalid": {"max": 100000},
    "orders.price_invalid": {"decimals": 2},
    "orders.price_too_large": {"max": 9999999999, "currency": "EUR"},
    "orders.line_price_unfit": {
        "product": "<script>",
        "price": "125.50",
        "currency": "JPY",
        "decimals": 0,
    },
    "orders.product_name_missing": {},
    "orders.ship_by_invalid": {},
    "orders.cancel_reason_invalid": {"min": 3, "max": 500},
    "orders.no_lines": {},
    "orders.too_many_lines": {"max": 100},
    "orders.ask_line_number": {"max": 3},
    "orders.line_number_invalid": {"max": 3},
    "orders.total_too_large": {},
    "orders.duplicate_number": {"number": "8123<45>"},
    "orders.not_found": {},
    "orders.transition_refused": {"current": "shipped", "wanted": "cancelled"},
    # import
    "import.help": {
        "required": ["order_number", "currency"],
        "optional": ["sku"],
        "max_mb": 20,
        "max_rows": 50000,
        "max_lines": 100,
        "max_open_orders": 10000,
    },
    "import.report": {
        "file_name": "orders <1>.xlsx",
        "imported": 47,
        "lines": 52,
        "rows_read": 55,
        "already_imported": 2,
        "skipped": [
            [4, "A<1>", "orders.quantity_invalid", {"max": 100000}],
            [9, None, "orders.number_invalid", {"max": 64}],
            [11, "B<2>", "orders.country_invalid", {"value": "<Atlantis>"}, [], 0],
            [
                12,
                "C<3>",
                "orders.currency_invalid",
                {"value": "<gold>"},
                [["orders.quantity_invalid", {"max": 100000}]],
                2,
            ],
        ],
        "skipped_total": 4,
        "not_shown": 1,
        "over_limit": 3,
        "max_open_orders": 10000,
    },
    "import.progress": {
        "stage": "saving",
        "file_name": "orders <1>.xlsx",
        "rows_read": 50000,
        "saved": 1200,
        "total": 41000,
    },
    "import.failed": {
        "file_name": "orders <1>.xlsx",
        "reason": "import.too_many_rows",
        "reason_params": {"max": 50000},
    },
    "import.interrupted": {"file_name": "orders <1>.xlsx", "imported": 1200},
    "import.already_running": {"file_name": "orders <1>.xlsx"},
    "import.xlsx_packing_unsupported": {},
    "import.xlsx_part_too_large": {"part": "xl/styles<1>.xml", "max_mb": 32},
    "import.xlsx_unpacked_too_large": {"max_mb": 256},
    "import.xlsx_too_many_strings": {"max": 500000},
    "import.xlsx_sheet_too_large": {
        "rows": 1048576,
        "columns": 16384,
        "max_rows": 50001,
        "max_columns": 256,
    },
    "files.time_limit": {"file_name": "orders <1>.xlsx", "seconds": 120},
    "files.memory_limit": {"file_name": "orders <1>.xlsx", "megabytes": 512},
    "files.unreadable": {"file_name": "rates <1>.json"},
    "files.download_failed": {"file_name": "orders <1>.xlsx"},
    "files.worker_busy": {"file_name": "orders <1>.xlsx"},
    "import.order_fields_differ": {"column": "currency", "first_row": 3},
    "import.duplicate_in_file": {"number": "A<1>", "first_row": 2},
    "import.order_has_bad_rows": {"rows": [4, 5]},
    "import.file_too_large": {"max_mb": 20},
    "import.file_empty": {},
    "import.format_unsupported": {"file_name": "orders <old>.xls"},
    "import.file_unreadable": {"file_name": "orders.xlsx"},
    "import.encoding_unsupported": {},
    "import.columns_missing": {"missing": ["currency", "ship_by"], "found": ["Order <No>", "数量"]},
    "import.columns_repeated": {"columns": ["quantity"]},
    "import.too_many_rows": {"max": 50000},
    "import.ship_by_past": {"ship_by": "2026-11-20"},
    "import.open_orders_full": {"max": 10000, "open": 10000},
    "import.rate_card_sent": {},
    "buyer_link.invalid": {},
}

# The open order's card shows the countdown instead of the cancellation.
OPEN_ORDER_CARD = {"order": OPEN_ORDER, "minutes_left": 1500}
