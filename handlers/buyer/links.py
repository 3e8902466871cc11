"""The seller's link (``/start <token>``): the first account that opens it follows the order.

Anyone else is told the link is used and learns nothing; a seller opening their own buyer's
link is warned instead of taking the buyer's place.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.types import Message

from domain.services import buyers
from handlers.buyer.views import show_card
from handlers.command_filters import any_case_start
from handlers.context import UpdateContext


async def open_link(message: Message, command: CommandObject, ctx: UpdateContext) -> None:
    # The payload is untrusted: the service checks its shape and counts bad ones.
    outcome = await buyers.open_link(command.args or "", ctx.user_id, ctx.uow)
    if outcome.blocked:
        ctx.responder.reply("buyer.link_too_many")
    elif outcome.sellers_own is not None:
        ctx.responder.reply("buyer.link_sellers_own", order_number=outcome.sellers_own)
    elif outcome.view is None:
        ctx.responder.reply("buyer_link.invalid")
    else:
        show_card(outcome.view, ctx.responder, welcome=outcome.bound_now)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(open_link, any_case_start(deep_link=True))
    return router
