"""The simulated tracking provider: plays each parcel's planned journey on an injectable clock.

It answers like 17TRACK — register, fetch, stop, retrack, change carrier, quota — from journeys
planned by `simulated_journeys.plan_journey`, read at `clock()`. The sandbox's fast-forward and
the tests move time by moving the clock; nothing is stored per parcel except what a caller
changed (a stop, a carrier), so a restart loses nothing and 100k parcels cost no memory.

A fetched number needs the shipment's facts to plan its journey: pass them as the
`TrackedNumber.context` (the poller does). A number without them is played from the moment it
was registered here, as an express parcel to the default destination; a number neither
registered nor described is rejected as not registered, as 17TRACK would.

`outage = True` makes every call raise `ProviderUnavailable` (for the circuit breaker's tests),
and `quota_total` caps registrations like 17TRACK's quota. With `call_log`, every call appends
one JSON line to that file (the operation, the numbers, the time, the process id): several
worker processes share one file, and the cluster test reads it to prove that no two processes
polled the same shipment (TRACKING_SIMULATED_CALL_LOG).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from domain.clock import Clock, utcnow
from domain.errors import InvalidInput
from domain.logistics import ShippingMethod
from domain.tracking import (
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
from domain.tracking_numbers import parse_tracking_number
from notifications.tracking.provider import ProviderUnavailable, QuotaExhausted
from notifications.tracking.simulated_journeys import (
    OUTCOME_WEIGHTS,
    Journey,
    Outcome,
    plan_journey,
)

__all__ = ["SimulatedProvider"]

SIMULATED_CARRIER = "simulated-post"
# What a number is answered with when it is not refused: an update, or an accepted number.
AnswerT = TypeVar("AnswerT", TrackingUpdate, AcceptedNumber)


class SimulatedProvider:
    """A `TrackingProvider` that plays deterministic, realistic journeys."""

    name = "simulated"

    def __init__(
        self,
        *,
        clock: Clock = utcnow,
        seed: int | str = 0,
        forced: Mapping[str, Outcome] | None = None,
        weights: Mapping[Outcome, float] = OUTCOME_WEIGHTS,
        default_destination: str = "FR",
        quota_total: int | None = None,
        latency: float = 0.0,
        cache_size: int = 4096,
        call_log: Path | None = None,
    ) -> None:
        self._clock = clock
        self._seed = seed
        self._forced = dict(forced or {})
        self._weights = weights
        self._default_destination = default_destination
        self._quota_total = quota_total
        self._latency = latency
        self._registered: dict[str, datetime] = {}
        self._carriers: dict[str, str] = {}
        self._stopped: dict[str, datetime] = {}
        self._retracked: set[str] = set()
        self._cache: OrderedDict[tuple[object, ...], Journey] = OrderedDict()
        self._cache_size = cache_size
        self._call_log = call_log
        self.quota_used = 0
        self.outage = False
        self.calls = 0

    async def close(self) -> None:
        self._cache.clear()

    def force(self, number: str, outcome: Outcome) -> None:
        """Make `number` end with `outcome` (tests), whatever its prefix or the dice say."""
        self._forced[number] = outcome
        self._cache.clear()

    async def _enter(self, operation: str, numbers: Sequence[TrackedNumber] = ()) -> None:
        self.calls += 1
        if self._call_log is not None:
            self._log_call(self._call_log, operation, numbers)
        if self._latency:
            await asyncio.sleep(self._latency)
        if self.outage:
            raise ProviderUnavailable("simulated provider outage")

    @staticmethod
    def _log_call(path: Path, operation: str, numbers: Sequence[TrackedNumber]) -> None:
        line = json.dumps(
            {
                "operation": operation,
                "numbers": [item.number for item in numbers],
                "at": time.time(),
                "pid": os.getpid(),
            }
        )
        # One write of one line in append mode: the lines of several processes never mix.
        with path.open("a", encoding="utf-8") as log_file:
            log_file.write(line + "\n")

    # --- journeys -----------------------------------------------------------------------

    def _context(self, item: TrackedNumber) -> ShipmentContext | None:
        if item.context is not None:
            return item.context
        registered = self._registered.get(item.number)
        if registered is None:
            return None
        return ShipmentContext(
            ShippingMethod.EXPRESS, registered, destination_country=self._default_destination
        )

    def journey(self, number: str, context: ShipmentContext) -> Journey:
        """The planned journey of `number` (cached: the benchmark plans each parcel once a pass)."""
        key = (number, context)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        journey = plan_journey(
            number,
            context,
            seed=self._seed,
            outcome=self._forced.get(number),
            weights=self._weights,
        )
        self._cache[key] = journey
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return journey

    def update_for(self, item: TrackedNumber, now: datetime | None = None) -> TrackingUpdate | None:
        """What a fetch of `item` would report at `now` (default: the clock); None if unknown."""
        context = self._context(item)
        if context is None:
            return None
        carrier = self._carriers.get(item.number) or item.carrier or SIMULATED_CARRIER
        return self.journey(item.number, context).update_at(
            now or self._clock(), carrier=carrier, stopped_at=self._stopped.get(item.number)
        )

    # --- the provider API -----------------------------------------------------------------

    async def register(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        await self._enter("register", numbers)
        accepted: list[AcceptedNumber] = []
        rejected: list[Rejection] = []
        now = self._clock()
        for index, item in enumerate(numbers):
            try:
                parsed = parse_tracking_number(item.number)
            except InvalidInput:
                rejected.append(
                    Rejection(item.number, RejectionReason.INVALID_NUMBER, "sim-invalid-number")
                )
                continue
            if item.number in self._registered:
                accepted.append(AcceptedNumber(item.number, None, already_registered=True))
                continue
            if self._quota_total is not None and self.quota_used >= self._quota_total:
                done = BatchOutcome(tuple(accepted), tuple(rejected))
                raise QuotaExhausted(
                    "simulated quota exhausted", outcome=done, not_attempted=numbers[index:]
                )
            self.quota_used += 1
            self._registered[item.number] = now
            carrier = item.carrier or parsed.carrier or SIMULATED_CARRIER
            self._carriers[item.number] = carrier
            accepted.append(AcceptedNumber(item.number, carrier))
        return BatchOutcome(tuple(accepted), tuple(rejected))

    async def fetch(self, numbers: Sequence[TrackedNumber]) -> FetchOutcome:
        await self._enter("fetch", numbers)
        now = self._clock()

        def fetch_one(item: TrackedNumber) -> TrackingUpdate | Rejection:
            update = self.update_for(item, now)
            if update is None:
                return Rejection(item.number, RejectionReason.NOT_REGISTERED, "sim-not-registered")
            return update

        return FetchOutcome(*_answers(fetch_one(item) for item in numbers))

    async def stop(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        await self._enter("stop", numbers)
        now = self._clock()

        def stop_one(item: TrackedNumber) -> AcceptedNumber | Rejection:
            if item.number in self._stopped:
                return Rejection(
                    item.number, RejectionReason.ALREADY_STOPPED, "sim-already-stopped"
                )
            self._stopped[item.number] = now
            return AcceptedNumber(item.number, self._carriers.get(item.number))

        return BatchOutcome(*_answers(stop_one(item) for item in numbers))

    async def retrack(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        await self._enter("retrack", numbers)

        def retrack_one(item: TrackedNumber) -> AcceptedNumber | Rejection:
            if item.number not in self._stopped:
                return Rejection(item.number, RejectionReason.NOT_STOPPED, "sim-tracked")
            if item.number in self._retracked:
                return Rejection(item.number, RejectionReason.RETRACK_USED, "sim-once")
            del self._stopped[item.number]
            self._retracked.add(item.number)
            return AcceptedNumber(item.number, self._carriers.get(item.number))

        return BatchOutcome(*_answers(retrack_one(item) for item in numbers))

    async def change_carrier(self, number: TrackedNumber, new_carrier: str) -> BatchOutcome:
        await self._enter("change_carrier", (number,))
        if not new_carrier.strip() or new_carrier == self._carriers.get(number.number):
            rejection = Rejection(
                number.number, RejectionReason.CARRIER_CHANGE_REFUSED, "sim-same-carrier"
            )
            return BatchOutcome(rejected=(rejection,))
        self._carriers[number.number] = new_carrier
        return BatchOutcome(accepted=(AcceptedNumber(number.number, new_carrier),))

    async def quota(self) -> Quota:
        await self._enter("quota")
        total = self._quota_total if self._quota_total is not None else 1_000_000_000
        return Quota(total=total, used=self.quota_used, remaining=total - self.quota_used)


def _answers(
    answers: Iterable[AnswerT | Rejection],
) -> tuple[tuple[AnswerT, ...], tuple[Rejection, ...]]:
    """Per-number answers, worked out in the numbers' order: (the accepted, the refused)."""
    done = list(answers)
    return (
        tuple(answer for answer in done if not isinstance(answer, Rejection)),
        tuple(answer for answer in done if isinstance(answer, Rejection)),
    )
