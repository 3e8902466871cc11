"""The ids a log line is about, bound for as long as the work they name goes on.

structlog's context variables are per task, and each update, outbox delivery and import runs in
a task of its own (or one after another in the same task), so the ids are cleared when the work
ends and never leak into the next one's lines.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Bind `ids` to every line logged inside the block, then drop them again."""
    with structlog.contextvars.bound_contextvars(**ids):
        yield


class LogContextMiddleware(BaseMiddleware):
    """Outermost: every line logged while an update is handled names the update and its kind
    (never the user: Telegram ids are personal data)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        try:
            kind = event.event_type
        except UpdateTypeLookupError:  # a type newer than aiogram; the dispatcher skips it
            kind = "unknown"
        with log_context(update_id=event.update_id, update_type=kind):
            return await handler(event, data)
