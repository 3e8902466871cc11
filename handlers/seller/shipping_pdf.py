"""The printable shipping document of a confirmed shipment: its view and its file name."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal

from domain.logistics import method_name_key
from domain.model import Warehouse
from domain.services.shipping import confirming
from handlers.responder import Responder
from templates.shipping_document import DocumentLine, ShippingDocumentView, render_shipping_document

_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


async def shipping_document(
    confirmation: confirming.Confirmation, responder: Responder
) -> tuple[str, bytes]:
    """The PDF, in the seller's language, and a file name safe on every system. It is laid
    out off the event loop (a tenth of a second of CPU would stall every other chat)."""
    order = confirmation.review.order
    view = _document_view(confirmation, responder)
    pdf = await asyncio.to_thread(
        render_shipping_document, view, responder.renderer, responder.locale
    )
    return f"shipping-{_FILENAME_UNSAFE.sub('_', order.number)[:40]}.pdf", pdf


def _warehouse_address(warehouse: Warehouse, responder: Responder) -> str:
    parts = [warehouse.street, warehouse.city, warehouse.region, warehouse.postcode]
    country = responder.renderer.country_name(warehouse.country, responder.locale)
    return ", ".join([p for p in parts if p] + [country])


def _document_view(
    confirmation: confirming.Confirmation, responder: Responder
) -> ShippingDocumentView:
    review, shipment = confirmation.review, confirmation.shipment
    order = review.order
    shipped = {entry["line_id"]: entry["quantity"] for entry in shipment.lines_shipped}
    return ShippingDocumentView(
        store_name=review.seller.store_name,
        order_number=order.number,
        ship_to_country=order.ship_to_country,
        ship_to_postcode=order.ship_to_postcode or "",
        currency=shipment.declared_currency,
        lines=[
            DocumentLine(
                product_name=line.product_name,
                sku=line.sku or "",
                quantity=shipped[line.id],
                unit_price=line.unit_price,
            )
            for line in order.lines
            if line.id in shipped
        ],
        declared_value=shipment.declared_value,
        method=responder.label(
            method_name_key(shipment.method, review.warehouse.country, order.ship_to_country)
        ),
        carrier=shipment.carrier or "",
        tracking_number=shipment.tracking_number or "",
        warehouse_name=review.warehouse.name,
        warehouse_address=_warehouse_address(review.warehouse, responder),
        weight_kg=shipment.weight_kg,
        dimensions_cm=(shipment.length_cm, shipment.width_cm, shipment.height_cm),
        chargeable_weight_kg=shipment.chargeable_weight_kg or shipment.weight_kg,
        chargeable_in_wm=shipment.method == "sea",
        estimated_cost=shipment.estimated_cost or Decimal(0),
        cost_currency=shipment.cost_currency or shipment.declared_currency,
        partial=shipment.is_partial,
        issued_at=shipment.confirmed_at or review.order.created_at,
    )
