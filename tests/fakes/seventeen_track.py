"""A fake 17TRACK API v2.2 server (aiohttp, loopback, ephemeral port) for tests and benchmarks.

Built from the documented request and response shapes, it behaves like the real service where
our client depends on it:

- the ``17token`` header is checked (HTTP 401, code -18010002 when missing or wrong);
- every endpoint allows `requests_per_second` (3) with a burst of `burst` (3): a token bucket
  per endpoint; above it, HTTP 429 with 17TRACK's error envelope;
- at most 40 numbers a call (code -18010014 above);
- registering costs one quota unit (code -18019908 when none is left, -18019907 past the daily
  limit); "already registered" (-18019901), "not registered" (-18019902), "carrier cannot be
  detected" (-18019903), invalid numbers (-18010012), stop/retrack rules (-18019904..06) and
  carrier-change rules (-18019802/03/06/07) per number, in ``rejected``;
- faults on demand: `fail_next` answers 500s, `stall_next` holds answers (client time-outs);
- pushes: `push` POSTs a TRACKING_UPDATED or TRACKING_STOPPED body to a webhook with a correct,
  wrong or missing ``sign`` header.

Tracking data comes from `set_track_info` per number, or from a `journeys` callable (a number ->
`TrackingUpdate`, e.g. the simulated provider) for numbers without one.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import ClientSession, web

from domain.tracking import TrackingUpdate
from tests.fakes.seventeen_track_payloads import (
    push_body,
    sign_body,
    track_info_from_update,
    track_info_payload,
)

__all__ = ["DEFAULT_KEY", "FakeNumber", "FakeSeventeenTrack"]

DEFAULT_KEY = "fake-17track-key-0123456789abcdef"
KNOWN_CARRIERS = {3011, 100001, 100002, 100003, 21051, 190271, 190008, 190094}
_NUMBER = re.compile(r"[A-Za-z0-9-]{5,50}")


def detect_carrier(number: str) -> int | None:
    """The fake's auto-detection: a few well-known formats, like the real one's best cases."""
    if re.fullmatch(r"[A-Z]{2}\d{9}[A-Z]{2}", number):
        return 3011  # UPU S10: the postal operator (China Post in the fake)
    if number.startswith("1Z") and len(number) == 18:
        return 100002
    if re.fullmatch(r"LP\d{14}", number):
        return 190271
    if re.fullmatch(r"9[1-5]\d{20}", number):
        return 21051
    if re.fullmatch(r"\d{12}", number):
        return 100003
    if re.fullmatch(r"\d{10,11}", number):
        return 100001
    return None


@dataclass
class FakeNumber:
    number: str
    carrier: int
    tracking: bool = True
    retracked: bool = False
    carrier_changes: int = 0
    track_info: dict[str, Any] | None = None


class FakeSeventeenTrack:
    """Fake 17TRACK; use as ``async with FakeSeventeenTrack() as fake: fake.base_url``."""

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_KEY,
        requests_per_second: float = 3.0,
        burst: int = 3,
        quota_total: int = 100,
        daily_limit: int = 0,
        journeys: Callable[[str], TrackingUpdate | None] | None = None,
    ) -> None:
        self.api_key = api_key
        self.requests_per_second = requests_per_second
        self.burst = burst
        self.quota_total = quota_total
        self.quota_used = 0
        self.today_used = 0
        self.daily_limit = daily_limit
        self.journeys = journeys
        self.numbers: dict[str, FakeNumber] = {}
        # What happened, for assertions: (endpoint, HTTP status, how many numbers).
        self.requests: list[tuple[str, int, int]] = []
        self.rate_limited: Counter[str] = Counter()
        self._buckets: dict[str, tuple[float, float]] = {}  # endpoint -> (tokens, last time)
        self._failures: dict[str, list[int]] = {}
        self._stalls: dict[str, list[float]] = {}
        self._runner: web.AppRunner | None = None
        self._port = 0

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/track/v2.2/{endpoint}", self._handle)
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: pass to ``SeventeenTrackClient(base_url=...)``."""
        if not self._port:
            raise RuntimeError("the fake is not running; call start() first")
        return f"http://127.0.0.1:{self._port}"

    # --- test controls --------------------------------------------------------------------

    def fail_next(self, endpoint: str, status: int = 500, times: int = 1) -> None:
        self._failures.setdefault(endpoint, []).extend([status] * times)

    def stall_next(self, endpoint: str, seconds: float, times: int = 1) -> None:
        self._stalls.setdefault(endpoint, []).extend([seconds] * times)

    def set_track_info(self, number: str, track_info: dict[str, Any]) -> None:
        self.numbers[number].track_info = track_info

    def calls(self, endpoint: str, status: int | None = 200) -> list[tuple[str, int, int]]:
        return [r for r in self.requests if r[0] == endpoint and (status is None or r[1] == status)]

    async def push(
        self,
        url: str,
        event: str,
        number: str,
        *,
        track_info: dict[str, Any] | None = None,
        sign: str | None = "good",
        body: bytes | None = None,
    ) -> int:
        """POST a push to `url`; `sign` is "good", "bad", None (no header) or a literal value."""
        record = self.numbers.get(number)
        carrier = record.carrier if record is not None else 3011
        if track_info is None and event == "TRACKING_UPDATED":
            track_info = self._track_info_for(number)
        raw = body if body is not None else push_body(event, number, carrier, track_info)
        headers = {"Content-Type": "application/json"}
        if sign == "good":
            headers["sign"] = sign_body(raw, self.api_key)
        elif sign == "bad":
            headers["sign"] = sign_body(raw, self.api_key + "-not-it")
        elif sign is not None:
            headers["sign"] = sign
        payload: bytes | io.BytesIO = io.BytesIO(raw) if len(raw) > 1024 * 1024 else raw
        async with (
            ClientSession() as session,
            session.post(url, data=payload, headers=headers) as r,
        ):
            await r.read()
            return r.status

    # --- the API ----------------------------------------------------------------------------

    def _take_token(self, endpoint: str) -> bool:
        now = asyncio.get_running_loop().time()
        tokens, last = self._buckets.get(endpoint, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.requests_per_second)
        if tokens < 1:
            self._buckets[endpoint] = (tokens, now)
            return False
        self._buckets[endpoint] = (tokens - 1, now)
        return True

    @staticmethod
    def _envelope_error(code: int, message: str, status: int = 200) -> web.Response:
        body = {"code": code, "data": {"errors": [{"code": code, "message": message}]}}
        return web.json_response(body, status=status)

    async def _handle(self, request: web.Request) -> web.Response:
        endpoint = request.match_info["endpoint"]
        handler = {
            "register": self._register,
            "gettrackinfo": self._gettrackinfo,
            "stoptrack": self._stoptrack,
            "retrack": self._retrack,
            "changecarrier": self._changecarrier,
            "getquota": self._getquota,
        }.get(endpoint)
        if handler is None:
            self.requests.append((endpoint, 404, 0))
            return web.Response(status=404)
        if request.headers.get("17token") != self.api_key:
            self.requests.append((endpoint, 401, 0))
            return self._envelope_error(-18010002, "Invalid security key.", status=401)
        if not self._take_token(endpoint):
            self.rate_limited[endpoint] += 1
            self.requests.append((endpoint, 429, 0))
            return self._envelope_error(429, "Too many requests.", status=429)
        stall = self._stalls.get(endpoint)
        if stall:
            await asyncio.sleep(stall.pop(0))
        failure = self._failures.get(endpoint)
        if failure:
            status = failure.pop(0)
            self.requests.append((endpoint, status, 0))
            return web.Response(status=status, text="fault injected")
        try:
            body = json.loads(await request.read())
        except ValueError:
            self.requests.append((endpoint, 200, 0))
            return self._envelope_error(-18010013, "Invalid submitted data.")
        items = body if isinstance(body, list) else []
        if len(items) > 40:
            self.requests.append((endpoint, 200, len(items)))
            return self._envelope_error(-18010014, "Tracking numbers exceed the 40 limit.")
        self.requests.append((endpoint, 200, len(items)))
        accepted: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []
        data = handler(items, accepted, rejected)
        return web.json_response({"code": 0, "data": data})

    @staticmethod
    def _reject(rejected: list[dict[str, Any]], number: Any, code: int, message: str) -> None:
        rejected.append({"number": number, "error": {"code": code, "message": message}})

    def _number_of(self, item: Any, rejected: list[dict[str, Any]]) -> str | None:
        number = item.get("number") if isinstance(item, dict) else None
        if not isinstance(number, str) or not _NUMBER.fullmatch(number):
            self._reject(rejected, number, -18010012, f"The format of '{number}' is invalid.")
            return None
        return number

    def _registered(self, item: Any, rejected: list[dict[str, Any]]) -> FakeNumber | None:
        number = self._number_of(item, rejected)
        if number is None:
            return None
        record = self.numbers.get(number)
        if record is None:
            self._reject(
                rejected, number, -18019902, f"Tracking number {number} is not registered."
            )
        return record

    def _register(self, items: list[Any], accepted: list[Any], rejected: list[Any]) -> Any:
        for item in items:
            number = self._number_of(item, rejected)
            if number is None:
                continue
            if number in self.numbers:
                self._reject(rejected, number, -18019901, f"{number} is already registered.")
                continue
            carrier = item.get("carrier")
            if carrier is not None and carrier not in KNOWN_CARRIERS:
                self._reject(rejected, number, -18019910, f"Carrier Code {carrier} is incorrect.")
                continue
            carrier = carrier or detect_carrier(number)
            if carrier is None:
                self._reject(rejected, number, -18019903, "Carrier cannot be detected.")
                continue
            if self.quota_used >= self.quota_total:
                self._reject(rejected, number, -18019908, "Your quotas have run out.")
                continue
            if self.daily_limit and self.today_used >= self.daily_limit:
                self._reject(rejected, number, -18019907, "Tracking amount exceeds daily limit.")
                continue
            self.quota_used += 1
            self.today_used += 1
            self.numbers[number] = FakeNumber(number, carrier)
            origin = 2 if item.get("carrier") else 1
            accepted.append({"origin": origin, "number": number, "carrier": carrier, "tag": None})
        return {"accepted": accepted, "rejected": rejected}

    def _track_info_for(self, number: str) -> dict[str, Any]:
        record = self.numbers.get(number)
        if record is not None and record.track_info is not None:
            return record.track_info
        update = self.journeys(number) if self.journeys is not None else None
        carrier = record.carrier if record is not None else 3011
        if update is not None:
            return track_info_from_update(update, carrier=carrier)
        return track_info_payload("NotFound", "NotFound_Other", carrier=carrier)

    def _gettrackinfo(self, items: list[Any], accepted: list[Any], rejected: list[Any]) -> Any:
        for item in items:
            record = self._registered(item, rejected)
            if record is not None:
                accepted.append(
                    {
                        "number": record.number,
                        "carrier": record.carrier,
                        "param": None,
                        "tag": None,
                        "track_info": self._track_info_for(record.number),
                    }
                )
        return {"accepted": accepted, "rejected": rejected}

    def _stoptrack(self, items: list[Any], accepted: list[Any], rejected: list[Any]) -> Any:
        for item in items:
            record = self._registered(item, rejected)
            if record is None:
                continue
            if not record.tracking:
                self._reject(rejected, record.number, -18019906, "Only tracked numbers stop.")
                continue
            record.tracking = False
            accepted.append({"number": record.number, "carrier": record.carrier})
        return {"accepted": accepted, "rejected": rejected}

    def _retrack(self, items: list[Any], accepted: list[Any], rejected: list[Any]) -> Any:
        for item in items:
            record = self._registered(item, rejected)
            if record is None:
                continue
            if record.tracking:
                self._reject(rejected, record.number, -18019904, "Only stopped numbers retrack.")
            elif record.retracked:
                self._reject(rejected, record.number, -18019905, "Retrack once per number.")
            else:
                record.tracking = True
                record.retracked = True
                accepted.append({"number": record.number, "carrier": record.carrier})
        return {"accepted": accepted, "rejected": rejected}

    def _changecarrier(self, items: list[Any], accepted: list[Any], rejected: list[Any]) -> Any:
        for item in items:
            record = self._registered(item, rejected)
            if record is None:
                continue
            new = item.get("carrier_new")
            if new not in KNOWN_CARRIERS:
                self._reject(rejected, record.number, -18019802, f"carrier_new {new} incorrect.")
            elif not record.tracking:
                self._reject(rejected, record.number, -18019806, "Stopped numbers keep carrier.")
            elif new == record.carrier:
                self._reject(rejected, record.number, -18019803, "Carrier must differ.")
            elif record.carrier_changes >= 5:
                self._reject(rejected, record.number, -18019807, "Too many carrier changes.")
            else:
                record.carrier = new
                record.carrier_changes += 1
                accepted.append({"number": record.number, "carrier": new})
        return {"accepted": accepted, "rejected": rejected}

    def _getquota(self, items: list[Any], accepted: list[Any], rejected: list[Any]) -> Any:
        return {
            "quota_total": self.quota_total,
            "quota_used": self.quota_used,
            "quota_remain": self.quota_total - self.quota_used,
            "today_used": self.today_used,
            "max_track_daily": self.daily_limit,
            "free_email_quota": 0,
            "free_email_quotaused": 0,
        }
