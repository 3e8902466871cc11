"""Outer middlewares on every update, in this order (see ARCHITECTURE.md, "Inbound update"):

flood throttle -> FSM context and per-user isolation -> unit of work with update de-duplication
-> locale -> error handling -> routers. The FSM middleware sits before the transaction so that a
user's updates queue for the isolation lock without holding a database transaction open.

With the SQL storage the conversation state is not read by the FSM middleware (that took a
transaction of its own) but by the unit of work, in the one statement that also reads the
sender's user and seller rows (`UnitOfWork.load_sender`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY, EventContext
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import TelegramObject, Update, User
from redis.asyncio import Redis

from bot.fsm_storage import (
    SqlStorage,
    current_unit_of_work,
    discard_pending_writes,
    writes_after_commit,
)
from bot.metrics import UpdateOutcome, note_update_outcome
from bot.replies import ReplyQueue
from domain.errors import DomainError
from domain.locales import locale_from_telegram
from domain.services import contacts
from domain.unit_of_work import UnitOfWork, lost_to_a_concurrent_transaction
from handlers.responder import Responder
from templates import Renderer

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

NOTICE_INTERVAL_SECONDS = 60.0
# Runs an update gets when its transaction loses to another one running at the same time (a
# unique key taken meanwhile, a row changed since it was read, a serialization failure): each
# new run reads what the other committed, so it succeeds or is refused with a reason the user
# understands, instead of an apology. Replies and conversation writes wait for the commit, so
# a run that failed leaves nothing behind.
UPDATE_ATTEMPTS = 3
MAY_RETRY_KEY = "sellerbot_may_retry_update"
# A user told "send it again" during an outage is not told again for this long.
OUTAGE_NOTICE_INTERVAL = 60.0
OUTAGE_NOTICE_MEMORY = 10_000
# Refusals of a press on a prompt that is no longer valid (an older or used-up confirmation, an
# offer or a warehouse that changed since the message was drawn): nothing was done, and the
# pressed message loses its buttons so it no longer looks usable. Handlers that show the
# current state instead (the case card, the review card) take the buttons off themselves.
STALE_PROMPT_KEYS = frozenset(
    {
        "confirmation.stale",
        "erasure.stale",
        "returns.offer_changed",
        "review.warehouse_changed",
    }
)


class FloodCounter(Protocol):
    async def hit(self, user_id: int) -> int:
        """Count one update from the user; return how many arrived within the window."""

    async def may_warn(self, user_id: int) -> bool:
        """True at most once per notice interval per user."""


class MemoryFloodCounter:
    """Sliding window per user. Dropped updates count too, so a sustained flood stays muted."""

    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window_seconds
        self._clock = clock
        self._hits: defaultdict[int, deque[float]] = defaultdict(deque)
        self._warned: dict[int, float] = {}

    async def hit(self, user_id: int) -> int:
        now = self._clock()
        hits = self._hits[user_id]
        hits.append(now)
        while hits and hits[0] <= now - self._window:
            hits.popleft()
        if len(self._hits) > 10_000:  # forget idle users so memory stays bounded
            for idle in [
                uid for uid, h in self._hits.items() if not h or h[-1] <= now - self._window
            ]:
                del self._hits[idle]
        return len(hits)

    async def may_warn(self, user_id: int) -> bool:
        now = self._clock()
        if now - self._warned.get(user_id, -NOTICE_INTERVAL_SECONDS) < NOTICE_INTERVAL_SECONDS:
            return False
        if len(self._warned) > 10_000:  # a warning older than the interval no longer matters
            for stale in [
                u for u, at in self._warned.items() if now - at >= NOTICE_INTERVAL_SECONDS
            ]:
                del self._warned[stale]
        self._warned[user_id] = now
        return True


class RedisFloodCounter:
    """The same limits shared by every bot process (fixed window buckets in Redis)."""

    def __init__(
        self, redis: Redis, window_seconds: float, prefix: str = "sellerbot:flood"
    ) -> None:
        self._redis = redis
        self._window = max(1, int(window_seconds))
        self._prefix = prefix

    async def hit(self, user_id: int) -> int:
        key = f"{self._prefix}:{user_id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self._window, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def may_warn(self, user_id: int) -> bool:
        key = f"{self._prefix}:warned:{user_id}"
        return bool(await self._redis.set(key, 1, ex=int(NOTICE_INTERVAL_SECONDS), nx=True))


def _tell_in_their_language(
    user: User, template: str, renderer: Renderer, default_locale: str, replies: ReplyQueue
) -> None:
    """Queue `template` to `user` in their Telegram app's language: for notices sent where
    their stored preference is not read (an outage, a flood)."""
    locale = locale_from_telegram(user.language_code) or default_locale
    notice = Responder(renderer, locale, chat_id=user.id)
    notice.reply(template)
    replies.schedule(notice)


@dataclass(eq=False)
class OutageMiddleware(BaseMiddleware):
    """The last guard: an update that fails outside the error middleware — the database or
    Redis cannot be reached to claim it, load the conversation or commit — has changed
    nothing.

    Polling has moved past such an update, so its sender is told to send it again (in their
    Telegram language: the stored preference is out of reach), at most once a minute. A
    webhook lets it fail instead: Telegram delivers it again and it is applied then.
    """

    replies: ReplyQueue
    renderer: Renderer
    default_locale: str
    tell_user: bool = True
    clock: Callable[[], float] = time.monotonic
    _told: dict[int, float] = field(default_factory=dict)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except Exception:
            if not self.tell_user:
                raise
            incident = uuid.uuid4().hex[:8]
            log.exception(
                "incident %s: update %s failed before it was handled; nothing was saved",
                incident,
                getattr(event, "update_id", "?"),
            )
            note_update_outcome(UpdateOutcome.ERROR)
            user: User | None = data.get("event_from_user")
            if user is not None and not user.is_bot and self._may_tell(user.id):
                _tell_in_their_language(
                    user, "errors.unavailable", self.renderer, self.default_locale, self.replies
                )
            return UNHANDLED

    def _may_tell(self, user_id: int) -> bool:
        now = self.clock()
        if now - self._told.get(user_id, -OUTAGE_NOTICE_INTERVAL) < OUTAGE_NOTICE_INTERVAL:
            return False
        if len(self._told) >= OUTAGE_NOTICE_MEMORY:
            # Bounded memory through a long outage: forget who was told longest ago.
            for stale in sorted(self._told, key=self._told.__getitem__)[: len(self._told) // 2]:
                del self._told[stale]
        self._told[user_id] = now
        return True


@dataclass(eq=False)
class ThrottleMiddleware(BaseMiddleware):
    """Drops a user's updates beyond the flood limit; tells them once a minute at most."""

    counter: FloodCounter
    max_updates: int
    replies: ReplyQueue
    renderer: Renderer
    default_locale: str

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return await handler(event, data)
        if await self.counter.hit(user.id) <= self.max_updates:
            return await handler(event, data)
        # The log context names the update; the user's id is personal data.
        log.info("flood: dropped an update over the user's limit")
        note_update_outcome(UpdateOutcome.THROTTLED)
        if await self.counter.may_warn(user.id):
            # No database here on purpose: a flood must not reach the database at all.
            _tell_in_their_language(
                user, "common.slow_down", self.renderer, self.default_locale, self.replies
            )
        return UNHANDLED


class ConversationContextMiddleware(FSMContextMiddleware):
    """aiogram's FSM context middleware (the per-user isolation lock, `state` for handlers);
    with the SQL storage it leaves reading the state to `UnitOfWorkMiddleware`."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(self.storage, SqlStorage):
            return await super().__call__(handler, event, data)
        context = self.resolve_event_context(data["bot"], data)
        data["fsm_storage"] = self.storage
        if context is None:
            return await handler(event, data)
        async with self.events_isolation.lock(key=context.key):
            data["state"] = context
            return await handler(event, data)


@dataclass(eq=False)
class UnitOfWorkMiddleware(BaseMiddleware):
    """One transaction per update; `processed_updates` in it makes redelivery harmless.

    Right after the claim it reads what the rest of the update asks about its sender (and,
    with the SQL storage, the conversation state for the state filters) in one statement.
    """

    uow_factory: Callable[[], UnitOfWork]
    renderer: Renderer
    replies: ReplyQueue
    default_locale: str
    sql_storage: SqlStorage | None = None
    # Redis (`AfterCommitStorage`): the conversation's changes are written after the commit.
    storage: BaseStorage | None = None

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        for attempt in range(1, UPDATE_ATTEMPTS + 1):
            # The error middleware hands a lost race up to here while another attempt is left.
            data[MAY_RETRY_KEY] = attempt < UPDATE_ATTEMPTS
            try:
                return await self._attempt(handler, event, data)
            except Exception as error:
                if attempt == UPDATE_ATTEMPTS or not lost_to_a_concurrent_transaction(error):
                    raise
                log.info(
                    "update %s lost a race with another transaction (%s); running it again",
                    event.update_id,
                    type(error).__name__,
                )
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _attempt(self, handler: Handler, event: Update, data: dict[str, Any]) -> Any:
        """One run of the update in a transaction of its own; its replies are sent only if it
        commits, and its conversation changes are kept only then."""
        context: EventContext | None = data.get(EVENT_CONTEXT_KEY)
        chat_id = context.chat_id if context else None
        thread_id = context.thread_id if context else None
        responder = Responder(self.renderer, self.default_locale, chat_id, thread_id)
        async with writes_after_commit(self.storage), self.uow_factory() as uow:
            token = current_unit_of_work.set(uow)
            try:
                if not await uow.processed_updates.claim(event.update_id, uow.now()):
                    log.info("update %s was already processed; skipped", event.update_id)
                    note_update_outcome(UpdateOutcome.DUPLICATE)
                    return UNHANDLED
                await self._load_sender(uow, data)
                data["uow"] = uow
                data["responder"] = responder
                result = await handler(event, data)
                if event.callback_query and not responder.callback_answered:
                    responder.answer_callback(event.callback_query.id)
                await uow.commit()
            finally:
                current_unit_of_work.reset(token)
        self.replies.schedule(responder)
        return result

    async def _load_sender(self, uow: UnitOfWork, data: dict[str, Any]) -> None:
        context: FSMContext | None = data.get("state")
        state_key = (
            self.sql_storage.storage_key(context.key)
            if context is not None and self.sql_storage is not None
            else None
        )
        user: User | None = data.get("event_from_user")
        if user is not None and not user.is_bot:
            row = await uow.load_sender(user.id, state_key)
            if state_key is not None:
                data["raw_state"] = row.state if row is not None else None
        elif context is not None and state_key is not None:
            data["raw_state"] = await context.get_state()


class LocaleMiddleware(BaseMiddleware):
    """The stored preference, else Telegram's language_code mapped to ours, else the default."""

    def __init__(self, default_locale: str) -> None:
        self._default_locale = default_locale

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        uow: UnitOfWork = data["uow"]
        user: User | None = data.get("event_from_user")
        locale = self._default_locale
        if user is not None and not user.is_bot:
            locale = await contacts.record_contact(
                user.id, user.language_code, self._default_locale, uow
            )
        data["locale"] = locale
        data["responder"].locale = locale
        return await handler(event, data)


class ErrorMiddleware(BaseMiddleware):
    """Domain errors become a localized answer; anything else an apology with an incident id.

    Either way the handler's changes are rolled back and the update still counts as processed,
    so a redelivery does not repeat the answer. Tracebacks go to the log, never to the user.
    """

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except DomainError as error:
            note_update_outcome(UpdateOutcome.REJECTED)
            await self._answer(event, data, error.key, alert=True, **error.params)
            return None
        except Exception as error:
            if data.get(MAY_RETRY_KEY) and lost_to_a_concurrent_transaction(error):
                raise
            incident = uuid.uuid4().hex[:8]
            log.exception(
                "incident %s while handling update %s", incident, getattr(event, "update_id", "?")
            )
            note_update_outcome(UpdateOutcome.ERROR)
            await self._answer(event, data, "errors.unexpected", alert=False, incident_id=incident)
            return None

    @staticmethod
    async def _answer(
        event: TelegramObject, data: dict[str, Any], key: str, *, alert: bool, **params: Any
    ) -> None:
        uow: UnitOfWork = data["uow"]
        responder: Responder = data["responder"]
        await uow.rollback()
        discard_pending_writes()
        assert isinstance(event, Update)
        await uow.processed_updates.claim(event.update_id, uow.now())
        responder.discard()
        if event.callback_query is not None:
            # A short error fits the button's pop-up; the chat keeps the conversation clean.
            responder.answer_callback(event.callback_query.id, key, alert=alert, **params)
            if key in STALE_PROMPT_KEYS:
                responder.remove_pressed_buttons(event.callback_query)
        else:
            responder.reply(key, **params)
