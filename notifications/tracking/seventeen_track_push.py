"""17TRACK push (webhook): verify the ``sign`` header, read the event, hand it on.

17TRACK pushes ``TRACKING_UPDATED`` (with the full ``track_info``) every 3-12 hours while a number
moves, and ``TRACKING_STOPPED`` when it stops tracking one. Each request carries a ``sign``
header: the hex SHA-256 of the raw body, ``"/"``, and our API key. We recompute it over the exact
bytes received and compare in constant time; a missing or wrong sign gets 401 and nothing else
happens — the body is not even parsed.

`make_push_handler` builds the aiohttp handler the webhook server mounts (that server comes with
the poller): it calls the injected async callback with the parsed `PushMessage` and answers 200
once the callback returned. If the callback fails the answer is 500, so 17TRACK retries later
(10, 30, 60 minutes) and nothing is lost; the poller's catch-up covers the rest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import web

from domain.tracking import TrackingUpdate, UnknownCodes
from notifications.tracking.bounded_body import read_at_most
from notifications.tracking.seventeen_track_payloads import PayloadError, parse_track_info

__all__ = [
    "MAX_PUSH_BYTES",
    "SIGN_HEADER",
    "PushCallback",
    "PushEvent",
    "PushMessage",
    "UnknownPushEvent",
    "make_push_handler",
    "parse_push",
    "push_signature",
    "verify_push_signature",
]

logger = logging.getLogger(__name__)

SIGN_HEADER = "sign"
# One number's full history is a few tens of kB; far more is not a 17TRACK push.
MAX_PUSH_BYTES = 2 * 1024 * 1024


class PushEvent(StrEnum):
    TRACKING_UPDATED = "TRACKING_UPDATED"
    TRACKING_STOPPED = "TRACKING_STOPPED"


@dataclass(frozen=True, slots=True)
class PushMessage:
    """One push. `update` is set for TRACKING_UPDATED; a stop has only the number."""

    event: PushEvent
    number: str
    carrier: str | None
    update: TrackingUpdate | None = None

    @property
    def stopped(self) -> bool:
        return self.event is PushEvent.TRACKING_STOPPED


_EVENTS = frozenset(event.value for event in PushEvent)


class UnknownPushEvent(PayloadError):
    """A well-formed push of an event type 17TRACK added after this code was written."""


PushCallback = Callable[[PushMessage], Awaitable[None]]


def push_signature(body: bytes, api_key: str) -> str:
    """The ``sign`` 17TRACK sends with `body`: hex SHA-256 of body + "/" + key."""
    return hashlib.sha256(body + b"/" + api_key.encode("utf-8")).hexdigest()


def verify_push_signature(body: bytes, sign: str | None, api_key: str) -> bool:
    """True when `sign` matches `body` under `api_key` (constant-time comparison)."""
    if not sign or not api_key:
        return False
    try:
        presented = sign.strip().lower().encode("ascii")
    except UnicodeEncodeError:
        return False
    expected = push_signature(body, api_key).encode("ascii")
    return hmac.compare_digest(expected, presented)


def parse_push(body: bytes) -> PushMessage:
    """The event in a (verified) push body; `PayloadError` if it is not a push we know."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise PayloadError("push body is not JSON") from exc
    if not isinstance(document, Mapping):
        raise PayloadError("push body is not an object")
    event_name = document.get("event")
    if event_name not in _EVENTS:
        raise UnknownPushEvent("push event is not one we know")
    event = PushEvent(event_name)
    data = document.get("data")
    if not isinstance(data, Mapping):
        raise PayloadError("push has no data")
    number = data.get("number")
    if not isinstance(number, str) or not number.strip():
        raise PayloadError("push has no tracking number")
    carrier_value = data.get("carrier")
    carrier = (
        str(carrier_value)
        if isinstance(carrier_value, int | str) and not isinstance(carrier_value, bool)
        else None
    )
    if event is PushEvent.TRACKING_STOPPED:
        return PushMessage(event, number.strip(), carrier)
    track_info = data.get("track_info")
    if not isinstance(track_info, Mapping):
        raise PayloadError("TRACKING_UPDATED push without track_info")
    update = parse_track_info(number.strip(), carrier, track_info)
    return PushMessage(event, number.strip(), carrier, update)


async def _read_bounded(request: web.Request, limit: int) -> bytes | None:
    if request.content_length is not None and request.content_length > limit:
        return None
    return await read_at_most(request.content, limit)


def make_push_handler(
    api_key: str,
    on_push: PushCallback,
    *,
    max_body_bytes: int = MAX_PUSH_BYTES,
    unknown_codes: UnknownCodes | None = None,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler for 17TRACK's pushes that calls `on_push` with each verified event."""
    if not api_key:
        raise ValueError("the push endpoint needs the 17TRACK API key to verify signatures")
    reported = unknown_codes if unknown_codes is not None else UnknownCodes()

    async def handle(request: web.Request) -> web.Response:
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        body = await _read_bounded(request, max_body_bytes)
        if body is None:
            return web.Response(status=413, text="too large")
        if not verify_push_signature(body, request.headers.get(SIGN_HEADER), api_key):
            logger.warning("17TRACK push refused: missing or wrong sign")
            return web.Response(status=401, text="bad sign")
        try:
            message = parse_push(body)
        except UnknownPushEvent:
            # Acknowledged: a retry would not make it known, and 17TRACK would retry thrice.
            logger.info("17TRACK push of an event type we do not handle; ignored")
            return web.Response(status=200, text="ignored")
        except PayloadError as exc:
            logger.warning("17TRACK push not understood: %s", exc)
            return web.Response(status=400, text="not understood")
        if message.update is not None:
            for code in reported.first_seen(sorted(message.update.unknown_codes)):
                logger.warning("17TRACK sent an unknown status code %r; mapped to _Other", code)
        try:
            await on_push(message)
        except Exception:
            # 17TRACK retries a failed push; answering 500 keeps the event for a later try.
            logger.exception("17TRACK push for one number could not be stored")
            return web.Response(status=500, text="try again")
        return web.Response(status=200, text="ok")

    return handle
