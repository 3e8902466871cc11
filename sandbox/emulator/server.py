"""The emulator's HTTP server and the API tests and the web chat drive it through."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import re
import secrets
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from sandbox.emulator.records import (
    BotActivity,
    BotApiError,
    CallbackAnswer,
    ChatMessage,
    EmulatorEvent,
    EmulatorStats,
    FileRecord,
    InlineButton,
    Listener,
    RequestRecord,
    Revision,
    SavedChat,
    SavedChats,
    Topic,
    Violation,
)
from sandbox.emulator.telegram_html import HtmlParseError, parse_telegram_html, utf16_len
from sandbox.http_safety import (
    SIDE_API_SECRET_HEADER,
    BadBody,
    EmulatorGuard,
    allowed_hosts,
    file_response,
    new_secret,
    read_form,
    read_json,
)
from sandbox.spec import BotApiSpec, UploadedFile, load_spec
from sandbox.users import EmulatedUser

__all__ = ["DEFAULT_TOKEN", "BotApiEmulator"]

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:TEST-TOKEN"  # noqa: S105 - a fake token only this emulator accepts

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# Telegram refuses getFile for files above 20 MB; the emulator mirrors it so the bot's handling
# of huge user uploads can be tested.
DOWNLOAD_LIMIT = 20 * 1024 * 1024
# The default allowed_updates excludes these (Bot API, getUpdates.allowed_updates).
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_TOPIC_COLORS = frozenset({7322096, 16766590, 13338331, 9367192, 16749490, 16478047})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


@dataclass(slots=True)
class _Chat:
    id: int
    type: str  # "private" or "supergroup"
    title: str | None = None
    user: dict[str, Any] | None = None
    is_forum: bool = False
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    next_message_id: int = 1
    topics: dict[int, Topic] = field(default_factory=dict)
    blocked: bool = False
    last_send: float | None = None
    recent_sends: deque[float] = field(default_factory=deque)
    actions: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The Chat object Telegram puts into messages."""
        if self.type == "private":
            assert self.user is not None
            data = {"id": self.id, "type": "private", "first_name": self.user["first_name"]}
            if "username" in self.user:
                data["username"] = self.user["username"]
            return data
        data = {"id": self.id, "type": self.type, "title": self.title or ""}
        if self.is_forum:
            data["is_forum"] = True
        return data


@dataclass(slots=True)
class _PendingCallback:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    answered: bool = False


@dataclass(slots=True)
class _Injected429:
    chat_id: int | None
    remaining: int
    retry_after: int


# --------------------------------------------------------------------------------------------
# Helpers for request parameters
# --------------------------------------------------------------------------------------------


def _int(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    # Validated against the spec already, so this is an int or a decimal string.
    return int(value)


def _bool(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    return value is True or value == "true"


def _json(params: Mapping[str, Any], name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG/GIF/JPEG, or a plausible default for anything else."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        w, h = struct.unpack(">II", content[16:24])
        return int(w), int(h)
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        w, h = struct.unpack("<HH", content[6:10])
        return int(w), int(h)
    if content[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                break
            marker = content[i + 1]
            size = struct.unpack(">H", content[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", content[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + size
    return 320, 320


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------


class BotApiEmulator:
    """Fake Telegram Bot API server with chat state, limits and fault injection."""

    def __init__(
        self,
        *,
        tokens: str | Iterable[str] = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        per_chat_interval: float = 1.0,
        group_chat_per_minute: int = 20,
        global_per_second: int = 30,
        topics_enabled: bool = True,
        latency: float = 0.0,
        bot_first_name: str = "Sellerbot Test",
        bot_username: str = "sellerbot_test_bot",
        spec: BotApiSpec | None = None,
    ) -> None:
        self.tokens: set[str] = {tokens} if isinstance(tokens, str) else set(tokens)
        first_token = tokens if isinstance(tokens, str) else sorted(self.tokens)[0]
        self.bot_id = int(first_token.split(":", 1)[0])
        self.bot_first_name = bot_first_name
        self.bot_username = bot_username
        self.host = host
        self.port = port
        # Limits are plain attributes so a test can tighten or relax them mid-run; 0 disables.
        self.per_chat_interval = per_chat_interval
        self.group_chat_per_minute = group_chat_per_minute
        self.global_per_second = global_per_second
        self.topics_enabled = topics_enabled
        self.latency = latency
        self.spec = spec or load_spec()

        self.violations: list[Violation] = []
        self.warnings: list[str] = []
        self.requests: list[RequestRecord] = []
        self.stats = EmulatorStats()
        self.callback_answers: list[CallbackAnswer] = []
        self.webhook_url: str | None = None
        # Every update users produced, in order (delivered or not), for tests to refer to.
        self.update_log: list[dict[str, Any]] = []

        self._expected_violations: set[int] = set()
        self._chats: dict[int, _Chat] = {}
        self._users: dict[int, EmulatedUser] = {}
        self._files: dict[str, FileRecord] = {}
        self._files_by_path: dict[str, FileRecord] = {}
        self._next_file_number = 1
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._waiting_polls = 0
        self._callbacks: dict[str, _PendingCallback] = {}
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._failures: dict[str, deque[int]] = {}
        self._injected_429: list[_Injected429] = []
        self._global_sends: deque[float] = deque()
        self._listeners: list[Listener] = []
        self._activity: list[BotActivity] = []
        self._seq = itertools.count(1)
        self._updates_event = asyncio.Event()
        self._change_event = asyncio.Event()
        self._sse_queues: set[asyncio.Queue[EmulatorEvent | None]] = set()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._socket: socket.socket | None = None
        # Known only to whoever holds this object: the web chat and the tests.
        self.side_api_secret = new_secret()
        self._guard = EmulatorGuard(self.side_api_secret)

        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "copyMessage": self._copy_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "createForumTopic": self._create_forum_topic,
            "editForumTopic": self._edit_forum_topic,
            "closeForumTopic": self._close_forum_topic,
            "reopenForumTopic": self._reopen_forum_topic,
            "deleteForumTopic": self._delete_forum_topic,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "sendChatAction": self._send_chat_action,
            "pinChatMessage": self._pin_chat_message,
            "unpinChatMessage": self._unpin_chat_message,
            "unpinAllChatMessages": self._unpin_all_chat_messages,
        }

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the loopback socket and start serving."""
        app = web.Application(
            client_max_size=60 * 1024 * 1024, middlewares=[self._guard.middleware]
        )
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_get("/_emulator/chats", self._http_chats)
        app.router.add_get("/_emulator/chats/{chat_id}/messages", self._http_history)
        app.router.add_post("/_emulator/users", self._http_create_user)
        app.router.add_post("/_emulator/chats/{chat_id}/messages", self._http_post_message)
        app.router.add_post("/_emulator/chats/{chat_id}/callbacks", self._http_press)
        app.router.add_post("/_emulator/chats/{chat_id}/files", self._http_upload)
        app.router.add_get("/_emulator/events", self._http_events)
        self._closing = False
        # Long polls and SSE streams are woken on stop, so a short shutdown timeout suffices.
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            self._socket = sock
            self._guard.hosts = allowed_hosts(self.host, sock.getsockname()[1])
            await web.SockSite(self._runner, sock).start()
        except BaseException:
            sock.close()
            self._socket = None
            await self._runner.cleanup()
            self._runner = None
            raise

    async def stop(self) -> None:
        """Wake pending long polls and event streams, then shut the server down."""
        self._closing = True
        self._wake_updates()
        self._notify()
        for queue in list(self._sse_queues):
            queue.put_nowait(None)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — pass to ``TelegramAPIServer.from_base``."""
        if self._socket is None:
            raise RuntimeError("emulator is not running; call start() first")
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def side_api_headers(self) -> dict[str, str]:
        """The header every ``/_emulator/`` request must carry."""
        return {SIDE_API_SECRET_HEADER: self.side_api_secret}

    # -- test-facing configuration ------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Test User",
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
    ) -> EmulatedUser:
        """Create (or return) a Telegram user who has a private chat with the bot."""
        existing = self._users.get(user_id)
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
        self._users[user_id] = user
        chat = self._chats.setdefault(user_id, _Chat(id=user_id, type="private"))
        chat.user = user.to_json()  # a restored chat keeps its messages, with today's profile
        self._emit("chat", user_id, None, {"type": "private", "user": user.to_json()})
        return user

    def group(self, chat_id: int, title: str = "Group", *, is_forum: bool = False) -> None:
        """Create a supergroup the bot is a member of (negative id, e.g. -1001234567890)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self._chats.setdefault(
            chat_id, _Chat(id=chat_id, type="supergroup", title=title, is_forum=is_forum)
        )
        self._emit("chat", chat_id, None, {"type": "supergroup", "title": title})

    def block_chat(self, chat_id: int) -> None:
        """The user blocks the bot: sends to the chat get 403."""
        self._chat(chat_id).blocked = True

    def unblock_chat(self, chat_id: int) -> None:
        self._chat(chat_id).blocked = False

    def fail_next(self, method: str, status: int = 500, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` fail with ``status`` (500 or 502)."""
        if status not in (500, 502):
            raise ValueError("status must be 500 or 502")
        self._failures.setdefault(method.lower(), deque()).extend([status] * count)

    def inject_429(self, chat_id: int | None = None, count: int = 1, retry_after: int = 1) -> None:
        """The next ``count`` sends (to ``chat_id``, or to any chat) get 429."""
        self._injected_429.append(_Injected429(chat_id, count, max(1, retry_after)))

    def add_listener(self, callback: Listener) -> None:
        """Call ``callback`` synchronously for every state change (messages, edits, ...)."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        self._listeners.remove(callback)

    @contextlib.contextmanager
    def expect_violations(self) -> Iterator[list[Violation]]:
        """Mark violations recorded inside the block as intended (the fixture ignores them)."""
        start = len(self.violations)
        captured: list[Violation] = []
        try:
            yield captured
        finally:
            new = self.violations[start:]
            captured.extend(new)
            self._expected_violations.update(id(v) for v in new)

    @property
    def unexpected_violations(self) -> list[Violation]:
        """Violations not recorded inside an ``expect_violations()`` block."""
        return [v for v in self.violations if id(v) not in self._expected_violations]

    # -- update ids and persistence -----------------------------------------------------------

    @property
    def next_update_id(self) -> int:
        return self._next_update_id

    def continue_update_ids_after(self, update_id: int) -> None:
        """Number the next updates above ``update_id``, as Telegram never reuses an id.

        A bot remembers the update ids it processed (to skip redeliveries), so a fresh emulator
        in front of an old database must not start again at 1.
        """
        self._next_update_id = max(self._next_update_id, update_id + 1)

    def export_chats(self) -> SavedChats:
        """Chats, files and counters, for keeping across a restart (the records are shared)."""
        chats = [
            SavedChat(
                id=c.id,
                type=c.type,
                title=c.title,
                user=c.user,
                is_forum=c.is_forum,
                blocked=c.blocked,
                next_message_id=c.next_message_id,
                messages=list(c.messages.values()),
                topics=list(c.topics.values()),
            )
            for c in self._chats.values()
        ]
        return SavedChats(
            chats, list(self._files.values()), self._next_update_id, self._next_file_number
        )

    def restore_chats(self, saved: SavedChats) -> None:
        """Bring back what ``export_chats`` returned, before any user acts.

        Private chats get their user back; messages keep their ids, and new ones follow them.
        """
        for record in saved.files:
            self._files[record.file_id] = record
            self._files_by_path[record.file_path] = record
        self._next_file_number = max(self._next_file_number, saved.next_file_number)
        self.continue_update_ids_after(saved.next_update_id - 1)
        for chat in saved.chats:
            self._chats[chat.id] = _Chat(
                id=chat.id,
                type=chat.type,
                title=chat.title,
                user=chat.user,
                is_forum=chat.is_forum,
                blocked=chat.blocked,
                messages={m.message_id: m for m in chat.messages},
                next_message_id=chat.next_message_id,
                topics={t.message_thread_id: t for t in chat.topics},
            )
            if chat.type == "private" and chat.user is not None and chat.id not in self._users:
                self.user(
                    chat.id,
                    first_name=str(chat.user.get("first_name") or "User"),
                    language_code=chat.user.get("language_code"),
                    username=chat.user.get("username"),
                    last_name=chat.user.get("last_name"),
                )

    # -- test-facing inspection ---------------------------------------------------------------

    def history(self, chat_id: int) -> list[ChatMessage]:
        """Every message of a chat in order, including deleted and service messages."""
        return list(self._chat(chat_id).messages.values())

    def message(self, chat_id: int, message_id: int) -> ChatMessage:
        msg = self._chat(chat_id).messages.get(message_id)
        if msg is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        return msg

    def chat_ids(self) -> list[int]:
        return list(self._chats)

    def topics(self, chat_id: int) -> list[Topic]:
        return list(self._chat(chat_id).topics.values())

    def chat_actions(self, chat_id: int) -> list[str]:
        """Chat actions (``typing``, ...) the bot sent to the chat, in order."""
        return list(self._chat(chat_id).actions)

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Commands set with setMyCommands for exactly this scope and language."""
        return list(self._commands.get((self._scope_key(scope), language_code), []))

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any] | None:
        return self._menu_buttons.get(chat_id)

    def file(self, file_id: str) -> FileRecord:
        return self._files[file_id]

    def calls(self, method: str) -> list[RequestRecord]:
        """Logged requests of one method (any letter case)."""
        return [r for r in self.requests if r.method.lower() == method.lower()]

    @property
    def unimplemented_calls(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.unimplemented]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    @property
    def waiting_polls(self) -> int:
        """getUpdates calls currently blocked in a long poll."""
        return self._waiting_polls

    @property
    def activity(self) -> list[BotActivity]:
        """Every message the bot sent or edited, in order."""
        return list(self._activity)

    # -- user side (used by EmulatedUser and the HTTP side API) -------------------------------

    def store_file(
        self,
        content: bytes,
        *,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        source_url: str | None = None,
    ) -> FileRecord:
        """Register file bytes and give them a file_id, as Telegram does for every upload."""
        n = self._next_file_number
        self._next_file_number += 1
        folder = {"photo": "photos", "document": "documents"}.get(kind, kind + "s")
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            suffix = ".jpg"
        width, height = _image_size(content) if kind == "photo" else (0, 0)
        record = FileRecord(
            file_id=f"{'AgAC' if kind == 'photo' else 'BQAC'}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{secrets.token_urlsafe(8)}",
            file_path=f"{folder}/file_{n}{suffix}",
            content=content,
            kind=kind,
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            source_url=source_url,
        )
        self._files[record.file_id] = record
        self._files_by_path[record.file_path] = record
        return record

    def post_message(
        self,
        user_id: int,
        *,
        chat_id: int | None = None,
        text: str | None = None,
        thread_id: int | None = None,
        document: FileRecord | None = None,
        photo: FileRecord | None = None,
        caption: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> ChatMessage:
        """A user writes into a chat (their private chat by default): history + update."""
        user = self._users[user_id]
        chat = self._chat(user_id if chat_id is None else chat_id)
        if thread_id is not None:
            self._check_thread(chat, thread_id)
        body = text if text is not None else caption
        entities: list[dict[str, Any]] = []
        if body is not None and body.startswith("/"):
            # Telegram marks a leading command (including an @botname suffix) as bot_command.
            command = body.split(maxsplit=1)[0] if body.strip() else body
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        kind = "photo" if photo else "document" if document else "text"
        msg = self._new_message(
            chat,
            from_bot=False,
            from_user_id=user.user_id,
            text=text,
            caption=caption,
            plain=body,
            entities=entities,
            message_thread_id=thread_id,
            document=document,
            photo=photo,
            kind=kind,
            reply_to_message_id=reply_to_message_id,
        )
        self._push_update("message", self._message_json(msg))
        return msg

    def edit_user_message(self, user_id: int, chat_id: int, message_id: int, text: str) -> None:
        """A user edits their text message: history revision + ``edited_message`` update."""
        msg = self.message(chat_id, message_id)
        if msg.from_bot or msg.from_user_id != user_id:
            raise ValueError("users can only edit their own messages")
        if msg.original is None:
            msg.original = Revision(msg.date, msg.text, msg.caption, msg.reply_markup)
        msg.text = text
        msg.plain = text
        msg.edits.append(Revision(int(time.time()), text, None, msg.reply_markup))
        self._emit("edit", chat_id, message_id, msg.to_dict())
        self._push_update("edited_message", self._message_json(msg))

    def post_callback(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A user presses an inline button: ``callback_query`` update; returns the query id."""
        user = self._users[user_id]
        msg = self.message(chat_id, message_id)
        query_id = str(secrets.randbits(63))
        self._callbacks[query_id] = _PendingCallback(query_id, user_id, chat_id, message_id)
        query = {
            "id": query_id,
            "from": user.to_json(),
            "message": self._message_json(msg),
            # Stable per chat like Telegram's, but opaque.
            "chat_instance": str(abs(hash((self.bot_id, chat_id))) % 10**18),
            "data": data,
        }
        self._push_update("callback_query", query)
        return query_id

    # A timeout argument (not asyncio.timeout) keeps test code short: `await user.wait_for_bot()`.
    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:  # noqa: ASYNC109
        """Wait (event-driven, no polling) until ``predicate()`` holds; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    if self._closing:
                        return predicate()
                    await self._change_event.wait()
        except TimeoutError:
            return predicate()
        return True

    # -- events -------------------------------------------------------------------------------

    def _notify(self) -> None:
        # Replace the event so each waiter re-checks its predicate exactly once per change.
        event, self._change_event = self._change_event, asyncio.Event()
        event.set()

    def _wake_updates(self) -> None:
        event, self._updates_event = self._updates_event, asyncio.Event()
        event.set()

    def _emit(
        self, kind: str, chat_id: int | None, message_id: int | None, data: dict[str, Any]
    ) -> None:
        event = EmulatorEvent(next(self._seq), kind, chat_id, message_id, data)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # A broken UI listener must not break the Bot API the bot depends on.
                log.exception("emulator listener failed")
        for queue in self._sse_queues:
            queue.put_nowait(event)
        self._notify()

    def _bot_activity(self, kind: str, msg: ChatMessage) -> None:
        self._activity.append(BotActivity(next(self._seq), msg.chat_id, kind, msg))

    def _push_update(self, kind: str, payload: dict[str, Any]) -> None:
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self.update_log.append(update)
        self._emit("update", None, None, update)
        self._wake_updates()

    def redeliver(self, update: Mapping[str, Any]) -> None:
        """Queue an already delivered update again, as Telegram does when the bot never
        confirmed it (for example it crashed after processing). Only a getUpdates call with no
        offset, or an offset at or below its id, receives it, just as with Telegram."""
        self._updates.append(dict(update))
        self._updates.sort(key=lambda queued: int(queued["update_id"]))
        self._wake_updates()
        self._notify()

    # -- chats and messages -------------------------------------------------------------------

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"unknown chat {chat_id}; create it with user() or group()")
        return chat

    def _resolve_chat(self, value: Any) -> _Chat:
        if isinstance(value, str) and value.startswith("@"):
            name = value[1:].lower()
            for candidate in self._chats.values():
                if candidate.user and candidate.user.get("username", "").lower() == name:
                    return candidate
            raise BotApiError(400, "Bad Request: chat not found")
        try:
            chat_id = int(value)
        except (TypeError, ValueError):
            raise BotApiError(400, "Bad Request: chat not found") from None
        chat = self._chats.get(chat_id)
        if chat is None:
            raise BotApiError(400, "Bad Request: chat not found")
        return chat

    def _check_thread(self, chat: _Chat, thread_id: int) -> Topic:
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise BotApiError(400, "Bad Request: message thread not found")
        return topic

    def _target(self, params: Mapping[str, Any]) -> tuple[_Chat, int | None]:
        chat = self._resolve_chat(params["chat_id"])
        if chat.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        thread_id = _int(params, "message_thread_id")
        if thread_id is not None:
            topic = self._check_thread(chat, thread_id)
            if topic.closed:
                raise BotApiError(400, "Bad Request: TOPIC_CLOSED")
        return chat, thread_id

    def _new_message(self, chat: _Chat, **fields: Any) -> ChatMessage:
        msg = ChatMessage(
            chat_id=chat.id, message_id=chat.next_message_id, date=int(time.time()), **fields
        )
        chat.next_message_id += 1
        chat.messages[msg.message_id] = msg
        if msg.from_bot and msg.service is None:
            self._bot_activity("sent", msg)
        self._emit("message", chat.id, msg.message_id, msg.to_dict())
        return msg

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _message_json(self, msg: ChatMessage, *, nested: bool = False) -> dict[str, Any]:
        """The Message object Telegram would return/deliver for a history record."""
        chat = self._chats[msg.chat_id]
        sender = self._bot_user() if msg.from_bot else self._users[msg.from_user_id].to_json()
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": sender,
            "chat": chat.to_json(),
            "date": msg.date,
        }
        if msg.message_thread_id is not None:
            data["message_thread_id"] = msg.message_thread_id
            data["is_topic_message"] = True
        if msg.text is not None:
            data["text"] = msg.plain if msg.plain is not None else msg.text
            if msg.entities:
                data["entities"] = msg.entities
        elif msg.caption is not None:
            data["caption"] = msg.plain if msg.plain is not None else msg.caption
            if msg.entities:
                data["caption_entities"] = msg.entities
        if msg.document is not None:
            doc = msg.document
            data["document"] = {
                "file_id": doc.file_id,
                "file_unique_id": doc.file_unique_id,
                "file_size": doc.file_size,
                **({"file_name": doc.file_name} if doc.file_name else {}),
                **({"mime_type": doc.mime_type} if doc.mime_type else {}),
            }
        if msg.photo is not None:
            data["photo"] = [
                {
                    "file_id": msg.photo.file_id,
                    "file_unique_id": msg.photo.file_unique_id,
                    "width": msg.photo.width,
                    "height": msg.photo.height,
                    "file_size": msg.photo.file_size,
                }
            ]
        if msg.raw_reply_markup is not None and "inline_keyboard" in msg.raw_reply_markup:
            data["reply_markup"] = msg.raw_reply_markup
        if msg.edits:
            data["edit_date"] = msg.edits[-1].date
        if msg.service == "forum_topic_created":
            topic = chat.topics[msg.message_id]
            data["forum_topic_created"] = {"name": topic.name, "icon_color": topic.icon_color}
        if msg.reply_to_message_id is not None and not nested:
            target = chat.messages.get(msg.reply_to_message_id)
            if target is not None and not target.deleted:
                data["reply_to_message"] = self._message_json(target, nested=True)
        return data

    # -- HTTP: Bot API ------------------------------------------------------------------------

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Decode query, JSON, url-encoded or multipart parameters (files as UploadedFile)."""
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            try:
                body = await read_json(request)
            except BadBody as error:
                raise BotApiError(error.status, f"Bad Request: {error.message}") from None
            if not isinstance(body, dict):
                raise BotApiError(400, "Bad Request: request body must be a JSON object")
            # Telegram treats a JSON null like an absent parameter.
            params.update({k: v for k, v in body.items() if v is not None})
            return params
        try:
            form = await read_form(request)
        except BadBody as error:
            raise BotApiError(error.status, f"Bad Request: {error.message}") from None
        params.update(form.fields)
        files = {
            name: UploadedFile(part.filename, part.content, part.content_type)
            for name, part in form.files.items()
        }
        # aiogram uploads InputFiles as parts with random names referenced by "attach://name";
        # a part nobody references is an ordinary (possibly unknown) parameter.
        texts = [v for v in params.values() if isinstance(v, str)]
        attachments = {
            name: f for name, f in files.items() if any(f"attach://{name}" in t for t in texts)
        }
        for name, uploaded in files.items():
            if name not in attachments:
                params[name] = uploaded
        for key, value in params.items():
            if isinstance(value, str) and value.removeprefix("attach://") in attachments:
                params[key] = attachments[value.removeprefix("attach://")]
        if attachments:
            # Nested references (InputMedia.media) are resolved by the handlers that need them.
            params["__attachments__"] = attachments
        return params

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        raw_method = request.match_info["method"]
        method = self.spec.canonical_name(raw_method) or raw_method
        params: dict[str, Any] = {}
        unimplemented = False
        try:
            params = await self._read_params(request)
            attachments = params.pop("__attachments__", {})
            if self.latency:
                await asyncio.sleep(self.latency)
            if token not in self.tokens:
                raise BotApiError(401, "Unauthorized")
            result = self.spec.check(raw_method, params)
            self.warnings.extend(f"{method}: {w}" for w in result.warnings)
            if result.problems:
                self.violations.append(
                    Violation(method, dict(params), result.problems, time.monotonic())
                )
                if result.method is None:
                    # Telegram answers unknown methods with 404, not 400.
                    raise BotApiError(404, "Not Found")
                raise BotApiError(400, "Bad Request: " + "; ".join(result.problems))
            failures = self._failures.get(method.lower())
            if failures:
                status = failures.popleft()
                raise BotApiError(
                    status, "Internal Server Error" if status == 500 else "Bad Gateway"
                )
            params["__attachments__"] = attachments
            handler = self._handlers.get(method)
            if handler is None:
                handler = self._generic_handler(method)
            if handler is None:
                unimplemented = True
                self.stats.unimplemented += 1
                outcome: Any = True
            else:
                outcome = await handler(params)
            params.pop("__attachments__", None)
            self._log(method, params, 200, None, unimplemented)
            return web.json_response({"ok": True, "result": outcome})
        except BotApiError as error:
            params.pop("__attachments__", None)
            self._log(method, params, error.status, error.description, False)
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.retry_after is not None:
                payload["parameters"] = {"retry_after": error.retry_after}
            return web.json_response(payload, status=error.status)

    def _log(
        self,
        method: str,
        params: Mapping[str, Any],
        status: int,
        description: str | None,
        unimplemented: bool,
    ) -> None:
        chat_id: int | str | None = None
        raw_chat = params.get("chat_id")
        if isinstance(raw_chat, int) or (isinstance(raw_chat, str) and raw_chat.startswith("@")):
            chat_id = raw_chat
        elif isinstance(raw_chat, str) and re.fullmatch(r"-?\d+", raw_chat):
            chat_id = int(raw_chat)
        self.stats.requests += 1
        if status == 429:
            self.stats.too_many_requests += 1
        elif status == 403:
            self.stats.forbidden += 1
        elif status == 400:
            self.stats.bad_requests += 1
        elif status >= 500:
            self.stats.server_errors += 1
        record = RequestRecord(
            time.monotonic(), method, chat_id, status, description, unimplemented, dict(params)
        )
        self.requests.append(record)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] not in self.tokens:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        record = self._files_by_path.get(request.match_info["path"])
        if record is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return file_response(record.content, record.file_name or record.file_path.rsplit("/")[-1])

    # -- Bot API: updates and webhook ---------------------------------------------------------

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
            "has_topics_enabled": self.topics_enabled,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int(params, "offset")
        limit = min(max(_int(params, "limit") or 100, 1), 100)
        timeout = max(_int(params, "timeout") or 0, 0)
        allowed = _json(params, "allowed_updates")
        if isinstance(allowed, list):
            # Like Telegram, the setting persists until a later call changes it.
            self._allowed_updates = frozenset(allowed) if allowed else None
        # A newer getUpdates terminates an older one still waiting (two bot instances).
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_updates()
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ready = self._ready_updates(limit)
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._closing:
                return ready
            event = self._updates_event
            self._waiting_polls += 1
            self._notify()
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                pass
            finally:
                self._waiting_polls -= 1
            if generation != self._poll_generation:
                raise BotApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _ready_updates(self, limit: int) -> list[dict[str, Any]]:
        def allowed(update: Mapping[str, Any]) -> bool:
            kind = next(k for k in update if k != "update_id")
            if self._allowed_updates is None:
                return kind not in _OPT_IN_UPDATES
            return kind in self._allowed_updates

        # Updates of types the bot did not ask for are dropped, as Telegram never delivers them.
        self._updates = [u for u in self._updates if allowed(u)]
        return self._updates[:limit]

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params["url"])
        if url and not url.startswith("https://"):
            raise BotApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        self.webhook_url = url or None
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        self._wake_updates()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = None
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._allowed_updates is not None:
            info["allowed_updates"] = sorted(self._allowed_updates)
        return info

    # -- Bot API: sending ---------------------------------------------------------------------

    def _take_send_slot(self, chat: _Chat) -> None:
        """Apply injected 429s and the flood limits; record the send if it may go through."""
        for injected in self._injected_429:
            if injected.remaining > 0 and injected.chat_id in (None, chat.id):
                injected.remaining -= 1
                self._too_many(injected.retry_after)
        now = time.monotonic()
        if chat.type == "private" and self.per_chat_interval > 0 and chat.last_send is not None:
            elapsed = now - chat.last_send
            if elapsed < self.per_chat_interval:
                self._too_many(self.per_chat_interval - elapsed)
        if chat.type != "private" and self.group_chat_per_minute > 0:
            while chat.recent_sends and now - chat.recent_sends[0] >= 60:
                chat.recent_sends.popleft()
            if len(chat.recent_sends) >= self.group_chat_per_minute:
                self._too_many(chat.recent_sends[0] + 60 - now)
        if self.global_per_second > 0:
            while self._global_sends and now - self._global_sends[0] >= 1:
                self._global_sends.popleft()
            if len(self._global_sends) >= self.global_per_second:
                self._too_many(self._global_sends[0] + 1 - now)
        chat.last_send = now
        chat.recent_sends.append(now)
        self._global_sends.append(now)
        self.stats.delivered += 1

    @staticmethod
    def _too_many(wait: float) -> None:
        retry_after = max(1, math.ceil(wait))
        raise BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _format(
        self, text: str, params: Mapping[str, Any], entities_param: str, *, caption: bool
    ) -> tuple[str, list[dict[str, Any]]]:
        """Parse text/caption per parse_mode and enforce Telegram's length limits."""
        parse_mode = params.get("parse_mode")
        entities: list[dict[str, Any]] = []
        if parse_mode is None or parse_mode == "":
            plain = text
            decoded = _json(params, entities_param)
            if isinstance(decoded, list):
                entities = decoded
        elif str(parse_mode).lower() == "html":
            try:
                plain, entities = parse_telegram_html(text)
            except HtmlParseError as error:
                raise BotApiError(400, f"Bad Request: can't parse entities: {error}") from None
        elif str(parse_mode).lower() in ("markdown", "markdownv2"):
            # Markdown is not validated: the bot is expected to use HTML.
            plain = text
        else:
            raise BotApiError(400, "Bad Request: unsupported parse_mode")
        if caption:
            if utf16_len(plain) > CAPTION_LIMIT:
                raise BotApiError(400, "Bad Request: message caption is too long")
        else:
            if not plain.strip():
                raise BotApiError(400, "Bad Request: message text is empty")
            if utf16_len(plain) > TEXT_LIMIT:
                raise BotApiError(400, "Bad Request: message is too long")
        return plain, entities

    @staticmethod
    def _markup(
        params: Mapping[str, Any],
    ) -> tuple[dict[str, Any] | None, list[list[InlineButton]] | None, list[list[str]] | None]:
        """Decode reply_markup into (raw, inline rows, reply keyboard rows) and check buttons."""
        raw = _json(params, "reply_markup")
        if not isinstance(raw, dict):
            return None, None, None
        inline: list[list[InlineButton]] | None = None
        keyboard: list[list[str]] | None = None
        if "inline_keyboard" in raw:
            inline = []
            for row in raw["inline_keyboard"]:
                buttons: list[InlineButton] = []
                for button in row:
                    actions = set(button) - {"text", "icon_custom_emoji_id", "style"}
                    if not actions:
                        raise BotApiError(
                            400,
                            "Bad Request: can't parse inline keyboard button: "
                            "Text buttons are unallowed in the inline keyboard",
                        )
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                        raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                    url = button.get("url")
                    if url is not None and not re.match(r"(https?|tg)://\S+$", url):
                        raise BotApiError(
                            400, f"Bad Request: inline keyboard button URL '{url}' is invalid"
                        )
                    buttons.append(InlineButton(button["text"], data, url, dict(button)))
                inline.append(buttons)
        elif "keyboard" in raw:
            keyboard = [
                [b if isinstance(b, str) else b["text"] for b in row] for row in raw["keyboard"]
            ]
        return raw, inline, keyboard

    def _reply_to(self, chat: _Chat, params: Mapping[str, Any]) -> int | None:
        reply = _json(params, "reply_parameters")
        message_id: int | None = None
        allow_missing = _bool(params, "allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = int(reply["message_id"])
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        elif params.get("reply_to_message_id") is not None:
            message_id = _int(params, "reply_to_message_id")
        if message_id is None:
            return None
        target = chat.messages.get(message_id)
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise BotApiError(400, "Bad Request: message to be replied not found")
        return message_id

    def _file_from_param(self, value: Any, kind: str, mime_type: str | None) -> FileRecord:
        if isinstance(value, UploadedFile):
            mime = mime_type or value.content_type
            return self.store_file(
                value.content, kind=kind, file_name=value.filename, mime_type=mime
            )
        existing = self._files.get(str(value))
        if existing is not None:
            return existing
        if isinstance(value, str) and re.match(r"https?://\S+$", value):
            name = value.rsplit("/", 1)[-1] or None
            return self.store_file(b"", kind=kind, file_name=name, source_url=value)
        raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _deliver(self, chat: _Chat, thread_id: int | None, **fields: Any) -> ChatMessage:
        self._take_send_slot(chat)
        return self._new_message(
            chat, from_bot=True, from_user_id=self.bot_id, message_thread_id=thread_id, **fields
        )

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, thread_id = self._target(params)
        text = str(params["text"])
        plain, entities = self._format(text, params, "entities", caption=False)
        raw, inline, keyboard = self._markup(params)
        reply_to = self._reply_to(chat, params)
        msg = self._deliver(
            chat,
            thread_id,
            text=text,
            parse_mode=params.get("parse_mode"),
            plain=plain,
            entities=entities,
            raw_reply_markup=raw,
            reply_markup=inline,
            reply_keyboard=keyboard,
            reply_keyboard_removed=bool(raw and raw.get("remove_keyboard")),
            reply_to_message_id=reply_to,
        )
        return self._message_json(msg)

    async def _send_media(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        chat, thread_id = self._target(params)
        caption = params.get("caption")
        plain: str | None = None
        entities: list[dict[str, Any]] = []
        if caption is not None:
            plain, entities = self._format(str(caption), params, "caption_entities", caption=True)
        raw, inline, keyboard = self._markup(params)
        reply_to = self._reply_to(chat, params)
        record = self._file_from_param(params[kind], kind, None)
        msg = self._deliver(
            chat,
            thread_id,
            caption=caption,
            parse_mode=params.get("parse_mode"),
            plain=plain,
            entities=entities,
            raw_reply_markup=raw,
            reply_markup=inline,
            reply_keyboard=keyboard,
            reply_to_message_id=reply_to,
            kind=kind,
            **{kind: record},
        )
        return self._message_json(msg)

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media(params, "photo")

    async def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_media(params, "document")

    def _generic_handler(self, method: str) -> Callable[[dict[str, Any]], Any] | None:
        """Other message-producing sends: flood limits and a bare history record."""
        spec = self.spec.methods.get(method)
        if spec is None or "chat_id" not in spec.params:
            return None
        if not (method.startswith("send") or method == "forwardMessage"):
            return None
        if "Message" not in spec.returns and "Array of Message" not in spec.returns:
            return None
        many = "Array of Message" in spec.returns

        async def handler(params: dict[str, Any]) -> Any:
            chat, thread_id = self._target(params)
            caption = params.get("caption")
            items = _json(params, "media") if many else None
            count = len(items) if isinstance(items, list) and items else 1
            self._take_send_slot(chat)
            messages = [
                self._new_message(
                    chat,
                    from_bot=True,
                    from_user_id=self.bot_id,
                    message_thread_id=thread_id,
                    caption=caption if isinstance(caption, str) else None,
                    plain=caption if isinstance(caption, str) else None,
                    kind=method,
                )
                for _ in range(count)
            ]
            if many:
                return [self._message_json(m) for m in messages]
            return self._message_json(messages[0])

        return handler

    async def _copy_message(self, params: dict[str, Any]) -> dict[str, Any]:
        source_chat = self._resolve_chat(params["from_chat_id"])
        source = source_chat.messages.get(int(params["message_id"]))
        if source is None or source.deleted or source.service is not None:
            raise BotApiError(400, "Bad Request: message to copy not found")
        chat, thread_id = self._target(params)
        caption, plain, entities = source.caption, source.plain, source.entities
        if params.get("caption") is not None and source.text is None:
            caption = str(params["caption"])
            plain, entities = self._format(caption, params, "caption_entities", caption=True)
        raw, inline, keyboard = self._markup(params)
        reply_to = self._reply_to(chat, params)
        msg = self._deliver(
            chat,
            thread_id,
            text=source.text,
            caption=caption,
            parse_mode=source.parse_mode,
            plain=plain,
            entities=list(entities),
            raw_reply_markup=raw,
            reply_markup=inline,
            reply_keyboard=keyboard,
            document=source.document,
            photo=source.photo,
            kind=source.kind,
            reply_to_message_id=reply_to,
            copied_from=(source_chat.id, source.message_id),
        )
        return {"message_id": msg.message_id}

    # -- Bot API: editing and deleting --------------------------------------------------------

    def _editable(self, params: Mapping[str, Any]) -> ChatMessage:
        if params.get("chat_id") is None or params.get("message_id") is None:
            # Inline-mode messages are not emulated.
            raise BotApiError(400, "Bad Request: message to edit not found")
        chat = self._resolve_chat(params["chat_id"])
        if chat.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        msg = chat.messages.get(int(params["message_id"]))
        if msg is None or msg.deleted:
            raise BotApiError(400, "Bad Request: message to edit not found")
        if not msg.from_bot or msg.service is not None:
            raise BotApiError(400, "Bad Request: message can't be edited")
        return msg

    def _apply_edit(self, msg: ChatMessage, **changes: Any) -> dict[str, Any]:
        if msg.original is None:
            msg.original = Revision(msg.date, msg.text, msg.caption, msg.reply_markup)
        for name, value in changes.items():
            setattr(msg, name, value)
        msg.edits.append(Revision(int(time.time()), msg.text, msg.caption, msg.reply_markup))
        self._bot_activity("edited", msg)
        self._emit("edit", msg.chat_id, msg.message_id, msg.to_dict())
        return self._message_json(msg)

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._editable(params)
        if msg.text is None:
            raise BotApiError(400, "Bad Request: there is no text in the message to edit")
        if params.get("text") is None:
            raise BotApiError(400, "Bad Request: message text is empty")
        text = str(params["text"])
        plain, entities = self._format(text, params, "entities", caption=False)
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        raw, inline, _ = self._markup(params)
        if plain == msg.plain and entities == msg.entities and raw == msg.raw_reply_markup:
            raise BotApiError(400, _NOT_MODIFIED)
        return self._apply_edit(
            msg,
            text=text,
            parse_mode=params.get("parse_mode"),
            plain=plain,
            entities=entities,
            raw_reply_markup=raw,
            reply_markup=inline,
        )

    async def _edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._editable(params)
        if msg.text is not None:
            raise BotApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = params.get("caption")
        plain: str | None = None
        entities: list[dict[str, Any]] = []
        if caption is not None:
            plain, entities = self._format(str(caption), params, "caption_entities", caption=True)
        raw, inline, _ = self._markup(params)
        if plain == msg.plain and entities == msg.entities and raw == msg.raw_reply_markup:
            raise BotApiError(400, _NOT_MODIFIED)
        return self._apply_edit(
            msg,
            caption=caption,
            parse_mode=params.get("parse_mode"),
            plain=plain,
            entities=entities,
            raw_reply_markup=raw,
            reply_markup=inline,
        )

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        msg = self._editable(params)
        raw, inline, _ = self._markup(params)
        if raw == msg.raw_reply_markup or (raw is None and msg.reply_markup is None):
            raise BotApiError(400, _NOT_MODIFIED)
        return self._apply_edit(msg, raw_reply_markup=raw, reply_markup=inline)

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        msg = chat.messages.get(int(params["message_id"]))
        if msg is None or msg.deleted:
            raise BotApiError(400, "Bad Request: message to delete not found")
        msg.deleted = True
        self._emit("delete", chat.id, msg.message_id, {})
        return True

    async def _pin_chat_message(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        msg = chat.messages.get(int(params["message_id"]))
        if msg is None or msg.deleted:
            raise BotApiError(400, "Bad Request: message to pin not found")
        msg.pinned = True
        self._emit("pin", chat.id, msg.message_id, {"pinned": True})
        return True

    async def _unpin_chat_message(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        message_id = _int(params, "message_id")
        pinned = [m for m in chat.messages.values() if m.pinned and not m.deleted]
        if message_id is not None:
            pinned = [m for m in pinned if m.message_id == message_id]
        if not pinned:
            raise BotApiError(400, "Bad Request: message to unpin not found")
        pinned[-1].pinned = False
        self._emit("pin", chat.id, pinned[-1].message_id, {"pinned": False})
        return True

    async def _unpin_all_chat_messages(self, params: dict[str, Any]) -> bool:
        chat = self._resolve_chat(params["chat_id"])
        for msg in chat.messages.values():
            if msg.pinned:
                msg.pinned = False
                self._emit("pin", chat.id, msg.message_id, {"pinned": False})
        return True

    # -- Bot API: callbacks, files, chat actions ----------------------------------------------

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        pending = self._callbacks.get(str(params["callback_query_id"]))
        if pending is None or pending.answered:
            raise BotApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        pending.answered = True
        text = params.get("text")
        answer = CallbackAnswer(
            pending.id,
            pending.user_id,
            str(text) if text is not None else None,
            _bool(params, "show_alert"),
            params.get("url"),
        )
        self.callback_answers.append(answer)
        self._emit(
            "callback_answer",
            pending.chat_id,
            pending.message_id,
            {"text": answer.text, "show_alert": answer.show_alert, "url": answer.url},
        )
        return True

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        record = self._files.get(str(params["file_id"]))
        if record is None:
            raise BotApiError(400, "Bad Request: invalid file_id")
        if record.file_size > DOWNLOAD_LIMIT:
            raise BotApiError(400, "Bad Request: file is too big")
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": record.file_size,
            "file_path": record.file_path,
        }

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        chat, _ = self._target(params)
        action = str(params["action"])
        if action not in _CHAT_ACTIONS:
            raise BotApiError(400, "Bad Request: wrong parameter action in request")
        chat.actions.append(action)
        self._emit("chat_action", chat.id, None, {"action": action})
        return True

    # -- Bot API: forum topics ----------------------------------------------------------------

    def _forum_chat(self, params: Mapping[str, Any]) -> _Chat:
        chat = self._resolve_chat(params["chat_id"])
        forum = self.topics_enabled if chat.type == "private" else chat.is_forum
        if not forum:
            raise BotApiError(400, "Bad Request: the chat is not a forum")
        return chat

    def _topic(self, params: Mapping[str, Any]) -> Topic:
        chat = self._forum_chat(params)
        return self._check_thread(chat, int(params["message_thread_id"]))

    async def _create_forum_topic(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._forum_chat(params)
        if chat.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        name = str(params["name"])
        if not 1 <= len(name) <= 128:
            raise BotApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        color = _int(params, "icon_color") or 7322096
        if color not in _TOPIC_COLORS:
            raise BotApiError(400, "Bad Request: TOPIC_ICON_COLOR_INVALID")
        # The topic id is the id of its "topic created" service message, as in Telegram.
        thread_id = chat.next_message_id
        topic = Topic(chat.id, thread_id, name, color, params.get("icon_custom_emoji_id"))
        chat.topics[thread_id] = topic
        self._new_message(
            chat,
            from_bot=True,
            from_user_id=self.bot_id,
            message_thread_id=thread_id,
            service="forum_topic_created",
            kind="service",
        )
        self._emit("topic", chat.id, thread_id, {"name": name, "action": "created"})
        result: dict[str, Any] = {"message_thread_id": thread_id, "name": name, "icon_color": color}
        if topic.icon_custom_emoji_id:
            result["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
        return result

    async def _edit_forum_topic(self, params: dict[str, Any]) -> bool:
        topic = self._topic(params)
        name = params.get("name")
        emoji = params.get("icon_custom_emoji_id")
        if (name is None or name == topic.name) and (
            emoji is None or emoji == topic.icon_custom_emoji_id
        ):
            raise BotApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        if name is not None:
            if not 1 <= len(str(name)) <= 128:
                raise BotApiError(400, "Bad Request: TOPIC_NAME_INVALID")
            topic.name = str(name)
        if emoji is not None:
            topic.icon_custom_emoji_id = str(emoji) or None
        self._emit("topic", topic.chat_id, topic.message_thread_id, {"action": "edited"})
        return True

    async def _set_topic_closed(self, params: dict[str, Any], closed: bool) -> bool:
        topic = self._topic(params)
        if topic.closed == closed:
            raise BotApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = closed
        action = "closed" if closed else "reopened"
        self._emit("topic", topic.chat_id, topic.message_thread_id, {"action": action})
        return True

    async def _close_forum_topic(self, params: dict[str, Any]) -> bool:
        return await self._set_topic_closed(params, True)

    async def _reopen_forum_topic(self, params: dict[str, Any]) -> bool:
        return await self._set_topic_closed(params, False)

    async def _delete_forum_topic(self, params: dict[str, Any]) -> bool:
        topic = self._topic(params)
        topic.deleted = True
        for msg in self._chats[topic.chat_id].messages.values():
            if msg.message_thread_id == topic.message_thread_id:
                msg.deleted = True
        self._emit("topic", topic.chat_id, topic.message_thread_id, {"action": "deleted"})
        return True

    # -- Bot API: commands and menu button ----------------------------------------------------

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if not isinstance(scope, Mapping) or scope.get("type", "default") == "default":
            return '{"type":"default"}'
        return json.dumps(dict(scope), sort_keys=True, separators=(",", ":"))

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = _json(params, "commands")
        assert isinstance(commands, list)
        if len(commands) > 100:
            raise BotApiError(400, "Bad Request: too many commands")
        for command in commands:
            if not _COMMAND_RE.fullmatch(command["command"]):
                raise BotApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise BotApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(_json(params, "scope")), str(params.get("language_code") or ""))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        self._emit("commands", None, None, {"scope": key[0], "language_code": key[1]})
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        key = (self._scope_key(_json(params, "scope")), str(params.get("language_code") or ""))
        return list(self._commands.get(key, []))

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        key = (self._scope_key(_json(params, "scope")), str(params.get("language_code") or ""))
        self._commands.pop(key, None)
        return True

    async def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        chat_id = _int(params, "chat_id")
        if chat_id is not None:
            self._resolve_chat(chat_id)
        button = _json(params, "menu_button")
        self._menu_buttons[chat_id] = button if isinstance(button, dict) else {"type": "default"}
        return True

    async def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = _int(params, "chat_id")
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return button or {"type": "commands"}

    # -- HTTP: side API for a web chat --------------------------------------------------------

    @staticmethod
    def _http_error(message: str, status: int = 400) -> web.Response:
        return web.json_response({"error": message}, status=status)

    def _http_chat(self, request: web.Request) -> _Chat | None:
        try:
            return self._chats.get(int(request.match_info["chat_id"]))
        except ValueError:
            return None

    async def _http_chats(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            [
                {
                    "id": c.id,
                    "type": c.type,
                    "title": c.title,
                    "user": c.user,
                    "is_forum": c.is_forum or (c.type == "private" and self.topics_enabled),
                    "blocked": c.blocked,
                    "topics": [
                        {
                            "message_thread_id": t.message_thread_id,
                            "name": t.name,
                            "closed": t.closed,
                        }
                        for t in c.topics.values()
                        if not t.deleted
                    ],
                }
                for c in self._chats.values()
            ]
        )

    async def _http_history(self, request: web.Request) -> web.StreamResponse:
        chat = self._http_chat(request)
        if chat is None:
            return self._http_error("unknown chat", 404)
        return web.json_response([m.to_dict() for m in chat.messages.values()])

    async def _http_json(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await read_json(request)
        except BadBody as error:
            raise BotApiError(error.status, error.message) from None
        if not isinstance(body, dict):
            raise BotApiError(400, "body must be a JSON object")
        return body

    async def _http_create_user(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._http_json(request)
            user = self.user(
                int(body["id"]),
                first_name=str(body.get("first_name", "Test User")),
                language_code=body.get("language_code", "en"),
                username=body.get("username"),
            )
        except (BotApiError, KeyError, ValueError, TypeError) as error:
            return self._http_error(str(error))
        return web.json_response(user.to_json())

    def _http_user_id(self, chat: _Chat, body: Mapping[str, Any]) -> int:
        user_id = int(body.get("user_id", chat.id))
        if user_id not in self._users:
            raise KeyError(f"unknown user {user_id}")
        return user_id

    async def _http_post_message(self, request: web.Request) -> web.StreamResponse:
        chat = self._http_chat(request)
        if chat is None:
            return self._http_error("unknown chat", 404)
        try:
            body = await self._http_json(request)
            user = self._users[self._http_user_id(chat, body)]
            thread = body.get("thread_id")
            msg = await user.send(
                str(body["text"]),
                thread_id=int(thread) if thread is not None else None,
                chat_id=chat.id,
            )
        except (BotApiError, KeyError, ValueError, TypeError) as error:
            return self._http_error(str(error))
        return web.json_response(msg.to_dict())

    async def _http_press(self, request: web.Request) -> web.StreamResponse:
        chat = self._http_chat(request)
        if chat is None:
            return self._http_error("unknown chat", 404)
        try:
            body = await self._http_json(request)
            user = self._users[self._http_user_id(chat, body)]
            query_id = await user.press_data(
                int(body["message_id"]), str(body["callback_data"]), chat_id=chat.id
            )
        except (BotApiError, KeyError, ValueError, TypeError) as error:
            return self._http_error(str(error))
        return web.json_response({"callback_query_id": query_id})

    async def _http_upload(self, request: web.Request) -> web.StreamResponse:
        chat = self._http_chat(request)
        if chat is None:
            return self._http_error("unknown chat", 404)
        try:
            form = await read_form(request)
        except BadBody as error:
            return self._http_error(error.message, error.status)
        upload = form.files.get("file")
        if upload is None:
            return self._http_error("multipart field 'file' is required")
        fields = form.fields
        caption_text = fields.get("caption") or None
        try:
            user = self._users[
                self._http_user_id(chat, {"user_id": fields.get("user_id", chat.id)})
            ]
            if fields.get("kind") == "photo":
                msg = await user.upload_photo(upload.content, caption=caption_text, chat_id=chat.id)
            else:
                msg = await user.upload_document(
                    upload.filename,
                    upload.content,
                    upload.content_type,
                    caption=caption_text,
                    chat_id=chat.id,
                )
        except (KeyError, ValueError) as error:
            return self._http_error(str(error))
        return web.json_response(msg.to_dict())

    async def _http_events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: one JSON ``data:`` line per EmulatorEvent until shutdown."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[EmulatorEvent | None] = asyncio.Queue()
        self._sse_queues.add(queue)
        try:
            # A comment line first, so clients see the stream is open before any change.
            await response.write(b": connected\n\n")
            while not self._closing:
                event = await queue.get()
                if event is None:
                    break
                payload = json.dumps(event.to_dict(), default=str)
                await response.write(f"id: {event.seq}\ndata: {payload}\n\n".encode())
        except ConnectionResetError:
            # The browser went away; nothing to clean up beyond the queue.
            pass
        finally:
            self._sse_queues.discard(queue)
        return response
