"""The logistics cost model, rate cards, money and budget rules, without I/O."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.logistics import (
    BudgetPolicy,
    GoodsCharacteristic,
    MethodQuote,
    Parcel,
    RateCard,
    ShippingMethod,
    TransitRange,
    chargeable_weight,
    check_budget,
    compare,
    example_rate_card,
    load_rate_card,
    parse_rate_card_csv,
    parse_rate_card_file,
    parse_rate_card_json,
    quote,
    volumetric_weight,
)
from domain.money import ExchangeRates, Money, convert, convert_money

D = Decimal
EXPRESS, SEA, LAND = ShippingMethod.EXPRESS, ShippingMethod.SEA, ShippingMethod.LAND
G = GoodsCharacteristic


def parcel(weight: str, length: str, width: str, height: str) -> Parcel:
    return Parcel(D(weight), D(length), D(width), D(height))


# The worked example from the issue: 60 x 40 x 40 cm, 12 kg -> 96 000 cm³ = 0.096 m³.
BOX = parcel("12", "60", "40", "40")


def by_method(quotes: list[MethodQuote]) -> dict[ShippingMethod, MethodQuote]:
    return {q.method: q for q in quotes}


def card(**overrides: Any) -> dict[str, Any]:
    """A small valid card as parsed JSON; override top-level fields to break it."""
    data: dict[str, Any] = {
        "label": "Test rates",
        "currency": "USD",
        "zones": {"DE": "eu", "US": "us"},
        "default_zone": "world",
        "rates": {
            "eu": {
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
            "us": {"express": {"per_kg": "12", "transit_days": [4, 7]}},
            "world": {"sea": {"per_wm": "150", "transit_days": [40, 60]}},
        },
    }
    data.update(overrides)
    return data


# --- chargeable weight ----------------------------------------------------------------------


def test_worked_example_volumes() -> None:
    assert BOX.volume_cm3 == 96000
    assert BOX.volume_m3 == D("0.096")
    assert BOX.longest_side_cm == 60


def test_express_chargeable_weight_is_volumetric_rounded_up_to_half_kilo() -> None:
    assert volumetric_weight(BOX, EXPRESS) == D("19.2")
    assert chargeable_weight(BOX, EXPRESS) == D("19.5")


def test_sea_chargeable_weight_is_one_wm_minimum() -> None:
    # max(0.012 t, 0.096 m³, 1 W/M minimum) = 1 W/M = 1000 kg-equivalent
    assert volumetric_weight(BOX, SEA) == D("96")
    assert chargeable_weight(BOX, SEA) == D("1000")


def test_land_chargeable_weight_uses_333_kg_per_m3_rounded_up_to_whole_kg() -> None:
    assert volumetric_weight(BOX, LAND) == D("31.968")
    assert chargeable_weight(BOX, LAND) == D("32")


def test_actual_weight_wins_when_heavier_than_volumetric() -> None:
    dense = parcel("25.2", "40", "30", "20")  # 24 000 cm³: express vol 4.8 kg, land 7.992 kg
    assert chargeable_weight(dense, EXPRESS) == D("25.5")
    assert chargeable_weight(dense, LAND) == D("26")
    assert chargeable_weight(dense, SEA) == D("1000")  # still the 1 W/M minimum


def test_sea_above_minimum_is_the_larger_of_tonnes_and_cubic_metres() -> None:
    bulky = parcel("300", "200", "100", "100")  # 2 m³, 0.3 t -> 2 W/M
    assert chargeable_weight(bulky, SEA) == D("2000")
    heavy = parcel("1500", "100", "100", "100")  # 1 m³, 1.5 t -> 1.5 W/M
    assert chargeable_weight(heavy, SEA) == D("1500")


def test_exact_half_kilo_is_not_rounded_further() -> None:
    assert chargeable_weight(parcel("2.5", "10", "10", "10"), EXPRESS) == D("2.5")


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        (("0", "10", "10", "10"), "logistics.weight_out_of_range"),
        (("-1", "10", "10", "10"), "logistics.weight_out_of_range"),
        (("5001", "10", "10", "10"), "logistics.weight_out_of_range"),
        (("1", "0", "10", "10"), "logistics.dimension_out_of_range"),
        (("1", "10", "1201", "10"), "logistics.dimension_out_of_range"),
        (("1", "10", "10", "NaN"), "logistics.dimension_out_of_range"),
    ],
)
def test_parcel_rejects_insane_values(fields: tuple[str, str, str, str], key: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parcel(*fields)
    assert caught.value.key == key


def test_parcel_rejects_float() -> None:
    with pytest.raises(InvalidInput):
        Parcel(12.0, D(1), D(1), D(1))  # type: ignore[arg-type]


# --- quotes with the example card ------------------------------------------------------------


def test_example_card_is_clearly_labelled() -> None:
    example = example_rate_card()
    assert example.example is True
    assert example.label == "EXAMPLE RATES — replace with your own"
    assert example.currency == "USD"
    assert example.zone_for("DE") == "europe"
    assert example.zone_for("ZW") == "rest_of_world"


def test_worked_example_costs_for_every_method_to_germany() -> None:
    quotes = by_method(quote(BOX, "DE", example_rate_card(), set()))
    # express: 19.5 kg x 8.50 = 165.75 (over the 20.00 minimum) + 3.00 fee
    assert quotes[EXPRESS].cost == Money(D("168.75"), "USD")
    assert quotes[EXPRESS].transit == TransitRange(4, 8)
    # sea: 1 W/M x 95.00 (over the 60.00 minimum) + 45.00 fee
    assert quotes[SEA].billable_units == 1
    assert quotes[SEA].unit == "wm"
    assert quotes[SEA].cost == Money(D("140.00"), "USD")
    assert quotes[SEA].transit == TransitRange(30, 45)
    # land: 32 kg x 2.80 = 89.60 (over the 30.00 minimum) + 10.00 fee
    assert quotes[LAND].cost == Money(D("99.60"), "USD")
    assert quotes[LAND].transit == TransitRange(15, 25)
    assert all(q.allowed and q.zone == "europe" for q in quotes.values())
    assert quotes[LAND].cheapest and not quotes[LAND].fastest
    assert quotes[EXPRESS].fastest and not quotes[EXPRESS].cheapest
    assert not quotes[SEA].cheapest and not quotes[SEA].fastest


def test_minimum_charge_applies_to_small_parcels() -> None:
    small = parcel("0.4", "20", "15", "10")  # express: 0.6 kg volumetric -> 1.0 kg
    quotes = by_method(quote(small, "DE", example_rate_card(), set()))
    assert quotes[EXPRESS].chargeable_weight_kg == D("1.0")
    assert quotes[EXPRESS].cost == Money(D("23.00"), "USD")  # 8.50 < 20.00 minimum, + 3.00
    assert quotes[LAND].cost == Money(D("40.00"), "USD")  # 1 kg x 2.80 < 30.00, + 10.00


def test_no_land_rate_to_the_americas_refuses_land() -> None:
    quotes = by_method(quote(BOX, "us", example_rate_card(), set()))
    assert quotes[LAND].allowed is False
    assert quotes[LAND].refusal_keys == ("logistics.no_rate",)
    assert quotes[LAND].cost is None
    assert quotes[LAND].transit is None
    assert not quotes[LAND].cheapest and not quotes[LAND].fastest
    # express 19.5 x 9.00 + 3.00 = 178.50; sea 110 + 50 = 160.00
    assert quotes[EXPRESS].cost == Money(D("178.50"), "USD")
    assert quotes[SEA].cost == Money(D("160.00"), "USD")
    assert quotes[SEA].cheapest and quotes[EXPRESS].fastest


def test_unknown_destination_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        quote(BOX, "XX", example_rate_card(), set())
    assert caught.value.key == "logistics.invalid_country"


@pytest.mark.parametrize(
    ("goods", "keys"),
    [
        ({G.BATTERY_STANDALONE}, ("logistics.express_battery",)),
        ({G.LIQUID_FLAMMABLE}, ("logistics.express_flammable",)),
        (
            {G.BATTERY_STANDALONE, G.LIQUID_FLAMMABLE, G.FRAGILE},
            ("logistics.express_battery", "logistics.express_flammable"),
        ),
    ],
)
def test_dangerous_goods_are_refused_for_express_only(
    goods: set[GoodsCharacteristic], keys: tuple[str, ...]
) -> None:
    quotes = by_method(quote(BOX, "DE", example_rate_card(), goods))
    assert quotes[EXPRESS].allowed is False
    assert quotes[EXPRESS].refusal_keys == keys
    assert quotes[EXPRESS].cost == Money(D("168.75"), "USD")  # still priced, for reference
    assert not quotes[EXPRESS].fastest and not quotes[EXPRESS].cheapest
    assert quotes[SEA].allowed and quotes[LAND].allowed
    assert quotes[LAND].fastest and quotes[LAND].cheapest  # 15-25 days beats sea's 30-45


@pytest.mark.parametrize(
    "goods",
    [{G.BATTERY_IN_EQUIPMENT}, {G.LIQUID_OTHER}, {G.FRAGILE, G.HIGH_VALUE}, set()],
)
def test_other_goods_may_fly(goods: set[GoodsCharacteristic]) -> None:
    quotes = by_method(quote(BOX, "DE", example_rate_card(), goods))
    assert quotes[EXPRESS].allowed is True
    assert quotes[EXPRESS].refusal_keys == ()


def test_oversize_parcel_is_pushed_to_sea_or_land() -> None:
    long_box = parcel("10", "130", "30", "30")
    quotes = by_method(quote(long_box, "DE", example_rate_card(), set()))
    assert quotes[EXPRESS].refusal_keys == ("logistics.oversize_express",)
    assert quotes[SEA].allowed and quotes[LAND].allowed


def test_overweight_parcel_is_refused_for_express() -> None:
    heavy = parcel("31", "50", "50", "50")
    quotes = by_method(quote(heavy, "DE", example_rate_card(), {G.BATTERY_STANDALONE}))
    assert quotes[EXPRESS].refusal_keys == (
        "logistics.express_battery",
        "logistics.overweight_express",
    )


def test_at_the_limits_express_is_still_allowed() -> None:
    edge = parcel("30", "120", "10", "10")
    assert by_method(quote(edge, "DE", example_rate_card(), set()))[EXPRESS].allowed


def test_nothing_allowed_marks_nothing() -> None:
    data = card(rates={"eu": {"express": {"per_kg": "10", "transit_days": [3, 6]}}})
    data["zones"] = {"DE": "eu"}
    data.pop("default_zone")
    quotes = quote(BOX, "DE", load_rate_card(data), {G.BATTERY_STANDALONE})
    assert [q.allowed for q in quotes] == [False, False, False]
    assert not any(q.cheapest or q.fastest for q in quotes)
    # a country outside every zone with no default zone: no rates at all
    unmapped = by_method(quote(BOX, "FR", load_rate_card(data), set()))
    assert unmapped[EXPRESS].refusal_keys == ("logistics.no_rate",)
    assert unmapped[EXPRESS].zone is None


def _quote(method: ShippingMethod, cost: str, low: int, high: int, ccy: str = "USD") -> MethodQuote:
    return MethodQuote(
        method=method,
        zone="z",
        chargeable_weight_kg=D(1),
        billable_units=D(1),
        unit="kg",
        cost=Money(D(cost), ccy),
        transit=TransitRange(low, high),
        allowed=True,
    )


def test_compare_breaks_ties() -> None:
    quotes = compare(
        [_quote(EXPRESS, "50", 3, 5), _quote(SEA, "20", 30, 40), _quote(LAND, "20", 10, 20)]
    )
    marks = {q.method: (q.cheapest, q.fastest) for q in quotes}
    # sea and land cost the same: the faster one (land) is the cheapest
    assert marks == {EXPRESS: (False, True), SEA: (False, False), LAND: (True, False)}
    same_speed = compare([_quote(EXPRESS, "50", 3, 5), _quote(LAND, "40", 3, 5)])
    assert [q.fastest for q in same_speed] == [False, True]


def test_compare_across_currencies_needs_the_sellers_rate() -> None:
    quotes = [_quote(EXPRESS, "100", 3, 5, "USD"), _quote(SEA, "600", 30, 40, "CNY")]
    with pytest.raises(InvalidInput) as caught:
        compare(quotes)
    assert caught.value.key == "rates.missing_exchange_rate"
    marked = compare(quotes, ExchangeRates({("USD", "CNY"): D("7.2")}))
    assert [q.cheapest for q in marked] == [False, True]  # 600 CNY = 83.33 USD


# --- rate-card validation and parsing --------------------------------------------------------


def test_valid_card_loads() -> None:
    loaded = load_rate_card(card())
    assert isinstance(loaded, RateCard)
    assert loaded.example is False
    assert loaded.rate_for("de", EXPRESS) is not None
    assert loaded.rate_for("DE", EXPRESS).max_side_cm == 120  # type: ignore[union-attr]
    assert loaded.rate_for("US", SEA) is None
    assert loaded.rate_for("JP", SEA).price_per_unit == 150  # type: ignore[union-attr]


def _broken(mutate: Any) -> InvalidInput:
    data = json.loads(json.dumps(card()))
    mutate(data)
    with pytest.raises(InvalidInput) as caught:
        load_rate_card(data)
    assert caught.value.key == "rates.invalid"
    return caught.value


@pytest.mark.parametrize(
    ("mutate", "path", "reason_part"),
    [
        (lambda d: d.pop("currency"), "currency", "required"),
        (lambda d: d.update(currency="DOLLARS"), "currency", "ISO-4217"),
        (lambda d: d.update(surprise=1), "", "unknown field"),
        (lambda d: d.update(example="yes"), "example", "true or false"),
        (lambda d: d.update(rates={}), "rates", "at least one zone"),
        (lambda d: d["zones"].update(XX="eu"), "zones.XX", "country code"),
        (lambda d: d["zones"].update(FR="nowhere"), "zones.FR", "no rates"),
        (lambda d: d.update(default_zone="nowhere"), "default_zone", "no rates"),
        (lambda d: d["rates"]["eu"].update(air={}), "rates.eu.air", "express, sea or land"),
        (lambda d: d["rates"]["eu"]["express"].pop("per_kg"), "rates.eu.express", "per_kg"),
        (lambda d: d["rates"]["eu"]["sea"].update(per_kg="1"), "rates.eu.sea", "per_wm"),
        (
            lambda d: d["rates"]["eu"]["land"].update(per_kg="0"),
            "rates.eu.land.per_kg",
            "greater than zero",
        ),
        (
            lambda d: d["rates"]["eu"]["land"].update(minimum="-1"),
            "rates.eu.land.minimum",
            "negative",
        ),
        (
            lambda d: d["rates"]["eu"]["land"].update(fixed_fee="ten"),
            "rates.eu.land.fixed_fee",
            "not a number",
        ),
        (
            lambda d: d["rates"]["eu"]["land"].update(transit_days=[9, 3]),
            "rates.eu.land.transit_days",
            "min <= max",
        ),
        (
            lambda d: d["rates"]["eu"]["land"].update(transit_days=[1.5, 3]),
            "rates.eu.land.transit_days",
            "whole numbers",
        ),
        (lambda d: d["rates"]["eu"]["land"].pop("transit_days"), "rates.eu.land", "transit_days"),
        (lambda d: d["rates"]["eu"]["land"].update(colour="red"), "rates.eu.land", "unknown"),
        (lambda d: d["rates"]["us"].clear(), "rates.us", "at least one method"),
    ],
)
def test_card_validation_says_what_and_where(mutate: Any, path: str, reason_part: str) -> None:
    error = _broken(mutate)
    assert error.params["path"] == path
    assert reason_part in error.params["reason"]


def test_card_refuses_float_amounts() -> None:
    error = _broken(lambda d: d["rates"]["eu"]["land"].update(per_kg=2.8))
    assert "float" in error.params["reason"]


def test_card_needs_zones_or_a_default() -> None:
    error = _broken(lambda d: (d.update(zones={}), d.pop("default_zone")))
    assert error.params["path"] == "zones"


def test_json_card_reads_numbers_as_decimal() -> None:
    text = json.dumps(card()).replace('"per_kg": "3"', '"per_kg": 2.85')
    loaded = parse_rate_card_json(text.encode())
    assert loaded.rate_for("DE", LAND).price_per_unit == D("2.85")  # type: ignore[union-attr]


def test_json_syntax_error_is_reported_with_its_line() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_rate_card_json(b'{"currency": "USD",\n oops}')
    assert caught.value.key == "rates.invalid"
    assert caught.value.params["path"] == "line 2"


SELLER_CSV = """\
# my rates, 2026
country,zone
DE,eu
FR,eu
*,world

zone,method,currency,per_kg,per_wm,minimum,fixed_fee,transit_min,transit_max,max_side_cm,max_weight_kg
eu,express,EUR,7.90,,18,2.5,5,9,100,25
eu,sea,EUR,,88,,30,28,40,,
world,land,EUR,3.10,,20,,20,30,,
"""


def test_seller_csv_card() -> None:
    loaded = parse_rate_card_file("my-rates.csv", ("\ufeff" + SELLER_CSV).encode())
    assert loaded.example is False
    assert loaded.currency == "EUR"
    assert loaded.zone_for("FR") == "eu"
    assert loaded.zone_for("JP") == "world"
    express = loaded.rate_for("DE", EXPRESS)
    assert express is not None
    assert (express.price_per_unit, express.minimum, express.fixed_fee) == (
        D("7.90"),
        D("18"),
        D("2.5"),
    )
    assert (express.max_side_cm, express.max_weight_kg) == (D("100"), D("25"))
    assert express.transit == TransitRange(5, 9)
    sea = loaded.rate_for("DE", SEA)
    assert sea is not None
    assert (sea.price_per_unit, sea.minimum, sea.max_side_cm) == (D("88"), D("0"), None)
    quotes = by_method(quote(BOX, "DE", loaded, set()))
    assert quotes[EXPRESS].refusal_keys == ()  # 60 cm, 12 kg: within 100 cm / 25 kg
    assert quotes[EXPRESS].cost == Money(D("156.55"), "EUR")  # 19.5 x 7.90 + 2.50
    assert quotes[LAND].refusal_keys == ("logistics.no_rate",)


def test_seller_csv_with_semicolons_and_decimal_commas() -> None:
    text = (
        "zone;method;currency;per_kg;transit_min;transit_max\n"
        "world;express;EUR;7,90;5;9\n"
        "\n"
        "country;zone\n"
        "*;world\n"
    )
    loaded = parse_rate_card_csv(text)
    assert loaded.rate_for("BR", EXPRESS).price_per_unit == D("7.90")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("DE,eu\n", "header row"),
        ("zone,method,per_kg\neu,express,1\n", "missing column"),
        ("zone,method,currency,colour,transit_min,transit_max\n", "unknown column"),
        ("country,zone\nDE,eu\n", "no rate rows"),
        (
            "country,zone\n*,w\nzone,method,currency,per_kg,transit_min,transit_max\n"
            "w,express,USD,1,1,2\nw,land,EUR,1,1,2\n",
            "same currency",
        ),
        (
            "country,zone\n*,w\nzone,method,currency,per_kg,transit_min,transit_max\n"
            "w,express,USD,1,1,2\nw,express,USD,1,1,2\n",
            "listed twice",
        ),
        (
            "country,zone\n*,w\nzone,method,currency,per_kg,transit_min,transit_max\n"
            "w,express,USD,1,one,2\n",
            "whole numbers",
        ),
        (
            "country,zone\n*,w\nzone,method,currency,per_kg,transit_min,transit_max\n"
            "w,sea,USD,1,1,2\n",
            "per_wm",
        ),
    ],
)
def test_bad_seller_csv_is_explained(text: str, reason_part: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_rate_card_csv(text)
    assert caught.value.key == "rates.invalid"
    assert reason_part in caught.value.params["reason"]


def test_unsupported_and_oversized_files() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_rate_card_file("rates.xlsx", b"PK")
    assert caught.value.key == "rates.unsupported_file"
    with pytest.raises(InvalidInput) as caught:
        parse_rate_card_file("rates.json", b" " * (600 * 1024))
    assert "larger than" in caught.value.params["reason"]
    with pytest.raises(InvalidInput) as caught:
        parse_rate_card_file("rates.csv", b"\xff\xfe\x00bad")
    assert "UTF-8" in caught.value.params["reason"]


# --- money and currency conversion -----------------------------------------------------------


def test_money_is_quantized_to_minor_units() -> None:
    assert Money(D("1.005"), "usd") == Money(D("1.01"), "USD")
    assert Money(D("1500.4"), "JPY").amount == D("1500")
    assert Money(D("1.0005"), "KWD").amount == D("1.001")
    assert str(Money.of("12.5", "EUR")) == "12.50 EUR"


@pytest.mark.parametrize("amount", [1.5, True, "abc", "Infinity"])
def test_money_refuses_float_and_junk(amount: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        Money(amount, "USD")
    assert caught.value.key == "money.invalid_amount"


def test_money_refuses_unknown_currency_and_mixing() -> None:
    with pytest.raises(InvalidInput) as caught:
        Money(D(1), "ABC")
    assert caught.value.key == "money.invalid_currency"
    with pytest.raises(InvalidInput) as caught:
        Money(D(1), "USD") + Money(D(1), "EUR")
    assert caught.value.key == "money.currency_mismatch"
    assert Money(D(1), "USD") + Money(D("2.5"), "USD") == Money(D("3.5"), "USD")


def test_conversion_with_a_supplied_rate_and_its_inverse() -> None:
    rates = ExchangeRates({("USD", "CNY"): D("7.20")})
    assert convert(D("10"), "USD", "CNY", rates) == D("72.00")
    assert convert_money(Money(D("72"), "CNY"), "USD", rates) == Money(D("10"), "USD")
    assert convert_money(Money(D("100"), "CNY"), "USD", rates) == Money(D("13.89"), "USD")


def test_same_currency_needs_no_rate() -> None:
    assert convert(D("5"), "EUR", "eur", None) == D("5")


def test_no_rate_is_never_invented() -> None:
    rates = ExchangeRates({("USD", "EUR"): D("0.9"), ("EUR", "CNY"): D("7.8")})
    with pytest.raises(InvalidInput) as caught:
        convert(D("10"), "USD", "CNY", rates)  # no chaining through EUR
    assert caught.value.key == "rates.missing_exchange_rate"
    assert caught.value.params == {"from_": "USD", "to": "CNY"}
    with pytest.raises(InvalidInput):
        convert(D("10"), "USD", "GBP", None)


@pytest.mark.parametrize(
    "rates", [{("USD", "EUR"): D("0")}, {("USD", "USD"): D("1")}, {("USD", "EUR"): 0.9}]
)
def test_bad_exchange_rates_are_refused(rates: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        ExchangeRates(rates)
    assert caught.value.key == "rates.invalid_exchange_rate"


# --- budget ----------------------------------------------------------------------------------


def usd(amount: str) -> Money:
    return Money(D(amount), "USD")


def test_budget_within_share() -> None:
    result = check_budget(usd("15"), usd("100"), BudgetPolicy(max_share=D("0.15")))
    assert result.status == "within"
    assert result.exceeded == ()
    assert result.share == D("0.15")
    assert result.share_limit == usd("15")


def test_budget_over_share_and_cap() -> None:
    policy = BudgetPolicy(max_share=D("0.15"), max_per_order=usd("20"), mode="block")
    result = check_budget(usd("25"), usd("100"), policy)
    assert result.status == "over"
    assert result.over
    assert result.exceeded == ("max_share", "max_per_order")
    assert result.mode == "block"
    assert (result.share_limit, result.per_order_limit) == (usd("15"), usd("20"))


def test_budget_over_cap_only() -> None:
    policy = BudgetPolicy(max_share=D("0.5"), max_per_order=usd("20"))
    result = check_budget(usd("21"), usd("100"), policy)
    assert result.exceeded == ("max_per_order",)
    assert result.mode == "warn"


def test_budget_converts_with_sellers_rates_only() -> None:
    policy = BudgetPolicy(max_share=D("0.1"), max_per_order=Money(D("100"), "CNY"))
    rates = ExchangeRates({("USD", "CNY"): D("7.2")})
    # cost 14 USD; order 720 CNY = 100 USD -> share limit 10 USD; cap 100 CNY = 13.89 USD
    result = check_budget(usd("14"), Money(D("720"), "CNY"), policy, rates)
    assert result.exceeded == ("max_share", "max_per_order")
    assert result.per_order_limit == usd("13.89")
    with pytest.raises(InvalidInput) as caught:
        check_budget(usd("14"), Money(D("720"), "CNY"), policy)
    assert caught.value.key == "rates.missing_exchange_rate"


def test_no_policy_is_always_within() -> None:
    assert check_budget(usd("999"), usd("1"), None).status == "within"
    assert check_budget(usd("999"), usd("1"), BudgetPolicy()).status == "within"


def test_zero_order_value_has_no_share() -> None:
    result = check_budget(usd("1"), usd("0"), BudgetPolicy(max_share=D("0.15")))
    assert result.share is None
    assert result.exceeded == ("max_share",)


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"max_share": D("0")}, "budget.invalid_share"),
        ({"max_share": D("1.5")}, "budget.invalid_share"),
        ({"max_per_order": usd("0")}, "budget.invalid_max_per_order"),
        ({"mode": "shout"}, "budget.invalid_mode"),
    ],
)
def test_bad_budget_policy(kwargs: dict[str, Any], key: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        BudgetPolicy(**kwargs)
    assert caught.value.key == key
