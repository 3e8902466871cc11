"""The buyer's time zone: which zones to offer for a country, and reading one a buyer types.

A buyer's quiet hours and the times in their messages follow the ship-to country's main zone
(`quiet_hours.default_time_zone`) until they pick another. Most countries have one zone; for
the big ones the choice is offered as a short list of the zones most people live in (CLDR
lists every zone of the United States, 29 of them, starting with the Aleutians). Anything else
is typed: a zone name (``Europe/Paris``) or its city, in English or in one of the bot's
languages as CLDR writes it (``Chicago``, ``new york``, ``Нью-Йорк``, ``纽约``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale

from domain.locales import SUPPORTED_LOCALES
from domain.tracking.quiet_hours import default_time_zone

__all__ = ["MAX_OFFERED", "find_time_zone", "is_time_zone", "offered_zones"]

MAX_OFFERED = 6

# Countries spanning several zones: the ones offered, most populous first.
_OFFERED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "US": (
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Phoenix",
            "America/Los_Angeles",
            "America/Anchorage",
        ),
        "CA": (
            "America/Toronto",
            "America/Vancouver",
            "America/Edmonton",
            "America/Winnipeg",
            "America/Halifax",
            "America/St_Johns",
        ),
        "RU": (
            "Europe/Moscow",
            "Asia/Yekaterinburg",
            "Asia/Novosibirsk",
            "Asia/Krasnoyarsk",
            "Asia/Vladivostok",
            "Europe/Kaliningrad",
        ),
        "BR": (
            "America/Sao_Paulo",
            "America/Manaus",
            "America/Cuiaba",
            "America/Rio_Branco",
            "America/Noronha",
        ),
        "AU": (
            "Australia/Sydney",
            "Australia/Brisbane",
            "Australia/Adelaide",
            "Australia/Perth",
            "Australia/Darwin",
        ),
        "MX": ("America/Mexico_City", "America/Monterrey", "America/Tijuana", "America/Cancun"),
        "KZ": ("Asia/Almaty", "Asia/Aqtobe"),
        "ID": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"),
    }
)


def is_time_zone(name: str) -> bool:
    """True for an IANA zone name this machine knows (a buyer's choice is stored as one)."""
    return name in _zones()


def offered_zones(countries: Iterable[str | None]) -> tuple[str, ...]:
    """The zones to offer a buyer whose orders ship to `countries`, at most `MAX_OFFERED`."""
    codes = list(dict.fromkeys((country or "").strip().upper() for country in countries))
    # Each country's main zone first, so a second country is not crowded out by the first's.
    candidates = [getattr(default_time_zone(code), "key", "UTC") for code in codes]
    candidates += [zone for code in codes for zone in _OFFERED.get(code, ())]
    offered = [zone for zone in dict.fromkeys(candidates) if is_time_zone(zone)]
    return tuple(offered[:MAX_OFFERED])


def find_time_zone(text: str) -> str | None:
    """The zone a buyer means by `text`: a zone name or its city, in any case; None if unknown
    or ambiguous."""
    wanted = "_".join(text.strip().split()).casefold()
    if not wanted or len(wanted) > 64:
        return None
    by_name = _by_folded_name().get(wanted)
    if by_name is not None:
        return by_name
    return _by_city().get(wanted) or _by_local_city().get(wanted)


@cache
def _zones() -> frozenset[str]:
    # Some systems list zones zoneinfo cannot open; offer only the ones that work.
    usable = set()
    for name in available_timezones():
        try:
            ZoneInfo(name)
        except (ValueError, OSError):
            continue
        usable.add(name)
    return frozenset(usable)


@cache
def _by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in _zones()}


@cache
def _by_city() -> dict[str, str]:
    cities: dict[str, list[str]] = {}
    for name in sorted(_zones()):
        if "/" not in name or name.startswith(("Etc/", "SystemV/")):
            continue
        cities.setdefault(name.rsplit("/", 1)[1].casefold(), []).append(name)
    found: dict[str, str] = {}
    for city, names in cities.items():
        # One city under several names is an old alias beside the current name, which is the
        # longer path (America/Buenos_Aires, America/Argentina/Buenos_Aires). Two zones of the
        # same depth are two places: the buyer must say which.
        deepest = max(name.count("/") for name in names)
        current = [name for name in names if name.count("/") == deepest]
        if len(current) == 1:
            found[city] = current[0]
    return found


@cache
def _by_local_city() -> dict[str, str]:
    """City names in the bot's languages (CLDR lists those that differ from English)."""
    zones: dict[str, set[str]] = {}
    for locale in SUPPORTED_LOCALES:
        for zone, names in Locale.parse(locale).time_zones.items():
            city = names.get("city")
            if city and is_time_zone(zone):
                zones.setdefault("_".join(str(city).split()).casefold(), set()).add(zone)
    return {city: next(iter(found)) for city, found in zones.items() if len(found) == 1}
