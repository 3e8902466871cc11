"""17TRACK API v2.2 client (aiohttp): register, gettrackinfo, stoptrack, retrack, changecarrier,
getquota — every endpoint a POST under ``/track/v2.2/`` with the key in the ``17token`` header.

Limits, enforced here before 17TRACK has to:

- at most 40 numbers a call: larger batches are split, one call after another;
- 3 requests a second on every endpoint: one `aiolimiter.AsyncLimiter` per endpoint, paced
  evenly (no burst), so the client never sends faster than the limit allows;
- a 429 anyway (another process with the same key): pause and retry, at most
  `max_rate_limited_retries` times, then `RateLimited`;
- time-outs, connection errors and 5xx: retried `max_attempts` times with a growing pause,
  then `ProviderUnavailable`. Retrying is safe on every endpoint: registering a number twice
  is answered "already registered", which counts as accepted and costs no quota.

Per-number results come back in the outcome (accepted, or rejected with 17TRACK's code); quota
exhaustion raises `QuotaExhausted` with the partial outcome, so the numbers registered before
the quota ran out are not lost. The key is sent in a header only: it is never logged, never in
an exception message, and not in the client's repr.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp
from aiolimiter import AsyncLimiter

from domain.tracking import (
    BatchOutcome,
    FetchOutcome,
    Quota,
    Rejection,
    RejectionReason,
    TrackedNumber,
)
from notifications.tracking.bounded_body import read_at_most
from notifications.tracking.provider import (
    ProviderAuthError,
    ProviderRequestError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
)
from notifications.tracking.seventeen_track_payloads import (
    AUTH_ERROR_CODES,
    DAILY_LIMIT,
    QUOTA_EXHAUSTED,
    PayloadError,
    change_carrier_body,
    numbers_body,
    parse_batch_outcome,
    parse_envelope,
    parse_fetch_outcome,
    parse_quota,
)

__all__ = ["DEFAULT_BASE_URL", "ENDPOINTS", "MAX_NUMBERS_PER_CALL", "SeventeenTrackClient"]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.17track.net"
API_PATH = "/track/v2.2/"
MAX_NUMBERS_PER_CALL = 40
ENDPOINTS = ("register", "gettrackinfo", "changecarrier", "stoptrack", "retrack", "getquota")
# A 40-number gettrackinfo answer is a few hundred kB; anything far beyond is not 17TRACK.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024

Sleep = Callable[[float], Awaitable[None]]


class SeventeenTrackClient:
    """A `TrackingProvider` backed by the 17TRACK API v2.2."""

    name = "17track"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        requests_per_second: float = 3.0,
        timeout: float = 20.0,
        max_attempts: int = 3,
        retry_pause: float = 1.0,
        max_rate_limited_retries: int = 5,
        rate_limited_pause: float = 1.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("a 17TRACK API key is required")
        if requests_per_second <= 0 or max_attempts < 1 or max_rate_limited_retries < 0:
            raise ValueError("rate, attempts and retries must be positive")
        self._headers = {"17token": api_key, "Content-Type": "application/json"}
        self._base_url = base_url.rstrip("/") + API_PATH
        self._session = session
        self._owns_session = session is None
        self._closed = False
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_attempts = max_attempts
        self._retry_pause = retry_pause
        self._max_rate_limited_retries = max_rate_limited_retries
        self._rate_limited_pause = rate_limited_pause
        self._sleep = sleep
        # One request every 1/rate seconds, no burst: a burst of 3 at the second's edge could
        # look like 4 in a second to a server counting in a sliding window.
        self._limiters = {
            endpoint: AsyncLimiter(1, 1.0 / requests_per_second) for endpoint in ENDPOINTS
        }
        self.rate_limited_responses = 0  # 429s seen, for metrics and tests

    def __repr__(self) -> str:
        return f"<SeventeenTrackClient {self._base_url}>"

    async def close(self) -> None:
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _client_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ProviderUnavailable("the 17TRACK client is closed")
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._owns_session = True
        return self._session

    # --- the transport ------------------------------------------------------------------

    async def _post(self, endpoint: str, body: Any) -> tuple[int, bytes]:
        async with self._limiters[endpoint]:
            pass  # the limiter spaces the calls' starts; the call itself runs unthrottled
        session = self._client_session()
        async with session.post(
            self._base_url + endpoint, json=body, headers=self._headers, timeout=self._timeout
        ) as response:
            raw = await read_at_most(response.content, MAX_RESPONSE_BYTES)
            if raw is None:
                raise ProviderUnavailable(f"17TRACK {endpoint}: answer larger than expected")
            return response.status, raw

    async def _call(self, endpoint: str, body: Any) -> Mapping[str, Any]:
        """POST `body` to `endpoint`; the envelope's ``data`` when its ``code`` is 0."""
        attempts = 0
        rate_limited = 0
        while True:
            try:
                status, raw = await self._post(endpoint, body)
            except (TimeoutError, aiohttp.ClientError) as exc:
                attempts += 1
                problem = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
                if attempts >= self._max_attempts:
                    raise ProviderUnavailable(
                        f"17TRACK {endpoint}: {problem} after {attempts} attempts"
                    ) from None
                logger.warning("17TRACK %s %s (attempt %d); retrying", endpoint, problem, attempts)
                await self._sleep(self._retry_pause * 2 ** (attempts - 1))
                continue

            if status == 429:
                self.rate_limited_responses += 1
                rate_limited += 1
                if rate_limited > self._max_rate_limited_retries:
                    raise RateLimited(f"17TRACK {endpoint}: still rate limited after retries")
                logger.info("17TRACK %s answered 429; pausing before retry", endpoint)
                await self._sleep(self._rate_limited_pause)
                continue
            if status >= 500:
                attempts += 1
                if attempts >= self._max_attempts:
                    raise ProviderUnavailable(
                        f"17TRACK {endpoint}: HTTP {status} after {attempts} attempts"
                    )
                logger.warning(
                    "17TRACK %s HTTP %d (attempt %d); retrying", endpoint, status, attempts
                )
                await self._sleep(self._retry_pause * 2 ** (attempts - 1))
                continue
            return self._data(endpoint, status, raw)

    def _data(self, endpoint: str, status: int, raw: bytes) -> Mapping[str, Any]:
        try:
            envelope = parse_envelope(raw)
        except PayloadError as exc:
            if status == 401:
                raise ProviderAuthError(f"17TRACK {endpoint}: unauthorized (HTTP 401)") from None
            raise ProviderUnavailable(f"17TRACK {endpoint}: HTTP {status}, {exc}") from None
        code = envelope.code
        if code == 0 and status == 200:
            return envelope.data
        detail = f"17TRACK {endpoint}: code {code}"
        if status == 401 or code in AUTH_ERROR_CODES:
            raise ProviderAuthError(f"{detail} (check the API key and IP allow-list)")
        if code in (QUOTA_EXHAUSTED, DAILY_LIMIT):
            raise QuotaExhausted(detail, daily=code == DAILY_LIMIT)
        if code == -18010003:
            raise ProviderUnavailable(f"{detail} (internal error)")
        raise ProviderRequestError(f"{detail}: {envelope.message}" if envelope.message else detail)

    # --- the endpoints ------------------------------------------------------------------

    @staticmethod
    def _batches(numbers: Sequence[TrackedNumber]) -> list[Sequence[TrackedNumber]]:
        return [
            numbers[start : start + MAX_NUMBERS_PER_CALL]
            for start in range(0, len(numbers), MAX_NUMBERS_PER_CALL)
        ]

    async def _batch_call(
        self, endpoint: str, numbers: Sequence[TrackedNumber], *, registering: bool = False
    ) -> BatchOutcome:
        outcome = BatchOutcome()
        batches = self._batches(numbers)
        for index, batch in enumerate(batches):
            rest = [item for later in batches[index + 1 :] for item in later]
            try:
                data = await self._call(endpoint, numbers_body(batch))
            except QuotaExhausted as exc:
                raise QuotaExhausted(
                    str(exc), outcome=outcome, not_attempted=[*batch, *rest], daily=exc.daily
                ) from None
            part = parse_batch_outcome(data, registering=registering)
            outcome = outcome + part
            logger.info(
                "17TRACK %s: %d accepted, %d rejected",
                endpoint,
                len(part.accepted),
                len(part.rejected),
            )
            out_of_quota = [
                r
                for r in part.rejected
                if r.reason in (RejectionReason.QUOTA_EXHAUSTED, RejectionReason.DAILY_LIMIT)
            ]
            if out_of_quota:
                daily = all(r.reason is RejectionReason.DAILY_LIMIT for r in out_of_quota)
                raise QuotaExhausted(
                    f"17TRACK {endpoint}: quota exhausted for {len(out_of_quota)} number(s)",
                    outcome=outcome,
                    not_attempted=rest,
                    daily=daily,
                )
        return outcome

    async def register(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        return await self._batch_call("register", numbers, registering=True)

    async def fetch(self, numbers: Sequence[TrackedNumber]) -> FetchOutcome:
        outcome = FetchOutcome()
        for batch in self._batches(numbers):
            data = await self._call("gettrackinfo", numbers_body(batch))
            updates, rejected = parse_fetch_outcome(data)
            outcome = outcome + FetchOutcome(tuple(updates), tuple(rejected))
        return outcome

    async def stop(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        return await self._batch_call("stoptrack", numbers)

    async def retrack(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        return await self._batch_call("retrack", numbers)

    async def change_carrier(self, number: TrackedNumber, new_carrier: str) -> BatchOutcome:
        try:
            body = change_carrier_body(number, new_carrier)
        except ValueError:
            # A carrier 17TRACK has no key for: the seller must pick another, nothing to send.
            rejection = Rejection(
                number.number, RejectionReason.WRONG_CARRIER, "unknown-carrier", new_carrier[:64]
            )
            return BatchOutcome(rejected=(rejection,))
        return parse_batch_outcome(await self._call("changecarrier", body))

    async def quota(self) -> Quota:
        try:
            return parse_quota(await self._call("getquota", []))
        except PayloadError as exc:
            raise ProviderUnavailable(f"17TRACK getquota: {exc}") from None
