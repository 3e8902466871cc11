"""What a buyer should be sent, computed independently of the pipeline's database code.

The e2e tracking tests record every report the (simulated) provider gave the poller and when.
From those reports alone, this module replays the rules of ARCHITECTURE.md with the domain's
pure functions — which changes are news (`plan_notices`), quiet hours and merging
(`QuietHours`, `merge_held`), the estimate (`estimate_change`) — and renders the messages the
buyer must receive, in order. The test then compares them with the chat, text for text: the
database, the outbox, the sender and the emulator must deliver exactly these, once each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from domain.tracking import (
    BuyerNotice,
    DeliveryEstimate,
    NoticeState,
    QuietHours,
    TrackedNumber,
    TrackingUpdate,
    current_estimate,
    estimate_change,
    is_final,
    merge_held,
    plan_notices,
)
from notifications.tracking.simulated import SimulatedProvider
from templates import Renderer


class RecordingProvider(SimulatedProvider):
    """The simulated provider, remembering what each fetch answered and when."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reports: dict[str, list[tuple[datetime, TrackingUpdate]]] = {}

    async def fetch(self, numbers: Sequence[TrackedNumber]):  # type: ignore[no-untyped-def]
        outcome = await super().fetch(numbers)
        now = self._clock()
        for update in outcome.updates:
            self.reports.setdefault(update.number, []).append((now, update))
        return outcome


@dataclass
class _Message:
    send_at: datetime
    order: int
    notices: list[BuyerNotice]
    estimate: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _notice_params(notice: BuyerNotice) -> dict[str, Any]:
    event = notice.event
    return {
        "kind": notice.kind.value,
        "key": event.key,
        "time": event.time.isoformat(),
        "status": event.status.value,
        "sub_status": event.sub_status.value,
        "location": event.location,
        "description": event.description,
    }


def expected_messages(
    reports: Sequence[tuple[datetime, TrackingUpdate]],
    *,
    zone: tzinfo,
    lane: DeliveryEstimate | None,
    until: datetime,
    quiet_hours: QuietHours | None = None,
) -> list[tuple[list[BuyerNotice], dict[str, Any] | None]]:
    """The messages (notices, estimate change) sent by `until`, in the order they go out."""
    quiet = quiet_hours or QuietHours()
    state = NoticeState()
    shown = lane
    sent: list[_Message] = []
    held: dict[datetime, _Message] = {}
    for at, update in reports:
        plan = plan_notices(state, update.events)
        state = plan.state
        final = is_final(update.status, update.sub_status)
        current = current_estimate(shown, update.estimated_delivery)
        change = None
        if current is not None and current != shown:
            change = None if final else estimate_change(shown, current)
            shown = current
        notices = list(plan.notices)
        if not notices and change is None:
            continue
        estimate = (
            None
            if change is None
            else {
                "earliest": change.current.earliest.isoformat(),
                "latest": change.current.latest.isoformat(),
                "moved_days": change.days_moved,
            }
        )
        urgent = any(notice.urgent for notice in notices)
        send_at = at if urgent else quiet.quiet_until(at, zone)
        if send_at > at:
            waiting = held.get(send_at)
            if waiting is None:
                held[send_at] = _Message(send_at, len(sent) + len(held), notices, estimate)
            else:
                waiting.notices = list(merge_held([*waiting.notices, *notices]))
                if estimate is not None:
                    waiting.estimate = estimate
            continue
        sent.append(_Message(at, len(sent) + len(held), notices, estimate))
    everything = [m for m in [*sent, *held.values()] if m.send_at <= until]
    everything.sort(key=lambda m: (m.send_at, m.order))
    return [(m.notices, m.estimate) for m in everything]


def render_expected(
    renderer: Renderer,
    locale: str,
    messages: Sequence[tuple[list[BuyerNotice], dict[str, Any] | None]],
    *,
    order_id: int,
    order_number: str,
    store_name: str,
    time_zone: str,
) -> list[str]:
    return [
        renderer.render(
            "tracking.buyer_update",
            locale,
            order_id=order_id,
            order_number=order_number,
            store_name=store_name,
            time_zone=time_zone,
            notices=[_notice_params(n) for n in notices],
            estimate=estimate,
        )
        for notices, estimate in messages
    ]
