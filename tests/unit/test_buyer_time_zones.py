"""The buyer's time zone, pure: reading what a buyer types, what to offer for their countries,
and how a zone is named in each language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.tracking.time_zones import MAX_OFFERED, find_time_zone, is_time_zone, offered_zones
from templates.renderer import Renderer

WINTER = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("  europe/PARIS ", "Europe/Paris"),
        ("Chicago", "America/Chicago"),
        ("new   york", "America/New_York"),
        ("Нью-Йорк", "America/New_York"),  # CLDR's Russian city name
        ("Новосибирск", "Asia/Novosibirsk"),
        ("纽约", "America/New_York"),
        ("Nueva York", "America/New_York"),
        # An old alias and the current name of one place: the current one.
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("UTC", "UTC"),
    ],
)
def test_a_typed_city_or_zone_name_is_found(typed: str, zone: str) -> None:
    assert find_time_zone(typed) == zone


@pytest.mark.parametrize("typed", ["", "   ", "Atlantis", "Mars/Olympus_Mons", "x" * 65, "../etc"])
def test_anything_else_is_not_a_zone(typed: str) -> None:
    assert find_time_zone(typed) is None
    assert not is_time_zone(typed)


def test_the_zones_offered_start_with_each_countrys_main_zone() -> None:
    offered = offered_zones(["US", "FR", "us"])
    # France is not crowded out by the many zones of the United States.
    assert offered[:2] == ("America/New_York", "Europe/Paris")
    assert "America/Los_Angeles" in offered and len(offered) == MAX_OFFERED
    assert offered_zones(["DE"]) == ("Europe/Berlin",)
    assert offered_zones(["RU"])[0] == "Europe/Moscow"
    assert all(is_time_zone(zone) for zone in offered_zones(["CA", "AU", "BR", "MX"]))


def test_a_zone_is_named_by_its_city_in_the_readers_language() -> None:
    renderer = Renderer()
    assert renderer.time_zone("America/New_York", WINTER, "en") == "New York (GMT-05:00)"
    # Daylight saving time moves the offset, not the city.
    assert renderer.time_zone("America/New_York", SUMMER, "en") == "New York (GMT-04:00)"
    assert renderer.time_zone("America/New_York", WINTER, "ru") == "Нью-Йорк (GMT-05:00)"
    assert renderer.time_zone("America/New_York", None, "zh_Hans") == "纽约"
    assert renderer.time_zone("Europe/Paris", WINTER, "fr") == "Paris (UTC+01:00)"
    assert renderer.time_zone("UTC", None, "es") == "UTC"
    assert renderer.time_zone("No/Such_Zone", WINTER, "en") == "No/Such_Zone"
