"""Countries under comprehensive embargo (domain.embargo): refused as an order's ship-to
country however it is written, as a warehouse's country, as where a sent rate card's lane starts
or ends, and by the compliance check of a shipping document; served countries are unaffected."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pycountry
import pytest

from domain import embargo
from domain.drafts import OrderDraft, WarehouseDraft
from domain.errors import InvalidInput
from domain.logistics import load_rate_card, parse_rate_card_csv, parse_rate_card_json
from domain.model import WarehouseKind
from domain.services import warehouses
from domain.services.orders import cleaning, intake
from tests.unit.test_compliance import clean, rules
from tests.unit.test_rate_cards import card, refused

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_the_embargoed_countries_are_real_iso_codes() -> None:
    assert {"KP", "IR", "SY", "CU"} <= embargo.EMBARGOED_COUNTRIES
    assert all(pycountry.countries.get(alpha_2=code) for code in embargo.EMBARGOED_COUNTRIES)


def test_served_keeps_the_order_and_drops_only_embargoed_countries() -> None:
    assert embargo.served(["KR", "KP", "us", "ir", "FR"]) == ["KR", "us", "FR"]
    assert embargo.is_embargoed("kp") and not embargo.is_embargoed("KR")


# ----- where an order ships -----


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("KP", "KP"),
        ("prk", "KP"),
        ("North Korea", "KP"),
        ("Corée du Nord", "KP"),
        ("Iran", "IR"),
        ("Иран", "IR"),
        ("SYR", "SY"),
        ("cuba", "CU"),
    ],
)
def test_an_embargoed_ship_to_country_is_refused_naming_it(raw: str, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        cleaning.clean_ship_to_country(raw)
    assert (raised.value.key, raised.value.params) == (
        "orders.country_embargoed",
        {"country": code},
    )


def test_served_countries_still_pass() -> None:
    assert cleaning.clean_ship_to_country("South Korea") == "KR"
    assert cleaning.clean_ship_to_country("DE") == "DE"


def test_the_order_draft_and_intake_refuse_it() -> None:
    with pytest.raises(InvalidInput) as raised:
        OrderDraft(seller_id=1).with_country("North Korea")
    assert raised.value.key == "orders.country_embargoed"
    command = intake.NewOrder(
        1, "A1", "CU", None, "USD", "2026-12-01", [intake.NewOrderLine("Case", 1, "3")]
    )
    with pytest.raises(InvalidInput) as raised:
        intake.build_order(command, NOW)
    assert raised.value.params == {"country": "CU"}


# ----- where a warehouse is -----


@pytest.mark.parametrize(
    ("kind", "home"), [(WarehouseKind.OVERSEAS, "CN"), (WarehouseKind.DOMESTIC, "IR")]
)
def test_no_warehouse_is_declared_in_an_embargoed_country(kind: WarehouseKind, home: str) -> None:
    """Before the home country rule: a seller based in Iran is told why, not "go overseas"."""
    with pytest.raises(InvalidInput) as raised:
        warehouses.check_country(kind, "ir", home)
    assert (raised.value.key, raised.value.params) == (
        "warehouse.country_embargoed",
        {"country": "IR"},
    )
    draft = WarehouseDraft(home_country=home, kind=kind)
    with pytest.raises(InvalidInput):
        draft.with_country("IR")


# ----- rate cards -----


def _lane_to(to: Any, origin: Any = "CN") -> dict[str, Any]:
    return {"from": origin, "to": to, "land": {"per_kg": "3", "transit_days": [15, 20]}}


def test_a_sent_card_may_not_name_an_embargoed_lane_end() -> None:
    data = card(lanes=[_lane_to("FR"), _lane_to(["DE", "IR"]), _lane_to("DE", origin="sy")])
    error = refused(lambda: parse_rate_card_json(json.dumps(data)))
    assert [(p["problem"], p["path"], p["country"]) for p in error.params["problems"]] == [
        ("country_embargoed", "lanes[1].to[1]", "IR"),
        ("country_embargoed", "lanes[2].from", "SY"),
    ]


def test_a_zone_listing_an_embargoed_country_is_geography_and_is_accepted() -> None:
    data = card(zones={"asia": ["KR", "KP", "JP"], "world": ["*"]}, lanes=[_lane_to("asia")])
    assert parse_rate_card_json(json.dumps(data)).zones["asia"] == {"KR", "KP", "JP"}


def test_a_card_stored_before_the_rule_is_still_read() -> None:
    stored = card(lanes=[_lane_to("FR"), _lane_to("KP")])
    assert len(load_rate_card(stored).lanes) == 2


def test_a_csv_card_points_at_the_line_of_each_embargoed_lane() -> None:
    text = (
        "from,to,method,currency,per_kg,transit_min,transit_max\n"
        "CN,DE,land,EUR,3,15,20\n"
        "CN,CU,land,EUR,3,15,20\n"
        "KP,DE,express,EUR,9,3,6\n"
    )
    error = refused(lambda: parse_rate_card_csv(text))
    assert [(p["line"], p["path"], p["country"]) for p in error.params["problems"]] == [
        (3, "to", "CU"),
        (4, "from", "KP"),
    ]


# ----- the shipping document of an order or warehouse entered before the rule -----


def test_a_shipment_to_or_from_an_embargoed_country_is_blocked() -> None:
    assert "country_embargoed" not in rules(clean(origin_country="DE", destination_country="DE"))
    for origin, destination in (("CN", "IR"), ("SY", "FR")):
        check = clean(origin_country=origin, destination_country=destination)
        assert rules(check) == ["country_embargoed"]
