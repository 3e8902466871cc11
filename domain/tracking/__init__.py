"""Parcel tracking, pure: canonical statuses, events, and the rules the poller applies.

- `statuses`: 17TRACK's statuses and sub-statuses, mapping provider codes onto them.
- `events`: the `TrackingEvent` value object and its provider event key.
- `updates`: what a provider is asked and answers (numbers, updates, rejections, quota).
- `polling`: the adaptive next-poll time, error backoff, stale and wrong-number rules.
- `notices`: which events the buyer hears about, restart-safe and never twice.
- `quiet_hours`: holding notices at night in the buyer's zone, merging what waited.
- `delivery_estimate`: the lane's estimate, the provider's, and when a move is news.
"""

from domain.tracking.delivery_estimate import (
    DeliveryEstimate,
    EstimateChange,
    EstimateSource,
    current_estimate,
    estimate_change,
    estimate_from_transit,
)
from domain.tracking.events import TrackingEvent, derive_event_key, latest_event, ordered_unique
from domain.tracking.notices import (
    BuyerNotice,
    NoticeKind,
    NoticePlan,
    NoticeState,
    plan_notices,
    supersede,
)
from domain.tracking.polling import (
    PollPolicy,
    StaleRules,
    is_stale,
    next_poll_at,
    number_looks_wrong,
    poll_interval,
    retry_after_error,
)
from domain.tracking.quiet_hours import QuietHours, default_time_zone, merge_held
from domain.tracking.statuses import (
    OTHER_SUB_STATUS,
    StatusMapping,
    SubStatus,
    TrackingStatus,
    UnknownCodes,
    is_final,
    map_status,
)
from domain.tracking.updates import (
    AcceptedNumber,
    BatchOutcome,
    FetchOutcome,
    Quota,
    Rejection,
    RejectionReason,
    ShipmentContext,
    TrackedNumber,
    TrackingUpdate,
)

__all__ = [
    "OTHER_SUB_STATUS",
    "AcceptedNumber",
    "BatchOutcome",
    "BuyerNotice",
    "DeliveryEstimate",
    "EstimateChange",
    "EstimateSource",
    "FetchOutcome",
    "NoticeKind",
    "NoticePlan",
    "NoticeState",
    "PollPolicy",
    "QuietHours",
    "Quota",
    "Rejection",
    "RejectionReason",
    "ShipmentContext",
    "StaleRules",
    "StatusMapping",
    "SubStatus",
    "TrackedNumber",
    "TrackingEvent",
    "TrackingStatus",
    "TrackingUpdate",
    "UnknownCodes",
    "current_estimate",
    "default_time_zone",
    "derive_event_key",
    "estimate_change",
    "estimate_from_transit",
    "is_final",
    "is_stale",
    "latest_event",
    "map_status",
    "merge_held",
    "next_poll_at",
    "number_looks_wrong",
    "ordered_unique",
    "plan_notices",
    "poll_interval",
    "retry_after_error",
    "supersede",
]
