"""Editing: editMessageText, editMessageCaption, editMessageReplyMarkup and deleteMessage.

The bot may edit only its own messages, sent without reply_markup or with an inline keyboard
(a message sent with a reply keyboard, ForceReply or the removal of a keyboard cannot be
edited), and an edit that changes nothing is refused as Telegram refuses it ("message is not
modified"). Every edit keeps the message's earlier states (``ChatMessage.revisions``), so a
test can check what the user saw at each step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.emulator.chats import BLOCKED, ChatStore
from sandbox.emulator.methods import MethodFamily, bot_api
from sandbox.emulator.methods.content import caption_fields, reply_markup, text_fields
from sandbox.emulator.params import Params
from sandbox.emulator.records import BotApiError, ChatMessage

__all__ = ["EditingMethods"]

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


class EditingMethods(MethodFamily):
    def __init__(self, chats: ChatStore) -> None:
        self._chats = chats

    def _editable(self, params: Mapping[str, Any]) -> ChatMessage:
        if params.get("message_id") is None and params.get("inline_message_id") is None:
            raise BotApiError(400, "Bad Request: message identifier is not specified")
        if params.get("chat_id") is None or params.get("message_id") is None:
            # Inline-mode messages are not emulated.
            raise BotApiError(400, "Bad Request: message to edit not found")
        chat = self._chats.resolve(params["chat_id"])
        if chat.blocked:
            raise BotApiError(403, BLOCKED)
        msg = chat.messages.get(int(params["message_id"]))
        if msg is None or msg.deleted:
            raise BotApiError(400, "Bad Request: message to edit not found")
        markup = msg.raw_reply_markup
        keyboard = markup is not None and "inline_keyboard" not in markup
        if not msg.from_bot or msg.service is not None or keyboard:
            raise BotApiError(400, "Bad Request: message can't be edited")
        return msg

    def _apply_edit(self, msg: ChatMessage, **changes: Any) -> dict[str, Any]:
        self._chats.record_edit(msg, by_bot=True, **changes)
        return self._chats.message_json(msg)

    def _edit_content(
        self, msg: ChatMessage, params: Params, content: dict[str, Any]
    ) -> dict[str, Any]:
        """Replace a text or caption (`content`, from `text_fields`/`caption_fields`)."""
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        raw, inline, _ = reply_markup(params)
        unchanged = content["plain"] == msg.plain and content["entities"] == msg.entities
        if unchanged and raw == msg.raw_reply_markup:
            raise BotApiError(400, NOT_MODIFIED)
        return self._apply_edit(msg, **content, raw_reply_markup=raw, reply_markup=inline)

    @bot_api("editMessageText")
    async def edit_message_text(self, params: Params) -> dict[str, Any]:
        msg = self._editable(params)
        if msg.text is None:
            raise BotApiError(400, "Bad Request: there is no text in the message to edit")
        if params.get("text") is None:
            raise BotApiError(400, "Bad Request: message text is empty")
        return self._edit_content(msg, params, text_fields(params))

    @bot_api("editMessageCaption")
    async def edit_message_caption(self, params: Params) -> dict[str, Any]:
        msg = self._editable(params)
        if msg.text is not None:
            raise BotApiError(400, "Bad Request: there is no caption in the message to edit")
        return self._edit_content(msg, params, caption_fields(params))

    @bot_api("editMessageReplyMarkup")
    async def edit_message_reply_markup(self, params: Params) -> dict[str, Any]:
        msg = self._editable(params)
        raw, inline, _ = reply_markup(params)
        if raw == msg.raw_reply_markup or (raw is None and msg.reply_markup is None):
            raise BotApiError(400, NOT_MODIFIED)
        return self._apply_edit(msg, raw_reply_markup=raw, reply_markup=inline)

    @bot_api("deleteMessage")
    async def delete_message(self, params: Params) -> bool:
        chat, msg = self._chats.named_message(params, "delete")
        msg.deleted = True
        self._chats.events.emit("delete", chat.id, msg.message_id, {})
        return True
