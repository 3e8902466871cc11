"""The printable shipping document (PDF): order, lines, declared value, method, carrier,
warehouse address, and the tracking number as a Code128 barcode.

Labels come from the gettext catalogs like every other text, so the document is printed in
the seller's language; Chinese text uses the PDF reader's built-in CJK font (no font files).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from templates.pdf import CJK_FONT, LATIN_FONT, a4_pdf
from templates.renderer import Renderer


@dataclass(frozen=True)
class DocumentLine:
    product_name: str
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class ShippingDocumentView:
    """Everything printed on the document, already decided by the domain."""

    store_name: str
    order_number: str
    ship_to_country: str
    ship_to_postcode: str
    currency: str
    lines: Sequence[DocumentLine]
    declared_value: Decimal
    method: str
    carrier: str
    tracking_number: str
    warehouse_name: str
    warehouse_address: str
    weight_kg: Decimal
    dimensions_cm: tuple[Decimal, Decimal, Decimal]
    chargeable_weight_kg: Decimal
    estimated_cost: Decimal
    cost_currency: str
    partial: bool
    issued_at: datetime
    # Sea freight bills W/M (revenue tons), not kg: 1 W/M is the kg-equivalent / 1000.
    chargeable_in_wm: bool = False


def _chargeable(view: ShippingDocumentView) -> str:
    if view.chargeable_in_wm:
        return f"{format((view.chargeable_weight_kg / 1000).normalize(), 'f')} W/M"
    return f"{view.chargeable_weight_kg} kg"


def _needs_cjk(text: str) -> bool:
    return any(ord(ch) > 0x2E80 for ch in text)


def render_shipping_document(view: ShippingDocumentView, renderer: Renderer, locale: str) -> bytes:
    """The document as PDF bytes, labelled in `locale`."""

    def label(key: str) -> str:
        return renderer.label(f"pdf.{key}", locale)

    everything = " ".join(
        [view.store_name, view.warehouse_address, view.warehouse_name]
        + [line.product_name for line in view.lines]
        + [label(k) for k in ("title", "order", "lines")]
    )
    font = CJK_FONT if _needs_cjk(everything) else LATIN_FONT
    text = ParagraphStyle("text", fontName=font, fontSize=10, leading=13)
    title = ParagraphStyle("title", parent=text, fontSize=16, leading=20, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=text, fontSize=11, leading=14, spaceBefore=8)

    def p(value: str, style: ParagraphStyle = text) -> Paragraph:
        return Paragraph(escape(value), style)

    def money(amount: Decimal, currency: str) -> str:
        return renderer.money(amount, currency, locale)

    length, width, height = view.dimensions_cm
    facts = [
        (label("order"), view.order_number),
        (label("store"), view.store_name),
        (
            label("ship_to"),
            f"{renderer.country_name(view.ship_to_country, locale)} {view.ship_to_postcode}",
        ),
        (label("issued"), renderer.datetime(view.issued_at, locale)),
        (label("declared_value"), money(view.declared_value, view.currency)),
        (label("method"), view.method),
        (label("carrier"), view.carrier),
        (label("tracking"), view.tracking_number),
        (label("weight"), f"{view.weight_kg} kg · {length}×{width}×{height} cm"),
        (label("chargeable"), _chargeable(view)),
        (label("cost"), money(view.estimated_cost, view.cost_currency)),
        (label("warehouse"), f"{view.warehouse_name}, {view.warehouse_address}"),
    ]
    if view.partial:
        facts.append((label("partial"), "✓"))
    facts_table = Table([[p(k), p(v)] for k, v in facts], colWidths=[45 * mm, 125 * mm])
    facts_table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)])
    )
    rows = [[p(label("product")), p(label("sku")), p(label("quantity")), p(label("unit_price"))]]
    rows += [
        [
            p(line.product_name),
            p(line.sku),
            p(str(line.quantity)),
            p(money(line.unit_price, view.currency)),
        ]
        for line in view.lines
    ]
    lines_table = Table(rows, colWidths=[80 * mm, 40 * mm, 20 * mm, 30 * mm], repeatRows=1)
    lines_table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    barcode = Code128(
        view.tracking_number, barHeight=18 * mm, barWidth=0.38 * mm, humanReadable=True
    )

    return a4_pdf(
        [
            p(label("title"), title),
            facts_table,
            p(label("lines"), heading),
            lines_table,
            Spacer(1, 8 * mm),
            p(label("tracking"), heading),
            barcode,
        ],
        title=f"{label('title')} {view.order_number}",
        margins_mm=(20, 18),
    )
