"""Rate cards: validation of a card's data, lanes that would tie, cards stored before lanes, and
every validation problem having its translated explanation, without I/O. The files a seller
sends (JSON, CSV, hostile ones) are in tests/unit/test_rate_card_files.py."""

from __future__ import annotations

import ast
import json
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.locales import SUPPORTED_LOCALES
from domain.logistics import (
    RateCard,
    ShippingMethod,
    example_rate_card,
    load_rate_card,
    rate_card_data,
)
from domain.logistics.parcels import Parcel
from handlers.seller.logistics_settings import card_params
from templates.renderer import MESSAGES_DIR, Renderer

D = Decimal
EXPRESS, SEA, LAND = ShippingMethod.EXPRESS, ShippingMethod.SEA, ShippingMethod.LAND
ROOT = Path(__file__).resolve().parents[2]
BOX = Parcel(D(12), D(60), D(40), D(40))


def card(**overrides: Any) -> dict[str, Any]:
    """A small valid card as parsed JSON; override top-level fields to break it."""
    data: dict[str, Any] = {
        "label": "Test rates",
        "currency": "USD",
        "zones": {"eu": ["DE", "FR"], "world": ["*"]},
        "lanes": [
            {
                "from": "CN",
                "to": "eu",
                "express": {
                    "per_kg": "10",
                    "minimum": "25",
                    "fixed_fee": "2",
                    "transit_days": [3, 6],
                    "max_side_cm": "120",
                    "max_weight_kg": "30",
                },
                "sea": {
                    "per_wm": "100",
                    "minimum": "50",
                    "fixed_fee": "40",
                    "transit_days": [30, 40],
                },
                "land": {"per_kg": "3", "transit_days": [15, 20]},
            },
            {"from": "CN", "to": "US", "express": {"per_kg": "12", "transit_days": [4, 7]}},
            {"from": "CN", "to": "world", "sea": {"per_wm": "150", "transit_days": [40, 60]}},
            {"from": "eu", "to": "eu", "land": {"per_kg": "0.6", "transit_days": [2, 5]}},
        ],
    }
    data.update(overrides)
    return data


def refused(action: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        action()
    assert caught.value.key == "rates.invalid", caught.value.params
    return caught.value


# --- the current shape -------------------------------------------------------------------------


def test_valid_card_loads() -> None:
    loaded = load_rate_card(card())
    assert isinstance(loaded, RateCard)
    assert loaded.example is False and loaded.label == "Test rates"
    assert loaded.zones == {"eu": frozenset({"DE", "FR"}), "world": frozenset({"*"})}
    assert loaded.rate_for("CN", "de", EXPRESS).max_side_cm == 120  # type: ignore[union-attr]
    assert loaded.rate_for("CN", "US", SEA) is None  # the CN -> US lane is express only
    assert loaded.rate_for("CN", "JP", SEA).price_per_unit == 150  # type: ignore[union-attr]
    assert loaded.rate_for("DE", "FR", LAND).price_per_unit == D("0.6")  # type: ignore[union-attr]
    assert loaded.lane_for("DE", "US") is None
    assert [o.name for o in loaded.origins] == ["CN", "eu"]


def test_lists_of_places_make_one_lane_each() -> None:
    data = card(
        lanes=[
            {
                "from": ["US", "CA"],
                "to": ["US", "CA"],
                "express": {"per_kg": "4", "transit_days": [1, 4]},
            }
        ]
    )
    loaded = load_rate_card(data)
    assert [(lane.origin.name, lane.destination.name) for lane in loaded.lanes] == [
        ("US", "US"),
        ("US", "CA"),
        ("CA", "US"),
        ("CA", "CA"),
    ]


def test_a_zone_name_wins_over_a_country_code_of_the_same_spelling() -> None:
    data = card(
        zones={"us": ["US", "CA"]},
        lanes=[{"from": "CN", "to": "us", "express": {"per_kg": "4", "transit_days": [1, 4]}}],
    )
    loaded = load_rate_card(data)
    assert loaded.lanes[0].destination.kind == "zone"
    assert loaded.lane_for("CN", "CA") is not None


def test_card_data_round_trips_and_pickles() -> None:
    for original in (load_rate_card(card()), example_rate_card()):
        assert load_rate_card(json.loads(json.dumps(rate_card_data(original)))) == original
        # A worker process parses the file and hands the card back.
        assert pickle.loads(pickle.dumps(original)) == original  # noqa: S301 (our own bytes)


def _broken(mutate: Any) -> InvalidInput:
    data = json.loads(json.dumps(card()))
    mutate(data)
    return refused(lambda: load_rate_card(data))


def _lane(index: int) -> Any:
    return lambda d: d["lanes"][index]


@pytest.mark.parametrize(
    ("mutate", "path", "problem"),
    [
        (lambda d: d.pop("currency"), "currency", "required"),
        (lambda d: d.update(currency="DOLLARS"), "currency", "currency_unknown"),
        (lambda d: d.update(currency=5), "currency", "currency_unknown"),
        (lambda d: d.update(surprise=1), "", "unknown_fields"),
        (lambda d: d.update(example="yes"), "example", "not_true_false"),
        (lambda d: d.update(label=["x"]), "label", "text_expected"),
        (lambda d: d.update(label="a\u202eb"), "label", "control_characters"),
        (lambda d: d.update(lanes=[]), "lanes", "no_lanes"),
        (lambda d: d.update(lanes={}), "lanes", "not_a_list"),
        (lambda d: d.pop("lanes"), "lanes", "no_lanes"),
        (lambda d: d.update(zones=[]), "zones", "not_an_object"),
        (lambda d: d["zones"].update(eu="DE"), "zones.eu", "not_a_list"),
        (lambda d: d["zones"].update(eu=[]), "zones.eu", "zone_empty"),
        (lambda d: d["zones"]["eu"].append("XX"), "zones.eu[2]", "country_code"),
        (lambda d: d["zones"]["eu"].append(7), "zones.eu[2]", "country_code"),
        (lambda d: d["zones"]["eu"].append("de"), "zones.eu[2]", "listed_twice"),
        (lambda d: d["zones"].update({"*": ["DE"]}), "zones.*", "zone_name"),
        (lambda d: d["zones"].update({"x" * 65: ["DE"]}), None, "zone_name"),
        (lambda d: d["zones"].update({"e\x00u": ["DE"]}), None, "control_characters"),
        (lambda d: d["lanes"].append(5), "lanes[4]", "not_an_object"),
        (lambda d: _lane(0)(d).pop("from"), "lanes[0]", "required"),
        (lambda d: _lane(0)(d).update({"from": "mars"}), "lanes[0].from", "place_unknown"),
        (lambda d: _lane(0)(d).update({"from": 5}), "lanes[0].from", "place_unknown"),
        (lambda d: _lane(0)(d).update({"to": []}), "lanes[0].to", "place_unknown"),
        (lambda d: _lane(0)(d).update({"to": [None]}), "lanes[0].to[0]", "place_unknown"),
        (lambda d: _lane(1)(d).pop("express"), "lanes[1]", "lane_no_methods"),
        (lambda d: _lane(1)(d).update(air={}), "lanes[1]", "unknown_fields"),
        (lambda d: _lane(1)(d).update(express=[]), "lanes[1].express", "not_an_object"),
        (lambda d: d["lanes"].append(_lane(1)(d)), "lanes[4]", "lane_listed_twice"),
        (lambda d: _lane(0)(d)["express"].pop("per_kg"), "lanes[0].express", "price_key_missing"),
        (lambda d: _lane(0)(d)["sea"].update(per_kg="1"), "lanes[0].sea", "price_key_wrong"),
        (
            lambda d: _lane(0)(d)["land"].update(per_kg="0"),
            "lanes[0].land.per_kg",
            "not_positive",
        ),
        (lambda d: _lane(0)(d)["land"].update(minimum="-1"), "lanes[0].land.minimum", "negative"),
        (
            lambda d: _lane(0)(d)["land"].update(fixed_fee="ten"),
            "lanes[0].land.fixed_fee",
            "not_a_number",
        ),
        (
            lambda d: _lane(0)(d)["land"].update(fixed_fee="NaN"),
            "lanes[0].land.fixed_fee",
            "not_a_number",
        ),
        (
            lambda d: _lane(0)(d)["land"].update(fixed_fee=True),
            "lanes[0].land.fixed_fee",
            "not_a_number",
        ),
        (
            lambda d: _lane(0)(d)["land"].update(fixed_fee={"a": 1}),
            "lanes[0].land.fixed_fee",
            "not_a_number",
        ),
        (
            lambda d: _lane(0)(d)["land"].update(per_kg="1e30"),
            "lanes[0].land.per_kg",
            "number_too_large",
        ),
        (
            lambda d: _lane(0)(d)["land"].update(per_kg="0.0000001"),
            "lanes[0].land.per_kg",
            "too_many_decimals",
        ),
        (
            lambda d: _lane(0)(d)["land"].update(per_kg="1" * 41),
            "lanes[0].land.per_kg",
            "number_too_long",
        ),
        (
            lambda d: _lane(0)(d)["land"].update(per_kg=10**50),
            "lanes[0].land.per_kg",
            "number_too_large",
        ),
        (
            lambda d: _lane(0)(d)["land"].update(transit_days=[9, 3]),
            "lanes[0].land.transit_days",
            "transit_order",
        ),
        (
            lambda d: _lane(0)(d)["land"].update(transit_days=[1, 10**40]),
            "lanes[0].land.transit_days",
            "transit_order",
        ),
        (
            lambda d: _lane(0)(d)["land"].update(transit_days=[1.5, 3]),
            "lanes[0].land.transit_days",
            "transit_whole",
        ),
        (
            lambda d: _lane(0)(d)["land"].update(transit_days="3-5"),
            "lanes[0].land.transit_days",
            "transit_pair",
        ),
        (lambda d: _lane(0)(d)["land"].pop("transit_days"), "lanes[0].land", "required"),
        (lambda d: _lane(0)(d)["land"].update(colour="red"), "lanes[0].land", "unknown_fields"),
    ],
)
def test_card_validation_says_what_and_where(mutate: Any, path: str | None, problem: str) -> None:
    error = _broken(mutate)
    assert error.params["problem"] == problem
    if path is not None:
        assert error.params["path"] == path


def test_card_refuses_float_amounts() -> None:
    error = _broken(lambda d: _lane(0)(d)["land"].update(per_kg=2.8))
    assert error.params["problem"] == "float_amount"


def test_lanes_that_would_tie_are_refused() -> None:
    # Two zones both listing Germany, as destinations of lanes from the same origin.
    error = refused(
        lambda: load_rate_card(
            card(
                zones={"eu": ["DE", "FR"], "dach": ["DE", "AT", "CH"]},
                lanes=[
                    {"from": "CN", "to": "eu", "express": {"per_kg": "1", "transit_days": [1, 2]}},
                    {"from": "CN", "to": "dach", "land": {"per_kg": "1", "transit_days": [1, 2]}},
                ],
            )
        )
    )
    assert error.params["problem"] == "lanes_ambiguous"
    assert (error.params["first"], error.params["second"]) == ("CN → eu", "CN → dach")
    assert (error.params["origin"], error.params["destination"]) == ("CN", "DE")
    # Two lanes to "anywhere" from overlapping zones tie too.
    error = refused(
        lambda: load_rate_card(
            card(
                zones={"eu": ["DE", "FR"], "dach": ["DE", "AT"]},
                lanes=[
                    {"from": "eu", "to": "*", "express": {"per_kg": "1", "transit_days": [1, 2]}},
                    {"from": "dach", "to": "*", "land": {"per_kg": "1", "transit_days": [1, 2]}},
                ],
            )
        )
    )
    assert (error.params["origin"], error.params["destination"]) == ("DE", "*")
    # Different specificity is no tie: the country lane wins.
    load_rate_card(
        card(
            lanes=[
                {"from": "CN", "to": "eu", "express": {"per_kg": "1", "transit_days": [1, 2]}},
                {"from": "CN", "to": "DE", "land": {"per_kg": "1", "transit_days": [1, 2]}},
            ]
        )
    )


# --- cards stored before lanes -----------------------------------------------------------------

LEGACY = {
    "label": "Old card",
    "example": False,
    "currency": "USD",
    "zones": {"DE": "eu", "US": "us"},
    "default_zone": "world",
    "rates": {
        "eu": {
            "express": {"per_kg": "10", "minimum": "25", "fixed_fee": "2", "transit_days": [3, 6]},
            "sea": {"per_wm": "100", "transit_days": [30, 40]},
        },
        "us": {"express": {"per_kg": "12", "transit_days": [4, 7]}},
        "world": {"sea": {"per_wm": "150", "transit_days": [40, 60]}},
        "unreached": {"land": {"per_kg": "1", "transit_days": [1, 2]}},
    },
}


def test_a_card_stored_before_lanes_still_loads_as_lanes_from_anywhere() -> None:
    loaded = load_rate_card(LEGACY)
    assert [(lane.origin.name, lane.destination.name) for lane in loaded.lanes] == [
        ("*", "eu"),
        ("*", "us"),
        ("*", "world"),
    ]
    assert loaded.zones["world"] == frozenset({"*"})
    # It priced by destination only, for every origin; so it still does.
    for origin in ("CN", "DE", "BR"):
        assert loaded.rate_for(origin, "DE", EXPRESS).price_per_unit == 10  # type: ignore[union-attr]
        assert loaded.rate_for(origin, "JP", SEA).price_per_unit == 150  # type: ignore[union-attr]
    assert loaded.rate_for("CN", "US", SEA) is None
    # Saved again, it is written in the current shape and reads back the same.
    assert "lanes" in rate_card_data(loaded)
    assert load_rate_card(rate_card_data(loaded)) == loaded


def test_the_old_example_card_as_stored_still_loads() -> None:
    """What `rate_card_data` wrote before lanes, for a seller who uploaded the old example."""
    text = (ROOT / "tests" / "unit" / "data" / "rate_card_before_lanes.json").read_text("utf-8")
    loaded = load_rate_card(json.loads(text))
    assert loaded.rate_for("CN", "DE", SEA).price_per_unit == 95  # type: ignore[union-attr]
    assert loaded.rate_for("DE", "FR", SEA) is not None  # no origin then: it applies anywhere


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda d: d.update(rates={}), "no_rates"),
        (lambda d: d["zones"].update(XX="eu"), "country_code"),
        (lambda d: d["zones"].update(FR="nowhere"), "zone_without_rates"),
        (lambda d: d.update(default_zone="nowhere"), "zone_without_rates"),
        (lambda d: d["rates"]["eu"].update(air={}), "method_unknown"),
        (lambda d: (d.update(zones={}), d.pop("default_zone")), "no_countries"),
    ],
)
def test_a_card_before_lanes_is_validated_too(mutate: Any, problem: str) -> None:
    data = json.loads(json.dumps(LEGACY))
    mutate(data)
    assert refused(lambda: load_rate_card(data)).params["problem"] == problem


# --- every problem explains itself -------------------------------------------------------------


def _raised_problems() -> set[str]:
    """Every problem name passed to `invalid_card(...)` in domain/logistics."""
    found: set[str] = set()
    for path in (ROOT / "domain" / "logistics").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "invalid_card"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(str(node.args[0].value))
    return found


def test_every_problem_has_its_template_and_every_template_a_problem() -> None:
    templates = {path.stem for path in (MESSAGES_DIR / "rates" / "problem").glob("*.html")}
    raised = _raised_problems()
    assert len(raised) > 40
    assert raised == templates


# --- zones shown to the seller -----------------------------------------------------------------


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_example_cards_zones_are_shown_by_name(locale: str) -> None:
    example = example_rate_card()
    text = Renderer().render_plain(
        "logistics.rate_card_lanes", locale, **card_params(example, custom=False)
    )
    shown = {
        place.strip()
        for line in text.splitlines()
        if line.startswith("•")
        for side in line.removeprefix("•").split("→")
        for place in side.split(",")
    }
    assert shown and not shown & set(example.zones), text
    if locale == "en":
        assert "China → Europe, CIS, North America" in text, text
        assert "Rest of the world" in text and "European Union → European Union" in text


def test_a_zone_of_the_sellers_own_card_without_a_name_is_shown_as_written() -> None:
    own = load_rate_card(card(zones={"na": ["US", "CA"], "eu": ["DE"]}, lanes=[
        {"from": "CN", "to": "na", "express": {"per_kg": "9", "transit_days": [4, 7]}},
        {"from": "CN", "to": "eu", "express": {"per_kg": "9", "transit_days": [4, 7]}},
    ]))  # fmt: skip
    text = Renderer().render_plain(
        "logistics.rate_card_lanes", "fr", **card_params(own, custom=True)
    )
    assert "na, Union européenne" in text, text
