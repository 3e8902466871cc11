"""The Bot API methods the emulator answers, one module per family.

Each family is a ``MethodFamily`` that holds what only it needs (the update queue, the pending
callback queries, the command lists); each handler is marked ``@bot_api("sendMessage")`` with the
method name as the spec spells it, and ``methods()`` maps those names to the handlers. A handler
gets the request's parameters, already checked against the spec, and returns the result or
raises ``BotApiError``.

- ``updates``: getUpdates, and the webhook methods that compete with it
- ``sending``: sendMessage, sendPhoto, sendDocument, copyMessage; any other send as a bare record
- ``editing``: editMessageText, editMessageCaption, editMessageReplyMarkup, deleteMessage
- ``callbacks``: answerCallbackQuery, and the button presses waiting for it
- ``chat``: sendChatAction, pinned messages, forum topics
- ``files``: getFile, and the downloads it leads to
- ``bot_info``: getMe, the command lists, the menu button
- ``content``: what sending and editing share: text and caption checks, reply markup, replies
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sandbox.emulator.params import Params

__all__ = ["MethodFamily", "MethodHandler", "bot_api"]

MethodHandler = Callable[[Params], Awaitable[Any]]

_Handler = TypeVar("_Handler", bound=Callable[..., Awaitable[Any]])
_ANSWERS = "bot_api_method"


def bot_api(method: str) -> Callable[[_Handler], _Handler]:
    """Mark a family's handler as the one answering the Bot API `method`."""

    def mark(handler: _Handler) -> _Handler:
        setattr(handler, _ANSWERS, method)
        return handler

    return mark


class MethodFamily:
    def methods(self) -> dict[str, MethodHandler]:
        """The family's handlers under the method names they are marked with."""
        return {
            getattr(function, _ANSWERS): getattr(self, attribute)
            for attribute, function in vars(type(self)).items()
            if hasattr(function, _ANSWERS)
        }
