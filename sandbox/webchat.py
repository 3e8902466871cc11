"""The sandbox: the real bot against the Bot API emulator, driven from a web chat.

``Sandbox`` owns the moving parts — the emulator, the bot application built on it, a clock
that can be fast-forwarded, the guided demo — and can reset them all. ``WebChatServer``
serves the page (``static/``, shipped in the package) and a small same-origin JSON API:

    GET  /                              the web chat
    GET  /static/{index.html,app.js,style.css}
    GET  /api/state                     personas, chats, topics, clock, demo status
    GET  /api/events                    server-sent events: a "state" snapshot, then changes
    POST /api/personas/{key}/messages   {"text", "thread_id"?}
    POST /api/personas/{key}/callbacks  {"message_id", "callback_data"}
    POST /api/personas/{key}/files      multipart: file, caption?, kind? (photo|document), thread_id?
    GET  /api/files/{file_id}           a file from the chats (photos inline, documents download)
    POST /api/clock/advance             {"seconds"}
    POST /api/reset
    POST /api/demo/start, /api/demo/stop

The page never talks to the emulator directly: the emulator listens on a random loopback port
and its state changes are forwarded here, so one origin serves everything.

A restart re-opens the chats as they were (``sandbox.chat_log``, next to the database). A
chat with nothing to show that the bot still remembers — after a Reset that kept the database,
or when the chats were not saved — carries a notice in the state, and the page says so.

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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.app import Application, create_application
from bot.settings import Settings
from domain.clock import Clock, utcnow
from sandbox.chat_log import ChatLog, ChatLogWriter, LoadedChats
from sandbox.demo import FLOWS, DemoRunner, DemoStatus
from sandbox.emulator import BotApiEmulator, BotApiError, EmulatorEvent
from sandbox.history import last_processed_update_id, remembered_chats
from sandbox.http_safety import (
    BadBody,
    allowed_hosts,
    file_response,
    image_type,
    read_form,
    read_json,
)

log = logging.getLogger(__name__)

__all__ = [
    "PERSONAS",
    "Persona",
    "Sandbox",
    "SandboxClock",
    "SandboxUnavailable",
    "WebChatServer",
    "open_sandbox",
    "sandbox_settings",
]

SANDBOX_DB_NAME = "sandbox.sqlite3"
CLOCK_FILE_NAME = "sandbox-clock.json"
# The most one fast-forward may jump; more is a typo, not a use case.
MAX_ADVANCE = timedelta(days=90)
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_TEXT_LENGTH = 4096
CLIENT_HEADER = "X-Sandbox-Client"
# Emulator events that change what the chat log keeps.
_SAVED_EVENTS = frozenset({"chat", "message", "edit", "delete", "pin", "topic"})
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


@dataclass(frozen=True, slots=True)
class Persona:
    """A pretend Telegram user of the sandbox, with its own private chat with the bot."""

    key: str
    user_id: int
    first_name: str
    role: str
    icon: str
    language_code: str = "en"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "user_id": self.user_id,
            "name": self.first_name,
            "role": self.role,
            "icon": self.icon,
        }


SELLER = Persona("seller", 700_001, "Mei", "Seller", "🏪")
BUYER = Persona("buyer", 700_002, "Alex", "Buyer", "📦")
OPERATOR = Persona("operator", 700_003, "Olga", "Operator", "🛡")
PERSONAS: tuple[Persona, ...] = (SELLER, BUYER, OPERATOR)


class SandboxClock:
    """Real time plus an offset that only grows: the sandbox can jump ahead, never back."""

    def __init__(self, now: Clock = utcnow) -> None:
        self._now = now
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self._now() + self.offset

    def advance(self, delta: timedelta) -> None:
        if delta <= timedelta(0):
            raise ValueError("the clock only moves forward")
        self.offset += delta

    def reset(self) -> None:
        self.offset = timedelta(0)


class SandboxUnavailable(Exception):
    """The sandbox is between a stop and a start (a reset is running)."""


def sandbox_settings(settings: Settings) -> Settings:
    """The settings the sandbox bot runs with: its own SQLite file and the operator persona."""
    update: dict[str, Any] = {"operator_ids": settings.operator_ids | {OPERATOR.user_id}}
    if not settings.database_url:
        path = (settings.data_dir / SANDBOX_DB_NAME).resolve()
        update["database_url"] = f"sqlite+aiosqlite:///{path}"
    return settings.model_copy(update=update)


class Sandbox:
    """The emulator, the bot on it, the clock and the demo, started and reset as one."""

    def __init__(
        self,
        settings: Settings,
        *,
        token: str,
        demo_pause: float | None = None,
    ) -> None:
        # The file is ours to delete on reset only when we chose it (no DATABASE_URL given).
        self.owns_database = not settings.database_url
        self.settings = sandbox_settings(settings)
        self.token = token
        self.clock = SandboxClock()
        self.emulator: BotApiEmulator | None = None
        self.app: Application | None = None
        self._personas = {p.key: p for p in PERSONAS}
        self._by_chat = {p.user_id: p for p in PERSONAS}
        self._subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self._lifecycle = asyncio.Lock()
        self.demo = DemoRunner(self, self._publish_demo)
        self.chat_log = ChatLog(self.settings.data_dir, self.settings.effective_database_url)
        self._chat_log_writer: ChatLogWriter | None = None
        # persona key -> {"memory": ..., "reason": ...} for chats shown empty but remembered.
        self._notices: dict[str, dict[str, str]] = {}
        if demo_pause is not None:
            self.demo.pause = demo_pause

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def database_path(self) -> Path | None:
        if not self.owns_database:
            return None
        return (self.settings.data_dir / SANDBOX_DB_NAME).resolve()

    @property
    def _clock_file(self) -> Path:
        return self.settings.data_dir / CLOCK_FILE_NAME

    async def start(self) -> None:
        async with self._lifecycle:
            await self._start()

    async def stop(self) -> None:
        await self.demo.stop("the sandbox is shutting down")
        async with self._lifecycle:
            await self._stop()
        self.close_streams()

    def close_streams(self) -> None:
        """End every event stream (the server is going down)."""
        for queue in list(self._subscribers):
            queue.put_nowait(None)

    async def reset(self) -> dict[str, Any]:
        """Stop the bot, forget every chat (and the sandbox database), start again."""
        await self.demo.stop("the sandbox was reset")
        async with self._lifecycle:
            await self._stop()
            wiped = self._forget_files()
            if not wiped:
                # The kept database still refers to message ids, topics and files: clear the
                # messages only, as Telegram's "clear history" does.
                await asyncio.to_thread(self.chat_log.clear_messages)
            self.clock.reset()
            self._broadcast({"type": "reset", "database_wiped": wiped})
            await self._start()
        self._broadcast({"type": "state", **self.snapshot()})
        return {"database_wiped": wiped}

    def _forget_files(self) -> bool:
        """Delete the sandbox database, its chats and the clock offset; False if the database is
        not ours (then only the clock offset goes)."""
        self._clock_file.unlink(missing_ok=True)
        path = self.database_path
        if path is None:
            return False
        self.chat_log.delete()
        # WAL mode keeps companion files that belong to the same database.
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return True

    async def _start(self) -> None:
        self.clock.offset = self._load_offset()
        if self.database_path is not None and not self.database_path.exists():
            # The database file was deleted by hand: the chats it belonged to went with it.
            await asyncio.to_thread(self.chat_log.delete)
        loaded = await asyncio.to_thread(self.chat_log.load)
        emulator = BotApiEmulator(
            tokens=self.token,
            host="127.0.0.1",
            port=0,
            bot_first_name="Sellerbot",
            bot_username="sellerbot_sandbox_bot",
        )
        if loaded is not None:
            emulator.restore_chats(loaded.saved)
        await emulator.start()
        emulator.add_listener(self._on_emulator_event)
        for persona in PERSONAS:
            emulator.user(
                persona.user_id,
                first_name=persona.first_name,
                language_code=persona.language_code,
                username=f"sandbox_{persona.key}",
            )
        try:
            app = await create_application(
                self.settings, token=self.token, api_base=emulator.base_url, clock=self.clock
            )
        except BaseException:
            await emulator.stop()
            raise
        try:
            # Nobody can act before the sandbox is assigned below, so no update has an id yet.
            emulator.continue_update_ids_after(await last_processed_update_id(app.uow_factory))
            self._notices = await self._history_notices(emulator, app, loaded)
            await app.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await app.stop()
            await emulator.stop()
            raise
        self._chat_log_writer = ChatLogWriter(
            self.chat_log,
            emulator,
            written={f.file_unique_id for f in loaded.saved.files} if loaded else set(),
            cleared_by_reset=loaded.cleared_by_reset if loaded else False,
        )
        self.emulator, self.app = emulator, app

    async def _history_notices(
        self, emulator: BotApiEmulator, app: Application, loaded: LoadedChats | None
    ) -> dict[str, dict[str, str]]:
        """Notices for persona chats that show nothing while the bot remembers them."""
        silent = [
            p
            for p in PERSONAS
            if not any(m.service is None and not m.deleted for m in emulator.history(p.user_id))
        ]
        if not silent:
            return {}
        memory = await remembered_chats(
            app.uow_factory, app.dispatcher.storage, app.bot.id, [p.user_id for p in silent]
        )
        reason = "reset" if loaded is not None and loaded.cleared_by_reset else "not_saved"
        return {
            p.key: {"memory": memory[p.user_id], "reason": reason}
            for p in silent
            if p.user_id in memory
        }

    async def _stop(self) -> None:
        app, self.app = self.app, None
        emulator, self.emulator = self.emulator, None
        writer, self._chat_log_writer = self._chat_log_writer, None
        try:
            if app is not None:
                await app.stop()
        finally:
            if emulator is not None:
                emulator.remove_listener(self._on_emulator_event)
                try:
                    if writer is not None:
                        await writer.close()  # the chats as the bot left them
                finally:
                    await emulator.stop()

    def _load_offset(self) -> timedelta:
        # Persisted so that a restarted sandbox does not travel back before its own data.
        try:
            seconds = float(json.loads(self._clock_file.read_text())["offset_seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            return timedelta(0)
        return timedelta(seconds=max(seconds, 0.0))

    def _save_offset(self) -> None:
        self._clock_file.parent.mkdir(parents=True, exist_ok=True)
        self._clock_file.write_text(
            json.dumps({"offset_seconds": self.clock.offset.total_seconds()})
        )

    # -- state and events ---------------------------------------------------------------------

    def persona(self, key: str) -> Persona:
        persona = self._personas.get(key)
        if persona is None:
            raise KeyError(f"unknown persona {key!r}")
        return persona

    def running_emulator(self) -> BotApiEmulator:
        if self.emulator is None:
            raise SandboxUnavailable("the sandbox is restarting; try again in a moment")
        return self.emulator

    def _topics(self, persona: Persona) -> list[dict[str, Any]]:
        if self.emulator is None:
            return []
        return [
            {"message_thread_id": t.message_thread_id, "name": t.name, "closed": t.closed}
            for t in self.emulator.topics(persona.user_id)
            if not t.deleted
        ]

    def clock_state(self) -> dict[str, Any]:
        return {
            "now": self.clock().isoformat(),
            "offset_seconds": self.clock.offset.total_seconds(),
        }

    def snapshot(self) -> dict[str, Any]:
        chats: dict[str, Any] = {}
        for persona in PERSONAS:
            history = self.emulator.history(persona.user_id) if self.emulator else []
            chats[persona.key] = {
                "messages": [m.to_dict() for m in history if not m.deleted],
                "topics": self._topics(persona),
                "notice": self._notices.get(persona.key),
            }
        return {
            "personas": [p.to_dict() for p in PERSONAS],
            "chats": chats,
            "clock": self.clock_state(),
            "demo": self.demo.status.to_dict(),
            "flows": [{"name": f.name, "title": f.title} for f in FLOWS],
            "database_resettable": self.owns_database,
        }

    def subscribe(self) -> asyncio.Queue[dict[str, Any] | None]:
        """A queue that starts with a full snapshot, then receives every change."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        # Snapshot and registration happen without an await in between: no change is lost.
        queue.put_nowait({"type": "state", **self.snapshot()})
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self._subscribers.discard(queue)

    def _broadcast(self, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            queue.put_nowait(event)

    def _publish_demo(self, status: DemoStatus) -> None:
        self._broadcast({"type": "demo", "demo": status.to_dict()})

    def _on_emulator_event(self, event: EmulatorEvent) -> None:
        if event.kind in _SAVED_EVENTS and self._chat_log_writer is not None:
            self._chat_log_writer.changed()
        persona = self._by_chat.get(event.chat_id) if event.chat_id is not None else None
        if persona is None:
            return
        base = {"persona": persona.key}
        if event.kind in ("message", "edit"):
            self._broadcast({"type": event.kind, **base, "message": event.data})
        elif event.kind == "pin" and event.message_id is not None and self.emulator is not None:
            message = self.emulator.message(persona.user_id, event.message_id)
            self._broadcast({"type": "edit", **base, "message": message.to_dict()})
        elif event.kind == "delete":
            self._broadcast({"type": "delete", **base, "message_id": event.message_id})
        elif event.kind == "topic":
            self._broadcast({"type": "topics", **base, "topics": self._topics(persona)})
        elif event.kind == "callback_answer":
            self._broadcast(
                {
                    "type": "callback_answer",
                    **base,
                    "message_id": event.message_id,
                    "text": event.data.get("text"),
                    "show_alert": bool(event.data.get("show_alert")),
                }
            )
        elif event.kind == "chat_action":
            self._broadcast({"type": "chat_action", **base, "action": event.data.get("action")})

    # -- actions (manual ones stop the demo: the person takes over) ---------------------------

    async def _take_over(self, manual: bool) -> None:
        if manual and self.demo.running:
            await self.demo.stop("you took over")

    async def send_text(
        self, persona: str, text: str, thread_id: int | None = None, *, manual: bool = False
    ) -> dict[str, Any]:
        who = self.persona(persona)
        await self._take_over(manual)
        user = self.running_emulator().user(who.user_id)
        return (await user.send(text, thread_id=thread_id)).to_dict()

    async def press(
        self, persona: str, message_id: int, callback_data: str, *, manual: bool = False
    ) -> str:
        who = self.persona(persona)
        await self._take_over(manual)
        user = self.running_emulator().user(who.user_id)
        return await user.press_data(message_id, callback_data)

    async def upload(
        self,
        persona: str,
        name: str,
        content: bytes,
        mime: str,
        *,
        kind: str = "document",
        caption: str | None = None,
        thread_id: int | None = None,
        manual: bool = False,
    ) -> dict[str, Any]:
        who = self.persona(persona)
        await self._take_over(manual)
        user = self.running_emulator().user(who.user_id)
        if kind == "photo":
            message = await user.upload_photo(content, caption=caption, thread_id=thread_id)
        else:
            message = await user.upload_document(
                name, content, mime, caption=caption, thread_id=thread_id
            )
        return message.to_dict()

    async def advance(self, delta: timedelta, *, manual: bool = False) -> dict[str, Any]:
        """Move the clock forward and run the scheduler jobs the jump went past."""
        if delta > MAX_ADVANCE:
            raise ValueError(f"at most {MAX_ADVANCE.days} days at a time")
        await self._take_over(manual)
        self.clock.advance(delta)
        self._save_offset()
        ran: list[str] = []
        app = self.app
        if app is not None:
            # APScheduler keeps real time; a job due within the jump is due now.
            real_now = datetime.now(UTC)
            horizon = real_now + delta
            for job in app.scheduler.get_jobs():
                next_run = getattr(job, "next_run_time", None)
                if next_run is not None and next_run <= horizon:
                    job.modify(next_run_time=real_now)
                    ran.append(job.id)
            # Notifications may have become due with the new time.
            app.outbox.wake()
        state = {**self.clock_state(), "jobs_run": ran}
        self._broadcast({"type": "clock", "clock": self.clock_state()})
        return state

    async def start_demo(self) -> None:
        """Play the demo from a fresh sandbox, so every flow starts where it expects."""
        await self.demo.stop("restarted")
        await self.reset()
        self.demo.start(FLOWS)
        self._publish_demo(self.demo.status)

    async def stop_demo(self) -> None:
        await self.demo.stop("you stopped the demo")

    # -- DemoDriver ---------------------------------------------------------------------------

    def mark(self, persona: str) -> int:
        return len(self.running_emulator().activity)

    async def press_label(self, persona: str, label: str, timeout: float) -> None:  # noqa: ASYNC109
        emulator = self.running_emulator()
        user = emulator.user(self.persona(persona).user_id)
        wanted = label.casefold()

        def offered() -> bool:
            return any(
                wanted in text.casefold() for m in user.bot_messages() for text in m.button_texts
            )

        await emulator.wait_until(offered, timeout)
        await user.press(label)

    async def upload_file(self, persona: str, name: str, content: bytes, mime: str) -> None:
        await self.upload(persona, name, content, mime)

    async def advance_clock(self, seconds: float) -> None:
        await self.advance(timedelta(seconds=seconds))

    async def wait_for_reply(
        self,
        persona: str,
        fragment: str,
        since: int,
        timeout: float,  # noqa: ASYNC109
    ) -> str:
        emulator = self.running_emulator()
        chat_id = self.persona(persona).user_id

        def found() -> str | None:
            for activity in emulator.activity[since:]:
                if activity.chat_id != chat_id:
                    continue
                message = activity.message
                text = message.plain if message.plain is not None else message.content
                if fragment in text or fragment in message.content:
                    return text
            return None

        await emulator.wait_until(lambda: found() is not None, timeout)
        reply = found()
        if reply is None:
            raise TimeoutError(fragment)
        return reply


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------

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
        self._runner: web.AppRunner | None = None
        self._socket: socket.socket | None = None
        self._allowed_hosts: frozenset[str] | None = None
        self._static = files("sandbox") / "static"

    @property
    def url(self) -> str:
        if self._socket is None:
            raise RuntimeError("the web chat is not running")
        host, port = self._socket.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"

    @property
    def loopback_only(self) -> bool:
        if self._socket is None:
            return True
        return ipaddress.ip_address(self._socket.getsockname()[0]).is_loopback

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
        app.router.add_post("/api/clock/advance", self._advance)
        app.router.add_post("/api/reset", self._reset)
        app.router.add_post("/api/demo/start", self._demo_start)
        app.router.add_post("/api/demo/stop", self._demo_stop)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(
            self._app(), handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        family, _, _, _, address = socket.getaddrinfo(
            self.host, self.port, type=socket.SOCK_STREAM
        )[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            self._socket = sock
            await web.SockSite(self._runner, sock).start()
        except BaseException:
            sock.close()
            self._socket = None
            await self._runner.cleanup()
            self._runner = None
            raise
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
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

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
) -> AsyncIterator[WebChatServer]:
    """Start the sandbox and its web chat; stop both on exit."""
    sandbox = Sandbox(settings, token=token, demo_pause=demo_pause)
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
