"""Handler tier: real Dispatcher and middlewares, updates fed with `feed_update`, and a
session that records every Bot API request instead of sending it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import GetMe, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, User

from bot.app import Application, create_application
from tests.e2e.conftest import make_settings

BOT_USER = User(id=123456, is_bot=True, first_name="Sellerbot", username="sellerbot_test_bot")


class RecordingSession(BaseSession):
    """Answers like Telegram would, and keeps every request for the test to read."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._message_id = 0

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram signature)
    ) -> TelegramType:
        self.requests.append(method)
        if isinstance(method, GetMe):
            return BOT_USER  # type: ignore[return-value]
        if isinstance(method, SendMessage):
            self._message_id += 1
            chat = Chat(id=int(method.chat_id), type="private")
            return Message(  # type: ignore[return-value]
                message_id=self._message_id, date=0, chat=chat, text=method.text
            )
        return True  # type: ignore[return-value]

    async def stream_content(
        self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,  # noqa: ASYNC109
        chunk_size: int = 65536, raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # fmt: skip
        yield b""

    async def close(self) -> None:
        return None

    def sent_texts(self) -> list[str]:
        return [r.text for r in self.requests if isinstance(r, SendMessage)]


@pytest.fixture
async def handler_app(database_url: str, tmp_path: Path) -> AsyncIterator[Application]:
    app = await create_application(
        make_settings(database_url, tmp_path), token="123456:HANDLER-TESTS"
    )
    await app.bot.session.close()
    app.bot.session = RecordingSession()
    app.sender.bot = app.bot
    try:
        yield app
    finally:
        await app.stop()
