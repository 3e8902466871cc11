"""The tracking poller: an APScheduler tick that keeps every shipment's tracking current.

Each tick claims due shipments in batches of `CLAIM_SIZE` (a lease on the rows; `FOR UPDATE SKIP
LOCKED` on PostgreSQL, so several workers share the work and never double it) and commits the
claim before calling the provider — no transaction is held across the network. The provider is
called with at most `CALL_SIZE` numbers at a time (17TRACK's limit); a claim is larger because
each transaction costs the same few statements whatever its size, so a claim of 200 pays them a
fifth as often as one of 40. A claimed shipment needs one of three calls:

- register: confirmed but not yet known to the provider; the numbers accepted are marked
  registered after each call and fetched straight away;
- fetch: the current picture; what the calls of one claim brought back is recorded by
  `domain.services.tracking.record_updates` in one transaction (events, status, notices,
  estimate, next poll, the order);
- stop: delivered or otherwise final — the provider stops following it (saves its quota).

On PostgreSQL two claims are worked on at once (`workers`): while one waits on the provider
or the database, the other's Python work runs. They share the tick's budget of claims and stop
together once a claim comes back short or the provider fails.

A call that fails for one number backs that shipment off on its own. A call that fails as a
whole (time-out, 5xx, a 429 beyond the client's retries, a refused key) counts against a
provider-wide circuit breaker, records what the calls before it brought back and hands the rest
of the claim back unchanged: they stay due, so when
the provider answers again the next ticks catch up on everything that waited. After
`failure_threshold` failed calls in a row the breaker opens for a cool-down that doubles up to
`max_cooldown`; then one batch probes, and success closes it.

The breaker lives in this process: in a deployment of several workers each finds out about an
outage by itself, at the cost of a few failed calls.

Unknown provider codes are logged once per process (`UnknownCodes`); pushes go through
`record_push`, the same recording as a poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from aiohttp import web

from domain.clock import Clock, utcnow
from domain.logistics import ShippingMethod
from domain.repositories import DueShipment
from domain.services import tracking
from domain.tracking import (
    BatchOutcome,
    RejectionReason,
    ShipmentContext,
    SubStatus,
    TrackedNumber,
    TrackingStatus,
    TrackingUpdate,
    UnknownCodes,
    is_final,
)
from domain.unit_of_work import UnitOfWork
from notifications.tracking.provider import (
    ProviderAuthError,
    ProviderUnavailable,
    QuotaExhausted,
    TrackingProvider,
    TrackingProviderError,
)
from notifications.tracking.seventeen_track_push import (
    MAX_PUSH_BYTES,
    PushMessage,
    make_push_handler,
)

__all__ = ["PUSH_PATH", "CircuitBreaker", "TickResult", "TrackingPoller", "make_push_app"]

logger = logging.getLogger(__name__)

CALL_SIZE = 40  # 17TRACK's limit of numbers per call
CLAIM_SIZE = 200  # shipments claimed, and recorded, per transaction
MAX_CLAIM_SIZE = 1000  # a lease must not outlive the calls of one claim
PUSH_PATH = "/tracking/17track"


class CircuitBreaker:
    """Stops calling a provider that keeps failing; lets one call probe after a cool-down."""

    def __init__(
        self,
        *,
        failure_threshold: int = 3,
        cooldown: timedelta = timedelta(minutes=2),
        max_cooldown: timedelta = timedelta(minutes=30),
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self.failure_threshold = failure_threshold
        self.base_cooldown = cooldown
        self.max_cooldown = max_cooldown
        self.failures = 0
        self.opened = 0  # how many times in a row it opened (the cool-down doubles)
        self.open_until: datetime | None = None

    def allows(self, now: datetime) -> bool:
        """False while open; True when closed, or half-open once the cool-down is over."""
        return self.open_until is None or now >= self.open_until

    @property
    def is_open(self) -> bool:
        return self.open_until is not None

    def record_success(self) -> None:
        if self.open_until is not None:
            logger.info("tracking provider answers again; catching up")
        self.failures = 0
        self.opened = 0
        self.open_until = None

    def record_failure(self, now: datetime) -> None:
        self.failures += 1
        half_open = self.open_until is not None
        if half_open or self.failures >= self.failure_threshold:
            cooldown = min(self.base_cooldown * 2**self.opened, self.max_cooldown)
            self.opened += 1
            self.open_until = now + cooldown
            logger.warning(
                "tracking provider failing (%d calls in a row): pausing calls for %s",
                self.failures,
                cooldown,
            )


@dataclass(slots=True)
class TickResult:
    claimed: int = 0
    registered: int = 0
    fetched: int = 0
    stopped: int = 0
    backed_off: int = 0
    released: int = 0
    alerts: int = 0
    skipped_by_breaker: bool = False
    recorded: tracking.RecordResult = field(default_factory=tracking.RecordResult)


class _Outage(Exception):
    """The provider failed as a whole: stop this tick, hand the claims back."""


def _context(due: DueShipment) -> ShipmentContext:
    try:
        method = ShippingMethod(due.method)
    except ValueError:
        method = ShippingMethod.EXPRESS
    transit = (
        (due.transit_min_days, due.transit_max_days)
        if due.transit_min_days is not None and due.transit_max_days is not None
        else (None, None)
    )
    return ShipmentContext(
        method=method,
        shipped_at=due.confirmed_at,
        origin_country=due.origin_country,
        destination_country=due.destination_country,
        transit_min_days=transit[0],
        transit_max_days=transit[1],
    )


def _tracked(due: DueShipment) -> TrackedNumber:
    return TrackedNumber(due.tracking_number, due.provider_carrier, _context(due))


def _is_final(due: DueShipment) -> bool:
    if due.tracking_status is None:
        return False
    sub = SubStatus(due.tracking_sub_status) if due.tracking_sub_status else None
    return is_final(TrackingStatus(due.tracking_status), sub)


@dataclass(slots=True)
class _Claim:
    """What became of one claim so far: the shipments still held, and the writes to make."""

    pending: dict[int, DueShipment]
    reports: list[tuple[int, TrackingUpdate]] = field(default_factory=list)


@dataclass(slots=True)
class _Pass:
    """What a tick's workers share: the claims they may still make, and why they stop."""

    claims_left: int
    done: bool = False
    caught_up: bool = False  # a claim came back short: every due shipment was claimed
    outage: bool = False


def _calls(items: Sequence[DueShipment]) -> list[Sequence[DueShipment]]:
    return [items[start : start + CALL_SIZE] for start in range(0, len(items), CALL_SIZE)]


class TrackingPoller:
    """Claims due shipments and brings their tracking up to date; `tick()` is the job."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        provider: TrackingProvider,
        *,
        rules: tracking.TrackingRules | None = None,
        clock: Clock = utcnow,
        batch_size: int = CLAIM_SIZE,
        lease: timedelta = timedelta(minutes=5),
        max_batches_per_tick: int = 50,
        breaker: CircuitBreaker | None = None,
        unknown_codes: UnknownCodes | None = None,
        workers: int | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_CLAIM_SIZE:
            raise ValueError(f"batch_size must be 1..{MAX_CLAIM_SIZE}")
        self._uow_factory = uow_factory
        self.provider = provider
        self.rules = rules or tracking.TrackingRules()
        self.clock = clock
        self.batch_size = batch_size
        self.lease = lease
        # 50 claims of 200: a tick does at most 10,000 shipments, then gives the scheduler back.
        self.max_batches_per_tick = max_batches_per_tick
        if workers is not None and workers < 1:
            raise ValueError("workers must be at least 1")
        # Claims worked on at once; None: two where the database lets claims run side by side
        # (PostgreSQL's SKIP LOCKED), one on SQLite, whose writers take turns anyway.
        self.workers = workers
        self.breaker = breaker or CircuitBreaker()
        self.unknown_codes = unknown_codes or UnknownCodes()
        # Registration waits after the quota ran out; polling goes on (it costs none).
        self._register_paused_until: datetime | None = None
        # Set on shutdown: the batch in hand is finished, no further batch is claimed.
        self._stopping = False

    def stop_claiming(self) -> None:
        """Shutdown: finish the batch in hand, claim no more (a later tick starts afresh)."""
        self._stopping = True

    # ----- the job -----

    async def tick(self) -> TickResult:
        """Work through every due shipment (up to `max_batches_per_tick` batches), then alert
        sellers about silent parcels."""
        result = TickResult()
        if not self.breaker.allows(self.clock()):
            result.skipped_by_breaker = True
            return result
        # Half-open after an outage: one claim at a time probes the provider.
        workers = 1 if self.breaker.is_open else await self._workers()
        state = _Pass(claims_left=self.max_batches_per_tick)
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(self._claim_until_done(state, result))
        if state.caught_up and not state.outage:
            # Only once every due parcel was asked about: silence during an outage or a
            # backlog is ours, not the carrier's.
            async with self._uow_factory() as uow:
                result.alerts = await tracking.sweep_silent_shipments(uow, self.rules)
                await uow.commit()
        if not state.outage and not self._stopping:
            await self._stop_replaced_numbers(result)
        return result

    async def _stop_replaced_numbers(self, result: TickResult) -> None:
        """Tell the provider to stop following numbers whose parcel was replaced (a corrected
        return tracking number), one call's worth a tick. Every number it answered for, yes or
        no, is done; a failed call leaves them all for the next tick. Two worker processes may
        both ask about one number: the provider answers the second as already stopped."""
        async with self._uow_factory() as uow:
            waiting = await uow.numbers_to_stop.oldest(CALL_SIZE)
            if not waiting:
                return
            followed = await uow.numbers_to_stop.still_followed(n.tracking_number for n in waiting)
        done = [n.id for n in waiting if n.tracking_number in followed]
        asked = [n for n in waiting if n.tracking_number not in followed]
        if asked:
            try:
                outcome = await self.provider.stop(
                    [TrackedNumber(n.tracking_number, n.provider_carrier) for n in asked]
                )
            except (ProviderUnavailable, ProviderAuthError) as error:
                self.breaker.record_failure(self.clock())
                logger.warning("tracking provider call failed: %s", error)
                return
            self.breaker.record_success()
            answered = {a.number for a in outcome.accepted} | {r.number for r in outcome.rejected}
            done += [n.id for n in asked if n.tracking_number in answered]
            result.stopped += len(outcome.accepted)
        async with self._uow_factory() as uow:
            await uow.numbers_to_stop.remove(done)
            await uow.commit()

    async def _workers(self) -> int:
        if self.workers is None:
            async with self._uow_factory() as uow:
                side_by_side = uow.tracking.claims_run_side_by_side
            # Two: while one claim waits on the provider or the database, the other's Python
            # work runs. More would only queue on the same CPU and connection pool.
            self.workers = 2 if side_by_side else 1
        return self.workers

    async def _claim_until_done(self, state: _Pass, result: TickResult) -> None:
        """One worker of a tick: claim and work until the queue is drained, the provider
        fails, or the tick's claims are spent."""
        while not state.done and state.claims_left > 0 and not self._stopping:
            state.claims_left -= 1
            async with self._uow_factory() as uow:
                claimed = await uow.tracking.claim_due(self.clock(), self.lease, self.batch_size)
                await uow.commit()
            result.claimed += len(claimed)
            if len(claimed) < self.batch_size:
                # Nothing due is left unclaimed: the other workers finish what they hold.
                state.caught_up = state.done = True
            if claimed:
                try:
                    await self._work(claimed, result)
                except _Outage:
                    state.outage = state.done = True

    async def _work(self, claimed: Sequence[DueShipment], result: TickResult) -> None:
        claim = _Claim({due.id: due for due in claimed})
        try:
            to_register = [d for d in claimed if not d.registered]
            to_stop = [d for d in claimed if d.registered and not d.stopped and _is_final(d)]
            stopping = {d.id for d in to_stop}
            to_fetch = [d for d in claimed if d.registered and d.id not in stopping]
            for items in _calls(to_register):
                to_fetch += await self._call(self._register, items, claim, result)
            for items in _calls(to_stop):
                await self._call(self._stop, items, claim, result)
            for items in _calls(to_fetch):
                await self._call(self._fetch, items, claim, result)
        except (ProviderUnavailable, ProviderAuthError) as error:
            self.breaker.record_failure(self.clock())
            log = logger.error if isinstance(error, ProviderAuthError) else logger.warning
            log("tracking provider call failed: %s", error)
            # What the calls before this one brought back is true: keep it.
            await self._record_reports(claim, result)
            await self._release(list(claim.pending), result)
            raise _Outage from error
        except BaseException:
            # A bug or a cancellation: leave nothing leased for the lease's length (what was
            # fetched and not recorded yet is fetched again).
            await self._release(list(claim.pending), result)
            raise
        await self._record_reports(claim, result)
        if claim.pending:  # a call answered for some numbers only, or was refused
            await self._back_off(list(claim.pending), result)

    async def _call(
        self,
        step: Callable[[Sequence[DueShipment], _Claim, TickResult], Awaitable[list[DueShipment]]],
        items: Sequence[DueShipment],
        claim: _Claim,
        result: TickResult,
    ) -> list[DueShipment]:
        try:
            return await step(items, claim, result)
        except (ProviderUnavailable, ProviderAuthError):
            raise
        except TrackingProviderError as error:
            # The provider refused the request itself (our bug): these shipments back off,
            # so it is not asked again every tick; the claim's other calls go on.
            logger.error("tracking provider refused a request: %s", error)
            return []

    async def _register(
        self, items: Sequence[DueShipment], claim: _Claim, result: TickResult
    ) -> list[DueShipment]:
        pending = claim.pending
        now = self.clock()
        if self._register_paused_until is not None and now < self._register_paused_until:
            await self._release([d.id for d in items], result)
            for due in items:
                pending.pop(due.id, None)
            return []
        try:
            outcome = await self.provider.register([_tracked(d) for d in items])
        except QuotaExhausted as error:
            self._register_paused_until = now + timedelta(hours=1)
            logger.error(
                "tracking provider: registration quota exhausted%s; operators must top it up",
                " for today" if error.daily else "",
            )
            outcome = error.outcome
            waiting = {t.number for t in error.not_attempted}
            left = [d.id for d in items if d.tracking_number in waiting]
            await self._release(left, result)
            for shipment_id in left:
                pending.pop(shipment_id, None)
        self.breaker.record_success()
        accepted = await self._apply_rejections(items, outcome, pending, result)
        if not accepted:
            return []
        async with self._uow_factory() as uow:
            await tracking.mark_registered([(d.id, d.provider_carrier) for d in accepted], uow)
            await uow.commit()
        result.registered += len(accepted)
        return accepted

    async def _apply_rejections(
        self,
        items: Sequence[DueShipment],
        outcome: BatchOutcome,
        pending: dict[int, DueShipment],
        result: TickResult,
    ) -> list[DueShipment]:
        by_number: dict[str, list[DueShipment]] = {}
        for due in items:
            by_number.setdefault(due.tracking_number, []).append(due)
        accepted: list[DueShipment] = []
        for number in outcome.accepted:
            for due in by_number.get(number.number, ()):
                if due.id in pending:
                    carrier = number.carrier or due.provider_carrier
                    accepted.append(_with_carrier(due, carrier))
        for rejection in outcome.rejected:
            for due in by_number.get(rejection.number, ()):
                if pending.pop(due.id, None) is None:
                    continue
                async with self._uow_factory() as uow:
                    await tracking.number_refused(due.id, rejection, uow, self.rules)
                    await uow.commit()
                result.backed_off += 1
        return accepted

    async def _fetch(
        self, items: Sequence[DueShipment], claim: _Claim, result: TickResult
    ) -> list[DueShipment]:
        """Fetch one call's numbers; the reports wait in the claim, recorded all together."""
        pending = claim.pending
        outcome = await self.provider.fetch([_tracked(d) for d in items])
        self.breaker.record_success()
        by_number: dict[str, list[DueShipment]] = {}
        for due in items:
            by_number.setdefault(due.tracking_number, []).append(due)
        reported: set[int] = {shipment_id for shipment_id, _ in claim.reports}
        for update in outcome.updates:
            self._note_unknown_codes(update)
            for due in by_number.get(update.number, ()):
                if due.id in pending and due.id not in reported:
                    reported.add(due.id)
                    claim.reports.append((due.id, update))
        unknown: list[int] = []
        for rejection in outcome.rejected:
            for due in by_number.get(rejection.number, ()):
                if due.id not in pending or due.id in reported:
                    continue
                if rejection.reason is RejectionReason.NOT_REGISTERED:
                    pending.pop(due.id)
                    unknown.append(due.id)
        if unknown:
            async with self._uow_factory() as uow:
                await tracking.forget_registration(unknown, uow)
                await uow.commit()
        return []

    async def _stop(
        self, items: Sequence[DueShipment], claim: _Claim, result: TickResult
    ) -> list[DueShipment]:
        outcome = await self.provider.stop([_tracked(d) for d in items])
        self.breaker.record_success()
        done = {a.number for a in outcome.accepted} | {
            r.number for r in outcome.rejected if r.reason is RejectionReason.ALREADY_STOPPED
        }
        stopped = [d.id for d in items if d.tracking_number in done]
        if stopped:
            async with self._uow_factory() as uow:
                await tracking.mark_stopped(stopped, uow)
                await uow.commit()
            for shipment_id in stopped:
                claim.pending.pop(shipment_id, None)
            result.stopped += len(stopped)
        return []

    async def _record_reports(self, claim: _Claim, result: TickResult) -> None:
        """Record the claim's fetched reports in one transaction; they are no longer pending."""
        reports, claim.reports = claim.reports, []
        for shipment_id, _ in reports:
            claim.pending.pop(shipment_id, None)
        if reports:
            await self._record(reports, result)

    async def _record(self, reports: list[tuple[int, TrackingUpdate]], result: TickResult) -> None:
        try:
            async with self._uow_factory() as uow:
                _add(result.recorded, await tracking.record_updates(reports, uow, self.rules))
                await uow.commit()
            result.fetched += len(reports)
            return
        except Exception:
            if len(reports) == 1:
                logger.exception("recording a tracking update failed; backing the shipment off")
                await self._back_off([reports[0][0]], result)
                return
        # One bad report must not hold back the others: record them one by one.
        for report in reports:
            await self._record([report], result)

    # ----- pushes -----

    async def record_push(self, message: PushMessage) -> None:
        """Record a verified 17TRACK push exactly like a poll of that number."""
        async with self._uow_factory() as uow:
            if message.stopped:
                found = await tracking.stopped_by_provider(message.number, uow)
            else:
                assert message.update is not None
                shipments = await uow.tracking.by_tracking_number(message.number)
                found = len(shipments)
                if shipments:
                    await tracking.record_updates(
                        [(s.id, message.update) for s in shipments],
                        uow,
                        self.rules,
                        release_lease=False,
                    )
            await uow.commit()
        if not found:
            # Not ours (a number registered elsewhere with the same key) or already erased.
            logger.info("17TRACK push for a number no shipment has; ignored")

    # ----- bookkeeping -----

    def _note_unknown_codes(self, update: TrackingUpdate) -> None:
        for code in self.unknown_codes.first_seen(sorted(update.unknown_codes)):
            logger.warning(
                "%s sent an unknown status code %r; mapped to _Other", self.provider.name, code
            )

    async def _release(self, shipment_ids: list[int], result: TickResult) -> None:
        if not shipment_ids:
            return
        async with self._uow_factory() as uow:
            await uow.tracking.release(shipment_ids)
            await uow.commit()
        result.released += len(shipment_ids)

    async def _back_off(self, shipment_ids: list[int], result: TickResult) -> None:
        if not shipment_ids:
            return
        async with self._uow_factory() as uow:
            await tracking.back_off(shipment_ids, uow, self.rules)
            await uow.commit()
        result.backed_off += len(shipment_ids)


def _with_carrier(due: DueShipment, carrier: str | None) -> DueShipment:
    return replace(due, provider_carrier=carrier, registered=True)


def _add(total: tracking.RecordResult, part: tracking.RecordResult) -> None:
    total.shipments += part.shipments
    total.events_added += part.events_added
    total.buyer_messages += part.buyer_messages
    total.seller_alerts += part.seller_alerts
    total.to_stop.extend(part.to_stop)


def make_push_app(
    api_key: str, poller: TrackingPoller, *, path: str = PUSH_PATH
) -> web.Application:
    """An aiohttp app receiving 17TRACK's pushes at `path` and recording them like polls.

    Signatures are checked with `api_key` (bad or missing: 401, nothing changes). Unknown
    status codes share the poller's once-only log.
    """
    app = web.Application(client_max_size=MAX_PUSH_BYTES + 1024)
    handler = make_push_handler(api_key, poller.record_push, unknown_codes=poller.unknown_codes)
    app.router.add_route("*", path, handler)
    return app
