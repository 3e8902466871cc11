"""The logistics cost model: chargeable weight, lanes, quotes, money and budget rules, without I/O.

Rate-card validation and the files a seller sends are in tests/unit/test_rate_cards.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.logistics import (
    BudgetPolicy,
    GoodsCharacteristic,
    MethodQuote,
    Parcel,
    ShippingMethod,
    TransitRange,
    chargeable_weight,
    check_budget,
    compare,
    example_rate_card,
    load_rate_card,
    method_name_key,
    parcel_revenue_tons,
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
# The parcel from the Hamburg case: 1.2 kg, 30 x 20 x 10 cm.
SMALL = parcel("1.2", "30", "20", "10")


def by_method(quotes: list[MethodQuote]) -> dict[ShippingMethod, MethodQuote]:
    return {q.method: q for q in quotes}


def lane_of(quotes: list[MethodQuote]) -> tuple[str, str] | None:
    lane = quotes[0].lane
    return None if lane is None else (lane.origin.name, lane.destination.name)


def rate(price: str, low: int = 3, high: int = 6) -> dict[str, Any]:
    return {"per_kg": price, "transit_days": [low, high]}


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
    assert parcel_revenue_tons(BOX) == D("0.096")  # what the parcel itself takes


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


# --- lanes: which one a parcel travels --------------------------------------------------------


def test_example_card_is_clearly_labelled_and_has_lanes() -> None:
    example = example_rate_card()
    assert example.example is True
    assert example.label == "EXAMPLE RATES — replace with your own"
    assert example.currency == "USD"
    lanes = {(lane.origin.name, lane.destination.name) for lane in example.lanes}
    assert {("CN", "europe"), ("CN", "rest_of_world"), ("eu", "eu"), ("eu", "GB")} <= lanes
    assert {("US", "US"), ("US", "CA"), ("CA", "US"), ("CA", "CA"), ("CN", "CN")} <= lanes
    assert lane_of(quote(BOX, "CN", "DE", example, set())) == ("CN", "europe")
    assert lane_of(quote(BOX, "CN", "ZW", example, set())) == ("CN", "rest_of_world")


def test_hamburg_to_france_travels_the_intra_eu_lane() -> None:
    """The issue's case: a 1.2 kg parcel from a warehouse in Germany to France was offered sea
    freight at $140 over 30–45 days, billed as 1000 kg, from a "shipping from China" card."""
    quotes = quote(SMALL, "DE", "FR", example_rate_card(), set())
    assert lane_of(quotes) == ("eu", "eu")
    methods = by_method(quotes)
    # express: 30x20x10/5000 = 1.2 kg -> 1.5 kg x 3.20 = 4.80 < 9.00 minimum, + 2.00
    assert methods[EXPRESS].allowed and methods[EXPRESS].cost == Money(D("11.00"), "USD")
    assert methods[EXPRESS].transit == TransitRange(1, 3)
    # road: 1.2 kg -> 2 kg x 0.60 = 1.20 < 6.00 minimum, + 2.00
    assert methods[LAND].allowed and methods[LAND].cost == Money(D("8.00"), "USD")
    assert methods[LAND].transit == TransitRange(2, 5)
    # no sea freight inside the EU: not available, and why, with no price and no transit
    sea = methods[SEA]
    assert sea.allowed is False
    assert sea.refusal_keys == ("logistics.not_on_lane_sea",)
    assert (sea.cost, sea.transit) == (None, None)
    assert (sea.origin, sea.destination) == ("DE", "FR")
    assert methods[LAND].cheapest and methods[EXPRESS].fastest
    assert not sea.cheapest and not sea.fastest


def test_the_same_destination_costs_differently_from_another_origin() -> None:
    from_china = by_method(quote(SMALL, "CN", "FR", example_rate_card(), set()))
    from_germany = by_method(quote(SMALL, "DE", "FR", example_rate_card(), set()))
    assert from_china[EXPRESS].cost == Money(D("23.00"), "USD")  # 1.5 kg x 8.50 < 20, + 3
    assert from_china[EXPRESS].transit == TransitRange(4, 8)
    assert from_germany[EXPRESS].cost == Money(D("11.00"), "USD")
    assert from_china[SEA].allowed and not from_germany[SEA].allowed


@pytest.mark.parametrize(
    ("origin", "destination", "lane", "methods"),
    [
        ("DE", "GB", ("eu", "GB"), {EXPRESS, LAND}),
        ("GB", "FR", ("GB", "eu"), {EXPRESS, LAND}),
        ("GB", "GB", ("GB", "GB"), {EXPRESS, LAND}),
        ("US", "US", ("US", "US"), {EXPRESS, LAND}),
        ("US", "CA", ("US", "CA"), {EXPRESS, LAND}),
        ("CA", "US", ("CA", "US"), {EXPRESS, LAND}),
        ("CN", "CN", ("CN", "CN"), {EXPRESS, LAND}),  # the country beats rest_of_world's "*"
        ("CN", "US", ("CN", "north_america"), {EXPRESS, SEA}),
        ("CN", "KZ", ("CN", "cis"), {EXPRESS, SEA, LAND}),
    ],
)
def test_example_lanes(
    origin: str, destination: str, lane: tuple[str, str], methods: set[ShippingMethod]
) -> None:
    quotes = quote(SMALL, origin, destination, example_rate_card(), set())
    assert lane_of(quotes) == lane
    assert {q.method for q in quotes if q.cost is not None} == methods
    for q in quotes:
        if q.method not in methods:
            assert q.refusal_keys == (f"logistics.not_on_lane_{q.method.value}",)


def test_no_lane_refuses_every_method_and_says_so() -> None:
    # Nothing from the EU to the US; the battery is beside the point then.
    quotes = quote(BOX, "DE", "US", example_rate_card(), {G.BATTERY_STANDALONE})
    assert lane_of(quotes) is None
    for q in quotes:
        assert q.refusal_keys == ("logistics.no_lane",)
        assert (q.cost, q.transit, q.allowed) == (None, None, False)
        assert not q.cheapest and not q.fastest


def test_the_most_specific_lane_wins_origin_first() -> None:
    card = load_rate_card(
        {
            "currency": "EUR",
            "zones": {"eu": ["AT", "DE", "FR"], "world": ["*"]},
            "lanes": [
                {"from": "*", "to": "world", "sea": {"per_wm": "90", "transit_days": [30, 50]}},
                {"from": "eu", "to": "eu", "land": rate("1")},
                {"from": "DE", "to": "*", "express": rate("5")},
                {"from": "AT", "to": "FR", "express": rate("7")},
            ],
        }
    )
    assert lane_of(quote(BOX, "AT", "FR", card, set())) == ("AT", "FR")  # country -> country
    assert lane_of(quote(BOX, "AT", "DE", card, set())) == ("eu", "eu")  # zone -> zone
    assert lane_of(quote(BOX, "JP", "BR", card, set())) == ("*", "world")
    # The origin decides first: from Germany its own lane wins even to an EU country.
    assert lane_of(quote(BOX, "DE", "FR", card, set())) == ("DE", "*")
    assert card.rate_for("AT", "FR", EXPRESS) is not None
    assert card.rate_for("AT", "FR", LAND) is None  # the AT -> FR lane has no road rate
    assert card.rate_for("FR", "AT", LAND) is not None


def test_origin_and_destination_must_be_countries() -> None:
    with pytest.raises(InvalidInput) as caught:
        quote(BOX, "CN", "XX", example_rate_card(), set())
    assert caught.value.key == "logistics.invalid_country"
    with pytest.raises(InvalidInput) as caught:
        quote(BOX, "EU", "FR", example_rate_card(), set())
    assert caught.value.key == "logistics.invalid_country"


# --- quotes ----------------------------------------------------------------------------------


def test_worked_example_costs_for_every_method_from_china_to_germany() -> None:
    quotes = by_method(quote(BOX, "CN", "DE", example_rate_card(), set()))
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
    assert all(q.allowed for q in quotes.values())
    assert quotes[LAND].cheapest and not quotes[LAND].fastest
    assert quotes[EXPRESS].fastest and not quotes[EXPRESS].cheapest
    assert not quotes[SEA].cheapest and not quotes[SEA].fastest


def test_sea_freight_states_its_minimum_and_how_far_below_it_a_parcel_is() -> None:
    sea = by_method(quote(SMALL, "CN", "FR", example_rate_card(), set()))[SEA]
    assert sea.billable_units == 1 and sea.minimum_units == 1
    assert sea.parcel_units == D("0.006")  # 0.006 m³ > 0.0012 t
    assert sea.below_minimum and sea.far_below_minimum
    box = by_method(quote(BOX, "CN", "FR", example_rate_card(), set()))[SEA]
    assert box.parcel_units == D("0.096") and box.far_below_minimum
    half = by_method(quote(parcel("300", "100", "100", "60"), "CN", "FR", example_rate_card(), ()))
    assert half[SEA].parcel_units == D("0.6")  # 0.6 m³: below the minimum, not far below
    assert half[SEA].below_minimum and not half[SEA].far_below_minimum
    bulky = by_method(
        quote(parcel("300", "200", "100", "100"), "CN", "FR", example_rate_card(), ())
    )
    assert bulky[SEA].billable_units == 2 and not bulky[SEA].below_minimum
    # kg-priced methods have no such minimum
    assert (
        by_method(quote(SMALL, "CN", "FR", example_rate_card(), set()))[EXPRESS].parcel_units
        is None
    )


def test_minimum_charge_applies_to_small_parcels() -> None:
    small = parcel("0.4", "20", "15", "10")  # express: 0.6 kg volumetric -> 1.0 kg
    quotes = by_method(quote(small, "CN", "DE", example_rate_card(), set()))
    assert quotes[EXPRESS].chargeable_weight_kg == D("1.0")
    assert quotes[EXPRESS].cost == Money(D("23.00"), "USD")  # 8.50 < 20.00 minimum, + 3.00
    assert quotes[LAND].cost == Money(D("40.00"), "USD")  # 1 kg x 2.80 < 30.00, + 10.00


def test_no_land_rate_from_china_to_the_americas() -> None:
    quotes = by_method(quote(BOX, "CN", "us", example_rate_card(), set()))
    assert quotes[LAND].allowed is False
    assert quotes[LAND].refusal_keys == ("logistics.not_on_lane_land",)
    assert quotes[LAND].cost is None
    assert quotes[LAND].transit is None
    assert not quotes[LAND].cheapest and not quotes[LAND].fastest
    # express 19.5 x 9.00 + 3.00 = 178.50; sea 110 + 50 = 160.00
    assert quotes[EXPRESS].cost == Money(D("178.50"), "USD")
    assert quotes[SEA].cost == Money(D("160.00"), "USD")
    assert quotes[SEA].cheapest and quotes[EXPRESS].fastest


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
    quotes = by_method(quote(BOX, "CN", "DE", example_rate_card(), goods))
    assert quotes[EXPRESS].allowed is False
    assert quotes[EXPRESS].refusal_keys == keys
    assert quotes[EXPRESS].cost == Money(D("168.75"), "USD")  # still priced, for reference
    assert not quotes[EXPRESS].fastest and not quotes[EXPRESS].cheapest
    assert quotes[SEA].allowed and quotes[LAND].allowed
    assert quotes[LAND].fastest and quotes[LAND].cheapest  # 15-25 days beats sea's 30-45


def test_a_battery_inside_the_eu_leaves_road_only() -> None:
    quotes = by_method(quote(SMALL, "DE", "FR", example_rate_card(), {G.BATTERY_STANDALONE}))
    assert quotes[EXPRESS].refusal_keys == ("logistics.express_battery",)
    assert quotes[SEA].refusal_keys == ("logistics.not_on_lane_sea",)
    assert quotes[LAND].allowed and quotes[LAND].cheapest and quotes[LAND].fastest


@pytest.mark.parametrize(
    "goods",
    [{G.BATTERY_IN_EQUIPMENT}, {G.LIQUID_OTHER}, {G.FRAGILE, G.HIGH_VALUE}, set()],
)
def test_other_goods_may_fly(goods: set[GoodsCharacteristic]) -> None:
    quotes = by_method(quote(BOX, "CN", "DE", example_rate_card(), goods))
    assert quotes[EXPRESS].allowed is True
    assert quotes[EXPRESS].refusal_keys == ()


def test_oversize_parcel_is_pushed_to_sea_or_land() -> None:
    long_box = parcel("10", "130", "30", "30")
    quotes = by_method(quote(long_box, "CN", "DE", example_rate_card(), set()))
    assert quotes[EXPRESS].refusal_keys == ("logistics.oversize_express",)
    assert quotes[SEA].allowed and quotes[LAND].allowed


def test_overweight_parcel_is_refused_for_express() -> None:
    heavy = parcel("31", "50", "50", "50")
    quotes = by_method(quote(heavy, "CN", "DE", example_rate_card(), {G.BATTERY_STANDALONE}))
    assert quotes[EXPRESS].refusal_keys == (
        "logistics.express_battery",
        "logistics.overweight_express",
    )


def test_at_the_limits_express_is_still_allowed() -> None:
    edge = parcel("30", "120", "10", "10")
    assert by_method(quote(edge, "CN", "DE", example_rate_card(), set()))[EXPRESS].allowed


def test_nothing_allowed_marks_nothing() -> None:
    card = load_rate_card(
        {
            "currency": "USD",
            "zones": {"eu": ["DE"]},
            "lanes": [{"from": "CN", "to": "eu", "express": rate("10")}],
        }
    )
    quotes = quote(BOX, "CN", "DE", card, {G.BATTERY_STANDALONE})
    assert [q.allowed for q in quotes] == [False, False, False]
    assert not any(q.cheapest or q.fastest for q in quotes)
    # a destination no lane reaches: no rates at all
    unmapped = by_method(quote(BOX, "CN", "FR", card, set()))
    assert unmapped[EXPRESS].refusal_keys == ("logistics.no_lane",)
    assert unmapped[EXPRESS].lane is None


def _quote(method: ShippingMethod, cost: str, low: int, high: int, ccy: str = "USD") -> MethodQuote:
    return MethodQuote(
        method=method,
        origin="CN",
        destination="DE",
        lane=None,
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


# --- a method's name on its lane ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "origin", "destination", "key"),
    [
        (EXPRESS, "DE", "DE", "shipping.method_express_domestic"),
        ("express", "de", "DE", "shipping.method_express_domestic"),
        (EXPRESS, "CN", "DE", "shipping.method_express_international"),
        (EXPRESS, None, None, "shipping.method_express"),  # no one lane: a month's costs
        (EXPRESS, "DE", None, "shipping.method_express"),
        (SEA, "CN", "CN", "shipping.method_sea"),  # rare enough to keep its one name
        (LAND, "DE", "DE", "shipping.method_land"),  # road freight, whatever the border
        (LAND, "DE", "FR", "shipping.method_land"),
    ],
)
def test_express_is_named_by_whether_its_lane_crosses_a_border(
    method: ShippingMethod | str, origin: str | None, destination: str | None, key: str
) -> None:
    assert method_name_key(method, origin, destination) == key


def test_a_quote_names_its_method_by_its_lane() -> None:
    card = example_rate_card()
    box = parcel("1.2", "30", "20", "10")
    within = {q.method: q.name_key for q in quote(box, "DE", "DE", card, set())}
    assert within[EXPRESS] == "shipping.method_express_domestic"
    assert within[LAND] == "shipping.method_land"
    across = {q.method: q.name_key for q in quote(box, "DE", "FR", card, set())}
    assert across[EXPRESS] == "shipping.method_express_international"


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
