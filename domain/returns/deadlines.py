"""Response deadlines of a return case and when to remind the side that has to act.

- the seller answers a new case within 5 days (the marketplace refunds the buyer by itself when
  a seller stays silent that long);
- each side answers an open offer within 72 hours;
- the buyer ships an agreed return within 10 days (or the days the accepted offer gave);
- the store records an agreed refund within 7 days of owing it: from the agreement when the
  goods stay with the buyer, from its confirmation that the returned goods arrived when they
  travel back (`ReturnCase.refund_due_from`).

All four durations are configurable (`DeadlineRules`). A deadline fires up to three times:
a reminder at half time, a reminder 24 hours before, and the lapse itself. A reminder that
would come at the same moment as another, or not before the start, is left out (a 24-hour
deadline gets only the half-time reminder; a deadline shorter than that has no 24-hour one).
The computation is pure; `domain.services.returns` stores each firing as a `return_deadlines`
row that the scheduler claims with a lease, so none fires twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.returns.rules import Side

FINAL_REMINDER_BEFORE = timedelta(hours=24)


class DeadlineKind(enum.StrEnum):
    SELLER_FIRST_ANSWER = "seller_first_answer"
    OFFER_ANSWER = "offer_answer"
    RETURN_SHIPMENT = "return_shipment"
    REFUND = "refund"


class Firing(enum.StrEnum):
    HALF_TIME = "half_time"
    DAY_BEFORE = "day_before"
    LAPSE = "lapse"


@dataclass(frozen=True, slots=True)
class DeadlineRules:
    seller_first_answer: timedelta = timedelta(days=5)
    offer_answer: timedelta = timedelta(hours=72)
    return_shipment: timedelta = timedelta(days=10)
    refund_payment: timedelta = timedelta(days=7)

    def __post_init__(self) -> None:
        for value in (
            self.seller_first_answer,
            self.offer_answer,
            self.return_shipment,
            self.refund_payment,
        ):
            if value <= timedelta(0):
                raise ValueError("deadlines must be positive")

    def duration(self, kind: DeadlineKind) -> timedelta:
        return {
            DeadlineKind.SELLER_FIRST_ANSWER: self.seller_first_answer,
            DeadlineKind.OFFER_ANSWER: self.offer_answer,
            DeadlineKind.RETURN_SHIPMENT: self.return_shipment,
            DeadlineKind.REFUND: self.refund_payment,
        }[kind]


@dataclass(frozen=True, slots=True)
class ScheduledFiring:
    firing: Firing
    at: datetime


@dataclass(frozen=True, slots=True)
class Deadline:
    """Who must do what by when, and the moments to remind them and to record the lapse."""

    kind: DeadlineKind
    side: Side  # the side that has to act
    starts_at: datetime
    due_at: datetime

    @property
    def firings(self) -> tuple[ScheduledFiring, ...]:
        half = self.starts_at + (self.due_at - self.starts_at) / 2
        day_before = self.due_at - FINAL_REMINDER_BEFORE
        planned: list[ScheduledFiring] = [ScheduledFiring(Firing.HALF_TIME, half)]
        if self.starts_at < day_before and day_before != half:
            planned.append(ScheduledFiring(Firing.DAY_BEFORE, day_before))
        planned.append(ScheduledFiring(Firing.LAPSE, self.due_at))
        return tuple(sorted(planned, key=lambda f: f.at))

    def left(self, now: datetime) -> timedelta:
        return max(self.due_at - now, timedelta(0))


def side_to_act(kind: DeadlineKind, offer_from: Side | None = None) -> Side:
    if kind in (DeadlineKind.SELLER_FIRST_ANSWER, DeadlineKind.REFUND):
        return Side.SELLER
    if kind is DeadlineKind.RETURN_SHIPMENT:
        return Side.BUYER
    if offer_from is None:
        raise ValueError("an offer deadline needs the side that made the offer")
    return offer_from.other


def deadline(
    kind: DeadlineKind,
    starts_at: datetime,
    rules: DeadlineRules,
    *,
    offer_from: Side | None = None,
    duration: timedelta | None = None,
) -> Deadline:
    """The deadline of `kind` starting now; `duration` overrides the rule (an agreed offer's
    own days to ship the return)."""
    if starts_at.tzinfo is None:
        raise ValueError("naive datetime given; use timezone-aware UTC")
    length = duration if duration is not None else rules.duration(kind)
    if length <= timedelta(0):
        raise ValueError("deadlines must be positive")
    return Deadline(kind, side_to_act(kind, offer_from), starts_at, starts_at + length)
