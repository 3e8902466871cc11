"""Editing: editMessageText, editMessageCaption, editMessageReplyMarkup and deleteMessage.

The bot may edit only its own messages, and an edit that changes nothing is refused as Telegram
refuses it ("message is not modified"). Every edit keeps the message's earlier states
(``ChatMessage.revisions``), so a test can check what the user saw at each step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.emulator.chats import BLOCKED, ChatStore
from sandbox.emulator.methods import MethodHandler
from sandbox.emulator.methods.content import formatted, reply_markup
from sandbox.emulator.params import Params
from sandbox.emulator.records import BotApiError, ChatMessage

__all__ = ["EditingMethods"]

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


class EditingMethods:
    def __init__(self, chats: ChatStore) -> None:
        self._chats = chats

    def methods(self) -> dict[str, MethodHandler]:
        return {
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
        }

    def _editable(self, params: Mapping[str, Any]) -> ChatMessage:
        if params.get("chat_id") is None or params.get("message_id") is None:
            # Inline-mode messages are not emulated.
            raise BotApiError(400, "Bad Request: message to edit not found")
        chat = self._chats.resolve(params["chat_id"])
        if chat.blocked:
            raise BotApiError(403, BLOCKED)
        msg = chat.messages.get(int(params["message_id"]))
        if msg is None or msg.deleted:
            raise BotApiError(400, "Bad Request: message to edit not found")
        if not msg.from_bot or msg.service is not None:
            raise BotApiError(400, "Bad Request: message can't be edited")
        return msg

    def _apply_edit(self, msg: ChatMessage, **changes: Any) -> dict[str, Any]:
        self._chats.record_edit(msg, by_bot=True, **changes)
        return self._chats.message_json(msg)

    async def edit_message_text(self, params: Params) -> dict[str, Any]:
        msg = self._editable(params)
        if msg.text is None:
            raise BotApiError(400, "Bad Request: there is no text in the message to edit")
        if params.get("text") is None:
            raise BotApiError(400, "Bad Request: message text is empty")
        text = str(params["text"])
        plain, entities = formatted(text, params, "entities", caption=False)
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        raw, inline, _ = reply_markup(params)
        if plain == msg.plain and entities == msg.entities and raw == msg.raw_reply_markup:
            raise BotApiError(400, NOT_MODIFIED)
        return self._apply_edit(
            msg,
            text=text,
            parse_mode=params.get("parse_mode"),
            plain=plain,
            entities=entities,
            raw_reply_markup=raw,
            reply_markup=inline,
        )

    async def edit_message_caption(self, params: Params) -> dict[str, Any]:
        msg = self._editable(params)
        if msg.text is not None:
            raise BotApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = params.get("caption")
        plain: str | None = None
        entities: list[dict[str, Any]] = []
        if caption is not None:
            plain, entities = formatted(str(caption), params, "caption_entities", caption=True)
        raw, inline, _ = reply_markup(params)
        if plain == msg.plain and entities == msg.entities and raw == msg.raw_reply_markup:
            raise BotApiError(400, NOT_MODIFIED)
        return self._apply_edit(
            msg,
            caption=caption,
            parse_mode=params.get("parse_mode"),
            plain=plain,
            entities=entities,
            raw_reply_markup=raw,
            reply_markup=inline,
        )

    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        msg = self._editable(params)
        raw, inline, _ = reply_markup(params)
        if raw == msg.raw_reply_markup or (raw is None and msg.reply_markup is None):
            raise BotApiError(400, NOT_MODIFIED)
        return self._apply_edit(msg, raw_reply_markup=raw, reply_markup=inline)

    async def delete_message(self, params: Params) -> bool:
        chat = self._chats.resolve(params["chat_id"])
        msg = chat.messages.get(int(params["message_id"]))
        if msg is None or msg.deleted:
            raise BotApiError(400, "Bad Request: message to delete not found")
        msg.deleted = True
        self._chats.events.emit("delete", chat.id, msg.message_id, {})
        return True
