"""17TRACK API v2.2 payloads: request bodies we send, responses and pushes we read.

Pure functions, no I/O, so every documented shape is unit-tested on its own. The shapes:

- every response is an envelope ``{"code": 0, "data": {"accepted": [...], "rejected": [...]}}``;
  a non-zero ``code`` is a whole-call failure with ``data.errors[{code, message}]``;
- a rejected number is ``{"number": ..., "error": {"code": -18019903, "message": ...}}``;
- ``track_info.latest_status`` holds ``status`` / ``sub_status``; events are under
  ``track_info.tracking.providers[].events[]`` with ``time_utc`` / ``time_iso``, ``description``,
  ``location``, ``address``, ``stage`` (and sometimes ``sub_status``); the estimate is
  ``track_info.time_metrics.estimated_delivery_date.from`` / ``to``;
- a push is ``{"event": "TRACKING_UPDATED", "data": {"number", "carrier", "track_info"}}`` or
  ``{"event": "TRACKING_STOPPED", "data": {"number", "carrier"}}``.

Provider data is untrusted: a malformed item is skipped (and counted in ``unknown_codes`` when
it is a code we do not know) rather than failing the whole batch; only an unusable envelope
raises `PayloadError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from domain.tracking import (
    AcceptedNumber,
    BatchOutcome,
    DeliveryEstimate,
    EstimateSource,
    Quota,
    Rejection,
    RejectionReason,
    SubStatus,
    TrackedNumber,
    TrackingEvent,
    TrackingStatus,
    TrackingUpdate,
    map_status,
    ordered_unique,
)
from domain.tracking.statuses import OTHER_SUB_STATUS

__all__ = [
    "ALREADY_REGISTERED",
    "AUTH_ERROR_CODES",
    "CARRIER_CODES",
    "DAILY_LIMIT",
    "QUOTA_EXHAUSTED",
    "Envelope",
    "PayloadError",
    "carrier_code",
    "change_carrier_body",
    "numbers_body",
    "parse_batch_outcome",
    "parse_envelope",
    "parse_fetch_outcome",
    "parse_quota",
    "parse_track_info",
    "reason_for_code",
]

ALREADY_REGISTERED = -18019901
QUOTA_EXHAUSTED = -18019908
DAILY_LIMIT = -18019907
AUTH_ERROR_CODES = frozenset({-18010001, -18010002, -18010004, -18010005})

# 17TRACK's error codes, as the reason the poller acts on.
_REASONS: Mapping[int, RejectionReason] = MappingProxyType(
    {
        -18010003: RejectionReason.PROVIDER_ERROR,
        -18010010: RejectionReason.INVALID_NUMBER,
        -18010011: RejectionReason.INVALID_NUMBER,
        -18010012: RejectionReason.INVALID_NUMBER,
        -18010013: RejectionReason.INVALID_NUMBER,
        -18010015: RejectionReason.INVALID_NUMBER,
        -18010016: RejectionReason.WRONG_CARRIER,
        -18010018: RejectionReason.MISSING_DETAILS,
        -18010019: RejectionReason.MISSING_DETAILS,
        -18010020: RejectionReason.MISSING_DETAILS,
        -18010022: RejectionReason.MISSING_DETAILS,
        -18019902: RejectionReason.NOT_REGISTERED,
        -18019903: RejectionReason.CARRIER_NOT_DETECTED,
        -18019904: RejectionReason.NOT_STOPPED,
        -18019905: RejectionReason.RETRACK_USED,
        -18019906: RejectionReason.ALREADY_STOPPED,
        DAILY_LIMIT: RejectionReason.DAILY_LIMIT,
        QUOTA_EXHAUSTED: RejectionReason.QUOTA_EXHAUSTED,
        -18019909: RejectionReason.NO_INFORMATION_YET,
        -18019910: RejectionReason.WRONG_CARRIER,
        -18019911: RejectionReason.PROVIDER_ERROR,
        **{code: RejectionReason.CARRIER_CHANGE_REFUSED for code in range(-18019811, -18019800)},
    }
)

# Our carrier names (domain.tracking_numbers) -> 17TRACK carrier keys. Anything else is sent
# without a carrier: 17TRACK detects it from the number.
CARRIER_CODES: Mapping[str, int] = MappingProxyType(
    {
        "dhl": 100001,
        "ups": 100002,
        "fedex": 100003,
        "usps": 21051,
        "china_post": 3011,
        "cainiao": 190271,
    }
)

# Milestone names 17TRACK also uses as an event's ``stage``.
_STAGE_ALIASES: Mapping[str, SubStatus] = MappingProxyType(
    {
        "PickedUp": SubStatus.IN_TRANSIT_PICKED_UP,
        "Departure": SubStatus.IN_TRANSIT_DEPARTURE,
        "Arrival": SubStatus.IN_TRANSIT_ARRIVAL,
        "Returning": SubStatus.EXCEPTION_RETURNING,
        "Returned": SubStatus.EXCEPTION_RETURNED,
    }
)


_STATUS_VALUES = frozenset(status.value for status in TrackingStatus)


class PayloadError(ValueError):
    """17TRACK answered something we cannot read at all."""


def reason_for_code(code: int) -> RejectionReason:
    return _REASONS.get(code, RejectionReason.OTHER)


def carrier_code(carrier: str | None) -> int | None:
    """The 17TRACK carrier key for `carrier` (a key in digits, or one of our names), or None."""
    if carrier is None:
        return None
    text = carrier.strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text)
    return CARRIER_CODES.get(text.lower())


def _carrier_text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return text if text and text != "0" else None


# --- request bodies -----------------------------------------------------------------------


def numbers_body(numbers: Sequence[TrackedNumber]) -> list[dict[str, Any]]:
    """The body of register, gettrackinfo, stoptrack and retrack: ``[{number, carrier?}]``."""
    body: list[dict[str, Any]] = []
    for item in numbers:
        entry: dict[str, Any] = {"number": item.number}
        code = carrier_code(item.carrier)
        if code is not None:
            entry["carrier"] = code
        body.append(entry)
    return body


def change_carrier_body(number: TrackedNumber, new_carrier: str) -> list[dict[str, Any]]:
    code = carrier_code(new_carrier)
    if code is None:
        raise ValueError(f"unknown 17TRACK carrier {new_carrier!r}")
    entry: dict[str, Any] = {"number": number.number, "carrier_new": code}
    old = carrier_code(number.carrier)
    if old is not None:
        entry["carrier_old"] = old
    return [entry]


# --- envelopes and batches ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    code: int
    data: Mapping[str, Any]
    message: str = ""


def parse_envelope(raw: bytes | str | Mapping[str, Any]) -> Envelope:
    """Read ``{"code", "data"}``; a whole-call error's first message is kept for operators."""
    try:
        document = json.loads(raw) if isinstance(raw, bytes | str) else raw
    except ValueError as exc:
        raise PayloadError("17TRACK answered something that is not JSON") from exc
    if not isinstance(document, Mapping) or "code" not in document:
        raise PayloadError("17TRACK answered without a code")
    code = document.get("code")
    if isinstance(code, bool) or not isinstance(code, int):
        raise PayloadError("17TRACK answered with a code that is not a number")
    data = document.get("data")
    data = data if isinstance(data, Mapping) else {}
    message = ""
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        message = str(errors[0].get("message", ""))[:300]
    return Envelope(code=code, data=data, message=message)


def _items(data: Mapping[str, Any], name: str) -> Iterable[Mapping[str, Any]]:
    values = data.get(name)
    if not isinstance(values, list):
        return ()
    return (value for value in values if isinstance(value, Mapping))


def _rejections(data: Mapping[str, Any]) -> list[tuple[Rejection, int]]:
    rejected: list[tuple[Rejection, int]] = []
    for item in _items(data, "rejected"):
        number = item.get("number")
        error = item.get("error")
        error = error if isinstance(error, Mapping) else {}
        code = error.get("code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else 0
        message = str(error.get("message", ""))[:300]
        rejected.append(
            (Rejection(str(number or ""), reason_for_code(code), str(code), message), code)
        )
    return rejected


def parse_batch_outcome(data: Mapping[str, Any], *, registering: bool = False) -> BatchOutcome:
    """Accepted and rejected numbers of register, stoptrack, retrack or changecarrier.

    When registering, "already registered" (-18019901) is an acceptance: the number is
    tracked, which is all we asked, and it cost no quota.
    """
    accepted = [
        AcceptedNumber(str(item.get("number", "")), _carrier_text(item.get("carrier")))
        for item in _items(data, "accepted")
    ]
    rejected: list[Rejection] = []
    for rejection, code in _rejections(data):
        if registering and code == ALREADY_REGISTERED:
            accepted.append(AcceptedNumber(rejection.number, None, already_registered=True))
        else:
            rejected.append(rejection)
    return BatchOutcome(tuple(accepted), tuple(rejected))


def parse_fetch_outcome(data: Mapping[str, Any]) -> tuple[list[TrackingUpdate], list[Rejection]]:
    """The updates and rejections of a gettrackinfo answer."""
    updates: list[TrackingUpdate] = []
    for item in _items(data, "accepted"):
        track_info = item.get("track_info")
        updates.append(
            parse_track_info(
                str(item.get("number", "")),
                _carrier_text(item.get("carrier")),
                track_info if isinstance(track_info, Mapping) else {},
            )
        )
    return updates, [rejection for rejection, _ in _rejections(data)]


def parse_quota(data: Mapping[str, Any]) -> Quota:
    def number(name: str) -> int | None:
        value = data.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    total, used, remaining = number("quota_total"), number("quota_used"), number("quota_remain")
    if total is None or remaining is None:
        raise PayloadError("17TRACK's quota answer lacks quota_total or quota_remain")
    daily = number("max_track_daily")
    return Quota(
        total=total,
        used=used if used is not None else total - remaining,
        remaining=remaining,
        used_today=number("today_used"),
        daily_limit=daily if daily else None,  # 0 means no daily limit
    )


# --- track_info -----------------------------------------------------------------------------


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return moment.astimezone(UTC)


def _local_date(value: Any) -> date | None:
    # The estimate's own offset says which day it means where the parcel is delivered.
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text).date()
    except ValueError:
        return None


def _estimate(track_info: Mapping[str, Any]) -> DeliveryEstimate | None:
    metrics = track_info.get("time_metrics")
    window = metrics.get("estimated_delivery_date") if isinstance(metrics, Mapping) else None
    if not isinstance(window, Mapping):
        return None
    start, end = _local_date(window.get("from")), _local_date(window.get("to"))
    start, end = start or end, end or start
    if start is None or end is None:
        return None
    return DeliveryEstimate(min(start, end), max(start, end), EstimateSource.PROVIDER)


def _location(event: Mapping[str, Any]) -> str:
    location = event.get("location")
    if isinstance(location, str) and location.strip():
        return location
    address = event.get("address")
    if not isinstance(address, Mapping):
        return ""
    parts = [address.get(part) for part in ("city", "state", "country")]
    return ", ".join(part for part in parts if isinstance(part, str) and part.strip())


def _description(event: Mapping[str, Any]) -> str:
    translation = event.get("description_translation")
    if isinstance(translation, Mapping):
        text = translation.get("description")
        if isinstance(text, str) and text.strip():
            return text
    text = event.get("description")
    return text if isinstance(text, str) else ""


def _event_sub_status(event: Mapping[str, Any], unknown: set[str]) -> SubStatus | None:
    """The event's sub-status from ``sub_status`` or ``stage``; None when it gives neither."""
    sub_value = event.get("sub_status")
    stage = event.get("stage")
    sub_value = sub_value.strip() if isinstance(sub_value, str) else ""
    stage = stage.strip() if isinstance(stage, str) else ""
    if not sub_value and not stage:
        return None
    if sub_value:
        mapping = map_status(None, sub_value)
    elif stage in _STAGE_ALIASES:
        return _STAGE_ALIASES[stage]
    elif stage in _STATUS_VALUES:
        mapping = map_status(stage, None)
    else:
        mapping = map_status(None, stage)
    unknown.update(mapping.unknown)
    return mapping.sub_status


def _events(
    track_info: Mapping[str, Any], latest: SubStatus, unknown: set[str]
) -> tuple[TrackingEvent, ...]:
    tracking = track_info.get("tracking")
    providers = tracking.get("providers") if isinstance(tracking, Mapping) else None
    raw: list[tuple[datetime, int, Mapping[str, Any]]] = []
    for provider in providers if isinstance(providers, list) else ():
        if not isinstance(provider, Mapping):
            continue
        events = provider.get("events")
        for event in events if isinstance(events, list) else ():
            if not isinstance(event, Mapping):
                continue
            moment = _aware(event.get("time_utc")) or _aware(event.get("time_iso"))
            if moment is not None:
                raw.append((moment, len(raw), event))
    raw.sort(key=lambda entry: (entry[0], entry[1]))

    # 17TRACK labels milestones only; a plain scan inherits the state before it, and the
    # newest event, unlabelled, is what latest_status says.
    result: list[TrackingEvent] = []
    previous: SubStatus | None = None
    for index, (moment, _, event) in enumerate(raw):
        sub = _event_sub_status(event, unknown)
        if sub is None:
            if index == len(raw) - 1:
                sub = latest
            else:
                sub = previous or OTHER_SUB_STATUS[TrackingStatus.IN_TRANSIT]
        previous = sub
        result.append(
            TrackingEvent(
                time=moment,
                status=sub.status,
                sub_status=sub,
                description=_description(event),
                location=_location(event),
            )
        )
    return ordered_unique(result)


def parse_track_info(
    number: str, carrier: str | None, track_info: Mapping[str, Any], *, stopped: bool = False
) -> TrackingUpdate:
    """One number's ``track_info`` as a `TrackingUpdate` (never raises on odd content)."""
    unknown: set[str] = set()
    latest = track_info.get("latest_status")
    latest = latest if isinstance(latest, Mapping) else {}
    status_value, sub_value = latest.get("status"), latest.get("sub_status")
    mapping = map_status(
        status_value if isinstance(status_value, str) else None,
        sub_value if isinstance(sub_value, str) else None,
    )
    unknown.update(mapping.unknown)
    events = _events(track_info, mapping.sub_status, unknown)
    return TrackingUpdate(
        number=number,
        carrier=carrier,
        status=mapping.status,
        sub_status=mapping.sub_status,
        events=events,
        estimated_delivery=_estimate(track_info),
        tracking_stopped=stopped,
        unknown_codes=frozenset(unknown),
    )
