"""Rate cards: validation, the JSON and CSV files a seller sends, cards stored before lanes, and
hostile files (deep nesting, huge numbers, NaN, wrong types), without I/O."""

from __future__ import annotations

import ast
import json
import pickle
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.logistics import (
    MAX_JSON_DEPTH,
    RateCard,
    ShippingMethod,
    TransitRange,
    example_rate_card,
    load_rate_card,
    parse_rate_card_csv,
    parse_rate_card_file,
    parse_rate_card_json,
    quote,
    rate_card_data,
)
from domain.logistics.parcels import Parcel
from domain.money import Money
from templates.renderer import MESSAGES_DIR

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


# --- JSON files --------------------------------------------------------------------------------


def test_json_card_reads_numbers_as_decimal() -> None:
    text = json.dumps(card()).replace('"per_kg": "3"', '"per_kg": 2.85')
    loaded = parse_rate_card_json(text.encode())
    assert loaded.rate_for("CN", "DE", LAND).price_per_unit == D("2.85")  # type: ignore[union-attr]


def test_json_syntax_error_is_reported_with_its_line() -> None:
    error = refused(lambda: parse_rate_card_json(b'{"currency": "USD",\n oops}'))
    assert error.params["problem"] == "json_syntax"
    assert (error.params["line"], error.params["column"]) == (2, 2)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[" * 100_000, "json_too_deep"),
        (b'{"a":' * 100_000, "json_too_deep"),
        (b'{"label": "' + b"[" * 100_000 + b'"}', "text_expected"),  # brackets in a string
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), "json_too_deep"),
        (b'{"currency": NaN}', "json_constant"),
        (b'{"currency": -Infinity}', "json_constant"),
        (b'{"currency": ' + b"9" * 5000 + b"}", "number_too_long"),
        (b'{"currency": 1e999999999999999999}', "currency_unknown"),
        (b'{"currency": 1e9999999999999999999999999}', "not_a_number"),
        (b'{"currency": "USD", "currency": "EUR"}', "listed_twice"),
        (b"[]", "not_an_object"),
        (b'"USD"', "not_an_object"),
        (b"null", "not_an_object"),
        (b"", "json_syntax"),
        (b"\xff\xfe{}", "not_utf8"),
    ],
)
def test_hostile_json_gets_a_validation_message(content: bytes, problem: str) -> None:
    started = time.perf_counter()
    error = refused(lambda: parse_rate_card_file("rates.json", content))
    assert error.params["problem"] == problem
    assert time.perf_counter() - started < 2  # bounded work, whatever the file


def test_deep_nesting_is_refused_before_the_parser_recurses(monkeypatch: Any) -> None:
    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("json.loads ran on a file nested too deep")

    monkeypatch.setattr("domain.logistics.card_files.json.loads", never)
    error = refused(lambda: parse_rate_card_json("[" * 10_000))
    assert error.params["problem"] == "json_too_deep"
    assert error.params["line"] == 1


def test_a_card_of_the_largest_legal_depth_is_fine() -> None:
    # zones -> list is depth 3; a lane's transit_days list is depth 5: far below the limit.
    assert parse_rate_card_json(json.dumps(card())).currency == "USD"


def test_huge_numbers_anywhere_are_validation_messages() -> None:
    text = json.dumps(card()).replace('"per_kg": "3"', '"per_kg": 1e400')
    assert refused(lambda: parse_rate_card_json(text)).params["problem"] == "number_too_large"
    text = json.dumps(card()).replace("[15, 20]", "[15, " + "9" * 39 + "]")
    assert refused(lambda: parse_rate_card_json(text)).params["problem"] == "transit_order"


# --- CSV files ---------------------------------------------------------------------------------

SELLER_CSV = """\
# my rates, 2026
country,zone
DE,eu
FR,eu
*,world

from,to,method,currency,per_kg,per_wm,minimum,fixed_fee,transit_min,transit_max,max_side_cm,max_weight_kg
CN,eu,express,EUR,7.90,,18,2.5,5,9,100,25
CN,eu,sea,EUR,,88,,30,28,40,,
CN,world,land,EUR,3.10,,20,,20,30,,
eu,eu,land,EUR,0.55,,5,1,2,4,,
"""


def test_seller_csv_card_with_lanes() -> None:
    loaded = parse_rate_card_file("my-rates.csv", ("\ufeff" + SELLER_CSV).encode())
    assert loaded.example is False
    assert loaded.currency == "EUR"
    assert loaded.zones["eu"] == frozenset({"DE", "FR"})
    express = loaded.rate_for("CN", "DE", EXPRESS)
    assert express is not None
    assert (express.price_per_unit, express.minimum, express.fixed_fee) == (
        D("7.90"),
        D("18"),
        D("2.5"),
    )
    assert (express.max_side_cm, express.max_weight_kg) == (D("100"), D("25"))
    assert express.transit == TransitRange(5, 9)
    sea = loaded.rate_for("CN", "DE", SEA)
    assert sea is not None
    assert (sea.price_per_unit, sea.minimum, sea.max_side_cm) == (D("88"), D("0"), None)
    quotes = {q.method: q for q in quote(BOX, "CN", "DE", loaded, set())}
    assert quotes[EXPRESS].refusal_keys == ()  # 60 cm, 12 kg: within 100 cm / 25 kg
    assert quotes[EXPRESS].cost == Money(D("156.55"), "EUR")  # 19.5 x 7.90 + 2.50
    assert quotes[LAND].refusal_keys == ("logistics.not_on_lane_land",)
    assert loaded.rate_for("CN", "JP", LAND) is not None
    inside = {q.method: q for q in quote(BOX, "DE", "FR", loaded, set())}
    assert [m for m, q in inside.items() if q.allowed] == [LAND]


def test_csv_without_a_from_column_prices_every_origin() -> None:
    text = (
        "zone;method;currency;per_kg;transit_min;transit_max\n"
        "world;express;EUR;7,90;5;9\n"
        "\n"
        "country;zone\n"
        "*;world\n"
    )
    loaded = parse_rate_card_csv(text)
    assert loaded.rate_for("DE", "BR", EXPRESS).price_per_unit == D("7.90")  # type: ignore[union-attr]
    assert loaded.lanes[0].origin.name == "*"


def test_csv_problems_point_at_the_line_and_column() -> None:
    broken = SELLER_CSV.replace("CN,eu,sea,EUR,,88,", "CN,eu,sea,EUR,,lots,")
    error = refused(lambda: parse_rate_card_csv(broken))
    assert error.params["problem"] == "not_a_number"
    assert (error.params["line"], error.params["path"]) == (9, "per_wm")
    broken = SELLER_CSV.replace("FR,eu", "FX,eu")
    error = refused(lambda: parse_rate_card_csv(broken))
    assert (error.params["problem"], error.params["line"]) == ("country_code", 4)
    broken = SELLER_CSV.replace("eu,eu,land", "eu,mars,land")
    error = refused(lambda: parse_rate_card_csv(broken))
    assert (error.params["problem"], error.params["line"]) == ("place_unknown", 11)
    assert error.params["path"] == "to"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("DE,eu\n", "csv_header_expected"),
        ("zone,method,per_kg\neu,express,1\n", "csv_missing_columns"),
        ("to,method,currency,colour,transit_min,transit_max\n", "csv_unknown_columns"),
        ("to,method,currency,to,transit_min,transit_max\n", "csv_repeated_columns"),
        ("country,zone\nDE,eu\n", "csv_no_rates"),
        ("country,zone\nDE,\n", "csv_required_cells"),
        (
            "country,zone\n*,w\nto,method,currency,per_kg,transit_min,transit_max\n"
            "w,express,USD,1,1,2\nw,land,EUR,1,1,2\n",
            "csv_one_currency",
        ),
        (
            "country,zone\n*,w\nto,method,currency,per_kg,transit_min,transit_max\n"
            "w,express,USD,1,1,2\nw,express,USD,1,1,2\n",
            "listed_twice",
        ),
        (
            "country,zone\n*,w\nto,method,currency,per_kg,transit_min,transit_max\n"
            "w,express,USD,1,one,2\n",
            "transit_whole",
        ),
        (
            "country,zone\n*,w\nto,method,currency,per_kg,transit_min,transit_max\n"
            "w,express,USD,1,1,99999999999999\n",
            "transit_whole",
        ),
        (
            "country,zone\n*,w\nto,method,currency,per_kg,transit_min,transit_max\n"
            "w,air,USD,1,1,2\n",
            "method_unknown",
        ),
        (
            "country,zone\n*,w\nto,method,currency,per_kg,transit_min,transit_max\n"
            "w,sea,USD,1,1,2\n",
            "price_key_wrong",
        ),
        (
            "country,zone\n*,w\nto,method,currency,per_kg,transit_min,transit_max\n"
            "w,express,USD,1,1,2,extra\n",
            "csv_extra_cells",
        ),
        ("to,method,currency,per_kg,transit_min,transit_max\nw," + "x" * 200_000, "csv_unreadable"),
    ],
)
def test_bad_seller_csv_is_explained(text: str, problem: str) -> None:
    assert refused(lambda: parse_rate_card_csv(text)).params["problem"] == problem


def test_unsupported_and_oversized_files() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_rate_card_file("rates.xlsx", b"PK")
    assert caught.value.key == "rates.unsupported_file"
    error = refused(lambda: parse_rate_card_file("rates.json", b" " * (600 * 1024)))
    assert (error.params["problem"], error.params["max_kb"]) == ("file_too_large", 512)
    error = refused(lambda: parse_rate_card_file("rates.csv", b"\xff\xfe\x00bad"))
    assert error.params["problem"] == "not_utf8"


def test_the_example_in_the_rates_help_is_a_valid_card() -> None:
    help_text = (MESSAGES_DIR / "logistics" / "rates_show.html").read_text("utf-8")
    match = re.search(r"<pre>(.*?)</pre>", help_text, re.S)
    assert match is not None
    loaded = parse_rate_card_csv(match.group(1))
    assert loaded.rate_for("DE", "FR", LAND) is not None
    assert loaded.rate_for("DE", "FR", SEA) is None
    assert loaded.rate_for("CN", "FR", SEA) is not None
    assert loaded.rate_for("CN", "BR", EXPRESS) is not None


def test_the_examples_in_the_rate_card_docs_are_valid_cards() -> None:
    text = (ROOT / "docs" / "rate-cards.md").read_text("utf-8")
    as_json = re.search(r"```json\n(.*?)```", text, re.S)
    as_csv = re.search(r"```\n(country,zone.*?)```", text, re.S)
    assert as_json is not None and as_csv is not None
    assert parse_rate_card_json(as_json.group(1)).rate_for("CA", "US", EXPRESS) is not None
    assert parse_rate_card_csv(as_csv.group(1)).rate_for("DE", "FR", SEA) is None


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
