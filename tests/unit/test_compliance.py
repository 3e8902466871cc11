"""Compliance rules on a shipping document: each rule both firing and staying quiet."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from domain.compliance import ShipmentCheck, blockers, check_shipment, warnings
from domain.logistics import BudgetPolicy, check_budget
from domain.money import ExchangeRates, Money
from domain.tracking_numbers import parse_tracking_number

D = Decimal
SHIP_BY = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(D(amount), "USD")


def clean(**changes: Any) -> ShipmentCheck:
    """A shipment that passes every rule; each test breaks one thing."""
    base = ShipmentCheck(
        warehouse_verified=True,
        tracking=parse_tracking_number("RB123456785GB"),
        tracking_used_on_other_order=False,
        declared_value=usd("100"),
        order_value=usd("100"),
        shipped_at=SHIP_BY - timedelta(hours=5),
        ship_by=SHIP_BY,
        method_allowed=True,
        quantity_ordered=3,
        quantity_shipped=3,
        budget=check_budget(usd("10"), usd("100"), BudgetPolicy(max_share=D("0.15"))),
    )
    return replace(base, **changes)


def rules(check: ShipmentCheck) -> list[str]:
    return [finding.rule for finding in check_shipment(check)]


def only(check: ShipmentCheck) -> Any:
    findings = check_shipment(check)
    assert len(findings) == 1, findings
    return findings[0]


def test_a_clean_shipment_has_no_findings() -> None:
    assert check_shipment(clean()) == []


# --- warehouse ----------------------------------------------------------------------------


def test_unverified_warehouse_blocks() -> None:
    finding = only(clean(warehouse_verified=False))
    assert (finding.rule, finding.severity) == ("warehouse_not_verified", "blocker")
    assert finding.message_key == "compliance.warehouse_not_verified"


def test_verified_warehouse_passes() -> None:
    assert "warehouse_not_verified" not in rules(clean(warehouse_verified=True))


def test_a_warehouse_suspended_meanwhile_is_named_and_said_to_be_suspended() -> None:
    finding = only(
        clean(
            warehouse_verified=False,
            warehouse_name="Hamburg hub",
            warehouse_status="suspended",
            warehouse_note="Licence expired",
        )
    )
    assert (finding.rule, finding.severity) == ("warehouse_suspended", "blocker")
    assert finding.message_key == "compliance.warehouse_suspended"
    assert finding.params == {"name": "Hamburg hub", "note": "Licence expired"}


def test_an_unverified_warehouse_is_named_with_its_status() -> None:
    finding = only(
        clean(warehouse_verified=False, warehouse_name="Dongguan", warehouse_status="rejected")
    )
    assert (finding.rule, finding.message_key) == (
        "warehouse_not_verified",
        "compliance.warehouse_not_verified",
    )
    assert finding.params == {"name": "Dongguan", "status": "rejected"}


def test_a_verified_warehouse_that_no_longer_ships_says_so() -> None:
    finding = only(
        clean(warehouse_verified=False, warehouse_name="Dongguan", warehouse_status="verified")
    )
    assert (finding.rule, finding.params) == ("warehouse_cannot_ship", {"name": "Dongguan"})


# --- tracking -----------------------------------------------------------------------------


def test_reused_tracking_number_blocks() -> None:
    finding = only(clean(tracking_used_on_other_order=True))
    assert (finding.rule, finding.severity) == ("tracking_reused", "blocker")
    assert finding.params["tracking"] == "RB123456785GB"


def test_fresh_tracking_number_passes() -> None:
    assert "tracking_reused" not in rules(clean(tracking_used_on_other_order=False))


def test_bad_s10_check_digit_blocks() -> None:
    finding = only(clean(tracking=parse_tracking_number("RB123456784GB")))
    assert (finding.rule, finding.severity) == ("tracking_check_digit", "blocker")
    assert finding.message_key == "compliance.s10_check_digit"


def test_bad_prefixed_carrier_check_digit_blocks() -> None:
    finding = only(clean(tracking=parse_tracking_number("1Z999AA10123456785")))
    assert (finding.rule, finding.severity) == ("tracking_check_digit", "blocker")
    assert finding.message_key == "compliance.carrier_check_digit"
    assert finding.params["carrier"] == "ups"


@pytest.mark.parametrize("number", ["EB000717618HK", "1Z999AA10123456784", "LP00123456789012"])
def test_good_check_digits_and_known_formats_pass(number: str) -> None:
    assert check_shipment(clean(tracking=parse_tracking_number(number))) == []


def test_unknown_tracking_format_warns() -> None:
    finding = only(clean(tracking=parse_tracking_number("ZX99887766")))
    assert (finding.rule, finding.severity) == ("tracking_unknown_format", "warning")
    assert finding.message_key == "compliance.tracking_unknown_format"


# --- declared value -----------------------------------------------------------------------


@pytest.mark.parametrize("declared", ["79.99", "120.01", "1", "500"])
def test_declared_value_more_than_20_percent_off_warns(declared: str) -> None:
    finding = only(clean(declared_value=usd(declared)))
    assert (finding.rule, finding.severity) == ("declared_value_mismatch", "warning")
    assert finding.params["order_value"] == "100.00 USD"
    assert finding.params["tolerance_percent"] == "20.00"


def test_declared_value_deviation_is_reported() -> None:
    finding = only(clean(declared_value=usd("50")))
    assert finding.params["deviation_percent"] == "50.0"


@pytest.mark.parametrize("declared", ["80", "100", "120", "95.50"])
def test_declared_value_within_20_percent_passes(declared: str) -> None:
    assert check_shipment(clean(declared_value=usd(declared))) == []


def test_declared_value_in_another_currency_uses_the_sellers_rate() -> None:
    rates = ExchangeRates({("USD", "CNY"): D("7.2")})
    near = clean(declared_value=Money(D("700"), "CNY"), rates=rates)  # 97.22 USD
    assert check_shipment(near) == []
    far = clean(declared_value=Money(D("360"), "CNY"), rates=rates)  # 50 USD
    assert rules(far) == ["declared_value_mismatch"]


def test_declared_value_without_a_rate_cannot_be_checked_and_warns() -> None:
    finding = only(clean(declared_value=Money(D("700"), "CNY")))
    assert (finding.rule, finding.severity) == ("declared_value_unchecked", "warning")


def test_zero_order_value() -> None:
    assert check_shipment(clean(order_value=usd("0"), declared_value=usd("0"), budget=None)) == []
    finding = only(clean(order_value=usd("0"), declared_value=usd("5"), budget=None))
    assert finding.rule == "declared_value_mismatch"
    assert finding.params["deviation_percent"] is None


# --- ship-by deadline ---------------------------------------------------------------------


def test_shipped_after_the_deadline_warns() -> None:
    finding = only(clean(shipped_at=SHIP_BY + timedelta(hours=26)))
    assert (finding.rule, finding.severity) == ("shipped_late", "warning")
    assert finding.params["hours_late"] == 26


def test_goods_sent_again_are_not_late_against_the_first_parcels_deadline() -> None:
    # The first parcel was lost or came back: the deadline was the first parcel's to meet.
    assert check_shipment(clean(shipped_at=SHIP_BY + timedelta(days=14), sent_again=True)) == []


@pytest.mark.parametrize("shipped_at", [SHIP_BY, SHIP_BY - timedelta(days=2)])
def test_shipped_on_time_passes(shipped_at: datetime) -> None:
    assert check_shipment(clean(shipped_at=shipped_at)) == []


def test_deadline_in_another_time_zone_compares_as_instants() -> None:
    shanghai = timezone(timedelta(hours=8))
    on_time = SHIP_BY.astimezone(shanghai)
    assert check_shipment(clean(shipped_at=on_time)) == []


def test_naive_times_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        clean(shipped_at=datetime(2026, 11, 25, 12, 0))


# --- method -------------------------------------------------------------------------------


def test_method_not_allowed_blocks_with_its_reasons() -> None:
    finding = only(clean(method_allowed=False, method_refusal_keys=["logistics.express_battery"]))
    assert (finding.rule, finding.severity) == ("method_not_allowed", "blocker")
    assert finding.params["reasons"] == ["logistics.express_battery"]


def test_a_method_missing_on_the_lane_names_the_lane() -> None:
    finding = only(
        clean(
            method_allowed=False,
            method_refusal_keys=["logistics.not_on_lane_sea"],
            origin_country="DE",
            destination_country="FR",
        )
    )
    assert finding.params == {
        "reasons": ["logistics.not_on_lane_sea"],
        "origin": "DE",
        "destination": "FR",
    }


def test_allowed_method_passes() -> None:
    assert "method_not_allowed" not in rules(clean(method_allowed=True))


# --- budget -------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "severity"), [("warn", "warning"), ("block", "blocker")])
def test_over_budget_follows_the_policy_mode(mode: Any, severity: str) -> None:
    budget = check_budget(usd("30"), usd("100"), BudgetPolicy(max_share=D("0.15"), mode=mode))
    finding = only(clean(budget=budget))
    assert (finding.rule, finding.severity) == ("over_budget", severity)
    assert finding.params["exceeded"] == ["max_share"]
    assert finding.params["share_limit"] == "15.00 USD"


@pytest.mark.parametrize("mode", ["warn", "block"])
def test_within_budget_or_no_policy_passes(mode: Any) -> None:
    within = check_budget(usd("15"), usd("100"), BudgetPolicy(max_share=D("0.15"), mode=mode))
    assert check_shipment(clean(budget=within)) == []
    assert check_shipment(clean(budget=None)) == []


# --- quantity -----------------------------------------------------------------------------


def test_fewer_items_than_ordered_is_a_partial_shipment() -> None:
    finding = only(clean(quantity_shipped=2))
    assert (finding.rule, finding.severity) == ("quantity_mismatch", "warning")
    assert finding.message_key == "compliance.partial_shipment"
    assert finding.params == {"ordered": 3, "shipped": 2}


def test_more_items_than_ordered_warns_differently() -> None:
    finding = only(clean(quantity_shipped=4))
    assert (finding.rule, finding.severity) == ("quantity_mismatch", "warning")
    assert finding.message_key == "compliance.quantity_exceeds_order"


def test_full_quantity_passes() -> None:
    assert "quantity_mismatch" not in rules(clean(quantity_shipped=3))


# --- together -----------------------------------------------------------------------------


def test_everything_wrong_at_once_and_the_helpers() -> None:
    over = check_budget(usd("30"), usd("100"), BudgetPolicy(max_share=D("0.15"), mode="block"))
    check = clean(
        warehouse_verified=False,
        tracking=parse_tracking_number("RB123456784GB"),
        tracking_used_on_other_order=True,
        declared_value=usd("10"),
        shipped_at=SHIP_BY + timedelta(days=1),
        method_allowed=False,
        method_refusal_keys=["logistics.express_flammable"],
        budget=over,
        quantity_shipped=1,
    )
    findings = check_shipment(check)
    assert [f.rule for f in findings] == [
        "warehouse_not_verified",
        "tracking_reused",
        "tracking_check_digit",
        "declared_value_mismatch",
        "shipped_late",
        "method_not_allowed",
        "over_budget",
        "quantity_mismatch",
    ]
    assert [f.rule for f in blockers(findings)] == [
        "warehouse_not_verified",
        "tracking_reused",
        "tracking_check_digit",
        "method_not_allowed",
        "over_budget",
    ]
    assert [f.rule for f in warnings(findings)] == [
        "declared_value_mismatch",
        "shipped_late",
        "quantity_mismatch",
    ]
