"""A question asked again after a press replaces the pressed message (`Responder.in_place_of`)
when one edit can carry it, and is sent as a new message otherwise, or when Telegram refuses
the edit for any reason but "message is not modified"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)

from handlers.responder import Button, Responder
from templates import Renderer

PRESSED = 41
KEYBOARD = [[Button(text="☑️ Sorting", callback="w:t:sorting")]]


def _responder() -> Responder:
    return Responder(Renderer(), "en", chat_id=7)


def test_the_question_asked_inside_becomes_an_edit_of_the_pressed_message() -> None:
    responder = _responder()
    responder.reply("common.not_understood")  # queued before: stays a message of its own
    with responder.in_place_of(PRESSED):
        responder.answer_callback("query-1")
        responder.reply("conversation.use_buttons", keyboard=KEYBOARD)
    answer, sent, edit = responder.pending
    assert isinstance(answer, AnswerCallbackQuery) and isinstance(sent, SendMessage)
    assert isinstance(edit, EditMessageText)
    assert (edit.chat_id, edit.message_id, edit.parse_mode) == (7, PRESSED, "HTML")
    assert edit.text == responder.text("conversation.use_buttons")
    assert edit.reply_markup == responder.inline_keyboard(KEYBOARD)


@pytest.mark.parametrize(
    ("pressed", "ask"),
    [
        # A typed answer: there is no pressed message.
        (None, lambda r: r.reply("conversation.use_buttons", keyboard=KEYBOARD)),
        # Longer than one message: sent in parts.
        (PRESSED, lambda r: r.reply_html("word " * 1000)),
        # A keyboard that is not inline cannot be put on an edited message.
        (PRESSED, lambda r: r.reply("cancel.done", remove_reply_keyboard=True)),
        # A photo, or two messages.
        (PRESSED, lambda r: r.resend_file("photo-1", is_photo=True, caption="Which one?")),
        (PRESSED, lambda r: [r.reply("cancel.done"), r.reply("conversation.use_buttons")]),
        # Another chat's message.
        (PRESSED, lambda r: r.reply("cancel.done", chat_id=8)),
    ],
)
def test_what_an_edit_cannot_carry_stays_new(
    pressed: int | None, ask: Callable[[Responder], Any]
) -> None:
    responder, expected = _responder(), _responder()
    ask(expected)
    with responder.in_place_of(pressed):
        ask(responder)
    assert responder.pending == expected.pending
    assert all(isinstance(m, SendMessage | SendPhoto) for m in responder.pending)


class EditRefusingSender:
    """Refuses every edit with Telegram's `description`; sends the rest."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.sent: list[TelegramMethod[Any]] = []

    async def call(self, method: TelegramMethod[Any], *, chat_id: int | None) -> Any:
        if isinstance(method, EditMessageText):
            raise TelegramBadRequest(method=method, message=self.description)
        self.sent.append(method)
        return True


async def _flush_a_toggle(description: str) -> list[TelegramMethod[Any]]:
    responder = _responder()
    with responder.in_place_of(PRESSED):
        responder.reply("conversation.use_buttons", keyboard=KEYBOARD)
    responder.reply("cancel.done")
    sender = EditRefusingSender(description)
    await responder.flush(sender)
    return sender.sent


async def test_a_refused_edit_comes_as_a_new_message() -> None:
    sent = await _flush_a_toggle("Bad Request: message to edit not found")
    assert [m.text for m in sent if isinstance(m, SendMessage)] == [
        _responder().text("conversation.use_buttons"),
        _responder().text("cancel.done"),
    ]


async def test_an_edit_that_changes_nothing_is_left_at_that() -> None:
    # The second tap of a double tap: the message already shows the question as it is.
    sent = await _flush_a_toggle(
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message"
    )
    assert [m.text for m in sent if isinstance(m, SendMessage)] == [
        _responder().text("cancel.done")
    ]
