"""Quiet hours: no tracking message wakes the buyer at night, in their own time zone.

By default 22:00 to 08:00 local time. A notice that falls inside is held until the quiet hours
end — except a failed delivery and a parcel waiting at a pickup point, which go out at once
because the buyer may have to act the same day. When the hours end, all the notices held for
one buyer and shipment go out as one message: `merge_held` picks what it says (the latest
change, and any earlier request to act that nothing later settled).

Times are computed in the buyer's zone with `zoneinfo`, so a quiet night across a daylight
saving change still ends at 08:00 local time. Until the buyer picks one, `default_time_zone`
takes it from the ship-to country: its only zone (CLDR's territory zones, through Babel), or
for a country spanning several, the zone where most of its people live.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global

from domain.tracking.notices import BuyerNotice, supersede

__all__ = ["PRIMARY_ZONES", "QuietHours", "default_time_zone", "merge_held"]

# Countries with several zones: the one most of the population lives in.
PRIMARY_ZONES: Mapping[str, str] = MappingProxyType(
    {
        "AR": "America/Argentina/Buenos_Aires",
        "AU": "Australia/Sydney",
        "BR": "America/Sao_Paulo",
        "CA": "America/Toronto",
        "CD": "Africa/Kinshasa",
        "CL": "America/Santiago",
        "CN": "Asia/Shanghai",
        "CY": "Asia/Nicosia",
        "DE": "Europe/Berlin",
        "EC": "America/Guayaquil",
        "ES": "Europe/Madrid",
        "FM": "Pacific/Pohnpei",
        "GL": "America/Nuuk",
        "ID": "Asia/Jakarta",
        "KI": "Pacific/Tarawa",
        "KZ": "Asia/Almaty",
        "MH": "Pacific/Majuro",
        "MN": "Asia/Ulaanbaatar",
        "MX": "America/Mexico_City",
        "MY": "Asia/Kuala_Lumpur",
        "NZ": "Pacific/Auckland",
        "PF": "Pacific/Tahiti",
        "PG": "Pacific/Port_Moresby",
        "PS": "Asia/Gaza",
        "PT": "Europe/Lisbon",
        "RU": "Europe/Moscow",
        "UA": "Europe/Kyiv",
        "US": "America/New_York",
        "UZ": "Asia/Tashkent",
    }
)


def default_time_zone(country: str | None) -> tzinfo:
    """The zone a buyer in `country` (ISO 3166 alpha-2) most likely lives in; UTC if unknown."""
    code = (country or "").strip().upper()
    name = PRIMARY_ZONES.get(code)
    if name is None:
        zones: list[str] = list(get_global("territory_zones").get(code) or [])
        name = zones[0] if zones else None
    if name is None:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local start and end of the quiet period; equal times mean no quiet hours at all."""

    start: time = time(22, 0)
    end: time = time(8, 0)

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("quiet hours are local wall-clock times, without a zone")

    @property
    def enabled(self) -> bool:
        return self.start != self.end

    def is_quiet(self, moment: datetime, tz: tzinfo) -> bool:
        """True when `moment` (aware) falls in the quiet hours where the buyer lives."""
        if not self.enabled:
            return False
        local = moment.astimezone(tz).time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def quiet_until(self, moment: datetime, tz: tzinfo) -> datetime:
        """The end (UTC) of the quiet period that contains `moment`; `moment` if it is not quiet."""
        if not self.is_quiet(moment, tz):
            return moment.astimezone(UTC)
        local = moment.astimezone(tz)
        day = local.date()
        for offset in (0, 1):
            candidate = datetime.combine(day + timedelta(days=offset), self.end, tzinfo=tz)
            if candidate > local:
                return candidate.astimezone(UTC)
        raise AssertionError("a quiet period always ends within a day")  # pragma: no cover

    def send_at(self, notice: BuyerNotice, now: datetime, tz: tzinfo) -> datetime:
        """When `notice`, produced at `now`, may be sent: at once if urgent or not quiet."""
        if notice.urgent:
            return now.astimezone(UTC)
        return self.quiet_until(now, tz)


def merge_held(notices: Iterable[BuyerNotice]) -> tuple[BuyerNotice, ...]:
    """What one message says for several notices held through the night, oldest first.

    Duplicates go; so does any change a later one made obsolete. The last notice is the
    headline; the others are earlier requests to act that are still open.
    """
    ordered = sorted(notices, key=lambda notice: notice.event.time)
    return supersede(ordered)
