"""A round-robin reverse proxy in front of several `sellerbot webhook` processes.

It stands where production has nginx (docs/deploy.md, "Behind a TLS proxy"): one address for
`setWebhook`, and each request handed to the next webhook process in turn, so one user's
consecutive updates land on different processes. Like the nginx example's
`proxy_next_upstream`, a process that refuses the connection or answers 503 (it is stopping)
is skipped and the request tried on the next one; Telegram's retries would cover it too, but
not as fast. Only the forwarded paths are served (the webhook and the 17TRACK push); anything
else is 404, as the production proxy keeps `/metrics` and `/readyz` internal.

No TLS: locally the emulator (or a tunnel such as `cloudflared` for real Telegram) talks plain
HTTP to it.
"""

from __future__ import annotations

import json
import socket
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from sandbox.socket_server import SocketServer

__all__ = ["ForwardedRequest", "RoundRobinProxy"]

# Headers a webhook or push request carries that the process behind needs.
_FORWARDED_HEADERS = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token", "sign")
# What the proxy remembers of the requests it forwarded (for the cluster test and a person
# who wants to see the spreading); older entries are forgotten.
RECORD_SIZE = 100_000
# Larger than any update, and than a 17TRACK push (3 MB).
MAX_BODY_BYTES = 4 * 1024 * 1024
UPSTREAM_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class ForwardedRequest:
    """One request the proxy handled: which process answered it, and how."""

    path: str
    update_id: int | None  # a Telegram update's id, read from the body
    upstream: str  # the base URL of the process that answered; "" if none did
    status: int  # what the proxy answered


def _update_id(body: bytes) -> int | None:
    try:
        value = json.loads(body).get("update_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


class RoundRobinProxy:
    """Forwards `paths` to `upstreams` (base URLs such as ``http://127.0.0.1:8081``) in turn."""

    def __init__(
        self, upstreams: Sequence[str], paths: Sequence[str], *, host: str, port: int
    ) -> None:
        if not upstreams:
            raise ValueError("the proxy needs at least one upstream")
        self.upstreams = tuple(upstreams)
        self.paths = tuple(paths)
        self.host = host
        self.port = port
        self.forwarded: deque[ForwardedRequest] = deque(maxlen=RECORD_SIZE)
        self._next = 0
        self._server = SocketServer()
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return self._server.url(not_running="the proxy is not running")

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        for path in self.paths:
            app.router.add_route("*", path, self._forward)
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=UPSTREAM_TIMEOUT_SECONDS)
        )
        await self._server.start(app, socket.AF_INET, (self.host, self.port))

    async def stop(self) -> None:
        await self._server.stop()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _turn(self) -> list[str]:
        """Every upstream, starting with the one whose turn it is."""
        first = self._next
        self._next = (self._next + 1) % len(self.upstreams)
        return [
            self.upstreams[(first + i) % len(self.upstreams)] for i in range(len(self.upstreams))
        ]

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        headers = {
            name: request.headers[name] for name in _FORWARDED_HEADERS if name in request.headers
        }
        update_id = _update_id(body) if request.method == "POST" else None
        for upstream in self._turn():
            try:
                async with self._session.request(
                    request.method,
                    upstream + request.path_qs,
                    data=body,
                    headers=headers,
                    allow_redirects=False,
                ) as answer:
                    content = await answer.read()
                    if answer.status == 503:
                        continue  # stopping: the next process takes it
                    self.forwarded.append(
                        ForwardedRequest(request.path, update_id, upstream, answer.status)
                    )
                    return web.Response(
                        status=answer.status,
                        body=content,
                        content_type=answer.content_type,
                    )
            except aiohttp.ClientConnectionError:
                continue  # not listening (starting, stopped): the next process takes it
            except TimeoutError:
                # The update may still be running there: not tried elsewhere, Telegram
                # redelivers it and the de-duplication applies it once.
                self.forwarded.append(ForwardedRequest(request.path, update_id, upstream, 504))
                return web.Response(status=504, text="the webhook process did not answer")
        self.forwarded.append(ForwardedRequest(request.path, update_id, "", 502))
        return web.Response(status=502, text="no webhook process answered")
