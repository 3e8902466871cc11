"""The printed shipping document reads in every script a seller or a buyer writes: a Russian
store, warehouse and product print in Cyrillic, a Chinese one in Chinese, Polish and Vietnamese
letters in any document, each character in a font that draws it; numbers, weights and sizes are
written the locale's way; and no label breaks inside a word, in any of the six languages."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from reportlab.lib.units import mm

from domain.locales import SUPPORTED_LOCALES
from templates import Renderer
from templates.labels import LABELS
from templates.pdf import column_widths, widest_word
from templates.shipping_document import (
    DocumentLine,
    ShippingDocumentView,
    render_shipping_document,
)
from tests.pdf_fonts import pdf_text, runs_not_drawn

VIEW = ShippingDocumentView(
    store_name="Story Store",
    order_number="AE-1001",
    ship_to_country="DE",
    ship_to_postcode="10115",
    currency="EUR",
    lines=[DocumentLine("Phone case", "PC-1", 1200, Decimal("1234.50"))],
    declared_value=Decimal("30.00"),
    method="Land transport",
    carrier="DHL",
    tracking_number="RB123456785GB",
    warehouse_name="Main",
    warehouse_address="1 Main St, Shenzhen, 518000, China",
    weight_kg=Decimal("0.800"),
    dimensions_cm=(Decimal("20.0"), Decimal("15.0"), Decimal("10.0")),
    chargeable_weight_kg=Decimal("2.50"),
    estimated_cost=Decimal("12.50"),
    cost_currency="USD",
    partial=True,
    issued_at=datetime(2026, 12, 4, 10, 0, tzinfo=UTC),
)
RUSSIAN = dataclasses.replace(
    VIEW,
    store_name="Лавка Мэй",
    lines=[DocumentLine("Кружка керамическая", "КР-1", 1200, Decimal("1234.50"))],
    method="Наземная доставка",
    carrier="Почта Польши",
    warehouse_name="Варшава",
    warehouse_address="ул. Простая 1, Варшава, 00-001, Польша",
)
CHINESE = dataclasses.replace(
    VIEW,
    store_name="梅的小店",
    lines=[DocumentLine("陶瓷马克杯", "杯-1", 1200, Decimal("1234.50"))],
    method="陆运",
    carrier="中国邮政",
    warehouse_name="河内仓",
    warehouse_address="河内市还剑区１号，１００００，越南",
)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.mark.parametrize(
    ("view", "locale", "words", "numbers"),
    [
        (
            RUSSIAN,
            "ru",
            ["Отгрузочный документ", "Лавка Мэй", "Кружка керамическая", "КР-1", "Почта Польши"],
            ["0,8 кг · 20×15×10 см", "2,5 кг", "1 200", "1 234,50 €", "12,50 $", "Германия"],
        ),
        (
            CHINESE,
            "zh_Hans",
            ["发货单", "梅的小店", "陶瓷马克杯", "杯-1", "中国邮政", "河内仓"],
            ["0.8 kg · 20×15×10 cm", "2.5 kg", "1,200", "€1,234.50", "US$12.50", "德国"],
        ),
    ],
)
def test_a_document_prints_every_word_in_its_script_and_numbers_the_locales_way(
    renderer: Renderer,
    view: ShippingDocumentView,
    locale: str,
    words: list[str],
    numbers: list[str],
) -> None:
    pdf = render_shipping_document(view, renderer, locale)
    assert runs_not_drawn(pdf) == []
    text = pdf_text(pdf)
    for expected in [*words, *numbers, view.warehouse_address]:
        assert expected in text.replace("\n", " "), (expected, text)
    assert "0.800" not in text and "20.0" not in text and "\ufffd" not in text


def test_any_script_prints_and_what_no_font_has_is_shown_missing(renderer: Renderer) -> None:
    """Polish, Vietnamese and Greek letters and a Chinese carrier in an English document; emoji
    in a store name are left out; a script neither font has (Bengali) prints as "�", never as a
    gap."""
    view = dataclasses.replace(
        VIEW,
        store_name="🏪🛒 Łódź Ελλάς 🐉",
        carrier="顺丰速运",
        warehouse_address="Phố Hàng Bạc ố, Hà Nội ১২",
    )
    pdf = render_shipping_document(view, renderer, "en")
    assert runs_not_drawn(pdf) == []
    text = pdf_text(pdf).replace("\n", " ")
    assert "Łódź Ελλάς" in text and "顺丰速运" in text and "Phố Hàng Bạc ố, Hà Nội" in text
    assert "🏪" not in text and "🐉" not in text
    assert "Hà Nội \ufffd\ufffd" in text


def test_sea_freight_bills_w_m_in_the_locales_numbers(renderer: Renderer) -> None:
    view = dataclasses.replace(RUSSIAN, chargeable_weight_kg=Decimal("2500"), chargeable_in_wm=True)
    text = pdf_text(render_shipping_document(view, renderer, "ru"))
    assert "2,5 W/M" in text and "2500" not in text


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_label_breaks_inside_a_word(renderer: Renderer, locale: str) -> None:
    """Each word of every label prints whole on one line (a label may wrap between words)."""
    text = pdf_text(render_shipping_document(RUSSIAN, renderer, locale))
    keys = [key for key, source in LABELS.items() if key.startswith("pdf.") and "{" not in source]
    for key in keys:
        for word in renderer.label(key, locale).split():
            assert word in text, (locale, key, word, text)


def test_a_column_is_widened_to_its_widest_word() -> None:
    """ "Оплачиваемый" does not fit the 20 mm meant for "Qty": the column widens, and the one that
    grows gives up the difference."""
    widths = column_widths(170 * mm, [0, 20 * mm], [["Товар"], ["Оплачиваемый вес"]], 10, grow=0)
    assert widths[1] >= widest_word("Оплачиваемый", 10) + 12 > 20 * mm
    assert sum(widths) == pytest.approx(170 * mm)
    assert widest_word("1 234,50 €", 10) > widest_word("1", 10)  # no-break spaces hold
