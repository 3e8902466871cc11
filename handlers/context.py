"""What every handler works with for one update, injected as one keyword: `ctx`.

Nearly every handler needs the same few things: who is asking, their conversation state, the
update's unit of work, the responder its answers are queued on and the handlers' configuration.
Asking aiogram for each by its own keyword repeated the same five or six parameters on every
handler; one `UpdateContext` says it once, and a dependency every handler may need is added in
one place (a field here, one line in the middleware) instead of on each signature.

The middleware runs innermost on the update, after the unit of work, the FSM context and the
locale are in the workflow data; it only gathers them. Values a few handlers need (the import
runner, the file-step runner, the bot) stay their own keywords.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, User

from domain.unit_of_work import UnitOfWork
from handlers.config import HandlerConfig
from handlers.responder import Responder

Data = dict[str, Any]
NextHandler = Callable[[TelegramObject, Data], Awaitable[Any]]


@dataclass(frozen=True)
class UpdateContext:
    """The caller of one update and the request's services (the responder is the update's own:
    its locale is the caller's, and what is queued on it is sent after the commit)."""

    user: User
    state: FSMContext
    uow: UnitOfWork
    responder: Responder
    config: HandlerConfig

    @property
    def user_id(self) -> int:
        return self.user.id


class UpdateContextMiddleware(BaseMiddleware):
    """Puts `ctx` into the workflow data of an update that has a sender and an FSM context
    (every private-chat update the routers take)."""

    async def __call__(self, handler: NextHandler, event: TelegramObject, data: Data) -> Any:
        if data.get("event_from_user") is not None and data.get("state") is not None:
            data["ctx"] = UpdateContext(
                user=data["event_from_user"],
                state=data["state"],
                uow=data["uow"],
                responder=data["responder"],
                config=data["config"],
            )
        return await handler(event, data)
