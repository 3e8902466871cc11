"""The bot's HTTP session to the Bot API: aiogram's, with its response models kept alive.

aiogram reads every answer through `Response[method.__returning__]` (`BaseSession.
check_response`). pydantic caches parametrized generic models only weakly, and those classes
sit in reference cycles, so each run of the cyclic collector frees them and the next API call
builds the class again with a full schema generation (measured: ~24% of the bot's CPU at 20
updates/s, `Response[list[Update]]` and `Response[Message]` rebuilt ~50 times in 20 s each).
Holding each parametrized class for the life of the process makes pydantic's own cache hit
every time after the first build. There are a few dozen return types in the whole Bot API, so
the table stays small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

# return type of a Bot API method -> its Response[...] model; process-wide, never emptied.
_response_models: dict[Any, type[Response[Any]]] = {}


def response_model(returning: Any) -> type[Response[Any]]:
    """`Response[returning]`, built once per process and then held."""
    model = _response_models.get(returning)
    if model is None:
        model = Response[returning]
        _response_models[returning] = model
    return model


class BotApiSession(AiohttpSession):
    """AiohttpSession whose response models are built once per process."""

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        # The base class parametrizes Response[...] itself; with the class held here that is
        # a hit in pydantic's cache instead of a rebuild.
        response_model(method.__returning__)
        return super().check_response(bot, method, status_code, content)
