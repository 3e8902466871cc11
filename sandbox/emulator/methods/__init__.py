"""The Bot API methods the emulator answers, one module per family.

Each family is a class that holds what only it needs (the update queue, the pending callback
queries, the command lists) and maps, in ``methods()``, each method name as the spec spells it
to its handler. A handler gets the request's parameters, already checked against the spec, and
returns the result or raises ``BotApiError``.

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
from typing import Any

from sandbox.emulator.params import Params

__all__ = ["MethodHandler"]

MethodHandler = Callable[[Params], Awaitable[Any]]
