"""Which events the buyer hears about: one message per meaningful change, never per scan."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain.tracking.events import TrackingEvent
from domain.tracking.notices import (
    BuyerNotice,
    NoticeKind,
    NoticeState,
    plan_notices,
    supersede,
)
from domain.tracking.statuses import SubStatus
from templates import Renderer
from tests.template_samples_tracking import TRACKING_SAMPLES, _notice

T0 = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)
S = SubStatus
K = NoticeKind


def _event(hours: float, sub: SubStatus, description: str | None = None) -> TrackingEvent:
    return TrackingEvent(
        time=T0 + timedelta(hours=hours),
        status=sub.status,
        sub_status=sub,
        description=description or f"{sub.value} at +{hours}h",
        location="Somewhere",
    )


JOURNEY = [
    _event(0, S.INFO_RECEIVED),
    _event(5, S.IN_TRANSIT_PICKED_UP),
    _event(20, S.IN_TRANSIT_DEPARTURE),
    _event(30, S.IN_TRANSIT_OTHER, "Sorting centre scan"),
    _event(31, S.IN_TRANSIT_OTHER, "Sorting centre scan again"),
    _event(60, S.IN_TRANSIT_ARRIVAL),
    _event(64, S.IN_TRANSIT_CUSTOMS_PROCESSING),
    _event(70, S.IN_TRANSIT_CUSTOMS_PROCESSING, "Still in customs"),
    _event(90, S.IN_TRANSIT_CUSTOMS_RELEASED),
    _event(100, S.IN_TRANSIT_OTHER, "Arrived at delivery office"),
    _event(120, S.OUT_FOR_DELIVERY_OTHER),
    _event(121, S.OUT_FOR_DELIVERY_OTHER, "With courier"),
    _event(125, S.DELIVERED_OTHER),
]


def _play_one_by_one(events: list[TrackingEvent]) -> list[NoticeKind]:
    """Each poll reports everything so far, as 17TRACK and the simulator do."""
    state = NoticeState()
    told: list[NoticeKind] = []
    for count in range(1, len(events) + 1):
        plan = plan_notices(state, events[:count])
        state = plan.state
        told.extend(notice.kind for notice in plan.notices)
    return told


def test_one_message_per_meaningful_change_never_per_scan() -> None:
    assert _play_one_by_one(JOURNEY) == [
        K.INFO_RECEIVED,
        K.IN_TRANSIT,
        K.CUSTOMS_HELD,
        K.CUSTOMS_RELEASED,
        K.OUT_FOR_DELIVERY,
        K.DELIVERED,
    ]


def test_the_same_report_again_tells_nothing() -> None:
    first = plan_notices(NoticeState(), JOURNEY[:6])
    again = plan_notices(first.state, JOURNEY[:6])
    assert again.notices == () and again.fresh_events == ()
    assert again.state == first.state


def test_state_survives_a_restart_through_json() -> None:
    plan = plan_notices(NoticeState(), JOURNEY[:8])
    stored = json.dumps(plan.state.as_dict())
    restored = NoticeState.from_dict(json.loads(stored))
    assert restored == plan.state
    assert NoticeState.from_dict(None) == NoticeState()
    # After the restart, the rest of the journey tells only the rest.
    rest = plan_notices(restored, JOURNEY)
    assert [n.kind for n in rest.notices] == [K.DELIVERED]
    assert [n.kind for n in rest.all_notices] == [
        K.CUSTOMS_RELEASED,
        K.OUT_FOR_DELIVERY,
        K.DELIVERED,
    ]


def test_push_and_poll_reporting_the_same_scan_tell_once() -> None:
    polled = _event(120, S.OUT_FOR_DELIVERY_OTHER, "Out for delivery")
    pushed = TrackingEvent(
        time=polled.time.astimezone(timezone(timedelta(hours=2))),
        status=polled.status,
        sub_status=polled.sub_status,
        description="Out  for delivery",
        location="somewhere",
    )
    after_push = plan_notices(NoticeState.from_events(JOURNEY[:10]), [pushed])
    assert [n.kind for n in after_push.notices] == [K.OUT_FOR_DELIVERY]
    after_poll = plan_notices(after_push.state, [*JOURNEY[:10], polled])
    assert after_poll.notices == ()


def test_a_late_old_event_is_history_not_news() -> None:
    state = NoticeState.from_events(JOURNEY[:6])
    late = _event(10, S.IN_TRANSIT_OTHER, "A scan the carrier forgot to report")
    plan = plan_notices(state, [*JOURNEY[:6], late])
    assert plan.notices == () and plan.fresh_events == ()


def test_events_at_the_same_instant_are_both_fresh() -> None:
    state = NoticeState.from_events(JOURNEY[:6])
    same_time = _event(60, S.IN_TRANSIT_OTHER, "Also at arrival time")
    plan = plan_notices(state, [same_time])
    assert plan.fresh_events == (same_time,)
    assert plan_notices(plan.state, [same_time, JOURNEY[5]]).fresh_events == ()


def test_a_catch_up_tells_only_the_latest_change() -> None:
    plan = plan_notices(NoticeState(), JOURNEY)
    assert [n.kind for n in plan.notices] == [K.DELIVERED]
    assert len(plan.fresh_events) == len(JOURNEY)
    assert len(plan.all_notices) == 6


def test_every_delivery_attempt_is_news_but_not_every_scan() -> None:
    events = [
        *JOURNEY[:10],
        _event(120, S.OUT_FOR_DELIVERY_OTHER),
        _event(126, S.DELIVERY_FAILURE_NO_BODY),
        _event(127, S.DELIVERY_FAILURE_NO_BODY, "Notice card left"),
        _event(128, S.DELIVERY_FAILURE_INVALID_ADDRESS),  # a new reason: what to do changes
        _event(140, S.IN_TRANSIT_OTHER, "Back at the depot"),
        _event(144, S.OUT_FOR_DELIVERY_OTHER, "Second attempt"),
        _event(147, S.DELIVERED_OTHER),
    ]
    assert _play_one_by_one(events)[4:] == [
        K.OUT_FOR_DELIVERY,
        K.DELIVERY_FAILURE,
        K.DELIVERY_FAILURE,
        K.OUT_FOR_DELIVERY,
        K.DELIVERED,
    ]


def test_return_to_sender_tells_returning_then_returned() -> None:
    events = [
        *JOURNEY[:11],
        _event(126, S.DELIVERY_FAILURE_REJECTED),
        _event(150, S.EXCEPTION_RETURNING),
        _event(160, S.EXCEPTION_RETURNING, "Return in transit"),
        _event(300, S.EXCEPTION_RETURNED),
    ]
    assert _play_one_by_one(events)[-3:] == [K.DELIVERY_FAILURE, K.RETURNING, K.RETURNED]


def test_customs_asking_for_information_then_released() -> None:
    events = [
        *JOURNEY[:7],
        _event(66, S.IN_TRANSIT_CUSTOMS_REQUIRING_INFORMATION),
        _event(67, S.IN_TRANSIT_CUSTOMS_REQUIRING_INFORMATION, "Reminder"),
        _event(90, S.IN_TRANSIT_CUSTOMS_RELEASED),
    ]
    assert _play_one_by_one(events)[2:] == [
        K.CUSTOMS_HELD,
        K.CUSTOMS_INFORMATION_REQUIRED,
        K.CUSTOMS_RELEASED,
    ]


def test_customs_release_without_hold_is_told_once_and_a_new_stop_is_news() -> None:
    events = [
        *JOURNEY[:3],
        _event(22, S.IN_TRANSIT_CUSTOMS_RELEASED, "Export cleared"),
        _event(23, S.IN_TRANSIT_CUSTOMS_RELEASED, "Export cleared, again"),
        _event(64, S.IN_TRANSIT_CUSTOMS_PROCESSING, "Import customs"),
        _event(90, S.IN_TRANSIT_CUSTOMS_RELEASED, "Import cleared"),
    ]
    assert _play_one_by_one(events)[2:] == [
        K.CUSTOMS_RELEASED,
        K.CUSTOMS_HELD,
        K.CUSTOMS_RELEASED,
    ]


def test_a_request_to_act_survives_a_later_change_that_does_not_settle_it() -> None:
    base = NoticeState.from_events(JOURNEY[:7])
    asked = _event(66, S.IN_TRANSIT_CUSTOMS_REQUIRING_INFORMATION)
    delayed = _event(80, S.EXCEPTION_DELAYED)
    plan = plan_notices(base, [asked, delayed])
    assert [n.kind for n in plan.notices] == [K.CUSTOMS_INFORMATION_REQUIRED, K.EXCEPTION]
    # Settled by a later step: only the latest is told.
    failure = _event(126, S.DELIVERY_FAILURE_NO_BODY)
    retry = _event(140, S.OUT_FOR_DELIVERY_OTHER)
    settled = plan_notices(NoticeState.from_events(JOURNEY[:11]), [failure, retry])
    assert [n.kind for n in settled.notices] == [K.OUT_FOR_DELIVERY]


def test_notice_properties() -> None:
    failure = BuyerNotice(K.DELIVERY_FAILURE, _event(1, S.DELIVERY_FAILURE_NO_BODY))
    pickup = BuyerNotice(K.AVAILABLE_FOR_PICKUP, _event(2, S.AVAILABLE_FOR_PICKUP_OTHER))
    delivered = BuyerNotice(K.DELIVERED, _event(3, S.DELIVERED_OTHER))
    assert failure.urgent and pickup.urgent and not delivered.urgent
    assert failure.alerts_seller and not pickup.alerts_seller
    assert delivered.dedupe_key == f"delivered:{delivered.event.key}"
    assert supersede([delivered, delivered]) == (delivered,)


def test_not_found_and_expired_are_not_buyer_news() -> None:
    events = [_event(0, S.NOT_FOUND_OTHER), _event(200, S.EXPIRED_OTHER)]
    assert _play_one_by_one(events) == []


@pytest.mark.parametrize(
    ("sub_status", "advice"),
    [
        ("DeliveryFailure_NoBody", "Make sure someone can receive it"),
        ("DeliveryFailure_Rejected", "if you did not mean to refuse it"),
        ("DeliveryFailure_InvalidAddress", "give them the full address"),
        ("DeliveryFailure_Other", "Make sure someone can receive it"),
    ],
)
def test_a_failed_delivery_gets_the_advice_that_fits_it(sub_status: str, advice: str) -> None:
    """A refused parcel is not a missed one: nobody is told to stay home for it."""
    params = {
        **TRACKING_SAMPLES["tracking.buyer_update"],
        "notices": [_notice("delivery_failure", sub_status)],
    }
    text = Renderer().render("tracking.buyer_update", "en", **params)
    assert advice in text
    if sub_status in ("DeliveryFailure_Rejected", "DeliveryFailure_InvalidAddress"):
        assert "Make sure someone" not in text
