"""Canonical 17TRACK statuses and the mapping of provider codes onto them."""

from __future__ import annotations

import pytest

from domain.tracking.statuses import (
    OTHER_SUB_STATUS,
    SubStatus,
    TrackingStatus,
    UnknownCodes,
    is_final,
    map_status,
)

# Exactly the set ARCHITECTURE.md and 17TRACK's v2.2 documentation list.
DOCUMENTED = {
    "NotFound": {"NotFound_Other", "NotFound_InvalidCode"},
    "InfoReceived": {"InfoReceived"},
    "InTransit": {
        "InTransit_PickedUp",
        "InTransit_Departure",
        "InTransit_Arrival",
        "InTransit_CustomsProcessing",
        "InTransit_CustomsReleased",
        "InTransit_CustomsRequiringInformation",
        "InTransit_Other",
    },
    "Expired": {"Expired_Other"},
    "AvailableForPickup": {"AvailableForPickup_Other"},
    "OutForDelivery": {"OutForDelivery_Other"},
    "DeliveryFailure": {
        "DeliveryFailure_NoBody",
        "DeliveryFailure_Security",
        "DeliveryFailure_Rejected",
        "DeliveryFailure_InvalidAddress",
        "DeliveryFailure_Other",
    },
    "Delivered": {"Delivered_Other"},
    "Exception": {
        "Exception_Returning",
        "Exception_Returned",
        "Exception_NoBody",
        "Exception_Security",
        "Exception_Damage",
        "Exception_Rejected",
        "Exception_Delayed",
        "Exception_Lost",
        "Exception_Destroyed",
        "Exception_Cancel",
        "Exception_Other",
    },
}


def test_the_canonical_set_is_exactly_17tracks() -> None:
    assert {status.value for status in TrackingStatus} == set(DOCUMENTED)
    by_status: dict[str, set[str]] = {}
    for sub in SubStatus:
        by_status.setdefault(sub.status.value, set()).add(sub.value)
    assert by_status == DOCUMENTED


def test_every_status_has_its_other_sub_status() -> None:
    for status in TrackingStatus:
        assert OTHER_SUB_STATUS[status].status is status


@pytest.mark.parametrize(
    ("status", "sub", "expected_status", "expected_sub"),
    [
        ("InTransit", "InTransit_CustomsProcessing", "InTransit", "InTransit_CustomsProcessing"),
        ("Delivered", "Delivered_Other", "Delivered", "Delivered_Other"),
        ("Exception", "Exception_Returned", "Exception", "Exception_Returned"),
        ("InfoReceived", "InfoReceived", "InfoReceived", "InfoReceived"),
        # A sub-status alone is enough: its main status follows from it.
        (None, "DeliveryFailure_NoBody", "DeliveryFailure", "DeliveryFailure_NoBody"),
        # No sub-status: the status's catch-all.
        ("OutForDelivery", None, "OutForDelivery", "OutForDelivery_Other"),
        ("Expired", "", "Expired", "Expired_Other"),
        # Nothing at all: nothing is known about the number.
        (None, None, "NotFound", "NotFound_Other"),
    ],
)
def test_documented_codes_map_to_themselves(
    status: str | None, sub: str | None, expected_status: str, expected_sub: str
) -> None:
    mapping = map_status(status, sub)
    assert (mapping.status.value, mapping.sub_status.value) == (expected_status, expected_sub)
    assert mapping.unknown == ()


@pytest.mark.parametrize(
    ("status", "sub", "expected_status", "expected_sub", "unknown"),
    [
        # 17TRACK has spelt Exception_Damage as Exception_Damaged in places.
        ("Exception", "Exception_Damaged", "Exception", "Exception_Other", ("Exception_Damaged",)),
        # A new sub-status of a known status: that status's _Other.
        ("InTransit", "InTransit_Sorting", "InTransit", "InTransit_Other", ("InTransit_Sorting",)),
        # An unknown sub-status whose prefix names a known status, without a main status.
        (None, "DeliveryFailure_Weather", "DeliveryFailure", "DeliveryFailure_Other",
         ("DeliveryFailure_Weather",)),
        # A new main status: the words decide.
        ("Undelivered", None, "DeliveryFailure", "DeliveryFailure_Other", ("Undelivered",)),
        ("ReturnedToSender", None, "Exception", "Exception_Other", ("ReturnedToSender",)),
        ("ReadyForPickup", None, "AvailableForPickup", "AvailableForPickup_Other",
         ("ReadyForPickup",)),
        ("OutForDeliveryToday", None, "OutForDelivery", "OutForDelivery_Other",
         ("OutForDeliveryToday",)),
        ("DELIVERED", None, "Delivered", "Delivered_Other", ("DELIVERED",)),
        ("LabelCreated", None, "InfoReceived", "InfoReceived", ("LabelCreated",)),
        # 17TRACK v1's numeric package states.
        ("40", None, "Delivered", "Delivered_Other", ("40",)),
        ("35", None, "DeliveryFailure", "DeliveryFailure_Other", ("35",)),
        ("0", None, "NotFound", "NotFound_Other", ("0",)),
        # Meaningless: something happened, so InTransit (neither alarming nor final).
        ("Zorblax", "Quux", "InTransit", "InTransit_Other", ("Zorblax", "Quux")),
        # Known but contradictory pair: the main status wins, the pair is reported.
        ("Delivered", "InTransit_Arrival", "Delivered", "Delivered_Other",
         ("Delivered/InTransit_Arrival",)),
        # A documented sub-status in another spelling still counts under its known status.
        ("InTransit", "intransit_pickedup", "InTransit", "InTransit_PickedUp",
         ("intransit_pickedup",)),
    ],
)  # fmt: skip
def test_unknown_codes_map_to_the_nearest_other_and_are_reported(
    status: str | None,
    sub: str | None,
    expected_status: str,
    expected_sub: str,
    unknown: tuple[str, ...],
) -> None:
    mapping = map_status(status, sub)
    assert (mapping.status.value, mapping.sub_status.value) == (expected_status, expected_sub)
    assert mapping.unknown == unknown


def test_final_states_stop_everything_else_continues() -> None:
    assert is_final(TrackingStatus.DELIVERED, SubStatus.DELIVERED_OTHER)
    assert is_final(TrackingStatus.EXPIRED)
    assert is_final(TrackingStatus.EXCEPTION, SubStatus.EXCEPTION_RETURNED)
    assert is_final(TrackingStatus.EXCEPTION, SubStatus.EXCEPTION_CANCEL)
    assert not is_final(TrackingStatus.EXCEPTION, SubStatus.EXCEPTION_RETURNING)
    assert not is_final(TrackingStatus.EXCEPTION, SubStatus.EXCEPTION_LOST)
    assert not is_final(TrackingStatus.DELIVERY_FAILURE, SubStatus.DELIVERY_FAILURE_NO_BODY)
    assert not is_final(TrackingStatus.NOT_FOUND)


def test_unknown_codes_are_reported_once_and_bounded() -> None:
    registry = UnknownCodes(limit=3)
    assert registry.first_seen(["A", "B", "A"]) == ["A", "B"]
    assert registry.first_seen(["B", "C"]) == ["C"]
    # Full: one last line says more were not reported, then silence.
    assert registry.first_seen(["D", "E"]) == [UnknownCodes.OVERFLOW]
    assert registry.first_seen(["F"]) == []
    assert registry.first_seen(["A"]) == []
