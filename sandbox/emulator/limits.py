"""Telegram's flood limits, and the faults a test injects (429, 500, 502).

``FloodLimits`` answers a send with 429 and ``retry_after`` where Telegram would: a second
message within a second in a private chat, more than 20 a minute in a group, more than 30 a
second in all. A paid broadcast (`allow_paid_broadcast`) is not counted in the 30 a second but
in a limit of its own, 1,000 a second. Each limit is a plain attribute a test may change
mid-run; 0 turns it off.
``FaultInjector`` makes the next calls of a method fail with 500 or 502, refuses them with a
client error Telegram gives at times (a topic that cannot be created), or makes the next sends
get 429, so the bot's retry, back-off and fallback paths can be tested on purpose.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

from sandbox.emulator.records import BotApiError

__all__ = ["FaultInjector", "FloodLimits", "too_many_requests"]

# Telegram's cap for messages sent with allow_paid_broadcast (paid in Stars).
PAID_BROADCAST_PER_SECOND = 1000


def too_many_requests(wait: float) -> BotApiError:
    retry_after = max(1, math.ceil(wait))
    return BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)


class FloodLimits:
    """Per private chat, per group and global send limits, with the sends they remember."""

    def __init__(
        self, *, per_chat_interval: float, group_chat_per_minute: int, global_per_second: int
    ) -> None:
        self.per_chat_interval = per_chat_interval
        self.group_chat_per_minute = group_chat_per_minute
        self.global_per_second = global_per_second
        self.paid_broadcast_per_second = PAID_BROADCAST_PER_SECOND
        self._last_send: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._global_sends: deque[float] = deque()
        self._paid_sends: deque[float] = deque()

    def take_send_slot(self, chat_id: int, *, private: bool, paid: bool = False) -> None:
        """Raise 429 if a send to the chat now breaks a limit; else count it. A paid broadcast
        still keeps the per-chat limits."""
        now = time.monotonic()
        last = self._last_send.get(chat_id)
        if private and self.per_chat_interval > 0 and last is not None:
            elapsed = now - last
            if elapsed < self.per_chat_interval:
                raise too_many_requests(self.per_chat_interval - elapsed)
        recent = None if private else self._group_sends.setdefault(chat_id, deque())
        if recent is not None and self.group_chat_per_minute > 0:
            while recent and now - recent[0] >= 60:
                recent.popleft()
            if len(recent) >= self.group_chat_per_minute:
                raise too_many_requests(recent[0] + 60 - now)
        sends, per_second = (
            (self._paid_sends, self.paid_broadcast_per_second)
            if paid
            else (self._global_sends, self.global_per_second)
        )
        if per_second > 0:
            while sends and now - sends[0] >= 1:
                sends.popleft()
            if len(sends) >= per_second:
                raise too_many_requests(sends[0] + 1 - now)
        self._last_send[chat_id] = now
        if recent is not None:
            recent.append(now)
        sends.append(now)


@dataclass(slots=True)
class _Injected429:
    chat_id: int | None
    remaining: int
    retry_after: int


class FaultInjector:
    """Failures a test asked for, used up one call at a time."""

    def __init__(self) -> None:
        self._server_errors: dict[str, deque[int]] = {}
        self._refusals: dict[str, deque[tuple[int, str]]] = {}
        self._injected_429: list[_Injected429] = []

    def fail_next(self, method: str, status: int = 500, count: int = 1) -> None:
        if status not in (500, 502):
            raise ValueError("status must be 500 or 502")
        self._server_errors.setdefault(method.lower(), deque()).extend([status] * count)

    def refuse_next(self, method: str, description: str, status: int = 400, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` are refused (a 4xx with ``description``)."""
        if not 400 <= status < 500 or status == 429:
            raise ValueError("a refusal is a 4xx other than 429 (use inject_429)")
        self._refusals.setdefault(method.lower(), deque()).extend([(status, description)] * count)

    def inject_429(self, chat_id: int | None = None, count: int = 1, retry_after: int = 1) -> None:
        self._injected_429.append(_Injected429(chat_id, count, max(1, retry_after)))

    def raise_server_error(self, method: str) -> None:
        """Fail (or refuse) this call of ``method`` if a test asked for it."""
        refusals = self._refusals.get(method.lower())
        if refusals:
            status, description = refusals.popleft()
            raise BotApiError(status, description)
        pending = self._server_errors.get(method.lower())
        if pending:
            status = pending.popleft()
            raise BotApiError(status, "Internal Server Error" if status == 500 else "Bad Gateway")

    def raise_injected_429(self, chat_id: int) -> None:
        """Refuse this send to ``chat_id`` with 429 if a test asked for it."""
        for injected in self._injected_429:
            if injected.remaining > 0 and injected.chat_id in (None, chat_id):
                injected.remaining -= 1
                raise too_many_requests(injected.retry_after)
