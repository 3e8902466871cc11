"""The canonical tracking statuses (17TRACK's set) and the mapping of provider codes onto them.

Every provider maps onto these nine main statuses and their sub-statuses, exactly as 17TRACK API
v2.2 names them (``latest_status.status`` / ``sub_status``, and an event's ``stage``). A code we
do not know is still accepted: `map_status` maps it to the nearest canonical ``_Other`` and says
it was unknown, so the caller can log it — once, through `UnknownCodes` — and carry on.

"Nearest" is decided in this order:

1. a known sub-status wins (its main status follows from it), unless the provider's main status
   is known and disagrees — then the main status wins, with its ``_Other``;
2. an unknown sub-status whose prefix is a known main status (``Exception_Damaged``) gives that
   status's ``_Other``;
3. a known main status with an unknown or missing sub-status gives its ``_Other``;
4. otherwise the words in the code decide (``undelivered`` -> DeliveryFailure, ``pickup`` ->
   AvailableForPickup, 17TRACK's v1 numeric codes ``0/10/20/30/35/40/50``, ...), and a code
   that says nothing recognisable becomes ``InTransit_Other``: something happened to the
   parcel, and InTransit neither alarms the buyer nor stops the polling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = [
    "FINAL_SUB_STATUSES",
    "OTHER_SUB_STATUS",
    "StatusMapping",
    "SubStatus",
    "TrackingStatus",
    "UnknownCodes",
    "is_final",
    "map_status",
]


class TrackingStatus(StrEnum):
    NOT_FOUND = "NotFound"
    INFO_RECEIVED = "InfoReceived"
    IN_TRANSIT = "InTransit"
    EXPIRED = "Expired"
    AVAILABLE_FOR_PICKUP = "AvailableForPickup"
    OUT_FOR_DELIVERY = "OutForDelivery"
    DELIVERY_FAILURE = "DeliveryFailure"
    DELIVERED = "Delivered"
    EXCEPTION = "Exception"


class SubStatus(StrEnum):
    NOT_FOUND_OTHER = "NotFound_Other"
    NOT_FOUND_INVALID_CODE = "NotFound_InvalidCode"
    INFO_RECEIVED = "InfoReceived"
    IN_TRANSIT_PICKED_UP = "InTransit_PickedUp"
    IN_TRANSIT_DEPARTURE = "InTransit_Departure"
    IN_TRANSIT_ARRIVAL = "InTransit_Arrival"
    IN_TRANSIT_CUSTOMS_PROCESSING = "InTransit_CustomsProcessing"
    IN_TRANSIT_CUSTOMS_RELEASED = "InTransit_CustomsReleased"
    IN_TRANSIT_CUSTOMS_REQUIRING_INFORMATION = "InTransit_CustomsRequiringInformation"
    IN_TRANSIT_OTHER = "InTransit_Other"
    EXPIRED_OTHER = "Expired_Other"
    AVAILABLE_FOR_PICKUP_OTHER = "AvailableForPickup_Other"
    OUT_FOR_DELIVERY_OTHER = "OutForDelivery_Other"
    DELIVERY_FAILURE_NO_BODY = "DeliveryFailure_NoBody"
    DELIVERY_FAILURE_SECURITY = "DeliveryFailure_Security"
    DELIVERY_FAILURE_REJECTED = "DeliveryFailure_Rejected"
    DELIVERY_FAILURE_INVALID_ADDRESS = "DeliveryFailure_InvalidAddress"
    DELIVERY_FAILURE_OTHER = "DeliveryFailure_Other"
    DELIVERED_OTHER = "Delivered_Other"
    EXCEPTION_RETURNING = "Exception_Returning"
    EXCEPTION_RETURNED = "Exception_Returned"
    EXCEPTION_NO_BODY = "Exception_NoBody"
    EXCEPTION_SECURITY = "Exception_Security"
    EXCEPTION_DAMAGE = "Exception_Damage"
    EXCEPTION_REJECTED = "Exception_Rejected"
    EXCEPTION_DELAYED = "Exception_Delayed"
    EXCEPTION_LOST = "Exception_Lost"
    EXCEPTION_DESTROYED = "Exception_Destroyed"
    EXCEPTION_CANCEL = "Exception_Cancel"
    EXCEPTION_OTHER = "Exception_Other"

    @property
    def status(self) -> TrackingStatus:
        """The main status this sub-status belongs to (the part before the underscore)."""
        return _STATUS_OF_SUB[self]


_STATUS_OF_SUB: Mapping[SubStatus, TrackingStatus] = MappingProxyType(
    {sub: TrackingStatus(sub.value.split("_", 1)[0]) for sub in SubStatus}
)

# The catch-all sub-status of each main status. InfoReceived has a single sub-status, itself.
OTHER_SUB_STATUS: Mapping[TrackingStatus, SubStatus] = MappingProxyType(
    {
        TrackingStatus.NOT_FOUND: SubStatus.NOT_FOUND_OTHER,
        TrackingStatus.INFO_RECEIVED: SubStatus.INFO_RECEIVED,
        TrackingStatus.IN_TRANSIT: SubStatus.IN_TRANSIT_OTHER,
        TrackingStatus.EXPIRED: SubStatus.EXPIRED_OTHER,
        TrackingStatus.AVAILABLE_FOR_PICKUP: SubStatus.AVAILABLE_FOR_PICKUP_OTHER,
        TrackingStatus.OUT_FOR_DELIVERY: SubStatus.OUT_FOR_DELIVERY_OTHER,
        TrackingStatus.DELIVERY_FAILURE: SubStatus.DELIVERY_FAILURE_OTHER,
        TrackingStatus.DELIVERED: SubStatus.DELIVERED_OTHER,
        TrackingStatus.EXCEPTION: SubStatus.EXCEPTION_OTHER,
    }
)

# Exceptions after which the parcel will not move again towards the buyer.
FINAL_SUB_STATUSES: frozenset[SubStatus] = frozenset(
    {
        SubStatus.EXCEPTION_RETURNED,
        SubStatus.EXCEPTION_DESTROYED,
        SubStatus.EXCEPTION_CANCEL,
    }
)


def is_final(status: TrackingStatus, sub_status: SubStatus | None = None) -> bool:
    """True when nothing more will happen: delivered, expired, returned, destroyed, cancelled."""
    if status in (TrackingStatus.DELIVERED, TrackingStatus.EXPIRED):
        return True
    return sub_status in FINAL_SUB_STATUSES


@dataclass(frozen=True, slots=True)
class StatusMapping:
    """A provider's code pair mapped onto the canonical set; `unknown` lists what we did not know."""

    status: TrackingStatus
    sub_status: SubStatus
    unknown: tuple[str, ...] = ()


_STATUS_BY_VALUE: Mapping[str, TrackingStatus] = MappingProxyType(
    {s.value: s for s in TrackingStatus}
)
_SUB_BY_VALUE: Mapping[str, SubStatus] = MappingProxyType({s.value: s for s in SubStatus})


def _folded(code: str) -> str:
    return re.sub(r"[^a-z0-9]", "", code.lower())


_STATUS_BY_FOLDED: Mapping[str, TrackingStatus] = MappingProxyType(
    {_folded(s.value): s for s in TrackingStatus}
)
_SUB_BY_FOLDED: Mapping[str, SubStatus] = MappingProxyType({_folded(s.value): s for s in SubStatus})

# 17TRACK API v1's numeric package states, in case an old payload or a proxy sends them.
_V1_CODES: Mapping[str, TrackingStatus] = MappingProxyType(
    {
        "0": TrackingStatus.NOT_FOUND,
        "10": TrackingStatus.IN_TRANSIT,
        "20": TrackingStatus.EXPIRED,
        "30": TrackingStatus.AVAILABLE_FOR_PICKUP,
        "35": TrackingStatus.DELIVERY_FAILURE,
        "40": TrackingStatus.DELIVERED,
        "50": TrackingStatus.EXCEPTION,
    }
)

# Words that reveal the meaning of an unknown code, most specific first.
_WORD_RULES: tuple[tuple[re.Pattern[str], TrackingStatus], ...] = (
    (re.compile(r"undeliver|fail|attempt|notdelivered"), TrackingStatus.DELIVERY_FAILURE),
    (
        re.compile(r"outfordelivery|ondelivery|withcourier|outdelivery"),
        TrackingStatus.OUT_FOR_DELIVERY,
    ),
    (re.compile(r"pickup|readyfor|awaitingcollect"), TrackingStatus.AVAILABLE_FOR_PICKUP),
    (
        re.compile(r"return|exception|alert|lost|damage|destroy|cancel|seiz"),
        TrackingStatus.EXCEPTION,
    ),
    (re.compile(r"deliver"), TrackingStatus.DELIVERED),
    (re.compile(r"expire"), TrackingStatus.EXPIRED),
    (re.compile(r"notfound|invalid|norecord|unknownnumber"), TrackingStatus.NOT_FOUND),
    (re.compile(r"inforeceived|label|pretransit|created|manifest"), TrackingStatus.INFO_RECEIVED),
)


def _status_from_words(code: str) -> TrackingStatus | None:
    folded = _folded(code)
    if not folded:
        return None
    exact = _STATUS_BY_FOLDED.get(folded) or _V1_CODES.get(folded)
    if exact is not None:
        return exact
    for pattern, status in _WORD_RULES:
        if pattern.search(folded):
            return status
    return None


def map_status(status: str | None, sub_status: str | None = None) -> StatusMapping:
    """Map a provider's main status and sub-status codes onto the canonical pair (never raises)."""
    status = (status or "").strip()
    sub_status = (sub_status or "").strip()
    unknown: list[str] = []

    known_status = _STATUS_BY_VALUE.get(status)
    if status and known_status is None:
        unknown.append(status)
    known_sub = _SUB_BY_VALUE.get(sub_status)
    if sub_status and known_sub is None:
        unknown.append(sub_status)

    if known_sub is not None:
        if known_status is None or known_sub.status is known_status:
            return StatusMapping(known_sub.status, known_sub, tuple(unknown))
        # A contradictory pair: the main status is the provider's headline; trust it.
        unknown.append(f"{status}/{sub_status}")
        return StatusMapping(known_status, OTHER_SUB_STATUS[known_status], tuple(unknown))

    if known_status is not None:
        # A sub-status spelt differently from the documentation still counts when it folds
        # onto a known one of the same main status (``intransit_pickedup``).
        folded_sub = _SUB_BY_FOLDED.get(_folded(sub_status)) if sub_status else None
        if folded_sub is not None and folded_sub.status is known_status:
            return StatusMapping(known_status, folded_sub, tuple(unknown))
        return StatusMapping(known_status, OTHER_SUB_STATUS[known_status], tuple(unknown))

    if sub_status:
        folded_sub = _SUB_BY_FOLDED.get(_folded(sub_status))
        if folded_sub is not None:
            return StatusMapping(folded_sub.status, folded_sub, tuple(unknown))
        prefix = _STATUS_BY_VALUE.get(sub_status.split("_", 1)[0])
        if prefix is not None:
            return StatusMapping(prefix, OTHER_SUB_STATUS[prefix], tuple(unknown))

    guessed = _status_from_words(status) or _status_from_words(sub_status)
    if guessed is None:
        guessed = TrackingStatus.NOT_FOUND if not status and not sub_status else None
    if guessed is None:
        guessed = TrackingStatus.IN_TRANSIT
    return StatusMapping(guessed, OTHER_SUB_STATUS[guessed], tuple(unknown))


class UnknownCodes:
    """Remembers which unknown provider codes were already reported, so each is logged once.

    Bounded: a hostile or broken provider sending endless new codes cannot grow it past
    `limit`; beyond that, codes are no longer reported (one final report says so).
    """

    OVERFLOW = "<more unknown codes not reported>"

    def __init__(self, limit: int = 1000) -> None:
        if limit < 1:
            raise ValueError("limit must be positive")
        self._limit = limit
        self._seen: set[str] = set()
        self._overflowed = False

    def first_seen(self, codes: Iterable[str]) -> list[str]:
        """The codes among `codes` not reported before, in order; marks them reported."""
        fresh: list[str] = []
        for code in codes:
            if code in self._seen:
                continue
            if len(self._seen) >= self._limit:
                if not self._overflowed:
                    self._overflowed = True
                    fresh.append(self.OVERFLOW)
                break
            self._seen.add(code)
            fresh.append(code)
        return fresh
