"""A Bot API session that answers like Telegram would and keeps every request for the test."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    CreateForumTopic,
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
from aiogram.types import Chat, File, ForumTopic, Message, User

BOT_USER = User(id=123456, is_bot=True, first_name="Sellerbot", username="sellerbot_test_bot")


class RecordingSession(BaseSession):
    """Answers like Telegram would, and keeps every request (and its answer) for the test.

    `topics_enabled`: the bot has topics in private chats (getMe says so, createForumTopic
    answers with a new topic); off, as for most bots. `refusals`: methods Telegram refuses.
    `files`: what users sent, by file id, for getFile and the download after it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.exchanges: list[tuple[TelegramMethod[Any], Any]] = []
        self._message_id = 0
        self.topics_enabled = False
        # Errors to raise for methods of a type, as Telegram would refuse them (kept, recorded).
        self.refusals: dict[type[TelegramMethod[Any]], Exception] = {}
        self.files: dict[str, bytes] = {}

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
        self.exchanges.append((method, result))
        return result  # type: ignore[no-any-return]

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
