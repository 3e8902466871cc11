"""What the engine's own buttons do and how a conversation packs them (`Controls`), and what a
step waits for (`Expect`): the plain values a conversation's declaration is made of, apart from
the `Turn` that runs it (`engine`)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram.filters.callback_data import CallbackData


class Move(enum.Enum):
    """What the engine's own buttons do."""

    BACK = "back"
    CANCEL = "cancel"
    EDIT = "edit"


class Expect(enum.Enum):
    """What a step waits for; anything else gets the matching reminder."""

    TEXT = "text"  # other messages: "send text"
    BUTTONS = "buttons"  # any message: "use the buttons", and the step is asked again
    FILE = "file"  # other messages: the step's `reminder`

    @classmethod
    def of(cls, takes_file: bool, takes_text: bool, has_buttons: bool) -> Expect:
        """Unsaid, what a step expects follows from what it takes: a file, else text (or
        anything, for a step with no buttons), else its buttons."""
        if takes_file:
            return cls.FILE
        return cls.TEXT if takes_text or not has_buttons else cls.BUTTONS


@dataclass(frozen=True)
class Controls:
    """The conversation's own callback data for the engine's buttons, and how to read it back.

    Each conversation keeps its callback data format (buttons already in chats stay valid).
    """

    callback: type[CallbackData]
    pack: Callable[[Move, str], CallbackData]
    # The engine move a press of `callback` means, with its value; None: a step's own button.
    read: Callable[[Any], tuple[Move, str] | None]
