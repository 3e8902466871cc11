"""Counts take the grammatical form their number needs, numbers the locale's grouping, and
percentages no needless decimals, in every supported locale.

English and Spanish have two forms (1 / other), French and Brazilian Portuguese treat 0 like
1, Russian has three (1, 21 / 2-4, 22-24 / 0, 5-20, 25...), Chinese one.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.locales import SUPPORTED_LOCALES
from templates import Renderer

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def _costs(renderer: Renderer, locale: str, shipments: int) -> str:
    row = {
        "method": "Sea",
        "shipments": shipments,
        "spent": Decimal("12.5"),
        "currency": "USD",
        "budget": None,
        "over": 0,
        "unchecked": 0,
    }
    text = renderer.render(
        "logistics.costs",
        locale,
        month="2026-11-01T00:00:00+00:00",
        first_day="2026-11-01",
        last_day="2026-11-25",
        current=True,
        method=None,
        rows=[row],
        totals=[],
        policy_set=True,
    )
    lines = text.splitlines()
    return lines[lines.index("<b>Sea</b>") + 1]  # the line under the method's name


SHIPMENTS = {
    "en": {1: "1 shipment", 2: "2 shipments", 21: "21 shipments", 0: "0 shipments"},
    "es": {1: "1 envío", 2: "2 envíos", 21: "21 envíos", 0: "0 envíos"},
    "fr": {1: "1 envoi", 2: "2 envois", 21: "21 envois", 0: "0 envoi"},
    "pt_BR": {1: "1 envio", 2: "2 envios", 21: "21 envios", 0: "0 envio"},
    "ru": {
        1: "1 отправка",
        2: "2 отправки",
        5: "5 отправок",
        11: "11 отправок",
        21: "21 отправка",
        22: "22 отправки",
        0: "0 отправок",
    },
    "zh_Hans": {1: "1 票发货", 2: "2 票发货"},
}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_shipment_counts_take_the_plural_form_of_their_number(
    renderer: Renderer, locale: str
) -> None:
    for count, expected in SHIPMENTS[locale].items():
        assert _costs(renderer, locale, count) == f"▫️ {expected}", (locale, count)


def test_russian_days_of_transit_follow_the_last_number(renderer: Renderer) -> None:
    def days(high: int) -> str:
        option = {
            "name": "Sea",
            "cheapest": False,
            "fastest": False,
            "unit": "kg",
            "below_minimum": False,
            "far_below_minimum": False,
            "chargeable": "2",
            "units": "1",
            "cost": Decimal("10"),
            "currency": "USD",
            "transit_min": 1,
            "transit_max": high,
            "allowed": True,
            "reasons": [],
            "budget": "none",
            "budget_mode": "warn",
            "budget_limit": None,
            "budget_currency": None,
            "missing_rate": None,
        }
        text = renderer.render(
            "shipping.comparison",
            "ru",
            origin="DE",
            destination="FR",
            warehouse="Hamburg",
            lane={"from_kind": "zone", "from_name": "eu", "to_kind": "zone", "to_name": "eu"},
            weight="2",
            length="10",
            width="10",
            height="10",
            example_rates=False,
            card_label="x",
            options=[option],
            policy_set=True,
            all_blocked=False,
        )
        return next(line for line in text.splitlines() if "Оценка стоимости" in line)

    assert days(1).endswith("1–1 день")
    assert days(3).endswith("1–3 дня")
    assert days(5).endswith("1–5 дней")
    assert days(21).endswith("1–21 день")
    assert days(45).endswith("1–45 дней")


@pytest.mark.parametrize(
    ("locale", "one", "many"),
    [
        ("en", "1 open order", "5 open orders"),
        ("es", "1 pedido abierto", "5 pedidos abiertos"),
        ("fr", "1 commande en cours", "5 commandes en cours"),
        ("pt_BR", "1 pedido em aberto", "5 pedidos em aberto"),
        ("ru", "1 открытый заказ", "5 открытых заказов"),
        ("zh_Hans", "1 个未完成订单", "5 个未完成订单"),
    ],
)
def test_counted_labels_take_the_plural_form(
    renderer: Renderer, locale: str, one: str, many: str
) -> None:
    assert renderer.label("erasure.open_orders", locale, count=1) == one
    assert renderer.label("erasure.open_orders", locale, count=5) == many


GROUPED = {
    "en": "50,000",
    "es": "50.000",
    "fr": f"50{NNBSP}000",
    "pt_BR": "50.000",
    "ru": f"50{NBSP}000",
    "zh_Hans": "50,000",
}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_numbers_use_the_locales_grouping(renderer: Renderer, locale: str) -> None:
    text = renderer.render("import.too_many_rows", locale, max=50_000)
    assert GROUPED[locale] in text
    assert "50000" not in text
    quantity = renderer.render("orders.ask_quantity", locale, max=100_000)
    assert GROUPED[locale].replace("5", "10", 1) in quantity


def test_measures_keep_only_the_decimals_they_have(renderer: Renderer) -> None:
    assert renderer.number(Decimal("12.50"), "en") == "12.5"
    assert renderer.number("12.5", "ru") == "12,5"
    assert renderer.number(Decimal("7.2"), "fr") == "7,2"
    assert renderer.number(Decimal("0.000123"), "en") == "0.000123"  # an exchange rate
    assert renderer.number("—", "en") == "—"


PERCENT = {
    "en": "20%",
    "es": f"20{NBSP}%",
    "fr": f"20{NBSP}%",
    "pt_BR": "20%",
    "ru": f"20{NBSP}%",
    "zh_Hans": "20%",
}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_percentages_carry_no_needless_decimals(renderer: Renderer, locale: str) -> None:
    # As compliance stores the declared-value tolerance: "20.00".
    text = renderer.render(
        "compliance.declared_value_mismatch",
        locale,
        declared="100.00 USD",
        order_value="1234.50 USD",
        tolerance_percent="20.00",
    )
    assert PERCENT[locale] in text
    assert "20.00" not in text and "20,00" not in text
    assert renderer.percent(Decimal("12.5"), locale).startswith(("12.5", "12,5"))


def test_amounts_kept_as_text_are_shown_as_money(renderer: Renderer) -> None:
    assert renderer.money_text("1234.50 USD", "en") == "$1,234.50"
    assert renderer.money_text("1234.50 EUR", "fr") == f"1{NNBSP}234,50{NBSP}€"
    assert renderer.money_text("not money", "en") == "not money"
