"""Which tracking events the buyer hears about: one message per meaningful change, never per scan.

Meaningful, in the order a parcel lives them:

- the first event of each main status: the carrier has the details (InfoReceived), the parcel
  moves (InTransit), delivered;
- customs: held (``InTransit_CustomsProcessing``), information required from the buyer
  (``_CustomsRequiringInformation``), released (``_CustomsReleased``) — once per customs stop;
- every arrival in out for delivery and available for pickup (a second delivery attempt is news
  again), every delivery failure and exception, and a change of their reason
  (``Exception_Returning`` then ``Exception_Returned``).

Repeated scans in the same state ("arrived at sorting centre" three times) say nothing new.

The decision is incremental and restart-safe: a small `NoticeState` (what was already told, the
time and keys of the newest event seen) is kept with the shipment, and `plan_notices` takes it
with whatever the provider reports — all events again, a push, a poll after an outage — and
returns only the notices for events newer than the state knew. An event reported twice, or an
old event that arrives late, announces nothing. Each notice carries a dedupe key made from the
event's provider key, so the outbox refuses a second copy even if two workers raced.

When one report brings several changes (a catch-up after an outage, or the first poll after
registration), the buyer hears the latest one — plus any earlier one that asks them to act
(customs needs information, a failed delivery, a parcel waiting at a pickup point) that nothing
later in the report resolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.tracking.events import TrackingEvent, ordered_unique
from domain.tracking.statuses import SubStatus, TrackingStatus

__all__ = [
    "BuyerNotice",
    "NoticeKind",
    "NoticePlan",
    "NoticeState",
    "plan_notices",
    "supersede",
]


class NoticeKind(StrEnum):
    INFO_RECEIVED = "info_received"
    IN_TRANSIT = "in_transit"
    CUSTOMS_HELD = "customs_held"
    CUSTOMS_INFORMATION_REQUIRED = "customs_information_required"
    CUSTOMS_RELEASED = "customs_released"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERY_FAILURE = "delivery_failure"
    DELIVERED = "delivered"
    RETURNING = "returning"
    RETURNED = "returned"
    EXCEPTION = "exception"


# Sent at once, even in the buyer's quiet hours: they have to act today.
URGENT_KINDS = frozenset({NoticeKind.DELIVERY_FAILURE, NoticeKind.AVAILABLE_FOR_PICKUP})
# Kept when a later change in the same report would otherwise hide them.
ACTIONABLE_KINDS = frozenset(
    {
        NoticeKind.CUSTOMS_INFORMATION_REQUIRED,
        NoticeKind.DELIVERY_FAILURE,
        NoticeKind.AVAILABLE_FOR_PICKUP,
    }
)
# Later changes that do not settle an earlier request to act.
_NOT_RESOLVING = frozenset(
    {
        NoticeKind.INFO_RECEIVED,
        NoticeKind.IN_TRANSIT,
        NoticeKind.CUSTOMS_HELD,
        NoticeKind.EXCEPTION,
    }
)
# The seller hears about these too.
SELLER_ALERT_KINDS = frozenset(
    {
        NoticeKind.DELIVERY_FAILURE,
        NoticeKind.RETURNING,
        NoticeKind.RETURNED,
        NoticeKind.EXCEPTION,
    }
)

_EXCEPTION_KINDS: Mapping[SubStatus, NoticeKind] = {
    SubStatus.EXCEPTION_RETURNING: NoticeKind.RETURNING,
    SubStatus.EXCEPTION_RETURNED: NoticeKind.RETURNED,
}
# Statuses whose every arrival is news, and whose change of reason is news too.
_EVERY_ARRIVAL: Mapping[TrackingStatus, NoticeKind] = {
    TrackingStatus.OUT_FOR_DELIVERY: NoticeKind.OUT_FOR_DELIVERY,
    TrackingStatus.AVAILABLE_FOR_PICKUP: NoticeKind.AVAILABLE_FOR_PICKUP,
    TrackingStatus.DELIVERY_FAILURE: NoticeKind.DELIVERY_FAILURE,
    TrackingStatus.EXCEPTION: NoticeKind.EXCEPTION,
}
_REASON_MATTERS = frozenset({TrackingStatus.DELIVERY_FAILURE, TrackingStatus.EXCEPTION})


@dataclass(frozen=True, slots=True)
class BuyerNotice:
    """One change to tell the buyer, with the event that made it (its time, place, text)."""

    kind: NoticeKind
    event: TrackingEvent

    @property
    def urgent(self) -> bool:
        """Goes out at once, even in quiet hours."""
        return self.kind in URGENT_KINDS

    @property
    def alerts_seller(self) -> bool:
        return self.kind in SELLER_ALERT_KINDS

    @property
    def dedupe_key(self) -> str:
        """Unique per shipment: the outbox prefixes it with the shipment and recipient."""
        return f"{self.kind.value}:{self.event.key}"


@dataclass(frozen=True, slots=True)
class NoticeState:
    """What the buyer was already told about a shipment; JSON-friendly through `as_dict`."""

    seen: frozenset[TrackingStatus] = frozenset()
    status: TrackingStatus | None = None
    sub_status: SubStatus | None = None
    customs_seen: bool = False
    in_customs: bool = False
    customs_information_required: bool = False
    latest_event_at: datetime | None = None
    latest_keys: frozenset[str] = frozenset()

    def is_fresh(self, event: TrackingEvent) -> bool:
        """Newer than anything this state has seen (a same-instant event with a new key counts)."""
        if self.latest_event_at is None or event.time > self.latest_event_at:
            return True
        return event.time == self.latest_event_at and event.key not in self.latest_keys

    def as_dict(self) -> dict[str, Any]:
        return {
            "seen": sorted(status.value for status in self.seen),
            "status": None if self.status is None else self.status.value,
            "sub_status": None if self.sub_status is None else self.sub_status.value,
            "customs_seen": self.customs_seen,
            "in_customs": self.in_customs,
            "customs_information_required": self.customs_information_required,
            "latest_event_at": (
                None if self.latest_event_at is None else self.latest_event_at.isoformat()
            ),
            "latest_keys": sorted(self.latest_keys),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> NoticeState:
        """The state `as_dict` wrote; None or an empty mapping is a shipment with no news yet."""
        if not data:
            return cls()
        latest = data.get("latest_event_at")
        return cls(
            seen=frozenset(TrackingStatus(value) for value in data.get("seen", ())),
            status=None if data.get("status") is None else TrackingStatus(data["status"]),
            sub_status=(None if data.get("sub_status") is None else SubStatus(data["sub_status"])),
            customs_seen=bool(data.get("customs_seen", False)),
            in_customs=bool(data.get("in_customs", False)),
            customs_information_required=bool(data.get("customs_information_required", False)),
            latest_event_at=None if latest is None else datetime.fromisoformat(latest),
            latest_keys=frozenset(data.get("latest_keys", ())),
        )

    @classmethod
    def from_events(cls, events: Iterable[TrackingEvent]) -> NoticeState:
        """The state after `events`, as if the buyer had been told about each in turn."""
        return plan_notices(cls(), events).state


def _customs_notice(state: NoticeState, sub: SubStatus) -> tuple[NoticeKind | None, NoticeState]:
    if sub is SubStatus.IN_TRANSIT_CUSTOMS_PROCESSING:
        if state.in_customs:
            return None, state
        return NoticeKind.CUSTOMS_HELD, replace(state, customs_seen=True, in_customs=True)
    if sub is SubStatus.IN_TRANSIT_CUSTOMS_REQUIRING_INFORMATION:
        if state.customs_information_required:
            return None, state
        new_state = replace(
            state, customs_seen=True, in_customs=True, customs_information_required=True
        )
        return NoticeKind.CUSTOMS_INFORMATION_REQUIRED, new_state
    # Released: news after a hold, or when it is the first word about customs at all.
    told = state.in_customs or not state.customs_seen
    new_state = replace(
        state, customs_seen=True, in_customs=False, customs_information_required=False
    )
    return (NoticeKind.CUSTOMS_RELEASED if told else None), new_state


_CUSTOMS_SUBS = frozenset(
    {
        SubStatus.IN_TRANSIT_CUSTOMS_PROCESSING,
        SubStatus.IN_TRANSIT_CUSTOMS_REQUIRING_INFORMATION,
        SubStatus.IN_TRANSIT_CUSTOMS_RELEASED,
    }
)


def _advance(state: NoticeState, event: TrackingEvent) -> tuple[NoticeKind | None, NoticeState]:
    """The notice `event` deserves after `state`, and the state after it."""
    status, sub = event.status, event.sub_status
    arrived = status is not state.status
    first_of_status = status not in state.seen
    kind: NoticeKind | None = None

    if status is TrackingStatus.IN_TRANSIT and sub in _CUSTOMS_SUBS:
        kind, state = _customs_notice(state, sub)
    elif status is TrackingStatus.IN_TRANSIT:
        kind = NoticeKind.IN_TRANSIT if first_of_status else None
    elif status is TrackingStatus.INFO_RECEIVED:
        kind = NoticeKind.INFO_RECEIVED if first_of_status else None
    elif status is TrackingStatus.DELIVERED:
        kind = NoticeKind.DELIVERED if first_of_status else None
    elif status in _EVERY_ARRIVAL:
        reason_changed = status in _REASON_MATTERS and sub is not state.sub_status
        if arrived or reason_changed:
            kind = _EXCEPTION_KINDS.get(sub, _EVERY_ARRIVAL[status])
    # NotFound and Expired are the seller's business (alerts), not the buyer's.

    if status is not TrackingStatus.IN_TRANSIT and state.in_customs:
        state = replace(state, in_customs=False, customs_information_required=False)
    if first_of_status or arrived or sub is not state.sub_status:
        # Built directly: `dataclasses.replace` costs several times more, once per event of
        # every poll. A repeated scan in the same state leaves the state as it was.
        state = NoticeState(
            seen=state.seen | {status} if first_of_status else state.seen,
            status=status,
            sub_status=sub,
            customs_seen=state.customs_seen,
            in_customs=state.in_customs,
            customs_information_required=state.customs_information_required,
            latest_event_at=state.latest_event_at,
            latest_keys=state.latest_keys,
        )
    return kind, state


def supersede(notices: Sequence[BuyerNotice]) -> tuple[BuyerNotice, ...]:
    """The notices worth sending when several arrive together, oldest first.

    The latest one, and any earlier one that asks the buyer to act and that no later notice
    settles. Notices with the same dedupe key are sent once.
    """
    unique: list[BuyerNotice] = []
    keys: set[str] = set()
    for notice in notices:
        if notice.dedupe_key not in keys:
            keys.add(notice.dedupe_key)
            unique.append(notice)
    kept: list[BuyerNotice] = []
    # Newest first, knowing whether everything later leaves a request to act unsettled.
    unsettling = True
    for index in range(len(unique) - 1, -1, -1):
        notice = unique[index]
        if index == len(unique) - 1 or (notice.kind in ACTIONABLE_KINDS and unsettling):
            kept.append(notice)
        unsettling = unsettling and notice.kind in _NOT_RESOLVING
    kept.reverse()
    return tuple(kept)


@dataclass(frozen=True, slots=True)
class NoticePlan:
    """The outcome of one report: the state to keep, the new events, the notices to send."""

    state: NoticeState
    fresh_events: tuple[TrackingEvent, ...]
    notices: tuple[BuyerNotice, ...]
    # Every notice the fresh events deserved, before `supersede` (for the seller's alerts).
    all_notices: tuple[BuyerNotice, ...]


def plan_notices(state: NoticeState, events: Iterable[TrackingEvent]) -> NoticePlan:
    """Decide what to tell the buyer about `events` (any order, repeats allowed) after `state`."""
    fresh = tuple(event for event in ordered_unique(events) if state.is_fresh(event))
    if not fresh:
        return NoticePlan(state, (), (), ())

    raw: list[BuyerNotice] = []
    for event in fresh:
        kind, state = _advance(state, event)
        if kind is not None:
            raw.append(BuyerNotice(kind, event))

    newest = fresh[-1].time
    keys = {event.key for event in fresh if event.time == newest}
    if state.latest_event_at == newest:
        keys |= state.latest_keys
    state = replace(state, latest_event_at=newest, latest_keys=frozenset(keys))
    return NoticePlan(state, fresh, supersede(raw), tuple(raw))
