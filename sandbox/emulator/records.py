"""The emulator's records: what tests, the web chat and the chat log read back.

Messages as the chat holds them (``ChatMessage`` with its ``Revision`` history, buttons and
files), topics, the log of Bot API calls and spec violations, events for listeners, the bot's
activity that ``EmulatedUser.wait_for_bot`` waits on, and the chats kept across a restart.
``BotApiError`` is an error answer of the Bot API, raised by the methods and turned into
Telegram's JSON error shape by the server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(slots=True)
class InlineButton:
    """One inline keyboard button as the user sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class FileRecord:
    """A file known to the emulator (uploaded by a user or by the bot)."""

    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    kind: str  # "document", "photo", ...
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    source_url: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.content)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_path": self.file_path,
            "file_size": self.file_size,
            "kind": self.kind,
        }
        if self.file_name is not None:
            data["file_name"] = self.file_name
        if self.mime_type is not None:
            data["mime_type"] = self.mime_type
        return data


@dataclass(slots=True)
class Revision:
    """The state of a message after one edit."""

    date: int
    text: str | None
    caption: str | None
    reply_markup: list[list[InlineButton]] | None


@dataclass(slots=True)
class ChatMessage:
    """A message in a chat's history, as sent (HTML kept verbatim) plus its later fate."""

    chat_id: int
    message_id: int
    from_bot: bool
    from_user_id: int
    date: int
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    plain: str | None = None  # text or caption after entity parsing
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: list[list[InlineButton]] | None = None
    reply_keyboard: list[list[str]] | None = None
    reply_keyboard_removed: bool = False
    raw_reply_markup: dict[str, Any] | None = None
    message_thread_id: int | None = None
    document: FileRecord | None = None
    photo: FileRecord | None = None
    kind: str = "text"  # "text", "document", "photo", or the send method for other media
    service: str | None = None  # e.g. "forum_topic_created"
    reply_to_message_id: int | None = None
    copied_from: tuple[int, int] | None = None
    original: Revision | None = None  # the state before the first edit
    edits: list[Revision] = field(default_factory=list)
    deleted: bool = False
    pinned: bool = False

    @property
    def buttons(self) -> list[InlineButton]:
        """All inline buttons, row by row."""
        return [b for row in self.reply_markup or [] for b in row]

    @property
    def button_texts(self) -> list[str]:
        return [b.text for b in self.buttons]

    @property
    def revisions(self) -> list[Revision]:
        """Every state of the message: as first sent, then after each edit."""
        if self.original is None:
            return [Revision(self.date, self.text, self.caption, self.reply_markup)]
        return [self.original, *self.edits]

    @property
    def content(self) -> str:
        """Text or caption as sent (HTML), empty if neither."""
        return self.text if self.text is not None else (self.caption or "")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly view for the HTTP side API and the event stream."""

        def rows(markup: list[list[InlineButton]] | None) -> list[list[dict[str, Any]]] | None:
            if markup is None:
                return None
            return [[dict(b.raw) or {"text": b.text} for b in row] for row in markup]

        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "from_bot": self.from_bot,
            "from_user_id": self.from_user_id,
            "date": self.date,
            "text": self.text,
            "caption": self.caption,
            "parse_mode": self.parse_mode,
            "plain": self.plain,
            "entities": self.entities,
            "reply_markup": rows(self.reply_markup),
            "reply_keyboard": self.reply_keyboard,
            "reply_keyboard_removed": self.reply_keyboard_removed,
            "message_thread_id": self.message_thread_id,
            "document": self.document.to_dict() if self.document else None,
            "photo": self.photo.to_dict() if self.photo else None,
            "kind": self.kind,
            "service": self.service,
            "reply_to_message_id": self.reply_to_message_id,
            "edits": [
                {
                    "date": r.date,
                    "text": r.text,
                    "caption": r.caption,
                    "reply_markup": rows(r.reply_markup),
                }
                for r in self.edits
            ],
            "deleted": self.deleted,
            "pinned": self.pinned,
        }


@dataclass(slots=True)
class Topic:
    """A forum topic (in a forum group, or a private chat with topics enabled)."""

    chat_id: int
    message_thread_id: int
    name: str
    icon_color: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Violation:
    """A request that failed validation against the Bot API spec."""

    method: str
    params: dict[str, Any]
    problems: list[str]
    time: float

    def __str__(self) -> str:
        return f"{self.method}: {'; '.join(self.problems)}"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One Bot API call as seen by the emulator."""

    time: float  # time.monotonic()
    method: str
    chat_id: int | str | None
    status: int
    description: str | None = None
    unimplemented: bool = False
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    """One POST of an update to the bot's webhook: its status, or why it failed (None: 2xx)."""

    update_id: int
    attempt: int
    status: int | None
    error: str | None
    at: float  # unix time

    @property
    def delivered(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class EmulatorStats:
    """Counters of notable outcomes."""

    requests: int = 0
    too_many_requests: int = 0
    forbidden: int = 0
    bad_requests: int = 0
    server_errors: int = 0
    unimplemented: int = 0
    delivered: int = 0


@dataclass(frozen=True, slots=True)
class EmulatorEvent:
    """A change in the emulator's state, for listeners and the SSE stream."""

    seq: int
    kind: str  # message, edit, delete, pin, topic, callback_answer, chat_action, update, ...
    chat_id: int | None
    message_id: int | None
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class BotActivity:
    """The bot sent or edited a message: what ``EmulatedUser.wait_for_bot`` waits for."""

    seq: int
    chat_id: int
    kind: str  # "sent" or "edited"
    message: ChatMessage


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """An answerCallbackQuery call, i.e. what the user saw after pressing a button."""

    callback_query_id: str
    user_id: int
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(slots=True)
class SavedChat:
    """A chat as kept across restarts: its messages, topics and message counter."""

    id: int
    type: str
    title: str | None
    user: dict[str, Any] | None
    is_forum: bool
    blocked: bool
    next_message_id: int
    messages: list[ChatMessage]
    topics: list[Topic]


@dataclass(slots=True)
class SavedChats:
    """What a sandbox keeps across restarts (``export_chats`` / ``restore_chats``).

    Files stay with their ids because the bot's database refers to them (a warehouse's
    certificate is sent to the operator by file_id); the counters continue so no message id,
    file path or update id is ever given out twice.
    """

    chats: list[SavedChat]
    files: list[FileRecord]
    next_update_id: int
    next_file_number: int


Listener = Callable[[EmulatorEvent], None]


class BotApiError(Exception):
    """An error answer of the Bot API (also raised by user-side calls that Telegram would refuse)."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def to_json(self) -> dict[str, Any]:
        """The answer's body, in the Bot API's shape."""
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            payload["parameters"] = {"retry_after": self.retry_after}
        return payload
