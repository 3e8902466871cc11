"""Simulated parcel journeys: a realistic event sequence per method and lane, fixed by a seed.

A journey is planned once, from the tracking number, a seed and the shipment's facts (method,
ship time, origin and destination, the lane's transit range), and read at any moment: what a
tracking provider would report at `now`. Planning draws only from a `random.Random` seeded with
(seed, number), so the same number tells the same story in every process and on every run, and
costs O(events) with no I/O — cheap enough for a benchmark of 100k shipments.

The story follows the method's transit time (the lane's range when given, else express 5-10
days, land 18-25, sea 35-50): details received, picked up, sorting scans, departure from the
origin country, line haul, arrival, customs held and released, local scans, out for delivery,
delivered at a plausible local hour. Outcomes vary it: a failed first attempt, a pickup point,
customs asking for information (which delays delivery and moves the estimate), a return to
sender, a lost parcel, a journey that goes quiet (and expires after 30 days without news, as
17TRACK does), a number that never shows anything.

Tests force an outcome with the first two letters of the number (``ZF...`` fails a delivery
once, ``ZS...`` goes quiet; see `FORCED_PREFIXES`) or with an explicit mapping.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from domain.logistics import ShippingMethod
from domain.tracking import (
    DeliveryEstimate,
    EstimateSource,
    ShipmentContext,
    SubStatus,
    TrackingEvent,
    TrackingUpdate,
    is_final,
)

__all__ = [
    "DEFAULT_TRANSIT_DAYS",
    "FORCED_PREFIXES",
    "OUTCOME_WEIGHTS",
    "Journey",
    "Outcome",
    "plan_journey",
]


class Outcome(StrEnum):
    DELIVERED = "delivered"
    DELIVERY_FAILURE = "delivery_failure"  # one failed attempt, delivered the next day
    PICKUP = "pickup"  # left at a pickup point, collected days later
    CUSTOMS_INFORMATION = "customs_information"  # customs asks the buyer, delivery is late
    RETURNED = "returned"  # two failed attempts, returned to sender
    LOST = "lost"  # an exception after arrival
    STALE = "stale"  # the events stop mid-journey
    NOT_FOUND = "not_found"  # the number never shows anything


OUTCOME_WEIGHTS: Mapping[Outcome, float] = MappingProxyType(
    {
        Outcome.DELIVERED: 0.80,
        Outcome.DELIVERY_FAILURE: 0.07,
        Outcome.PICKUP: 0.05,
        Outcome.CUSTOMS_INFORMATION: 0.03,
        Outcome.RETURNED: 0.02,
        Outcome.STALE: 0.015,
        Outcome.LOST: 0.01,
        Outcome.NOT_FOUND: 0.005,
    }
)

FORCED_PREFIXES: Mapping[str, Outcome] = MappingProxyType(
    {
        "ZD": Outcome.DELIVERED,
        "ZF": Outcome.DELIVERY_FAILURE,
        "ZP": Outcome.PICKUP,
        "ZC": Outcome.CUSTOMS_INFORMATION,
        "ZR": Outcome.RETURNED,
        "ZL": Outcome.LOST,
        "ZS": Outcome.STALE,
        "ZN": Outcome.NOT_FOUND,
    }
)

DEFAULT_TRANSIT_DAYS: Mapping[ShippingMethod, tuple[int, int]] = MappingProxyType(
    {
        ShippingMethod.EXPRESS: (5, 10),
        ShippingMethod.LAND: (18, 25),
        ShippingMethod.SEA: (35, 50),
    }
)

# 17TRACK stops a number after 30 days without news and 15 days after delivery.
NO_NEWS_EXPIRY = timedelta(days=30)
STOP_AFTER_DELIVERY = timedelta(days=15)

_CITIES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "CN": ("Shenzhen", "Guangzhou", "Yiwu", "Shanghai"),
        "DE": ("Frankfurt", "Leipzig", "Hamburg"),
        "FR": ("Paris", "Lyon", "Roissy-en-France"),
        "ES": ("Madrid", "Barcelona", "Zaragoza"),
        "IT": ("Milan", "Rome", "Bologna"),
        "PL": ("Warsaw", "Poznań"),
        "NL": ("Amsterdam", "Rotterdam"),
        "GB": ("London", "Coventry", "Manchester"),
        "RU": ("Moscow", "Saint Petersburg", "Novosibirsk"),
        "BR": ("São Paulo", "Curitiba", "Rio de Janeiro"),
        "US": ("Los Angeles", "New York", "Chicago"),
    }
)
# Rough UTC offsets, so couriers knock on doors in the local morning.
# No customs inside a customs union (the EU; the Eurasian Economic Union) or a country.
_CUSTOMS_UNIONS: tuple[frozenset[str], ...] = (
    frozenset(
        [
            "AT",
            "BE",
            "BG",
            "HR",
            "CY",
            "CZ",
            "DK",
            "EE",
            "FI",
            "FR",
            "DE",
            "GR",
            "HU",
            "IE",
            "IT",
            "LV",
            "LT",
            "LU",
            "MT",
            "NL",
            "PL",
            "PT",
            "RO",
            "SK",
            "SI",
            "ES",
            "SE",
        ]
    ),
    frozenset(["RU", "BY", "KZ", "AM", "KG"]),
)
_UTC_OFFSET_HOURS: Mapping[str, int] = MappingProxyType(
    {"CN": 8, "RU": 3, "DE": 1, "FR": 1, "ES": 1, "IT": 1, "PL": 1, "NL": 1, "GB": 0, "BR": -3}
    | {"US": -6}
)
_GATEWAY = {
    ShippingMethod.EXPRESS: ("Departed from origin airport", "Arrived at destination airport"),
    ShippingMethod.SEA: ("Loaded on vessel, departed port of origin", "Discharged at port"),
    ShippingMethod.LAND: ("Departed origin rail terminal", "Arrived at border rail terminal"),
}
_LINE_HAUL = {
    ShippingMethod.EXPRESS: "In transit to destination country",
    ShippingMethod.SEA: "Vessel in transit",
    ShippingMethod.LAND: "Crossed border station",
}


@dataclass(frozen=True, slots=True)
class _Pace:
    arrival_share: tuple[float, float]  # of the transit time, when it reaches the destination
    line_haul_scans: tuple[int, int]
    customs_days: tuple[float, float]
    local_scan_hours: tuple[float, float]
    pickup_days: tuple[int, int]


_PACE = {
    ShippingMethod.EXPRESS: _Pace((0.35, 0.5), (0, 1), (0.3, 1.2), (2, 8), (1, 3)),
    ShippingMethod.LAND: _Pace((0.55, 0.68), (2, 4), (0.5, 2.0), (4, 16), (2, 5)),
    ShippingMethod.SEA: _Pace((0.6, 0.72), (0, 2), (1.0, 4.0), (4, 20), (2, 6)),
}


def _seed(seed: int | str, number: str) -> int:
    digest = hashlib.blake2b(f"{seed}|{number}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class _Draw:
    """Draws built on `random()` alone, whose sequence Python keeps stable across versions."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self._rng.random()

    def whole(self, low: int, high: int) -> int:
        return low + int(self._rng.random() * (high - low + 1))

    def chance(self, probability: float) -> bool:
        return self._rng.random() < probability

    def pick(self, options: tuple[str, ...]) -> str:
        return options[int(self._rng.random() * len(options))]

    def weighted(self, weights: Mapping[Outcome, float]) -> Outcome:
        point = self._rng.random() * sum(weights.values())
        for outcome, weight in weights.items():
            point -= weight
            if point < 0:
                return outcome
        return next(iter(weights))


# One planned event: (time, sub-status, description, location, provider key). Events are built
# from rows only when they become visible, which keeps planning a parcel cheap.
_Row = tuple[datetime, SubStatus, str, str, str]


@dataclass(frozen=True, slots=True)
class Journey:
    """A planned journey: every event it will ever have, and its estimates over time."""

    number: str
    outcome: Outcome
    shipped_at: datetime
    rows: tuple[_Row, ...]
    # (visible from, the provider's estimate from then on), in time order.
    estimates: tuple[tuple[datetime, DeliveryEstimate | None], ...]
    times: tuple[datetime, ...]

    @property
    def events(self) -> tuple[TrackingEvent, ...]:
        """Every event of the journey, the future ones included."""
        return self._events(len(self.rows))

    def _events(self, count: int) -> tuple[TrackingEvent, ...]:
        return tuple(
            TrackingEvent(at, sub.status, sub, description, location, key)
            for at, sub, description, location, key in self.rows[:count]
        )

    def update_at(
        self, now: datetime, *, carrier: str | None = None, stopped_at: datetime | None = None
    ) -> TrackingUpdate:
        """What the provider reports at `now` (up to `stopped_at` if we stopped the number)."""
        horizon = now if stopped_at is None else min(now, stopped_at)
        visible = self._events(bisect.bisect_right(self.times, horizon))
        estimate = None
        for since, value in self.estimates:
            if since > horizon:
                break
            estimate = value
        stopped = stopped_at is not None and stopped_at <= now
        if not visible:
            expired = now - self.shipped_at >= NO_NEWS_EXPIRY
            sub = SubStatus.EXPIRED_OTHER if expired else SubStatus.NOT_FOUND_OTHER
            return TrackingUpdate(
                self.number, carrier, sub.status, sub, (), None, stopped or expired
            )
        latest = visible[-1]
        sub = latest.sub_status
        if is_final(latest.status, sub):
            stopped = stopped or now - latest.time >= STOP_AFTER_DELIVERY
        elif now - latest.time >= NO_NEWS_EXPIRY:
            sub, stopped = SubStatus.EXPIRED_OTHER, True
        return TrackingUpdate(self.number, carrier, sub.status, sub, visible, estimate, stopped)


class _Planner:
    def __init__(self, number: str, context: ShipmentContext, draw: _Draw) -> None:
        self.number = number
        self.context = context
        self.draw = draw
        self.rows: list[_Row] = []
        self.origin = (context.origin_country or "CN").upper()
        self.destination = (context.destination_country or "FR").upper()
        self.scale = 1.0  # set once the transit time is drawn
        self.customs = not any(
            self.origin in union and self.destination in union for union in _CUSTOMS_UNIONS
        )

    def hours(self, low: float, high: float) -> timedelta:
        """A handling time, shortened on lanes faster than the method's usual range."""
        return timedelta(hours=self.draw.uniform(low, high) * self.scale)

    def city(self, country: str) -> str:
        cities = _CITIES.get(country.upper())
        if cities is None:
            return country.upper()
        return f"{self.draw.pick(cities)}, {country.upper()}"

    def add(self, at: datetime, sub: SubStatus, description: str, location: str) -> datetime:
        """Append an event; one that would not come after the previous moves just past it."""
        at = at.replace(microsecond=0)  # carriers report whole seconds at best
        if self.rows and at <= self.rows[-1][0]:
            at = self.rows[-1][0] + timedelta(seconds=int(self.draw.uniform(600, 3000)))
        self.rows.append((at, sub, description, location, f"sim:{self.number}:{len(self.rows)}"))
        return at

    def local_hour(self, day: date, low: float, high: float) -> datetime:
        """A moment between local hours `low` and `high` at the destination on `day`."""
        offset = _UTC_OFFSET_HOURS.get(self.destination.upper(), 0)
        start = datetime.combine(day, datetime.min.time(), tzinfo=self.context.shipped_at.tzinfo)
        return start + timedelta(hours=self.draw.uniform(low, high) - offset)


def _transit_days(context: ShipmentContext) -> tuple[int, int]:
    if context.transit_min_days is not None and context.transit_max_days is not None:
        return context.transit_min_days, context.transit_max_days
    return DEFAULT_TRANSIT_DAYS[context.method]


def plan_journey(
    number: str,
    context: ShipmentContext,
    *,
    seed: int | str = 0,
    outcome: Outcome | None = None,
    weights: Mapping[Outcome, float] = OUTCOME_WEIGHTS,
) -> Journey:
    """Plan `number`'s journey; `outcome` (or the number's prefix) forces how it ends."""
    draw = _Draw(_seed(seed, number))
    drawn = draw.weighted(weights)  # drawn first, so forcing does not shift the other draws
    chosen = outcome or FORCED_PREFIXES.get(number[:2].upper()) or drawn
    shipped = context.shipped_at
    if chosen is Outcome.NOT_FOUND:
        return Journey(number, chosen, shipped, (), (), ())
    plan = _Planner(number, context, draw)
    if chosen is Outcome.CUSTOMS_INFORMATION and not plan.customs:
        chosen = Outcome.DELIVERED  # no customs on this lane to ask for anything
    low, high = _transit_days(context)
    transit = timedelta(days=draw.uniform(low, high))
    usual_low = DEFAULT_TRANSIT_DAYS[context.method][0]
    plan.scale = min(1.0, transit / timedelta(days=usual_low))
    _origin_leg(plan, transit)
    if chosen is Outcome.STALE and draw.chance(0.5):
        return _finish(plan, chosen, [])  # quiet right after leaving the origin country
    arrival = _line_haul(plan, transit)
    if chosen is Outcome.STALE:
        return _finish(plan, chosen, [])  # quiet somewhere on the way
    return _destination_leg(plan, chosen, transit, arrival)


def _origin_leg(plan: _Planner, transit: timedelta) -> None:
    draw, shipped = plan.draw, plan.context.shipped_at
    origin_city = plan.city(plan.origin)
    at = plan.add(
        shipped + plan.hours(0.5, 3),
        SubStatus.INFO_RECEIVED,
        "Shipment information received",
        origin_city,
    )
    at = plan.add(
        at + plan.hours(3, 18),
        SubStatus.IN_TRANSIT_PICKED_UP,
        "Parcel picked up by the carrier",
        origin_city,
    )
    hub = plan.city(plan.origin)
    for description in ("Arrived at sorting centre", "Departed sorting centre"):
        at = plan.add(at + plan.hours(4, 14), SubStatus.IN_TRANSIT_OTHER, description, hub)
    departure = max(at + plan.hours(3, 12), shipped + transit * draw.uniform(0.12, 0.22))
    departed_text = _GATEWAY[plan.context.method][0]
    plan.add(departure, SubStatus.IN_TRANSIT_DEPARTURE, departed_text, plan.city(plan.origin))


def _line_haul(plan: _Planner, transit: timedelta) -> datetime:
    """The scans between departure and arrival; returns the arrival time."""
    method, draw = plan.context.method, plan.draw
    departure = plan.rows[-1][0]
    arrival = max(
        plan.context.shipped_at + transit * draw.uniform(*_PACE[method].arrival_share),
        departure + timedelta(hours=6),
    )
    scans = draw.whole(*_PACE[method].line_haul_scans)
    for index in range(scans):
        moment = departure + (arrival - departure) * ((index + 1) / (scans + 1))
        plan.add(moment, SubStatus.IN_TRANSIT_OTHER, _LINE_HAUL[method], "")
    return arrival


def _customs(
    plan: _Planner, chosen: Outcome, arrival: datetime, port_city: str
) -> tuple[datetime, timedelta, datetime | None]:
    """Held, perhaps asked for information, released: (release time, delay, when asked)."""
    draw = plan.draw
    at = plan.add(
        arrival + plan.hours(2, 10),
        SubStatus.IN_TRANSIT_CUSTOMS_PROCESSING,
        "Held by customs for clearance",
        port_city,
    )
    delay = timedelta(0)
    asked: datetime | None = None
    if chosen is Outcome.CUSTOMS_INFORMATION:
        asked = at = plan.add(
            at + timedelta(hours=draw.uniform(6, 20)),
            SubStatus.IN_TRANSIT_CUSTOMS_REQUIRING_INFORMATION,
            "Customs require information from the recipient",
            port_city,
        )
        delay = timedelta(days=draw.uniform(2.5, 5))
    customs_days = timedelta(days=draw.uniform(*_PACE[plan.context.method].customs_days))
    released = plan.add(
        at + customs_days * plan.scale + delay,
        SubStatus.IN_TRANSIT_CUSTOMS_RELEASED,
        "Released by customs",
        port_city,
    )
    return released, delay, asked


def _destination_leg(
    plan: _Planner, chosen: Outcome, transit: timedelta, arrival: datetime
) -> Journey:
    draw, method, shipped = plan.draw, plan.context.method, plan.context.shipped_at
    pace = _PACE[method]
    estimates: list[tuple[datetime, DeliveryEstimate | None]] = []
    port_city = plan.city(plan.destination)
    arrival = plan.add(arrival, SubStatus.IN_TRANSIT_ARRIVAL, _GATEWAY[method][1], port_city)
    at, delay, information_asked = arrival, timedelta(0), None
    if plan.customs:
        at, delay, information_asked = _customs(plan, chosen, arrival, port_city)
    local_city = plan.city(plan.destination)
    at = plan.add(
        at + plan.hours(*pace.local_scan_hours),
        SubStatus.IN_TRANSIT_OTHER,
        "Arrived at local distribution centre",
        local_city,
    )
    if chosen is Outcome.LOST:
        lost = plan.add(
            at + timedelta(days=draw.uniform(5, 9)),
            SubStatus.EXCEPTION_LOST,
            "Parcel reported lost; an investigation is open",
            local_city,
        )
        estimates += [(arrival, _window((shipped + transit).date())), (lost, None)]
        return _finish(plan, chosen, estimates)
    at = plan.add(
        at + plan.hours(*pace.local_scan_hours),
        SubStatus.IN_TRANSIT_OTHER,
        "Departed local distribution centre",
        local_city,
    )

    # The first delivery day: the first local morning after the last scan, or the planned
    # day if that is later.
    first_round = at.date() if plan.local_hour(at.date(), 7, 7) > at else at.date() + timedelta(1)
    day = max(first_round, (shipped + transit + delay).date())
    # The carrier's estimate from arrival on: the day it expected before any customs delay.
    estimates.append((arrival, _window(day - timedelta(days=delay.days))))
    if information_asked is not None:
        estimates.append((information_asked, _window(day)))
    if chosen is Outcome.PICKUP:
        point = f"Pickup point, {local_city}"
        plan.add(
            plan.local_hour(day, 9, 12),
            SubStatus.AVAILABLE_FOR_PICKUP_OTHER,
            "Available for pickup",
            point,
        )
        collected = day + timedelta(days=draw.whole(*pace.pickup_days))
        plan.add(
            plan.local_hour(collected, 10, 19),
            SubStatus.DELIVERED_OTHER,
            "Collected by the recipient",
            point,
        )
        return _finish(plan, chosen, estimates)

    failures = {Outcome.DELIVERY_FAILURE: 1, Outcome.RETURNED: 2}.get(chosen, 0)
    for attempt in range(failures):
        out = _out_for_delivery(plan, day, local_city)
        refused = attempt == 1
        plan.add(
            out + timedelta(hours=draw.uniform(2, 6)),
            SubStatus.DELIVERY_FAILURE_REJECTED if refused else SubStatus.DELIVERY_FAILURE_NO_BODY,
            "Delivery refused by the recipient"
            if refused
            else "Delivery attempted: recipient not at home",
            local_city,
        )
        day += timedelta(days=1)
    if chosen is Outcome.RETURNED:
        returning = plan.add(
            plan.local_hour(day, 9, 17),
            SubStatus.EXCEPTION_RETURNING,
            "Returning to sender",
            local_city,
        )
        plan.add(
            returning + transit * draw.uniform(0.7, 1.0),
            SubStatus.EXCEPTION_RETURNED,
            "Returned to sender",
            plan.city(plan.origin),
        )
        estimates.append((returning, None))
        return _finish(plan, chosen, estimates)
    out = _out_for_delivery(plan, day, local_city)
    plan.add(
        out + timedelta(hours=draw.uniform(1.5, 7)),
        SubStatus.DELIVERED_OTHER,
        "Delivered to the recipient",
        local_city,
    )
    return _finish(plan, chosen, estimates)


def _out_for_delivery(plan: _Planner, day: date, city: str) -> datetime:
    """The morning the courier takes the parcel out: for each attempt, and the last."""
    return plan.add(
        plan.local_hour(day, 7, 10), SubStatus.OUT_FOR_DELIVERY_OTHER, "Out for delivery", city
    )


def _window(day: date) -> DeliveryEstimate:
    """A carrier's window: the expected day, give or take one."""
    return DeliveryEstimate(
        day - timedelta(days=1), day + timedelta(days=1), EstimateSource.PROVIDER
    )


def _finish(
    plan: _Planner, outcome: Outcome, estimates: list[tuple[datetime, DeliveryEstimate | None]]
) -> Journey:
    rows = tuple(plan.rows)
    estimates.sort(key=lambda entry: entry[0])
    return Journey(
        plan.number,
        outcome,
        plan.context.shipped_at,
        rows,
        tuple(estimates),
        tuple(row[0] for row in rows),
    )
