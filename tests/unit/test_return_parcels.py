"""The return parcel's news and the replacement order's number (domain/returns/parcels.py)."""

from __future__ import annotations

import pytest

from domain.returns.parcels import ParcelNews, parcel_news, replacement_number
from domain.tracking import TrackingStatus as T

MOVING = [T.IN_TRANSIT, T.OUT_FOR_DELIVERY, T.AVAILABLE_FOR_PICKUP, T.DELIVERY_FAILURE]
QUIET = [None, T.NOT_FOUND, T.INFO_RECEIVED, T.EXCEPTION, T.EXPIRED]


@pytest.mark.parametrize("before", QUIET)
@pytest.mark.parametrize("after", MOVING)
def test_the_first_move_is_news_once(before: T | None, after: T) -> None:
    assert parcel_news(before, after) is ParcelNews.IN_TRANSIT
    # Moving on between depots, or the same report again, tells nothing new.
    for later in MOVING:
        assert parcel_news(after, later) is None


@pytest.mark.parametrize("before", [*QUIET, *MOVING])
def test_delivery_is_news_whatever_came_before(before: T | None) -> None:
    assert parcel_news(before, T.DELIVERED) is ParcelNews.DELIVERED
    assert parcel_news(T.DELIVERED, T.DELIVERED) is None


@pytest.mark.parametrize("after", [*QUIET, *MOVING])
def test_nothing_after_delivery_takes_it_back(after: T | None) -> None:
    assert parcel_news(T.DELIVERED, after) is None


@pytest.mark.parametrize("after", QUIET)
def test_no_information_and_exceptions_are_not_news(after: T | None) -> None:
    assert parcel_news(None, after) is None


def test_replacement_numbers() -> None:
    assert replacement_number("AE-1042", 1, max_length=64) == "AE-1042-X1"
    assert replacement_number("AE-1042", 2, max_length=64) == "AE-1042-X2"
    # The suffix always fits: the original part is shortened instead.
    long = "8" * 64
    assert replacement_number(long, 1, max_length=64) == "8" * 61 + "-X1"
    assert len(replacement_number(long, 12, max_length=64)) == 64
