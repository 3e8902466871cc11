"""The printable shipping document (PDF): order, lines, declared value, method, carrier,
warehouse address, and the tracking number as a Code128 barcode.

Labels come from the gettext catalogs like every other text, and numbers, amounts, weights and
sizes are written the locale's way (Babel, as in the chat), so the document is printed in the
seller's language. Fonts: `templates.pdf` (every script the locales and users write is drawn).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from templates.pdf import a4_pdf, column_widths, paragraph, text_style
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


def render_shipping_document(view: ShippingDocumentView, renderer: Renderer, locale: str) -> bytes:
    """The document as PDF bytes, labelled in `locale`."""

    def label(key: str, **params: object) -> str:
        return renderer.label(f"pdf.{key}", locale, **params)

    def number(value: Decimal | int) -> str:
        return renderer.number(value, locale)

    text = text_style("text", 10, 13)
    title = ParagraphStyle("title", parent=text, fontSize=16, leading=20, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=text, fontSize=11, leading=14, spaceBefore=8)

    def p(value: str, style: ParagraphStyle = text) -> Paragraph:
        return paragraph(value, style)

    def money(amount: Decimal, currency: str) -> str:
        return renderer.money(amount, currency, locale)

    length, width, height = view.dimensions_cm
    if view.chargeable_in_wm:
        chargeable = f"{number(view.chargeable_weight_kg / 1000)} W/M"
    else:
        chargeable = label("weight_kg", weight=number(view.chargeable_weight_kg))
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
        (
            label("weight"),
            label(
                "parcel",
                weight=number(view.weight_kg),
                length=number(length),
                width=number(width),
                height=number(height),
            ),
        ),
        (label("chargeable"), chargeable),
        (label("cost"), money(view.estimated_cost, view.cost_currency)),
        (label("warehouse"), f"{view.warehouse_name}, {view.warehouse_address}"),
    ]
    if view.partial:
        facts.append((label("partial"), "✓"))
    labels = [k for k, _ in facts]
    facts_table = Table(
        [[p(k), p(v)] for k, v in facts],
        colWidths=column_widths(170 * mm, [45 * mm, 0], [labels, []], 10, grow=1),
    )
    facts_table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)])
    )
    header = [label(k) for k in ("product", "sku", "quantity", "unit_price")]
    cells = [
        [line.product_name, line.sku, number(line.quantity), money(line.unit_price, view.currency)]
        for line in view.lines
    ]
    # Headers and numbers never break inside a word; names and SKUs wrap as they must.
    unbroken = [[header[0]], [header[1]], [header[2], *(c[2] for c in cells)]]
    unbroken.append([header[3], *(c[3] for c in cells)])
    widths = column_widths(170 * mm, [0, 40 * mm, 20 * mm, 30 * mm], unbroken, 10, grow=0)
    rows = [[p(value) for value in row] for row in [header, *cells]]
    lines_table = Table(rows, colWidths=widths, repeatRows=1)
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
