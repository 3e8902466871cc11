"""Which prompt a button was drawn on: a short stamp after its callback data.

A conversation's buttons act on the draft as it is now, so a button left on an older prompt
or summary would act on answers its message never showed (a store created under the name
chosen after that summary). The engine (`handlers.conversations`) therefore has the
`Responder` stamp every button it draws in a turn with the prompt's stamp, keeps the stamp of
the conversation's current prompt in the FSM data, and refuses a press whose stamp is another.

The stamp rides in the callback data itself ("<packed data>~<stamp>", a few bytes of
Telegram's 64), so it needs no message id (known only after the send, after the commit), it
survives a restart with the FSM data, and the emulator and the web chat carry it like any
callback data. `ButtonStamps`, an outer middleware, takes it off before any filter unpacks the
data, so every `CallbackData` class reads its own fields as before; the stamp reaches the
handlers as `button_stamp` (None: the button carried none — drawn outside a conversation,
before stamps, or forged).
"""

from __future__ import annotations

import logging
import re
import secrets
import string
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, TelegramObject

log = logging.getLogger(__name__)

# The key of the pressed button's stamp in the handlers' workflow data.
STAMP_KEY = "button_stamp"
SEPARATOR = "~"
# Four base-36 characters: 1.7 million stamps, drawn at random, so a button of an earlier run
# of the same conversation (cancelled, then begun again) is not mistaken for the current one.
_ALPHABET = string.digits + string.ascii_lowercase
_LENGTH = 4
_STAMP = re.compile(rf"[0-9a-z]{{{_LENGTH}}}")
# Telegram refuses callback data longer than this many bytes.
CALLBACK_DATA_LIMIT = 64


def new_stamp() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))


def stamped(data: str, stamp: str) -> str:
    """`data` carrying `stamp`; unchanged (unstamped) when the two would not fit Telegram's
    limit, which a press then reveals as a button of no current prompt."""
    result = f"{data}{SEPARATOR}{stamp}"
    if len(result.encode()) > CALLBACK_DATA_LIMIT:
        log.warning("callback data too long to carry a stamp: %s", data.split(":", 1)[0])
        return data
    return result


def split(data: str) -> tuple[str, str | None]:
    """Callback data as its class packed it, and the stamp it carried (None if none)."""
    head, separator, tail = data.rpartition(SEPARATOR)
    if separator and _STAMP.fullmatch(tail):
        return head, tail
    return data, None


Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class ButtonStamps(BaseMiddleware):
    """Takes a pressed button's stamp off its callback data before any filter reads it, and
    hands it to the handlers as `button_stamp`."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, CallbackQuery) and event.data is not None:
            unstamped, stamp = split(event.data)
            data[STAMP_KEY] = stamp
            if stamp is not None:
                event = event.model_copy(update={"data": unstamped}).as_(event.bot)
        return await handler(event, data)
