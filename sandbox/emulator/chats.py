"""The emulator's chat state: chats, their messages with every edit, topics, and the users.

``ChatStore`` holds what Telegram holds for the bot: private chats (chat id == user id) and
supergroups, each with its messages in order and its forum topics. It resolves the ``chat_id``
a method names, checks message threads, numbers new messages, records edits, and renders a
message as the Bot API ``Message`` object the bot receives. Files live in ``FileStore``
(``sandbox.emulator.files``); who the bot is lives in ``BotProfile``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.emulator.events import EventHub
from sandbox.emulator.params import int_param
from sandbox.emulator.records import BotApiError, ChatMessage, Revision, SavedChat, Topic

if TYPE_CHECKING:
    from sandbox.users import EmulatedUser

__all__ = ["BotProfile", "Chat", "ChatStore"]

BLOCKED = "Forbidden: bot was blocked by the user"


@dataclass(slots=True)
class BotProfile:
    """Who the bot is, as getMe and every message from it say."""

    id: int
    first_name: str
    username: str
    # Private-chat topics (Bot API 9.3+) are switched on per bot.
    topics_enabled: bool

    def to_user(self) -> dict[str, Any]:
        """The Bot API ``User`` object for the bot."""
        return {
            "id": self.id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }


@dataclass(slots=True)
class Chat:
    id: int
    type: str  # "private" or "supergroup"
    title: str | None = None
    user: dict[str, Any] | None = None
    is_forum: bool = False
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    next_message_id: int = 1
    topics: dict[int, Topic] = field(default_factory=dict)
    blocked: bool = False
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


class ChatStore:
    """Every chat the bot is in, and the users who write in them."""

    def __init__(self, bot: BotProfile, events: EventHub) -> None:
        self.bot = bot
        self.events = events
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, EmulatedUser] = {}

    # -- chats --------------------------------------------------------------------------------

    def open_private(self, user: EmulatedUser) -> None:
        """The user's private chat with the bot (a restored chat keeps its messages)."""
        chat = self.chats.setdefault(user.user_id, Chat(id=user.user_id, type="private"))
        chat.user = user.to_json()  # today's profile
        self.events.emit("chat", user.user_id, None, {"type": "private", "user": chat.user})

    def open_group(self, chat_id: int, title: str, *, is_forum: bool) -> None:
        self.chats.setdefault(
            chat_id, Chat(id=chat_id, type="supergroup", title=title, is_forum=is_forum)
        )
        self.events.emit("chat", chat_id, None, {"type": "supergroup", "title": title})

    def get(self, chat_id: int) -> Chat:
        """A chat a test or the user side names (KeyError if there is none)."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise KeyError(f"unknown chat {chat_id}; create it with user() or group()")
        return chat

    def resolve(self, value: Any) -> Chat:
        """The chat a Bot API ``chat_id`` names: an id or an @username."""
        if isinstance(value, str) and value.startswith("@"):
            name = value[1:].lower()
            for candidate in self.chats.values():
                if candidate.user and candidate.user.get("username", "").lower() == name:
                    return candidate
            raise BotApiError(400, "Bad Request: chat not found")
        try:
            chat_id = int(value)
        except (TypeError, ValueError):
            raise BotApiError(400, "Bad Request: chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise BotApiError(400, "Bad Request: chat not found")
        return chat

    def named_message(self, params: Mapping[str, Any], purpose: str) -> tuple[Chat, ChatMessage]:
        """The chat and the message a request names by chat_id and message_id, if it still
        exists; otherwise Telegram's error for what the request meant to do (pin, delete...)."""
        chat = self.resolve(params["chat_id"])
        msg = chat.messages.get(int(params["message_id"]))
        if msg is None or msg.deleted:
            raise BotApiError(400, f"Bad Request: message to {purpose} not found")
        return chat, msg

    def thread(self, chat: Chat, thread_id: int) -> Topic:
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise BotApiError(400, "Bad Request: message thread not found")
        return topic

    def target(self, params: Mapping[str, Any]) -> tuple[Chat, int | None]:
        """Where a send goes: a chat that has not blocked the bot, and an open topic if any."""
        chat = self.resolve(params["chat_id"])
        if chat.blocked:
            raise BotApiError(403, BLOCKED)
        thread_id = int_param(params, "message_thread_id")
        if thread_id is not None:
            topic = self.thread(chat, thread_id)
            if topic.closed:
                raise BotApiError(400, "Bad Request: TOPIC_CLOSED")
        return chat, thread_id

    # -- messages -----------------------------------------------------------------------------

    def message(self, chat_id: int, message_id: int) -> ChatMessage:
        msg = self.get(chat_id).messages.get(message_id)
        if msg is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        return msg

    def new_message(self, chat: Chat, **fields: Any) -> ChatMessage:
        msg = ChatMessage(
            chat_id=chat.id, message_id=chat.next_message_id, date=int(time.time()), **fields
        )
        chat.next_message_id += 1
        chat.messages[msg.message_id] = msg
        if msg.from_bot and msg.service is None:
            self.events.bot_activity("sent", msg)
        self.events.emit("message", chat.id, msg.message_id, msg.to_dict())
        return msg

    def record_edit(self, msg: ChatMessage, *, by_bot: bool, **changes: Any) -> None:
        """Apply an edit and keep the message's state before and after it."""
        if msg.original is None:
            msg.original = Revision(msg.date, msg.text, msg.caption, msg.reply_markup)
        for name, value in changes.items():
            setattr(msg, name, value)
        msg.edits.append(Revision(int(time.time()), msg.text, msg.caption, msg.reply_markup))
        if by_bot:
            self.events.bot_activity("edited", msg)
        self.events.emit("edit", msg.chat_id, msg.message_id, msg.to_dict())

    def message_json(self, msg: ChatMessage, *, nested: bool = False) -> dict[str, Any]:
        """The Message object Telegram would return/deliver for a history record."""
        chat = self.chats[msg.chat_id]
        sender = self.bot.to_user() if msg.from_bot else self.users[msg.from_user_id].to_json()
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
                data["reply_to_message"] = self.message_json(target, nested=True)
        return data

    # -- kept across restarts -----------------------------------------------------------------

    def export(self) -> list[SavedChat]:
        return [
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
            for c in self.chats.values()
        ]

    def restore(self, saved: Iterable[SavedChat]) -> None:
        """Bring chats back with their message ids; new messages follow them."""
        for chat in saved:
            self.chats[chat.id] = Chat(
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
