"""The web chat's HTTP server: the page and its same-origin JSON API, on one origin.

    GET  /                              the web chat
    GET  /static/{index.html,app.js,style.css}
    GET  /api/state                     personas, chats, topics, clock, demo status
    GET  /api/events                    server-sent events: a "state" snapshot, then changes
    POST /api/personas/{key}/messages   {"text", "thread_id"?}
    POST /api/personas/{key}/callbacks  {"message_id", "callback_data"}
    POST /api/personas/{key}/files      multipart: file, caption?, kind? (photo|document), thread_id?
    GET  /api/files/{file_id}           a file from the chats (photos inline, documents download)
    POST /api/links/open                {"url"}: a start link to the bot, opened by the buyer
    POST /api/clock/advance             {"seconds"}
    POST /api/reset
    POST /api/demo/start, /api/demo/stop

The page never talks to the emulator directly: the emulator listens on a random loopback port
and its state changes are forwarded here (``sandbox.webchat.feed``), so one origin serves
everything. What each call does is the ``Sandbox``'s (``sandbox.webchat.state``).

It is a local tool, but it is still defended like a web app: it binds loopback by default,
refuses foreign Host headers when it does (DNS rebinding), requires a custom header on every
POST (a cross-site form cannot send one), and sends a strict Content-Security-Policy; the page
renders the bot's HTML through an allow-list, never as raw markup. A body it cannot parse is a
400 (413 when too large) with a message, never a 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from importlib.resources import files
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.settings import Settings
from sandbox.emulator import BotApiError
from sandbox.http_safety import (
    BadBody,
    allowed_hosts,
    file_response,
    image_type,
    read_form,
    read_json,
)
from sandbox.socket_server import SocketServer
from sandbox.webchat.state import MAX_ADVANCE, NotABotLink, Sandbox, SandboxUnavailable

__all__ = ["CLIENT_HEADER", "MAX_UPLOAD_BYTES", "WebChatServer", "open_sandbox"]

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_TEXT_LENGTH = 4096
CLIENT_HEADER = "X-Sandbox-Client"
SSE_KEEPALIVE_SECONDS = 15.0

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
STATIC_FILES = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _optional_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


class WebChatServer:
    """The web chat's HTTP server, on one origin with the page."""

    def __init__(self, sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.sandbox = sandbox
        self.host = host
        self.port = port
        self._server = SocketServer()
        self._allowed_hosts: frozenset[str] | None = None
        self._static = files("sandbox.webchat") / "static"

    @property
    def url(self) -> str:
        return self._server.url(not_running="the web chat is not running")

    @property
    def loopback_only(self) -> bool:
        address = self._server.address()
        if address is None:
            return True
        return ipaddress.ip_address(address[0]).is_loopback

    def _app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_UPLOAD_BYTES + 64 * 1024, middlewares=[self._guard]
        )
        app.on_response_prepare.append(self._security_headers)
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static_file)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/events", self._events)
        app.router.add_post("/api/personas/{persona}/messages", self._post_message)
        app.router.add_post("/api/personas/{persona}/callbacks", self._post_callback)
        app.router.add_post("/api/personas/{persona}/files", self._post_file)
        app.router.add_get("/api/files/{file_id}", self._file)
        app.router.add_post("/api/links/open", self._open_link)
        app.router.add_post("/api/clock/advance", self._advance)
        app.router.add_post("/api/reset", self._reset)
        app.router.add_post("/api/demo/start", self._demo_start)
        app.router.add_post("/api/demo/stop", self._demo_stop)
        return app

    async def start(self) -> None:
        family, _, _, _, address = socket.getaddrinfo(
            self.host, self.port, type=socket.SOCK_STREAM
        )[0]
        sock = await self._server.start(self._app(), family, address)
        port = sock.getsockname()[1]
        if self.loopback_only:
            self._allowed_hosts = allowed_hosts(sock.getsockname()[0], port)
        else:
            log.warning(
                "the sandbox web chat listens on %s, not loopback: it has no login, "
                "so anyone who can reach it can use it",
                self.url,
            )

    async def stop(self) -> None:
        # Ends the event streams first, so the server's shutdown does not wait for them.
        self.sandbox.close_streams()
        await self._server.stop()

    # -- middleware ---------------------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._allowed_hosts is not None and request.host.lower() not in self._allowed_hosts:
            # A loopback server reached under another name is a DNS-rebinding attempt.
            return _error("unexpected Host header", 421)
        if request.method == "POST" and request.headers.get(CLIENT_HEADER) != "1":
            return _error(f"missing {CLIENT_HEADER} header", 403)
        try:
            return await handler(request)
        except SandboxUnavailable as error:
            return _error(str(error), 503)
        except BotApiError as error:
            return _error(error.description, 400)
        except BadBody as error:
            return _error(error.message, error.status)
        except HttpProcessingError:
            # Any other parser failure is the client's; its text may quote the client's bytes.
            return _error("the request could not be parsed", 400)

    @staticmethod
    async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")

    # -- page ---------------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return self._serve_static("index.html")

    async def _static_file(self, request: web.Request) -> web.StreamResponse:
        return self._serve_static(request.match_info["name"])

    def _serve_static(self, name: str) -> web.StreamResponse:
        content_type = STATIC_FILES.get(name)
        if content_type is None:  # an allow-list, so no path ever reaches the file system
            raise web.HTTPNotFound()
        body = (self._static / name).read_bytes()
        return web.Response(body=body, content_type=content_type, charset="utf-8")

    async def _state(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.sandbox.snapshot())

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        queue = self.sandbox.subscribe()
        try:
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), SSE_KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                await response.write(f"data: {json.dumps(event, default=str)}\n\n".encode())
        except (ConnectionResetError, ConnectionError):
            pass  # the tab was closed
        finally:
            self.sandbox.unsubscribe(queue)
        return response

    # -- actions ------------------------------------------------------------------------------

    async def _json_body(self, request: web.Request) -> dict[str, Any]:
        body = await read_json(request)
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(
                text=json.dumps({"error": "expected a JSON object"}),
                content_type="application/json",
            )
        return body

    def _persona_key(self, request: web.Request) -> str:
        key = request.match_info["persona"]
        try:
            self.sandbox.persona(key)
        except KeyError:
            raise web.HTTPNotFound(
                text=json.dumps({"error": "unknown persona"}), content_type="application/json"
            ) from None
        return key

    async def _post_message(self, request: web.Request) -> web.StreamResponse:
        persona = self._persona_key(request)
        body = await self._json_body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_LENGTH:
            return _error(f"text must be 1 to {MAX_TEXT_LENGTH} characters")
        try:
            thread_id = _optional_int(body.get("thread_id"))
        except (TypeError, ValueError):
            return _error("thread_id must be an integer")
        message = await self.sandbox.send_text(persona, text, thread_id, manual=True)
        return web.json_response(message)

    async def _post_callback(self, request: web.Request) -> web.StreamResponse:
        persona = self._persona_key(request)
        body = await self._json_body(request)
        data = body.get("callback_data")
        try:
            message_id = int(body["message_id"])
        except (KeyError, TypeError, ValueError):
            return _error("message_id must be an integer")
        if not isinstance(data, str) or not data:
            return _error("callback_data is required")
        try:
            query_id = await self.sandbox.press(persona, message_id, data, manual=True)
        except KeyError:
            return _error("no such message", 404)
        return web.json_response({"callback_query_id": query_id})

    async def _post_file(self, request: web.Request) -> web.StreamResponse:
        persona = self._persona_key(request)
        form = await read_form(request)
        upload = form.files.get("file")
        if upload is None:
            return _error("multipart field 'file' is required")
        content = upload.content
        if not content:
            return _error("the file is empty")
        caption = form.fields.get("caption", "")
        kind = "photo" if form.fields.get("kind") == "photo" else "document"
        if kind == "photo" and image_type(content) is None:
            return _error("a photo must be a PNG, JPEG, GIF or WebP image")
        try:
            thread_id = _optional_int(form.fields.get("thread_id"))
        except ValueError:
            return _error("thread_id must be an integer")
        message = await self.sandbox.upload(
            persona,
            upload.filename,
            content,
            upload.content_type,
            kind=kind,
            caption=caption if caption.strip() else None,
            thread_id=thread_id,
            manual=True,
        )
        return web.json_response(message)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        emulator = self.sandbox.running_emulator()
        try:
            record = emulator.file(request.match_info["file_id"])
        except KeyError:
            raise web.HTTPNotFound() from None
        # Images inline under their real type; anything else a download, never a page here.
        return file_response(record.content, record.file_name or record.file_path.rsplit("/")[-1])

    async def _open_link(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        url = body.get("url")
        if not isinstance(url, str) or not url or len(url) > MAX_TEXT_LENGTH:
            return _error("url is required")
        try:
            opened = await self.sandbox.open_link(url, manual=True)
        except NotABotLink as error:
            return _error(str(error))
        return web.json_response(opened)

    async def _advance(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        try:
            seconds = float(body["seconds"])
        except (KeyError, TypeError, ValueError):
            return _error("seconds must be a number")
        if not 0 < seconds <= MAX_ADVANCE.total_seconds():
            return _error(f"seconds must be between 1 and {int(MAX_ADVANCE.total_seconds())}")
        return web.json_response(
            await self.sandbox.advance(timedelta(seconds=seconds), manual=True)
        )

    async def _reset(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(await self.sandbox.reset())

    async def _demo_start(self, request: web.Request) -> web.StreamResponse:
        await self.sandbox.start_demo()
        return web.json_response(self.sandbox.demo.status.to_dict())

    async def _demo_stop(self, request: web.Request) -> web.StreamResponse:
        await self.sandbox.stop_demo()
        return web.json_response(self.sandbox.demo.status.to_dict())


@contextlib.asynccontextmanager
async def open_sandbox(
    settings: Settings,
    *,
    token: str,
    host: str | None = None,
    port: int | None = None,
    demo_pause: float | None = None,
    chat_interval: float = 1.0,
) -> AsyncIterator[WebChatServer]:
    """Start the sandbox and its web chat; stop both on exit (`chat_interval`: the per-chat
    send limit, Telegram's 1 s unless a test speeds it up)."""
    sandbox = Sandbox(settings, token=token, demo_pause=demo_pause, chat_interval=chat_interval)
    await sandbox.start()
    server = WebChatServer(
        sandbox,
        host=host if host is not None else settings.sandbox_host,
        port=port if port is not None else settings.sandbox_port,
    )
    try:
        await server.start()
        yield server
    finally:
        await server.stop()
        await sandbox.stop()
