"""`TrackingEvent`: one scan or status change of a parcel, as any provider reports it.

An event is identified by its provider event key: the poller stores an event once per shipment
and key, so the same scan reported by a push and again by a poll is recorded once and announced
once. Providers with their own event ids pass them; for those without (17TRACK has none), the key
is derived from what the event says — its UTC time, description and location — so the same scan
gets the same key however often and by whichever channel it arrives. The status is left out of
the derived key on purpose: a provider that re-classifies an old scan must not make it new.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.tracking.statuses import SubStatus, TrackingStatus

__all__ = [
    "MAX_DESCRIPTION_LENGTH",
    "MAX_KEY_LENGTH",
    "MAX_LOCATION_LENGTH",
    "TrackingEvent",
    "derive_event_key",
    "latest_event",
    "ordered_unique",
]

MAX_DESCRIPTION_LENGTH = 500
MAX_LOCATION_LENGTH = 200
MAX_KEY_LENGTH = 64


def _clean(text: str, limit: int) -> str:
    # Provider text is untrusted: drop control characters, collapse whitespace, bound the size.
    # The fast path keeps the simulator's bulk event creation cheap.
    if len(text) <= limit and text.isprintable() and "  " not in text and text == text.strip():
        return text
    printable = "".join(
        ch if unicodedata.category(ch)[0] != "C" else " " for ch in text[: limit * 2]
    )
    return " ".join(printable.split())[:limit]


def derive_event_key(time: datetime, description: str, location: str) -> str:
    """A stable key for an event without a provider id (32 hex characters)."""
    material = "|".join(
        (
            time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            " ".join(description.casefold().split()),
            " ".join(location.casefold().split()),
        )
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One event. `time` is aware and stored in UTC; an empty `key` is derived from the content."""

    time: datetime
    status: TrackingStatus
    sub_status: SubStatus
    description: str = ""
    location: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        # Fields are rewritten only when they change: the simulator builds millions of these.
        if self.time.tzinfo is not UTC:
            if self.time.tzinfo is None or self.time.utcoffset() is None:
                raise ValueError("a tracking event's time must be timezone-aware")
            object.__setattr__(self, "time", self.time.astimezone(UTC))
        if self.sub_status.status is not self.status:
            raise ValueError(f"{self.sub_status} is not a sub-status of {self.status}")
        description = _clean(self.description, MAX_DESCRIPTION_LENGTH)
        if description is not self.description:
            object.__setattr__(self, "description", description)
        location = _clean(self.location, MAX_LOCATION_LENGTH)
        if location is not self.location:
            object.__setattr__(self, "location", location)
        key = _clean(self.key, MAX_KEY_LENGTH)
        if not key:
            key = derive_event_key(self.time, self.description, self.location)
        if key is not self.key:
            object.__setattr__(self, "key", key)


def ordered_unique(events: Iterable[TrackingEvent]) -> tuple[TrackingEvent, ...]:
    """The events oldest first, each key once (the first occurrence wins)."""
    seen: set[str] = set()
    unique: list[TrackingEvent] = []
    for event in events:
        if event.key in seen:
            continue
        seen.add(event.key)
        unique.append(event)
    # Stable sort: events at the same instant keep the provider's order.
    unique.sort(key=lambda event: event.time)
    return tuple(unique)


def latest_event(events: Iterable[TrackingEvent]) -> TrackingEvent | None:
    """The most recent event (the last one reported among equal times), or None."""
    latest: TrackingEvent | None = None
    for event in events:
        if latest is None or event.time >= latest.time:
            latest = event
    return latest
