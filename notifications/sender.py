"""The sender: the one path through which the bot calls Telegram to send anything.

Every call first passes the rate limiter, so the bot stays inside Telegram's limits instead of
learning them from 429s, and tells it when Telegram answered (`answered`): a chat's next send
waits its interval from then, as Telegram measures it by arrival. Errors are sorted into what a caller can act on:

- 429 (`TelegramRetryAfter`): the bucket is paused for `retry_after` and the call retried, as
  long as the whole call stays within `max_total_wait`; past that the 429 is raised (the outbox
  then reschedules the row without counting an attempt).
- 5xx and network errors: retried with exponential backoff and jitter, within the same budget,
  so an interactive reply never hangs for minutes.
- 403 (`TelegramForbiddenError`): the user blocked the bot or left; `RecipientBlocked` at once.
- anything else (400s...) propagates unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import (
    ForceReply,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from notifications.rate_limits import RateLimiter
from templates.html import MESSAGE_LIMIT, split_html

T = TypeVar("T")

logger = logging.getLogger(__name__)

ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | ForceReply


class TelegramClient(Protocol):
    """What the sender needs from `aiogram.Bot` (tests pass a recording fake)."""

    async def __call__(self, method: TelegramMethod[T], request_timeout: int | None = None) -> T:
        """Send one Bot API request and return its result."""


class RecipientBlocked(Exception):
    """Telegram answered 403 for this chat: the user blocked the bot (or it was removed)."""

    def __init__(self, chat_id: int | None, description: str = "") -> None:
        super().__init__(f"chat {chat_id} is unreachable: {description}")
        self.chat_id = chat_id
        self.description = description


def as_paid_broadcast(method: TelegramMethod[T]) -> TelegramMethod[T]:
    """`method` sent as a paid broadcast (`allow_paid_broadcast`: above the free 30 a second,
    up to 1,000, paid in Stars) where the method takes it; a method that does not (an edit,
    an answer) goes as it is, in the free budget's limits."""
    if "allow_paid_broadcast" not in type(method).model_fields:
        return method
    return method.model_copy(update={"allow_paid_broadcast": True})


class Sender:
    """Rate-limited, retrying Telegram calls. Build one per bot; share it between handlers."""

    def __init__(
        self,
        bot: TelegramClient,
        limiter: RateLimiter,
        max_attempts: int = 4,
        *,
        max_total_wait: float = 30.0,
        base_backoff: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        paid_broadcast: bool = False,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.bot = bot
        self.limiter = limiter
        # Tries per call for transient (5xx, network) errors; 429s are bounded by time instead.
        self.max_attempts = max_attempts
        self.max_total_wait = max_total_wait
        self.base_backoff = base_backoff
        self._sleep = sleep
        self._monotonic = monotonic
        # Bulk sends (the outbox) go as paid broadcasts; the limiter gives them their budget.
        self.paid_broadcast = paid_broadcast

    async def call(
        self, method: TelegramMethod[T], *, chat_id: int | None, bulk: bool = False
    ) -> T:
        """Call `method` within the rate limits of `chat_id` (None: only the global limit).

        `bulk`: nobody is waiting for it (the outbox); interactive calls go first.
        """
        if bulk and self.paid_broadcast:
            method = as_paid_broadcast(method)
        started = self._monotonic()
        failures = 0
        while True:
            await self.limiter.acquire(chat_id, bulk=bulk)
            try:
                try:
                    return await self.bot(method)
                finally:
                    if chat_id is not None:
                        # Whatever the answer, the request reached Telegram (or may have).
                        await self.limiter.answered(chat_id)
            except TelegramRetryAfter as error:
                await self._pause(chat_id, error.retry_after)
                waited = self._monotonic() - started
                # Chat ids are personal data: lines name the method (and, through the log
                # context, the update or notification), never the chat.
                logger.warning("429 from %s: paused %ss", method.__api_method__, error.retry_after)
                if waited + error.retry_after > self.max_total_wait:
                    raise
                # No sleep here: acquire() waits out the pause, in line with everyone else.
            except TelegramForbiddenError as error:
                logger.info("recipient unreachable (403): %s", error.message)
                raise RecipientBlocked(chat_id, self.describe(error)) from error
            except TelegramEntityTooLarge:
                raise  # a network-error subclass, but retrying cannot help
            except (TelegramServerError, TelegramNetworkError) as error:
                failures += 1
                delay = self._backoff(failures)
                waited = self._monotonic() - started
                if failures >= self.max_attempts or waited + delay > self.max_total_wait:
                    logger.warning(
                        "%s failed after %d tries: %s",
                        method.__api_method__,
                        failures,
                        self.describe(error),
                    )
                    raise
                logger.info(
                    "%s failed (%s); retrying in %.2fs",
                    method.__api_method__,
                    self.describe(error),
                    delay,
                )
                await self._sleep(delay)

    async def send_text(
        self,
        chat_id: int,
        html_text: str,
        *,
        reply_markup: ReplyMarkup | None = None,
        message_thread_id: int | None = None,
        link_preview: bool = False,
        bulk: bool = False,
    ) -> list[Message]:
        """Send Telegram HTML, split into parts of at most 4096 characters, in order.

        The keyboard goes on the last part, where the reader ends up. If a part fails, the
        earlier parts stay sent (Telegram has no transactions) and the error propagates.
        """
        parts = split_html(html_text, MESSAGE_LIMIT)
        messages: list[Message] = []
        for index, part in enumerate(parts):
            is_last = index == len(parts) - 1
            method = SendMessage(
                chat_id=chat_id,
                text=part,
                parse_mode=ParseMode.HTML,
                message_thread_id=message_thread_id,
                link_preview_options=LinkPreviewOptions(is_disabled=not link_preview),
                reply_markup=reply_markup if is_last else None,
            )
            messages.append(await self.call(method, chat_id=chat_id, bulk=bulk))
        return messages

    def describe(self, error: BaseException) -> str:
        """A one-line description of `error` that is safe to log or store (no bot token)."""
        text = getattr(error, "message", None) or str(error)
        text = " ".join(str(text).split())
        token: Any = getattr(self.bot, "token", None)
        if isinstance(token, str) and token:
            text = text.replace(token, "<token>")
        return text[:500]

    async def _pause(self, chat_id: int | None, seconds: float) -> None:
        # Telegram does not say whether a 429 is about the chat or the whole bot; a send to a
        # chat is charged to that chat, a call without one to the global bucket.
        if chat_id is None:
            await self.limiter.pause_global(seconds)
        else:
            await self.limiter.pause_chat(chat_id, seconds)

    def _backoff(self, failures: int) -> float:
        # "Equal jitter": half fixed, half random, so retries neither stampede nor fire at once.
        ceiling = self.base_backoff * 2.0 ** (failures - 1)
        return ceiling / 2 + random.uniform(0, ceiling / 2)
