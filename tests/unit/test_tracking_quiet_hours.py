"""Quiet hours in the buyer's time zone; urgent notices go through; held ones merge."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.tracking.events import TrackingEvent
from domain.tracking.notices import BuyerNotice, NoticeKind
from domain.tracking.quiet_hours import PRIMARY_ZONES, QuietHours, default_time_zone, merge_held
from domain.tracking.statuses import SubStatus

PARIS = ZoneInfo("Europe/Paris")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
QUIET = QuietHours()


def _local(tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def _notice(kind: NoticeKind, sub: SubStatus, at: datetime) -> BuyerNotice:
    return BuyerNotice(kind, TrackingEvent(time=at, status=sub.status, sub_status=sub))


@pytest.mark.parametrize(
    ("hour", "minute", "quiet"),
    [(21, 59, False), (22, 0, True), (23, 30, True), (3, 0, True), (7, 59, True), (8, 0, False)],
)
def test_default_quiet_hours_are_22_to_8_local(hour: int, minute: int, quiet: bool) -> None:
    assert QUIET.is_quiet(_local(PARIS, 2026, 6, 10, hour, minute), PARIS) is quiet


def test_the_buyers_zone_decides_not_utc() -> None:
    # 01:00 UTC is 03:00 in Paris (quiet) and 22:00 the day before in São Paulo (quiet too),
    # 11:30 UTC is 13:30 in Paris and 08:30 in São Paulo (both awake).
    night = datetime(2026, 6, 10, 1, 0, tzinfo=UTC)
    assert QUIET.is_quiet(night, PARIS) and QUIET.is_quiet(night, SAO_PAULO)
    assert QUIET.quiet_until(night, PARIS) == _local(PARIS, 2026, 6, 10, 8, 0)
    assert QUIET.quiet_until(night, SAO_PAULO) == _local(SAO_PAULO, 2026, 6, 10, 8, 0)
    evening = datetime(2026, 6, 10, 20, 30, tzinfo=UTC)  # 22:30 Paris, 17:30 São Paulo
    assert QUIET.is_quiet(evening, PARIS) and not QUIET.is_quiet(evening, SAO_PAULO)
    assert QUIET.quiet_until(evening, PARIS) == _local(PARIS, 2026, 6, 11, 8, 0)
    assert QUIET.quiet_until(evening, SAO_PAULO) == evening


def test_quiet_night_across_a_daylight_saving_change_ends_at_8_local() -> None:
    # Paris springs forward in the night of 28-29 March 2026.
    before = _local(PARIS, 2026, 3, 28, 23, 0)
    end = QUIET.quiet_until(before, PARIS)
    assert end.astimezone(PARIS).hour == 8
    assert end - before.astimezone(UTC) == timedelta(hours=8)  # one hour fewer that night


def test_urgent_notices_go_at_once_others_wait() -> None:
    night = _local(PARIS, 2026, 6, 10, 23, 15)
    failure = _notice(NoticeKind.DELIVERY_FAILURE, SubStatus.DELIVERY_FAILURE_NO_BODY, night)
    pickup = _notice(NoticeKind.AVAILABLE_FOR_PICKUP, SubStatus.AVAILABLE_FOR_PICKUP_OTHER, night)
    delivered = _notice(NoticeKind.DELIVERED, SubStatus.DELIVERED_OTHER, night)
    assert QUIET.send_at(failure, night, PARIS) == night
    assert QUIET.send_at(pickup, night, PARIS) == night
    assert QUIET.send_at(delivered, night, PARIS) == _local(PARIS, 2026, 6, 11, 8, 0)
    day = _local(PARIS, 2026, 6, 11, 12, 0)
    assert QUIET.send_at(delivered, day, PARIS) == day


def test_custom_and_disabled_quiet_hours() -> None:
    short = QuietHours(start=time(1, 0), end=time(6, 0))
    assert short.is_quiet(_local(PARIS, 2026, 6, 10, 2, 0), PARIS)
    assert not short.is_quiet(_local(PARIS, 2026, 6, 10, 23, 0), PARIS)
    assert short.quiet_until(_local(PARIS, 2026, 6, 10, 2, 0), PARIS) == _local(
        PARIS, 2026, 6, 10, 6, 0
    )
    never = QuietHours(start=time(0, 0), end=time(0, 0))
    assert not never.enabled
    assert not never.is_quiet(_local(PARIS, 2026, 6, 10, 3, 0), PARIS)
    with pytest.raises(ValueError, match="wall-clock"):
        QuietHours(start=time(22, 0, tzinfo=UTC))


def test_held_notices_merge_into_one_message() -> None:
    night = _local(PARIS, 2026, 6, 10, 23, 0)
    customs = _notice(NoticeKind.CUSTOMS_RELEASED, SubStatus.IN_TRANSIT_CUSTOMS_RELEASED, night)
    out = _notice(
        NoticeKind.OUT_FOR_DELIVERY, SubStatus.OUT_FOR_DELIVERY_OTHER, night + timedelta(hours=8)
    )
    asked = _notice(
        NoticeKind.CUSTOMS_INFORMATION_REQUIRED,
        SubStatus.IN_TRANSIT_CUSTOMS_REQUIRING_INFORMATION,
        night - timedelta(hours=1),
    )
    # Out of order and with a duplicate, as rows come back from the outbox.
    assert merge_held([out, customs, out]) == (out,)
    assert merge_held([customs, asked]) == (customs,)  # released settles the request
    held = _notice(NoticeKind.CUSTOMS_HELD, SubStatus.IN_TRANSIT_CUSTOMS_PROCESSING, night)
    assert merge_held([held, asked]) == (asked, held)


def test_the_default_zone_comes_from_the_ship_to_country() -> None:
    assert default_time_zone("fr") == ZoneInfo("Europe/Paris")
    assert default_time_zone("BR") == ZoneInfo("America/Sao_Paulo")
    assert default_time_zone("RU") == ZoneInfo("Europe/Moscow")
    assert default_time_zone("US") == ZoneInfo("America/New_York")
    assert default_time_zone("XX") is UTC
    assert default_time_zone(None) is UTC


def test_every_primary_zone_is_one_of_its_countrys_zones() -> None:
    from babel.core import get_global

    territory_zones = get_global("territory_zones")
    for country, zone in PRIMARY_ZONES.items():
        assert zone in territory_zones[country], country
    # Every country with several zones has a primary one.
    several = {c for c, zones in territory_zones.items() if len(zones) > 1 and len(c) == 2}
    assert several - {"AQ", "UM", "ZZ"} <= set(PRIMARY_ZONES)
