"""The stamp a conversation's buttons carry after their callback data: added by the Responder
while the engine draws a prompt, taken off again by the middleware before any filter reads
the data, and never pushing callback data past Telegram's 64 bytes."""

from __future__ import annotations

from typing import Any

from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, Chat, InlineKeyboardMarkup, Message, User

from handlers import button_stamps
from handlers.callbacks import RegistrationAction, RegistrationStep
from handlers.responder import Button, Responder
from templates import Renderer


def test_a_stamp_goes_on_and_comes_off_again() -> None:
    stamp = button_stamps.new_stamp()
    assert len(stamp) == 4 and stamp.isalnum() and stamp == stamp.lower()
    assert button_stamps.split(button_stamps.stamped("reg:ok", stamp)) == ("reg:ok", stamp)
    # Data without one, or with something else after a "~", is read as it is.
    assert button_stamps.split("reg:ok") == ("reg:ok", None)
    assert button_stamps.split("whf:kind:a~b") == ("whf:kind:a~b", None)
    assert button_stamps.split("whf:kind:~ABCD") == ("whf:kind:~ABCD", None)


def test_data_too_long_for_a_stamp_goes_unstamped() -> None:
    long = "x" * 62
    assert button_stamps.stamped(long, "abcd") == long
    fits = "x" * 59
    assert button_stamps.stamped(fits, "abcd") == f"{fits}~abcd"
    assert len(button_stamps.stamped(fits, "abcd").encode()) == 64


def _callback_data(responder: Responder) -> list[str | None]:
    (sent,) = responder.pending
    assert isinstance(sent, SendMessage) and isinstance(sent.reply_markup, InlineKeyboardMarkup)
    return [b.callback_data for row in sent.reply_markup.inline_keyboard for b in row]


def test_the_responder_stamps_buttons_only_while_the_engine_draws() -> None:
    keyboard = [
        [Button(label="common.cancel", callback=RegistrationAction(step=RegistrationStep.CANCEL))],
        [Button(text="Docs", url="https://example.com")],
    ]
    plain = Responder(Renderer(), "en", chat_id=7)
    plain.reply("conversation.resumed", keyboard=keyboard)
    assert _callback_data(plain) == ["reg:cancel", None]
    assert plain.stamps_drawn == set()

    drawing = Responder(Renderer(), "en", chat_id=7)
    drawing.button_stamp = "k3f9"
    drawing.reply("conversation.resumed", keyboard=keyboard)
    assert _callback_data(drawing) == ["reg:cancel~k3f9", None]  # a link carries no data
    assert drawing.stamps_drawn == {"k3f9"}
    drawing.discard()
    assert drawing.stamps_drawn == set()


async def test_the_middleware_hands_on_the_data_as_packed_and_the_stamp_apart() -> None:
    seen: dict[str, Any] = {}

    async def handler(event: Any, data: dict[str, Any]) -> None:
        seen.update(data=event.data, stamp=data[button_stamps.STAMP_KEY])

    chat = Chat(id=7, type="private")
    message = Message(message_id=3, date=0, chat=chat, text="…")
    user = User(id=7, is_bot=False, first_name="Li")
    middleware = button_stamps.ButtonStamps()
    for data, expected in (("reg:ok~k3f9", ("reg:ok", "k3f9")), ("reg:ok", ("reg:ok", None))):
        query = CallbackQuery(id="1", from_user=user, chat_instance="7", message=message, data=data)
        await middleware(handler, query, {})
        assert (seen["data"], seen["stamp"]) == expected
