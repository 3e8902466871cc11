"""What users do, turned into the updates Telegram sends the bot.

A user writes a message (a leading ``/command`` gets its ``bot_command`` entity, as Telegram
marks it), edits one of their own, or presses an inline button: each is recorded in the chat
and queued for the bot as a ``message``, ``edited_message`` or ``callback_query`` update. A
user deleting a topic of their private chat changes the chat only (Telegram sends no update).
``EmulatedUser`` and the side API act through these.
"""

from __future__ import annotations

from typing import Any

from sandbox.emulator.chats import ChatStore
from sandbox.emulator.methods.callbacks import CallbackQueries
from sandbox.emulator.methods.updates import UpdateQueue
from sandbox.emulator.records import ChatMessage, FileRecord
from sandbox.emulator.telegram_html import utf16_len

__all__ = ["UserActions"]


class UserActions:
    def __init__(self, chats: ChatStore, updates: UpdateQueue, callbacks: CallbackQueries) -> None:
        self._chats = chats
        self._updates = updates
        self._callbacks = callbacks

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
        user = self._chats.users[user_id]
        chat = self._chats.get(user_id if chat_id is None else chat_id)
        if thread_id is not None:
            self._chats.thread(chat, thread_id)
        body = text if text is not None else caption
        entities: list[dict[str, Any]] = []
        if body is not None and body.startswith("/"):
            # Telegram marks a leading command (including an @botname suffix) as bot_command.
            command = body.split(maxsplit=1)[0] if body.strip() else body
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        kind = "photo" if photo else "document" if document else "text"
        msg = self._chats.new_message(
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
        self._updates.push("message", self._chats.message_json(msg))
        return msg

    def edit_message(self, user_id: int, chat_id: int, message_id: int, text: str) -> None:
        """A user edits their text message: history revision + ``edited_message`` update."""
        msg = self._chats.message(chat_id, message_id)
        if msg.from_bot or msg.from_user_id != user_id:
            raise ValueError("users can only edit their own messages")
        self._chats.record_edit(msg, by_bot=False, text=text, plain=text)
        self._updates.push("edited_message", self._chats.message_json(msg))

    def delete_topic(self, user_id: int, thread_id: int, *, chat_id: int | None = None) -> None:
        """A user deletes a topic (and its messages) of their private chat; no update."""
        chat = self._chats.get(user_id if chat_id is None else chat_id)
        if chat.type != "private" or chat.id != user_id:
            raise ValueError("users delete topics of their own private chat")
        topic = self._chats.thread(chat, thread_id)
        topic.deleted = True
        for msg in chat.messages.values():
            if msg.message_thread_id == thread_id:
                msg.deleted = True
        self._chats.events.emit("topic", chat.id, thread_id, {"action": "deleted", "by": "user"})

    def press(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """A user presses an inline button: ``callback_query`` update; returns the query id."""
        user = self._chats.users[user_id]
        msg = self._chats.message(chat_id, message_id)
        query_id = self._callbacks.open(user_id, chat_id, message_id)
        query = {
            "id": query_id,
            "from": user.to_json(),
            "message": self._chats.message_json(msg),
            # Stable per chat like Telegram's, but opaque.
            "chat_instance": str(abs(hash((self._chats.bot.id, chat_id))) % 10**18),
            "data": data,
        }
        self._updates.push("callback_query", query)
        return query_id
