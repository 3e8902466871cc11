"""The seller's link (``/start <token>``): the first account that opens it follows the order.

Anyone else is told the link is used and learns nothing; a seller opening their own buyer's
link is warned instead of taking the buyer's place.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message, User

from domain.services import buyers
from domain.unit_of_work import UnitOfWork
from handlers.buyer.views import show_card
from handlers.responder import Responder


async def open_link(
    message: Message,
    command: CommandObject,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
) -> None:
    # The payload is untrusted: the service checks its shape and counts bad ones.
    outcome = await buyers.open_link(command.args or "", event_from_user.id, uow)
    if outcome.blocked:
        responder.reply("buyer.link_too_many")
    elif outcome.sellers_own is not None:
        responder.reply("buyer.link_sellers_own", order_number=outcome.sellers_own)
    elif outcome.view is None:
        responder.reply("buyer_link.invalid")
    else:
        show_card(outcome.view, responder, welcome=outcome.bound_now)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(open_link, CommandStart(deep_link=True))
    return router
