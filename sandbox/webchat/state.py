"""The sandbox's state: the real bot against the Bot API emulator, as the web chat drives it.

``Sandbox`` owns the moving parts — the emulator, the bot application built on it, a clock
that can be fast-forwarded, the guided demo, the chats kept on disk — and starts, stops and
resets them as one. Its actions (a persona sends, presses, uploads; the clock moves) are what
the web chat's API calls (``sandbox.webchat.server``); a manual action stops a running demo,
since the person has taken over. The demo acts through ``SandboxDemoDriver``.

A restart re-opens the chats as they were (``sandbox.chat_log``, next to the database). A
chat with nothing to show that the bot still remembers — after a Reset that kept the database,
or when the chats were not saved — carries a notice in the state, and the page says so.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import Application, create_application
from bot.settings import Settings
from sandbox.chat_log import ChatLog, ChatLogWriter, LoadedChats
from sandbox.demo import FLOWS, DemoRunner, DemoStatus
from sandbox.emulator import BotApiEmulator, EmulatorEvent
from sandbox.history import last_processed_update_id, remembered_chats
from sandbox.webchat.clock import SandboxClock
from sandbox.webchat.deep_links import LINK_OPENER, start_payload
from sandbox.webchat.demo_driver import SandboxDemoDriver
from sandbox.webchat.feed import PageEvent, PageFeed, open_topics, page_event
from sandbox.webchat.personas import OPERATOR, PERSONAS, Persona

__all__ = [
    "BOT_USERNAME",
    "MAX_ADVANCE",
    "NotABotLink",
    "Sandbox",
    "SandboxUnavailable",
    "sandbox_settings",
]

SANDBOX_DB_NAME = "sandbox.sqlite3"
BOT_USERNAME = "sellerbot_sandbox_bot"
CLOCK_FILE_NAME = "sandbox-clock.json"
# The most one fast-forward may jump; more is a typo, not a use case.
MAX_ADVANCE = timedelta(days=90)
# Emulator events that change what the chat log keeps.
_SAVED_EVENTS = frozenset({"chat", "message", "edit", "delete", "pin", "topic"})


class SandboxUnavailable(Exception):
    """The sandbox is between a stop and a start (a reset is running)."""


class NotABotLink(ValueError):
    """A link the web chat does not open: not a start link to the sandbox bot."""


def sandbox_settings(settings: Settings) -> Settings:
    """The settings the sandbox bot runs with: its own SQLite file, the operator persona, and
    the simulated tracking provider (nothing leaves the machine; fast-forward moves parcels)."""
    update: dict[str, Any] = {
        "operator_ids": settings.operator_ids | {OPERATOR.user_id},
        "tracking_provider": "simulated",
        "tracking_api_key": None,
    }
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
        chat_interval: float = 1.0,
    ) -> None:
        # The file is ours to delete on reset only when we chose it (no DATABASE_URL given).
        self.owns_database = not settings.database_url
        self.settings = sandbox_settings(settings)
        # Telegram's one message a second per chat, which the emulator enforces; tests scale it
        # down, and the bot's own spacing with it (with the same margin as the real default).
        self.chat_interval = chat_interval
        if chat_interval != 1.0:
            self.settings = self.settings.model_copy(
                update={"send_private_chat_interval_seconds": chat_interval * 1.05}
            )
        self.token = token
        self.clock = SandboxClock()
        self.emulator: BotApiEmulator | None = None
        self.app: Application | None = None
        self._personas = {p.key: p for p in PERSONAS}
        self._by_chat = {p.user_id: p for p in PERSONAS}
        self.feed = PageFeed()
        self._lifecycle = asyncio.Lock()
        self.demo = DemoRunner(SandboxDemoDriver(self), self._publish_demo)
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
        self.feed.close()

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
            self.feed.publish({"type": "reset", "database_wiped": wiped})
            await self._start()
        self.feed.publish({"type": "state", **self.snapshot()})
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
        self.clock.load(self._clock_file)
        if self.database_path is not None and not self.database_path.exists():
            # The database file was deleted by hand: the chats it belonged to went with it.
            await asyncio.to_thread(self.chat_log.delete)
        loaded = await asyncio.to_thread(self.chat_log.load)
        emulator = BotApiEmulator(
            tokens=self.token,
            host="127.0.0.1",
            port=0,
            bot_first_name="Sellerbot",
            bot_username=BOT_USERNAME,
            per_chat_interval=self.chat_interval,
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
                "topics": open_topics(self.emulator, persona),
                "notice": self._notices.get(persona.key),
            }
        return {
            "personas": [p.to_dict() for p in PERSONAS],
            "chats": chats,
            "clock": self.clock_state(),
            "demo": self.demo.status.to_dict(),
            "flows": [{"name": f.name, "title": f.title} for f in FLOWS],
            "database_resettable": self.owns_database,
            "bot_username": BOT_USERNAME,
            "link_opener": LINK_OPENER,
        }

    def subscribe(self) -> asyncio.Queue[PageEvent | None]:
        """A queue that starts with a full snapshot, then receives every change."""
        # Snapshot and registration happen without an await in between: no change is lost.
        return self.feed.subscribe({"type": "state", **self.snapshot()})

    def unsubscribe(self, queue: asyncio.Queue[PageEvent | None]) -> None:
        self.feed.unsubscribe(queue)

    def _publish_demo(self, status: DemoStatus) -> None:
        self.feed.publish({"type": "demo", "demo": status.to_dict()})

    def _on_emulator_event(self, event: EmulatorEvent) -> None:
        if event.kind in _SAVED_EVENTS and self._chat_log_writer is not None:
            self._chat_log_writer.changed()
        persona = self._by_chat.get(event.chat_id) if event.chat_id is not None else None
        if persona is None:
            return
        update = page_event(event, persona, self.emulator)
        if update is not None:
            self.feed.publish(update)

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

    async def open_link(self, url: str, *, manual: bool = False) -> dict[str, Any]:
        """Open a start link to the bot as the person it is meant for (the buyer persona):
        what Telegram does when they tap it, a ``/start <payload>`` from them."""
        payload = start_payload(url, BOT_USERNAME)
        if payload is None:
            raise NotABotLink(f"not a start link to @{BOT_USERNAME}")
        message = await self.send_text(LINK_OPENER, f"/start {payload}", manual=manual)
        return {"persona": LINK_OPENER, "message": message}

    async def advance(self, delta: timedelta, *, manual: bool = False) -> dict[str, Any]:
        """Move the clock forward and run the scheduler jobs the jump went past."""
        if delta > MAX_ADVANCE:
            raise ValueError(f"at most {MAX_ADVANCE.days} days at a time")
        await self._take_over(manual)
        self.clock.advance(delta)
        self.clock.save(self._clock_file)
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
        self.feed.publish({"type": "clock", "clock": self.clock_state()})
        return state

    async def start_demo(self) -> None:
        """Play the demo from a fresh sandbox, so every flow starts where it expects."""
        await self.demo.stop("restarted")
        await self.reset()
        self.demo.start(FLOWS)
        self._publish_demo(self.demo.status)

    async def stop_demo(self) -> None:
        await self.demo.stop("you stopped the demo")
