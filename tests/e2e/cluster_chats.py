"""Many users talking to the bot at once, each waiting only on their own chat.

`Chat` in tests/e2e/conftest.py scans the emulator's whole activity at every change, which is
fine for a few users and quadratic for 200; here an emulator listener wakes only the chat that
changed, and a user's "fresh" messages are those their chat got (or saw edited) since their
last action.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from sandbox.emulator import BotApiEmulator, ChatMessage
from sandbox.emulator.records import EmulatorEvent

REPLY_TIMEOUT = 90.0  # four bot processes on two shared cores: a reply can take a while


class ChatWatch:
    """One asyncio.Event per chat, set whenever something happens in it."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self._events: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        emulator.add_listener(self._changed)

    def _changed(self, event: EmulatorEvent) -> None:
        if isinstance(event.chat_id, int):
            self._events[event.chat_id].set()

    def event(self, chat_id: int) -> asyncio.Event:
        return self._events[chat_id]


class Talker:
    """A user of the emulator, sending and pressing, and reading only their own chat."""

    def __init__(self, emulator: BotApiEmulator, watch: ChatWatch, user_id: int) -> None:
        self.emulator = emulator
        self.watch = watch
        self.user_id = user_id
        self.user = emulator.user(user_id)
        self._before: dict[int, int] = {}

    def _bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.emulator.history(self.user_id) if m.from_bot]

    def _mark(self) -> None:
        self._before = {m.message_id: len(m.edits) for m in self._bot_messages()}

    def fresh(self) -> list[ChatMessage]:
        """Bot messages sent, or edited, since the last action."""
        return [
            m for m in self._bot_messages() if self._before.get(m.message_id, -1) < len(m.edits)
        ]

    async def _wait(self, found: object, what: str) -> None:
        event = self.watch.event(self.user_id)
        try:
            async with asyncio.timeout(REPLY_TIMEOUT):
                while not found():  # type: ignore[operator]
                    event.clear()
                    await event.wait()
        except TimeoutError:
            seen = [m.content[:100] for m in self.fresh()]
            raise AssertionError(f"user {self.user_id}: no {what}; got {seen}") from None

    async def say(self, text: str, expect: str | None = None) -> None:
        self._mark()
        await self.user.send(text)
        if expect is not None:
            await self.expect(expect)

    async def expect(self, fragment: str) -> ChatMessage:
        def match() -> ChatMessage | None:
            return next((m for m in self.fresh() if fragment in m.content), None)

        await self._wait(lambda: match() is not None, f"reply containing {fragment!r}")
        message = match()
        assert message is not None
        return message

    async def press(self, label: str, expect: str | None = None) -> None:
        """Press the button offered since the last action whose label contains `label`."""
        folded = label.casefold()

        def offering() -> tuple[int, str] | None:
            for message in reversed(self.fresh()):
                for button in message.buttons:
                    if folded in button.text.casefold() and button.callback_data is not None:
                        return message.message_id, button.callback_data
            return None

        await self._wait(lambda: offering() is not None, f"button {label!r}")
        target = offering()
        assert target is not None
        self._mark()
        await self.user.press_data(*target)
        if expect is not None:
            await self.expect(expect)
