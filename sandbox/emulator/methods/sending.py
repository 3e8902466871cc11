"""Sending: sendMessage, sendPhoto, sendDocument and copyMessage, and every other send.

A send goes through the injected faults and the flood limits first (``sandbox.emulator.limits``),
then its text or caption and keyboard are checked (``content``) and it becomes a message in the
chat's history. The sends the bot does not use (sendVideo, sendMediaGroup, forwardMessage, ...)
are answered by ``generic``: limits applied, a bare history record, the right result shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.emulator.chats import Chat, ChatStore
from sandbox.emulator.files import FileStore
from sandbox.emulator.limits import FaultInjector, FloodLimits
from sandbox.emulator.methods import MethodFamily, MethodHandler, bot_api
from sandbox.emulator.methods.content import (
    caption_fields,
    formatted,
    markup_fields,
    reply_target,
    text_fields,
)
from sandbox.emulator.params import Params, bool_param, json_param
from sandbox.emulator.records import BotApiError, ChatMessage, EmulatorStats
from sandbox.spec import BotApiSpec

__all__ = ["SendingMethods"]


@dataclass(eq=False)
class SendingMethods(MethodFamily):
    chats: ChatStore
    files: FileStore
    limits: FloodLimits
    faults: FaultInjector
    stats: EmulatorStats
    spec: BotApiSpec

    def _admit(self, chat: Chat, params: Params) -> None:
        """Apply injected 429s and the flood limits; count the send if it may go through."""
        self.faults.raise_injected_429(chat.id)
        self.limits.take_send_slot(
            chat.id,
            private=chat.type == "private",
            paid=bool_param(params, "allow_paid_broadcast"),
        )
        self.stats.delivered += 1

    def _deliver(
        self, chat: Chat, thread_id: int | None, params: Params, **fields: Any
    ) -> ChatMessage:
        self._admit(chat, params)
        return self._bot_message(chat, thread_id, **fields)

    def _bot_message(self, chat: Chat, thread_id: int | None, **fields: Any) -> ChatMessage:
        """A message from the bot in the chat's history (the send already admitted)."""
        return self.chats.new_message(
            chat,
            from_bot=True,
            from_user_id=self.chats.bot.id,
            message_thread_id=thread_id,
            **fields,
        )

    @bot_api("sendMessage")
    async def send_message(self, params: Params) -> dict[str, Any]:
        chat, thread_id = self.chats.target(params)
        text = text_fields(params)
        markup = markup_fields(params)
        raw = markup["raw_reply_markup"]
        msg = self._deliver(
            chat,
            thread_id,
            params,
            **text,
            **markup,
            reply_keyboard_removed=bool(raw and raw.get("remove_keyboard")),
            reply_to_message_id=reply_target(chat, params),
        )
        return self.chats.message_json(msg)

    async def _send_media(self, params: Params, kind: str) -> dict[str, Any]:
        chat, thread_id = self.chats.target(params)
        caption = caption_fields(params)
        markup = markup_fields(params)
        reply_to = reply_target(chat, params)
        record = self.files.for_send(params[kind], kind)
        msg = self._deliver(
            chat,
            thread_id,
            params,
            **caption,
            **markup,
            reply_to_message_id=reply_to,
            kind=kind,
            **{kind: record},
        )
        return self.chats.message_json(msg)

    @bot_api("sendPhoto")
    async def send_photo(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "photo")

    @bot_api("sendDocument")
    async def send_document(self, params: Params) -> dict[str, Any]:
        return await self._send_media(params, "document")

    @bot_api("copyMessage")
    async def copy_message(self, params: Params) -> dict[str, Any]:
        source_chat = self.chats.resolve(params["from_chat_id"])
        source = source_chat.messages.get(int(params["message_id"]))
        if source is None or source.deleted or source.service is not None:
            raise BotApiError(400, "Bad Request: message to copy not found")
        chat, thread_id = self.chats.target(params)
        caption, plain, entities = source.caption, source.plain, source.entities
        if params.get("caption") is not None and source.text is None:
            caption = str(params["caption"])
            plain, entities = formatted(caption, params, "caption_entities", caption=True)
        markup = markup_fields(params)
        msg = self._deliver(
            chat,
            thread_id,
            params,
            text=source.text,
            caption=caption,
            parse_mode=source.parse_mode,
            plain=plain,
            entities=list(entities),
            **markup,
            document=source.document,
            photo=source.photo,
            kind=source.kind,
            reply_to_message_id=reply_target(chat, params),
            copied_from=(source_chat.id, source.message_id),
        )
        return {"message_id": msg.message_id}

    def generic(self, method: str) -> MethodHandler | None:
        """A handler for another message-producing send, or None if ``method`` is not one."""
        spec = self.spec.methods.get(method)
        if spec is None or "chat_id" not in spec.params:
            return None
        if not (method.startswith("send") or method == "forwardMessage"):
            return None
        if "Message" not in spec.returns and "Array of Message" not in spec.returns:
            return None
        many = "Array of Message" in spec.returns

        async def handler(params: Params) -> Any:
            chat, thread_id = self.chats.target(params)
            caption = params.get("caption")
            items = json_param(params, "media") if many else None
            count = len(items) if isinstance(items, list) and items else 1
            self._admit(chat, params)
            text = caption if isinstance(caption, str) else None
            messages = [
                self._bot_message(chat, thread_id, caption=text, plain=text, kind=method)
                for _ in range(count)
            ]
            if many:
                return [self.chats.message_json(m) for m in messages]
            return self.chats.message_json(messages[0])

        return handler
