"""End-to-end harness: the real bot, polling the Bot API emulator over HTTP, on a real database."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiogram import Dispatcher, Router

from bot.app import Application, create_application
from bot.settings import Settings
from domain.clock import Clock
from notifications.tracking.provider import TrackingProvider
from sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator, ChatMessage
from sandbox.users import EmulatedUser
from templates import Renderer
from tests.conftest import FixedClock
from tests.tracking_fixtures import ScriptedProvider

OPERATOR_ID = 900_001
# Telegram's gap between two messages to one private chat (1 s), scaled down by 10, for a bot
# in processes of its own, with 1.5 times that as the bot's own pacing: a send crosses a
# process and the loopback, and may arrive late by tens of milliseconds on a busy machine.
E2E_CHAT_INTERVAL = 0.1
# A bot in the test's own process: the emulator takes a message every 20 ms a chat and the bot
# paces itself at 50 ms. The 30 ms between absorb the event loop's jitter (a send held up in
# the loop must not arrive too soon before the next one), so no 429 is expected unless a test
# injects one; the limiter is still what keeps every story within the emulator's limit.
IN_PROCESS_CHAT_INTERVAL = 0.02
IN_PROCESS_SEND_INTERVAL = 0.05


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"per_chat_interval": IN_PROCESS_CHAT_INTERVAL}


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": None,
        "database_url": database_url,
        "data_dir": data_dir,
        "operator_ids": frozenset({OPERATOR_ID}),
        "redis_url": None,
        # Conversations run at 1 message/s per chat in production; here at the pace of the
        # in-process emulator's scaled-down limit (tests/reliability keeps the real one).
        "send_private_chat_interval_seconds": IN_PROCESS_SEND_INTERVAL,
        # Scripted users answer faster than people; only the flood test keeps the real limit.
        "flood_max_updates": 500,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def put_first(dispatcher: Dispatcher, router: Router) -> None:
    """Attach `router` to the dispatcher, tried before every router already there."""
    dispatcher.include_router(router)
    dispatcher.sub_routers.insert(0, dispatcher.sub_routers.pop())


class BotRunner:
    """Starts, stops and restarts the bot against one emulator and one database.

    `clock` and `tracking_provider`, when given, replace the real ones (tracking tests move
    time and play simulated parcels).
    """

    def __init__(
        self,
        emulator: BotApiEmulator,
        settings: Settings,
        *,
        clock: Clock | None = None,
        tracking_provider: TrackingProvider | None = None,
    ) -> None:
        self.emulator = emulator
        self.settings = settings
        self.clock = clock
        self.tracking_provider = tracking_provider
        self.app: Application | None = None

    async def __aenter__(self) -> BotRunner:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _create(self) -> Application:
        extras: dict[str, Any] = {}
        if self.clock is not None:
            extras["clock"] = self.clock
        if self.tracking_provider is not None:
            extras["tracking_provider"] = self.tracking_provider
        return await create_application(
            self.settings, token=DEFAULT_TOKEN, api_base=self.emulator.base_url, **extras
        )

    async def start(self) -> Application:
        self.app = await self._create()
        await self.app.start()
        return self.app

    async def start_with(self, *routers: Router) -> Application:
        """Start with extra routers tried before the product's (to provoke failures)."""
        self.app = await self._create()
        for router in routers:
            put_first(self.app.dispatcher, router)
        await self.app.start()
        return self.app

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def restart(self) -> Application:
        await self.stop()
        return await self.start()


class Chat:
    """A user's private chat, seen the way the user sees it."""

    def __init__(self, emulator: BotApiEmulator, user: EmulatedUser) -> None:
        self.emulator = emulator
        self.user = user
        self._mark = len(emulator.activity)
        # The callback query of the last action, if it was a press (its answer may be a
        # pop-up only, with nothing in the chat).
        self._query_id: str | None = None

    def _fresh(self, kind: str = "sent") -> list[ChatMessage]:
        return [
            a.message
            for a in self.emulator.activity[self._mark :]
            if a.chat_id == self.user.chat_id and a.kind == kind
        ]

    async def send(self, text: str) -> None:
        self._mark = len(self.emulator.activity)
        self._query_id = None
        await self.user.send(text)

    async def press(self, label: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Press a button, waiting first for the bot's answer to the last action: a message
        (sent or edited) offering it, or, once the bot has answered and then been quiet for a
        second, an earlier message that still shows it (a date picker above a refusal)."""

        def answered() -> list[ChatMessage]:
            return [
                a.message
                for a in self.emulator.activity[self._mark :]
                if a.chat_id == self.user.chat_id
            ]

        def shows(messages: Iterable[ChatMessage]) -> bool:
            wanted = label.casefold()
            return any(wanted in text.casefold() for m in messages for text in m.button_texts)

        def popped_up() -> bool:
            query_id = self._query_id
            return query_id is not None and any(
                a.callback_query_id == query_id for a in self.emulator.callback_answers
            )

        deadline = time.monotonic() + timeout
        while not shows(answered()) and (remaining := deadline - time.monotonic()) > 0:
            before = len(answered())
            if await self.emulator.wait_until(lambda: shows(answered()), min(1.0, remaining)):
                break
            quiet = len(answered()) == before
            if (before or popped_up()) and quiet and shows(self.user.bot_messages()):
                break
        self._mark = len(self.emulator.activity)
        self._query_id = await self.user.press(label)

    async def press_data(self, message_id: int, data: str) -> None:
        self._mark = len(self.emulator.activity)
        self._query_id = await self.user.press_data(message_id, data)

    async def expect(
        self,
        fragment: str,
        timeout: float = 30.0,  # noqa: ASYNC109
        *,
        kind: str = "sent",
    ) -> ChatMessage:
        """The first message the bot sent (`kind` "edited": edited) since the last action that
        contains `fragment`."""

        def found() -> ChatMessage | None:
            return next((m for m in self._fresh(kind) if fragment in m.content), None)

        await self.emulator.wait_until(lambda: found() is not None, timeout)
        message = found()
        if message is None:
            seen = [m.content[:120] for m in self._fresh(kind)]
            raise AssertionError(f"no bot message {kind} containing {fragment!r}; got {seen}")
        return message

    async def expect_alert(self, fragment: str, timeout: float = 30.0) -> str:  # noqa: ASYNC109
        def found() -> str | None:
            return next((t for t in self.user.answered_callbacks if fragment in t), None)

        await self.emulator.wait_until(lambda: found() is not None, timeout)
        text = found()
        assert text is not None, (
            f"no pop-up containing {fragment!r}: {self.user.answered_callbacks}"
        )
        return text


@pytest.fixture
def bot_settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def runner(emulator: BotApiEmulator, bot_settings: Settings) -> AsyncIterator[BotRunner]:
    async with BotRunner(emulator, bot_settings) as bot_runner:
        yield bot_runner


class DaytimeClock:
    """The wall clock moved to 14:00 UTC of the day the test starts, and ticking with it: the
    buyers of the return stories (in Europe) are awake, so what waits out their quiet hours
    goes at once, whatever hour the suite runs at."""

    def __init__(self) -> None:
        now = datetime.now(UTC)
        self._offset = now.replace(hour=14, minute=0, second=0, microsecond=0) - now

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self._offset


@pytest.fixture
async def daytime_runner(
    emulator: BotApiEmulator, bot_settings: Settings
) -> AsyncIterator[BotRunner]:
    """The bot on `DaytimeClock`: for stories that expect a buyer's notices at once."""
    async with BotRunner(emulator, bot_settings, clock=DaytimeClock()) as bot_runner:
        yield bot_runner


@pytest.fixture
def provider() -> ScriptedProvider:
    """The tracking provider `tracked_runner` polls: a test scripts what it reports."""
    return ScriptedProvider()


@pytest.fixture
async def tracked_runner(
    emulator: BotApiEmulator, bot_settings: Settings, clock: FixedClock, provider: ScriptedProvider
) -> AsyncIterator[BotRunner]:
    """The bot on the test's `clock` (a module sets the hour its story starts at), tracking
    parcels through the scripted `provider`: for stories of a parcel's journey."""
    async with BotRunner(
        emulator, bot_settings, clock=clock, tracking_provider=provider
    ) as bot_runner:
        yield bot_runner


@pytest.fixture
async def runner_on_the_tests_clock(
    emulator: BotApiEmulator, bot_settings: Settings, clock: FixedClock
) -> AsyncIterator[BotRunner]:
    """The bot on the clock that seeded the database (`uow_factory`'s): orders made by the
    reliability helpers are due by that clock, and on the wall clock they would fall overdue
    once the suite runs past their date."""
    async with BotRunner(emulator, bot_settings, clock=clock) as bot_runner:
        yield bot_runner


def chat_with(
    emulator: BotApiEmulator, user_id: int, language: str = "en", name: str = "Li"
) -> Chat:
    return Chat(emulator, emulator.user(user_id, first_name=name, language_code=language))


def labels_in(renderer: Renderer, locale: str) -> Callable[..., str]:
    """The button labels a user of `locale` sees, to press them: `fr("buyer.return")`."""

    def label(key: str, **params: object) -> str:
        return renderer.label(key, locale, **params)

    return label
