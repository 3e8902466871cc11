"""Keyboards as Telegram gets them: an empty row (a list's paging on its only page) is left out,
and a keyboard with no buttons at all sends no markup."""

from __future__ import annotations

from aiogram.methods import SendMessage

from handlers.responder import Button, Responder
from templates import Renderer


def _sent(keyboard: list[list[Button]]) -> SendMessage:
    responder = Responder(Renderer(), "en", chat_id=7)
    responder.reply("common.not_understood", keyboard=keyboard)
    [outgoing] = responder._queue
    assert isinstance(outgoing.method, SendMessage)
    return outgoing.method


def test_an_empty_row_is_left_out() -> None:
    keyboard = [[], [Button(label="common.cancel", callback="x:y")], []]
    markup = _sent(keyboard).reply_markup
    assert markup is not None
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [["✖️ Cancel"]]  # type: ignore[union-attr]


def test_a_keyboard_without_buttons_sends_no_markup() -> None:
    assert _sent([[]]).reply_markup is None
