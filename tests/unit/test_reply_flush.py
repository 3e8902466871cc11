"""The replies of one update go out in order, and a call Telegram refuses as a bad request
(a double tap editing a message to what it already shows) does not take the rest with it."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import EditMessageReplyMarkup, SendMessage, TelegramMethod

from handlers.responder import Responder
from templates import Renderer


class RefusingSender:
    """Answers every call, except that it refuses the methods named in `refuse` with `error`."""

    def __init__(
        self,
        refuse: type[TelegramMethod[Any]],
        error: type[TelegramBadRequest | TelegramForbiddenError],
    ) -> None:
        self.refuse, self.error = refuse, error
        self.sent: list[TelegramMethod[Any]] = []

    async def call(self, method: TelegramMethod[Any], *, chat_id: int | None) -> Any:
        if isinstance(method, self.refuse):
            raise self.error(method=method, message="Bad Request: message is not modified")
        self.sent.append(method)
        return True


def _erasure_answer() -> Responder:
    responder = Responder(Renderer(), "en", chat_id=7)
    responder.remove_buttons(41)
    responder.reply("common.not_understood")
    return responder


async def test_a_refused_edit_does_not_drop_the_reply_after_it() -> None:
    sender = RefusingSender(EditMessageReplyMarkup, TelegramBadRequest)
    await _erasure_answer().flush(sender)
    assert [type(m) for m in sender.sent] == [SendMessage]


async def test_a_blocked_recipient_still_stops_the_rest() -> None:
    sender = RefusingSender(EditMessageReplyMarkup, TelegramForbiddenError)
    with pytest.raises(TelegramForbiddenError):
        await _erasure_answer().flush(sender)
    assert sender.sent == []
