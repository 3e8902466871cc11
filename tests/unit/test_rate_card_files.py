"""The rate-card files a seller sends (JSON and CSV), including hostile ones: deep nesting,
huge numbers, NaN, wrong types, unreadable CSV. Each gets a validation message naming the
problem and where, never "unexpected error"."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.logistics import (
    MAX_JSON_DEPTH,
    ShippingMethod,
    TransitRange,
    parse_rate_card_csv,
    parse_rate_card_file,
    parse_rate_card_json,
    quote,
)
from domain.logistics.card_validation import MAX_CARD_PROBLEMS
from domain.money import Money
from templates.renderer import MESSAGES_DIR
from tests.unit.test_rate_cards import BOX, card, refused

D = Decimal
EXPRESS, SEA, LAND = ShippingMethod.EXPRESS, ShippingMethod.SEA, ShippingMethod.LAND
ROOT = Path(__file__).resolve().parents[2]


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


def _listed(error: InvalidInput, *keys: str) -> list[tuple[Any, ...]]:
    """`keys` of each problem a refusal lists, in its order."""
    return [tuple(problem[key] for key in keys) for problem in error.params["problems"]]


def test_a_csv_card_lists_every_problem_in_file_order() -> None:
    broken = (
        SELLER_CSV.replace("CN,eu,express,EUR,7.90,", "CN,eu,express,EUR,-7.90,")
        .replace("CN,eu,sea,EUR,,88,", "CN,eu,sea,EUR,,abc,")
        .replace("CN,world,land,EUR,3.10,,20,,20,30", "CN,world,land,EUR,3.10,,20,,45,30")
    )
    error = refused(lambda: parse_rate_card_csv(broken))
    assert _listed(error, "line", "path", "problem") == [
        (8, "per_kg", "negative"),
        (9, "per_wm", "not_a_number"),
        (10, "transit_min, transit_max", "transit_order"),
    ]
    assert error.params["problems"][1]["value"] == "abc"
    assert error.params["unlisted"] == 0
    # The refusal's own parameters are the first problem's, as for a card with one problem.
    assert (error.params["problem"], error.params["line"]) == ("negative", 8)


def test_a_row_with_several_bad_cells_reports_each() -> None:
    broken = SELLER_CSV.replace(
        "CN,eu,express,EUR,7.90,,18,2.5,5,9,", "CN,eu,express,EUR,x,,-1,2.5,five,9,"
    )
    error = refused(lambda: parse_rate_card_csv(broken))
    assert _listed(error, "line", "path", "problem") == [
        (8, "per_kg", "not_a_number"),
        (8, "minimum", "negative"),
        (8, "transit_min, transit_max", "transit_whole"),
    ]


def test_the_problems_listed_are_bounded() -> None:
    rows = "".join(f"DE{n},express,EUR,-1,,,,5,9,,\n" for n in range(MAX_CARD_PROBLEMS + 5))
    error = refused(lambda: parse_rate_card_csv(SELLER_CSV + rows))
    assert len(error.params["problems"]) == MAX_CARD_PROBLEMS
    assert error.params["unlisted"] == 5
    assert error.params["problems"][0]["line"] == 12


def test_an_unreadable_header_stays_one_problem() -> None:
    broken = SELLER_CSV.replace("CN,eu,express,EUR,7.90,", "CN,eu,express,EUR,-7.90,").replace(
        "max_weight_kg", "max_weight_kg,colour"
    )
    error = refused(lambda: parse_rate_card_csv(broken))
    assert error.params["problem"] == "csv_unknown_columns"
    assert "problems" not in error.params


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


def test_a_json_card_lists_every_lanes_problems_in_file_order() -> None:
    lane = {"from": "CN", "to": "DE", "express": {"per_kg": "8", "transit_days": [4, 8]}}
    lanes = [
        lane,
        {**lane, "to": "FR", "express": {"per_kg": "-8", "minimum": "x", "transit_days": [4]}},
        {"from": "CN", "to": "ES"},
        {
            **lane,
            "to": "IT",
            "express": {"per_wm": "8", "transit_days": [4, 8]},
            "sea": {"per_wm": "x", "transit_days": [30, 40]},
        },
    ]
    content = json.dumps({"currency": "EUR", "lanes": lanes})
    error = refused(lambda: parse_rate_card_json(content))
    assert _listed(error, "path", "problem") == [
        ("lanes[1].express.per_kg", "negative"),
        ("lanes[1].express.minimum", "not_a_number"),
        ("lanes[1].express.transit_days", "transit_pair"),
        ("lanes[2]", "lane_no_methods"),
        ("lanes[3].express", "price_key_wrong"),
        ("lanes[3].sea.per_wm", "not_a_number"),
    ]
