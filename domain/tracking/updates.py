"""What the poller asks a tracking provider and what it gets back, provider-neutral.

A request names a `TrackedNumber` (the number, the carrier if the seller chose one, and the
shipment's facts for providers that use them: the simulator plays a parcel from them, 17TRACK
ignores them). A call over a batch answers per number: accepted, or rejected with a
`RejectionReason` the poller can act on (tell the seller to fix the number, retry later, or
ignore) and the provider's raw code for operators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from domain.logistics import ShippingMethod
from domain.tracking.delivery_estimate import DeliveryEstimate
from domain.tracking.events import TrackingEvent
from domain.tracking.statuses import SubStatus, TrackingStatus

__all__ = [
    "AcceptedNumber",
    "BatchOutcome",
    "FetchOutcome",
    "Quota",
    "Rejection",
    "RejectionReason",
    "ShipmentContext",
    "TrackedNumber",
    "TrackingUpdate",
]


@dataclass(frozen=True, slots=True)
class ShipmentContext:
    """The shipment's facts a provider may need (the simulated provider plays them out)."""

    method: ShippingMethod
    shipped_at: datetime
    origin_country: str | None = None
    destination_country: str | None = None
    # The lane's transit range for the method, when the rate card has one.
    transit_min_days: int | None = None
    transit_max_days: int | None = None

    def __post_init__(self) -> None:
        if self.shipped_at.tzinfo is None:
            raise ValueError("shipped_at must be timezone-aware")
        if (self.transit_min_days is None) != (self.transit_max_days is None):
            raise ValueError("give both transit_min_days and transit_max_days, or neither")
        if self.transit_min_days is not None and not (
            0 <= self.transit_min_days <= (self.transit_max_days or 0)
        ):
            raise ValueError("transit days need 0 <= min <= max")


@dataclass(frozen=True, slots=True)
class TrackedNumber:
    """A tracking number to register or ask about; `carrier` is the provider's carrier code."""

    number: str
    carrier: str | None = None
    context: ShipmentContext | None = None


class RejectionReason(StrEnum):
    INVALID_NUMBER = "invalid_number"
    CARRIER_NOT_DETECTED = "carrier_not_detected"
    WRONG_CARRIER = "wrong_carrier"
    MISSING_DETAILS = "missing_details"  # the carrier needs a postcode, phone or date too
    NOT_REGISTERED = "not_registered"
    QUOTA_EXHAUSTED = "quota_exhausted"
    DAILY_LIMIT = "daily_limit"
    NO_INFORMATION_YET = "no_information_yet"
    NOT_STOPPED = "not_stopped"  # retrack asked for a number that is still tracked
    RETRACK_USED = "retrack_used"  # each number can be re-tracked once
    ALREADY_STOPPED = "already_stopped"
    CARRIER_CHANGE_REFUSED = "carrier_change_refused"
    PROVIDER_ERROR = "provider_error"
    OTHER = "other"


_SELLER_CAN_FIX = frozenset(
    {
        RejectionReason.INVALID_NUMBER,
        RejectionReason.CARRIER_NOT_DETECTED,
        RejectionReason.WRONG_CARRIER,
        RejectionReason.MISSING_DETAILS,
    }
)
_TRY_AGAIN_LATER = frozenset(
    {
        RejectionReason.QUOTA_EXHAUSTED,
        RejectionReason.DAILY_LIMIT,
        RejectionReason.NO_INFORMATION_YET,
        RejectionReason.PROVIDER_ERROR,
    }
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """One number the provider refused; `code` is its raw error code, for operators."""

    number: str
    reason: RejectionReason
    code: str
    message: str = ""

    @property
    def seller_can_fix(self) -> bool:
        """The number or carrier is wrong: the seller should correct it."""
        return self.reason in _SELLER_CAN_FIX

    @property
    def try_again_later(self) -> bool:
        """Nothing is wrong with the number; the same call may succeed later."""
        return self.reason in _TRY_AGAIN_LATER


@dataclass(frozen=True, slots=True)
class AcceptedNumber:
    """A number the provider took; `carrier` is the carrier it uses (detected or given)."""

    number: str
    carrier: str | None = None
    # Registering a number the provider already tracks is accepted, and costs no quota.
    already_registered: bool = False


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """The per-number answer to register, stop, retrack or change-carrier."""

    accepted: tuple[AcceptedNumber, ...] = ()
    rejected: tuple[Rejection, ...] = ()

    def __add__(self, other: BatchOutcome) -> BatchOutcome:
        return BatchOutcome(self.accepted + other.accepted, self.rejected + other.rejected)


@dataclass(frozen=True, slots=True)
class TrackingUpdate:
    """What a provider knows about one number now: its status, every event, its estimate.

    `events` are oldest first, each key once. `tracking_stopped` is True when the provider
    stopped following the number (17TRACK's TRACKING_STOPPED, or a stop we asked for).
    `unknown_codes` lists provider codes that were mapped to a nearest ``_Other``.
    """

    number: str
    carrier: str | None
    status: TrackingStatus
    sub_status: SubStatus
    events: tuple[TrackingEvent, ...] = ()
    estimated_delivery: DeliveryEstimate | None = None
    tracking_stopped: bool = False
    unknown_codes: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.sub_status.status is not self.status:
            raise ValueError(f"{self.sub_status} is not a sub-status of {self.status}")

    @property
    def latest_event(self) -> TrackingEvent | None:
        return self.events[-1] if self.events else None


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """The answer to a fetch over a batch: an update per known number, the refused ones."""

    updates: tuple[TrackingUpdate, ...] = ()
    rejected: tuple[Rejection, ...] = ()

    def __add__(self, other: FetchOutcome) -> FetchOutcome:
        return FetchOutcome(self.updates + other.updates, self.rejected + other.rejected)

    @property
    def unknown_codes(self) -> frozenset[str]:
        codes: set[str] = set()
        for update in self.updates:
            codes.update(update.unknown_codes)
        return frozenset(codes)


@dataclass(frozen=True, slots=True)
class Quota:
    """The provider account's registration quota (registering costs one; polling is free)."""

    total: int
    used: int
    remaining: int
    used_today: int | None = None
    daily_limit: int | None = None  # None: no daily limit set

    @property
    def exhausted(self) -> bool:
        if self.remaining <= 0:
            return True
        return (
            self.daily_limit is not None
            and self.used_today is not None
            and self.used_today >= self.daily_limit
        )
