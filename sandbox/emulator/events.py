"""Who hears about the emulator's changes, and how a caller waits for one.

Every change — a message, an edit, a topic, an update queued for the bot — is an
``EmulatorEvent`` handed to each listener at once (the web chat, the chat log and the side
API's event streams listen), and it wakes every ``wait_until`` waiter to check its condition
again: waiting is event-driven, never polling. What the bot sent or edited is also kept in
order as ``activity``, which ``EmulatedUser.wait_for_bot`` reads with a cursor.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import Any

from sandbox.emulator.records import BotActivity, ChatMessage, EmulatorEvent, Listener

__all__ = ["EventHub"]

log = logging.getLogger(__name__)


class EventHub:
    """Listeners, waiters and the bot's activity; ``closing`` ends every wait early."""

    def __init__(self) -> None:
        self.activity: list[BotActivity] = []
        self.closing = False
        self._listeners: list[Listener] = []
        # One sequence for events and activity, so their numbers tell their order.
        self._seq = itertools.count(1)
        self._changed = asyncio.Event()

    def add_listener(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        self._listeners.remove(callback)

    def emit(
        self, kind: str, chat_id: int | None, message_id: int | None, data: dict[str, Any]
    ) -> None:
        event = EmulatorEvent(next(self._seq), kind, chat_id, message_id, data)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # A broken UI listener must not break the Bot API the bot depends on.
                log.exception("emulator listener failed")
        self.notify()

    def bot_activity(self, kind: str, message: ChatMessage) -> None:
        """The bot sent (``kind="sent"``) or edited (``"edited"``) ``message``."""
        self.activity.append(BotActivity(next(self._seq), message.chat_id, kind, message))

    def notify(self) -> None:
        """Wake every waiter to re-check its condition."""
        # Replace the event so each waiter re-checks its predicate exactly once per change.
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def close(self) -> None:
        self.closing = True
        self.notify()

    # A timeout argument (not asyncio.timeout) keeps test code short: `await user.wait_for_bot()`.
    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until ``predicate()`` holds; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    if self.closing:
                        return predicate()
                    await self._changed.wait()
        except TimeoutError:
            return predicate()
        return True
