"""Chat-level methods: sendChatAction, pinned messages and forum topics.

Topics exist in forum supergroups and, when the bot has them enabled (Bot API 9.3+), in private
chats. A topic's id is the id of its "topic created" service message, as in Telegram; sending
into a closed topic is refused, and deleting a topic deletes its messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.emulator.chats import BLOCKED, Chat, ChatStore
from sandbox.emulator.methods import MethodFamily, bot_api
from sandbox.emulator.params import Params, int_param
from sandbox.emulator.records import BotApiError, Topic

__all__ = ["ChatMethods"]

TOPIC_COLORS = frozenset({7322096, 16766590, 13338331, 9367192, 16749490, 16478047})
CHAT_ACTIONS = frozenset(
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


class ChatMethods(MethodFamily):
    def __init__(self, chats: ChatStore) -> None:
        self._chats = chats

    def _emit(self, kind: str, chat_id: int, message_id: int | None, data: dict[str, Any]) -> None:
        self._chats.events.emit(kind, chat_id, message_id, data)

    @bot_api("sendChatAction")
    async def send_chat_action(self, params: Params) -> bool:
        chat, _ = self._chats.target(params)
        action = str(params["action"])
        if action not in CHAT_ACTIONS:
            raise BotApiError(400, "Bad Request: wrong parameter action in request")
        chat.actions.append(action)
        self._emit("chat_action", chat.id, None, {"action": action})
        return True

    # -- pinned messages ----------------------------------------------------------------------

    @bot_api("pinChatMessage")
    async def pin_chat_message(self, params: Params) -> bool:
        chat, msg = self._chats.named_message(params, "pin")
        msg.pinned = True
        self._emit("pin", chat.id, msg.message_id, {"pinned": True})
        return True

    @bot_api("unpinChatMessage")
    async def unpin_chat_message(self, params: Params) -> bool:
        chat = self._chats.resolve(params["chat_id"])
        message_id = int_param(params, "message_id")
        pinned = [m for m in chat.messages.values() if m.pinned and not m.deleted]
        if message_id is not None:
            pinned = [m for m in pinned if m.message_id == message_id]
        if not pinned:
            raise BotApiError(400, "Bad Request: message to unpin not found")
        pinned[-1].pinned = False
        self._emit("pin", chat.id, pinned[-1].message_id, {"pinned": False})
        return True

    @bot_api("unpinAllChatMessages")
    async def unpin_all_chat_messages(self, params: Params) -> bool:
        chat = self._chats.resolve(params["chat_id"])
        for msg in chat.messages.values():
            if msg.pinned:
                msg.pinned = False
                self._emit("pin", chat.id, msg.message_id, {"pinned": False})
        return True

    # -- forum topics -------------------------------------------------------------------------

    def _forum_chat(self, params: Mapping[str, Any]) -> Chat:
        chat = self._chats.resolve(params["chat_id"])
        forum = self._chats.bot.topics_enabled if chat.type == "private" else chat.is_forum
        if not forum:
            raise BotApiError(400, "Bad Request: the chat is not a forum")
        return chat

    def _topic(self, params: Mapping[str, Any]) -> Topic:
        chat = self._forum_chat(params)
        return self._chats.thread(chat, int(params["message_thread_id"]))

    @bot_api("createForumTopic")
    async def create_forum_topic(self, params: Params) -> dict[str, Any]:
        chat = self._forum_chat(params)
        if chat.blocked:
            raise BotApiError(403, BLOCKED)
        name = str(params["name"])
        if not 1 <= len(name) <= 128:
            raise BotApiError(400, "Bad Request: TOPIC_NAME_INVALID")
        color = int_param(params, "icon_color") or 7322096
        if color not in TOPIC_COLORS:
            raise BotApiError(400, "Bad Request: TOPIC_ICON_COLOR_INVALID")
        # The topic id is the id of its "topic created" service message, as in Telegram.
        thread_id = chat.next_message_id
        topic = Topic(chat.id, thread_id, name, color, params.get("icon_custom_emoji_id"))
        chat.topics[thread_id] = topic
        self._chats.new_message(
            chat,
            from_bot=True,
            from_user_id=self._chats.bot.id,
            message_thread_id=thread_id,
            service="forum_topic_created",
            kind="service",
        )
        self._emit("topic", chat.id, thread_id, {"name": name, "action": "created"})
        result: dict[str, Any] = {"message_thread_id": thread_id, "name": name, "icon_color": color}
        if topic.icon_custom_emoji_id:
            result["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
        return result

    @bot_api("editForumTopic")
    async def edit_forum_topic(self, params: Params) -> bool:
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

    async def _set_topic_closed(self, params: Params, closed: bool) -> bool:
        topic = self._topic(params)
        if topic.closed == closed:
            raise BotApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic.closed = closed
        action = "closed" if closed else "reopened"
        self._emit("topic", topic.chat_id, topic.message_thread_id, {"action": action})
        return True

    @bot_api("closeForumTopic")
    async def close_forum_topic(self, params: Params) -> bool:
        return await self._set_topic_closed(params, True)

    @bot_api("reopenForumTopic")
    async def reopen_forum_topic(self, params: Params) -> bool:
        return await self._set_topic_closed(params, False)

    @bot_api("deleteForumTopic")
    async def delete_forum_topic(self, params: Params) -> bool:
        topic = self._topic(params)
        topic.deleted = True
        for msg in self._chats.chats[topic.chat_id].messages.values():
            if msg.message_thread_id == topic.message_thread_id:
                msg.deleted = True
        self._emit("topic", topic.chat_id, topic.message_thread_id, {"action": "deleted"})
        return True
