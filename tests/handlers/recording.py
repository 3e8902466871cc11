"""A Bot API session that answers like Telegram would and keeps every request for the test."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    CreateForumTopic,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, File, ForumTopic, InlineKeyboardMarkup, Message, User

BOT_USER = User(id=123456, is_bot=True, first_name="Sellerbot", username="sellerbot_test_bot")


class RecordingSession(BaseSession):
    """Answers like Telegram would, and keeps every request (and its answer) for the test.

    `topics_enabled`: the bot has topics in private chats (getMe says so, createForumTopic
    answers with a new topic); off, as for most bots. `refusals`: methods Telegram refuses.
    `files`: what users sent, by file id, for getFile and the download after it.
    An edit of a text is refused as Telegram refuses it: of a message it never sent, or sent
    without text or with a keyboard that is not inline, and one that changes nothing.
    """

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[tuple[TelegramMethod[Any], Any]] = []
        self._message_id = 0
        self.topics_enabled = False
        # Errors to raise for methods of a type, as Telegram would refuse them (kept, recorded).
        self.refusals: dict[type[TelegramMethod[Any]], Exception] = {}
        self.files: dict[str, bytes] = {}
        # The text and buttons of each message sent, by (chat id, message id), as edited.
        self._shown: dict[tuple[int, int], tuple[str | None, Any]] = {}

    @property
    def requests(self) -> list[TelegramMethod[Any]]:
        return [method for method, _ in self.exchanges]

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram signature)
    ) -> TelegramType:
        result: Any = True
        refusal = self.refusals.get(type(method))
        if refusal is not None:
            self.exchanges.append((method, refusal))
            raise refusal
        if isinstance(method, GetMe):
            result = BOT_USER.model_copy(update={"has_topics_enabled": self.topics_enabled})
        elif isinstance(method, CreateForumTopic):
            # A topic's id is the id of its "topic created" service message, as in Telegram.
            self._message_id += 1
            result = ForumTopic(
                message_thread_id=self._message_id, name=method.name, icon_color=7322096
            )
        elif isinstance(method, GetFile):
            content = self.files[method.file_id]
            result = File(
                file_id=method.file_id,
                file_unique_id=f"u{method.file_id}",
                file_size=len(content),
                file_path=f"documents/{method.file_id}",
            )
        elif isinstance(method, SendMessage | SendDocument | SendPhoto | SendVideo | SendVoice):
            self._message_id += 1
            chat = Chat(id=int(method.chat_id), type="private")
            text = method.text if isinstance(method, SendMessage) else None
            result = Message(message_id=self._message_id, date=0, chat=chat, text=text)
            self._shown[(chat.id, result.message_id)] = (text, method.reply_markup)
        elif isinstance(method, EditMessageText):
            result = self._edit(method)
        elif isinstance(method, EditMessageReplyMarkup) and method.message_id is not None:
            key = (int(method.chat_id or 0), method.message_id)
            if key in self._shown:
                self._shown[key] = (self._shown[key][0], method.reply_markup)
        self.exchanges.append((method, result))
        return result  # type: ignore[no-any-return]

    def forget(self) -> None:
        """Drop what was recorded (requests, and what each message shows), for a test that
        plays more updates than it keeps in mind."""
        self.exchanges.clear()
        self._shown.clear()

    def _edit(self, method: EditMessageText) -> Message:
        key = (int(method.chat_id or 0), method.message_id or 0)
        shown = self._shown.get(key)
        refusal = None
        if shown is None:
            refusal = "Bad Request: message to edit not found"
        elif shown[1] is not None and not isinstance(shown[1], InlineKeyboardMarkup):
            # Sent with a reply keyboard, ForceReply or a keyboard's removal.
            refusal = "Bad Request: message can't be edited"
        elif shown[0] is None:
            refusal = "Bad Request: there is no text in the message to edit"
        elif shown == (method.text, method.reply_markup):
            refusal = "Bad Request: message is not modified"
        if refusal is not None:
            error = TelegramBadRequest(method, refusal)
            self.exchanges.append((method, error))
            raise error
        self._shown[key] = (method.text, method.reply_markup)
        chat = Chat(id=key[0], type="private")
        return Message(message_id=key[1], date=0, chat=chat, text=method.text)

    async def stream_content(
        self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,  # noqa: ASYNC109
        chunk_size: int = 65536, raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # fmt: skip
        content = self.files.get(url.rpartition("/documents/")[2], b"")
        for start in range(0, len(content), chunk_size):
            yield content[start : start + chunk_size]

    async def close(self) -> None:
        return None

    def sent_texts(self) -> list[str]:
        return [r.text for r in self.requests if isinstance(r, SendMessage)]
