"""The emulator without its HTTP server: the parts wired together, and the API tests use.

``EmulatorCore`` owns the state (``ChatStore``, ``FileStore``, ``EventHub``), the limits and
injected faults, the request log and the Bot API method families, and answers one Bot API call
(``answer``): token, spec check, injected failure, then the method. Around that it offers what
tests and the web chat do with Telegram: create users and groups, act as a user (send, edit,
press a button; ``EmulatedUser`` wraps these), inspect chats, inject faults, keep chats across
a restart. ``BotApiEmulator`` (``sandbox.emulator.server``) serves it over HTTP.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypedDict, TypeVar, cast, overload

from sandbox.emulator.chats import BotProfile, ChatStore
from sandbox.emulator.events import EventHub
from sandbox.emulator.files import FileStore
from sandbox.emulator.limits import FaultInjector, FloodLimits
from sandbox.emulator.methods import MethodHandler
from sandbox.emulator.methods.bot_info import BotInfoMethods
from sandbox.emulator.methods.callbacks import CallbackQueries
from sandbox.emulator.methods.chat import ChatMethods
from sandbox.emulator.methods.editing import EditingMethods
from sandbox.emulator.methods.files import FileMethods
from sandbox.emulator.methods.sending import SendingMethods
from sandbox.emulator.methods.updates import UpdateQueue
from sandbox.emulator.params import Params
from sandbox.emulator.records import (
    BotActivity,
    BotApiError,
    CallbackAnswer,
    ChatMessage,
    EmulatorStats,
    FileRecord,
    Listener,
    RequestRecord,
    SavedChats,
    Topic,
    Violation,
    WebhookAttempt,
)
from sandbox.emulator.request_log import RequestLog
from sandbox.emulator.user_actions import UserActions
from sandbox.emulator.webhook import DEFAULT_GIVE_UP_AFTER, DEFAULT_RETRY_DELAYS
from sandbox.spec import BotApiSpec, load_spec
from sandbox.users import EmulatedUser

__all__ = ["DEFAULT_TOKEN", "EmulatorCore", "EmulatorOptions"]

T = TypeVar("T")

DEFAULT_TOKEN = "123456:TEST-TOKEN"  # noqa: S105 - a fake token only this emulator accepts


class EmulatorOptions(TypedDict, total=False):
    """``EmulatorCore``'s options, for a subclass that passes them on."""

    tokens: str | Iterable[str]
    per_chat_interval: float
    group_chat_per_minute: int
    global_per_second: int
    topics_enabled: bool
    bot_first_name: str
    bot_username: str
    spec: BotApiSpec | None
    local_webhooks: bool
    webhook_retry_delays: Sequence[float]
    webhook_give_up_after: float
    webhook_timeout: float


class _PartSetting(Generic[T]):
    """An attribute of the emulator that is read and written on one of its parts (`part`,
    the name of the emulator's attribute holding it), under the same name."""

    def __init__(self, part: str) -> None:
        self._part = part
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, emulator: None, owner: type) -> _PartSetting[T]: ...

    @overload
    def __get__(self, emulator: object, owner: type | None = None) -> T: ...

    def __get__(self, emulator: object, owner: type | None = None) -> T | _PartSetting[T]:
        if emulator is None:  # looked up on the class
            return self
        return cast(T, getattr(getattr(emulator, self._part), self._name))

    def __set__(self, emulator: object, value: T) -> None:
        setattr(getattr(emulator, self._part), self._name, value)


class EmulatorCore:
    """Telegram as the bot and its users see it, in memory."""

    def __init__(
        self,
        *,
        tokens: str | Iterable[str] = DEFAULT_TOKEN,
        per_chat_interval: float = 1.0,
        group_chat_per_minute: int = 20,
        global_per_second: int = 30,
        topics_enabled: bool = True,
        bot_first_name: str = "Sellerbot Test",
        bot_username: str = "sellerbot_test_bot",
        spec: BotApiSpec | None = None,
        local_webhooks: bool = False,
        webhook_retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        webhook_give_up_after: float = DEFAULT_GIVE_UP_AFTER,
        webhook_timeout: float = 60.0,
    ) -> None:
        """``local_webhooks`` accepts http:// webhooks on any port, as a local Bot API server
        does (tests serve the bot's webhook on loopback without TLS); the ``webhook_*`` options
        set the retry schedule, when an undeliverable update is dropped, and how long one
        delivery may take (``sandbox.emulator.webhook``)."""
        self.tokens: set[str] = {tokens} if isinstance(tokens, str) else set(tokens)
        first_token = tokens if isinstance(tokens, str) else sorted(self.tokens)[0]
        self.spec = spec or load_spec()
        self._profile = BotProfile(
            int(first_token.split(":", 1)[0]), bot_first_name, bot_username, topics_enabled
        )
        self._events = EventHub()
        self._chats = ChatStore(self._profile, self._events)
        self._files = FileStore()
        self._log = RequestLog()
        # The log's own lists and counters (never replaced), read by tests.
        self.requests: list[RequestRecord] = self._log.requests
        self.violations: list[Violation] = self._log.violations
        self.warnings: list[str] = self._log.warnings
        self.stats: EmulatorStats = self._log.stats
        # A test may tighten or relax the limits mid-run (the properties below); 0 disables.
        self._limits = FloodLimits(
            per_chat_interval=per_chat_interval,
            group_chat_per_minute=group_chat_per_minute,
            global_per_second=global_per_second,
        )
        self._faults = FaultInjector()
        self._updates = UpdateQueue(
            self._events,
            local_webhooks=local_webhooks,
            webhook_retry_delays=webhook_retry_delays,
            webhook_give_up_after=webhook_give_up_after,
            webhook_timeout=webhook_timeout,
        )
        self._callbacks = CallbackQueries(self._events)
        self.callback_answers: list[CallbackAnswer] = self._callbacks.answers
        # Every update users produced, in order (delivered or not), for tests to refer to.
        self.update_log: list[dict[str, Any]] = self._updates.log
        self._user_actions = UserActions(self._chats, self._updates, self._callbacks)
        # Acting as users (EmulatedUser and the side API call these): register an upload, and
        # a user writing into a chat (history + update).
        self.store_file = self._files.store
        self.post_message = self._user_actions.post_message
        self._bot_info = BotInfoMethods(self._chats)
        self._file_methods = FileMethods(self._files)
        self._sending = SendingMethods(
            self._chats, self._files, self._limits, self._faults, self._log.stats, self.spec
        )
        self._methods: dict[str, MethodHandler] = {
            **self._updates.methods(),
            **self._sending.methods(),
            **EditingMethods(self._chats).methods(),
            **self._callbacks.methods(),
            **ChatMethods(self._chats).methods(),
            **self._file_methods.methods(),
            **self._bot_info.methods(),
        }

    # -- answering the bot --------------------------------------------------------------------

    async def answer(self, token: str, method: str, params: Params) -> Any:
        """The result of one Bot API call, or BotApiError as Telegram would refuse it (logged).

        ``method`` is the name as the bot spelt it; the log uses the spec's spelling.
        """
        name = self.spec.canonical_name(method) or method
        unimplemented = False
        try:
            if token not in self.tokens:
                raise BotApiError(401, "Unauthorized")
            self._check_against_spec(method, name, params)
            self._faults.raise_server_error(name)
            handler = self._methods.get(name) or self._sending.generic(name)
            if handler is None:
                unimplemented = True
                self._log.stats.unimplemented += 1
                result: Any = True
            else:
                result = await handler(params)
        except BotApiError as error:
            self._log.record(name, params, error.status, error.description, False)
            raise
        self._log.record(name, params, 200, None, unimplemented)
        return result

    def _check_against_spec(self, method: str, name: str, params: Params) -> None:
        result = self.spec.check(method, params)
        self._log.warnings.extend(f"{name}: {w}" for w in result.warnings)
        if result.problems:
            self._log.add_violation(name, params, result.problems)
            if result.method is None:
                # Telegram answers unknown methods with 404, not 400.
                raise BotApiError(404, "Not Found")
            raise BotApiError(400, "Bad Request: " + "; ".join(result.problems))

    # -- configuration ------------------------------------------------------------------------

    @property
    def bot_id(self) -> int:
        return self._profile.id

    @property
    def bot_first_name(self) -> str:
        return self._profile.first_name

    @property
    def bot_username(self) -> str:
        return self._profile.username

    # Settings a test may change while the emulator runs; each lives on the part that uses it.
    topics_enabled = _PartSetting[bool]("_profile")
    per_chat_interval = _PartSetting[float]("_limits")
    group_chat_per_minute = _PartSetting[int]("_limits")
    global_per_second = _PartSetting[int]("_limits")

    def user(
        self,
        user_id: int,
        first_name: str = "Test User",
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> EmulatedUser:
        """Create (or return) a Telegram user who has a private chat with the bot."""
        existing = self._chats.users.get(user_id)
        if existing is not None:
            return existing
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = EmulatedUser(
            self,
            user_id,
            first_name=first_name,
            language_code=language_code,
            username=username,
            last_name=last_name,
        )
        self._chats.users[user_id] = user
        self._chats.open_private(user)
        return user

    def group(self, chat_id: int, title: str = "Group", *, is_forum: bool = False) -> None:
        """Create a supergroup the bot is a member of (negative id, e.g. -1001234567890)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self._chats.open_group(chat_id, title, is_forum=is_forum)

    def block_chat(self, chat_id: int) -> None:
        """The user blocks the bot: sends to the chat get 403."""
        self._chats.get(chat_id).blocked = True

    def unblock_chat(self, chat_id: int) -> None:
        self._chats.get(chat_id).blocked = False

    def fail_next(self, method: str, status: int = 500, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` fail with ``status`` (500 or 502)."""
        self._faults.fail_next(method, status, count)

    def refuse_next(self, method: str, description: str, status: int = 400, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` are refused with ``status`` and
        ``description``, e.g. createForumTopic with "Bad Request: not enough rights to create
        a topic" (topic creation forbidden after a Bot API rollout)."""
        self._faults.refuse_next(method, description, status, count)

    def inject_429(self, chat_id: int | None = None, count: int = 1, retry_after: int = 1) -> None:
        """The next ``count`` sends (to ``chat_id``, or to any chat) get 429."""
        self._faults.inject_429(chat_id, count, retry_after)

    def add_listener(self, callback: Listener) -> None:
        """Call ``callback`` synchronously for every state change (messages, edits, ...)."""
        self._events.add_listener(callback)

    def remove_listener(self, callback: Listener) -> None:
        self._events.remove_listener(callback)

    # -- the request log ----------------------------------------------------------------------

    def calls(self, method: str) -> list[RequestRecord]:
        """Logged requests of one method (any letter case)."""
        return self._log.calls(method)

    @property
    def unimplemented_calls(self) -> list[RequestRecord]:
        return self._log.unimplemented_calls

    def expect_violations(self) -> contextlib.AbstractContextManager[list[Violation]]:
        """Mark violations recorded inside the block as intended (the fixture ignores them)."""
        return self._log.expect_violations()

    @property
    def unexpected_violations(self) -> list[Violation]:
        """Violations not recorded inside an ``expect_violations()`` block."""
        return self._log.unexpected_violations

    # -- inspection ---------------------------------------------------------------------------

    def history(self, chat_id: int) -> list[ChatMessage]:
        """Every message of a chat in order, including deleted and service messages."""
        return list(self._chats.get(chat_id).messages.values())

    def message(self, chat_id: int, message_id: int) -> ChatMessage:
        return self._chats.message(chat_id, message_id)

    def chat_ids(self) -> list[int]:
        return list(self._chats.chats)

    def topics(self, chat_id: int) -> list[Topic]:
        return list(self._chats.get(chat_id).topics.values())

    def chat_actions(self, chat_id: int) -> list[str]:
        """Chat actions (``typing``, ...) the bot sent to the chat, in order."""
        return list(self._chats.get(chat_id).actions)

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Commands set with setMyCommands for exactly this scope and language."""
        return self._bot_info.commands(scope, language_code)

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any] | None:
        return self._bot_info.menu_button(chat_id)

    def file(self, file_id: str) -> FileRecord:
        return self._files.get(file_id)

    @property
    def activity(self) -> list[BotActivity]:
        """Every message the bot sent or edited, in order."""
        return list(self._events.activity)

    @property
    def webhook_url(self) -> str | None:
        return self._updates.webhook_url

    @property
    def webhook_attempts(self) -> list[WebhookAttempt]:
        """Every POST of an update to the webhook, in the order they finished."""
        return list(self._updates.webhook.attempts)

    @property
    def webhook_peak_connections(self) -> int:
        """The most webhook requests that were in flight at once."""
        return self._updates.webhook.peak_connections

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return self._updates.pending

    @property
    def waiting_polls(self) -> int:
        """getUpdates calls currently blocked in a long poll."""
        return self._updates.waiting_polls

    # A timeout argument (not asyncio.timeout) keeps test code short: `await user.wait_for_bot()`.
    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        """Wait (event-driven, no polling) until ``predicate()`` holds; False on timeout."""
        return await self._events.wait_until(predicate, timeout)

    # -- acting as users (EmulatedUser and the side API call these) ---------------------------

    def edit_user_message(self, user_id: int, chat_id: int, message_id: int, text: str) -> None:
        """A user edits their text message: history revision + ``edited_message`` update."""
        self._user_actions.edit_message(user_id, chat_id, message_id, text)

    def delete_topic(self, user_id: int, thread_id: int, *, chat_id: int | None = None) -> None:
        """A user deletes a topic of their private chat with the bot (Telegram tells the bot
        nothing; its next send there gets "message thread not found")."""
        self._user_actions.delete_topic(user_id, thread_id, chat_id=chat_id)

    def post_callback(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A user presses an inline button: ``callback_query`` update; returns the query id."""
        return self._user_actions.press(user_id, chat_id, message_id, data)

    def redeliver(self, update: Mapping[str, Any]) -> None:
        """Queue an already delivered update again, as Telegram does when the bot never
        confirmed it (for example it crashed after processing). Only a getUpdates call with no
        offset, or an offset at or below its id, receives it, just as with Telegram."""
        self._updates.redeliver(update)

    # -- update ids and persistence -----------------------------------------------------------

    @property
    def next_update_id(self) -> int:
        return self._updates.next_update_id

    def continue_update_ids_after(self, update_id: int) -> None:
        """Number the next updates above ``update_id``, as Telegram never reuses an id.

        A bot remembers the update ids it processed (to skip redeliveries), so a fresh emulator
        in front of an old database must not start again at 1.
        """
        self._updates.continue_after(update_id)

    def export_chats(self) -> SavedChats:
        """Chats, files and counters, for keeping across a restart (the records are shared)."""
        return SavedChats(
            self._chats.export(),
            self._files.export(),
            self._updates.next_update_id,
            self._files.next_number,
        )

    def restore_chats(self, saved: SavedChats) -> None:
        """Bring back what ``export_chats`` returned, before any user acts.

        Private chats get their user back; messages keep their ids, and new ones follow them.
        """
        self._files.restore(saved.files, saved.next_file_number)
        self.continue_update_ids_after(saved.next_update_id - 1)
        self._chats.restore(saved.chats)
        for chat in saved.chats:
            if chat.type == "private" and chat.user is not None:
                self.user(
                    chat.id,
                    first_name=str(chat.user.get("first_name") or "User"),
                    language_code=chat.user.get("language_code"),
                    username=chat.user.get("username"),
                    last_name=chat.user.get("last_name"),
                )
