"""/timezone: the buyer sees the time zone their quiet hours and times follow, and changes it
with a button (the zones of the countries their orders ship to, or back to automatic) or by
typing a city or zone name after the command."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message

from domain.services import buyer_time_zones
from handlers.buyer.callbacks import TimeZoneChoice
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.responder import Button, Keyboard, Responder


def _keyboard(view: buyer_time_zones.BuyerTimeZones, responder: Responder) -> Keyboard:
    zones = [
        Button(
            text=responder.renderer.time_zone(zone, view.now, responder.locale),
            callback=TimeZoneChoice(zone=zone),
        )
        for zone in view.offered
    ]
    rows: list[list[Button]] = [zones[index : index + 2] for index in range(0, len(zones), 2)]
    if view.chosen:
        rows.append([Button(label="buyer.time_zone_automatic", callback=TimeZoneChoice())])
    return rows


async def time_zone_command(message: Message, command: CommandObject, ctx: UpdateContext) -> None:
    if command.args and command.args.strip():
        # Typed text is untrusted: the service only accepts a zone it knows.
        view = await buyer_time_zones.choose_by_name(ctx.user_id, command.args, ctx.uow)
        ctx.responder.reply("buyer.time_zone_changed", view=view)
        return
    view = await buyer_time_zones.time_zones_of(ctx.user_id, ctx.uow)
    ctx.responder.reply("buyer.time_zone", view=view, keyboard=_keyboard(view, ctx.responder))


async def time_zone_pressed(
    query: CallbackQuery, callback_data: TimeZoneChoice, ctx: UpdateContext
) -> None:
    view = await buyer_time_zones.choose(ctx.user_id, callback_data.zone or None, ctx.uow)
    ctx.responder.reply("buyer.time_zone_changed", view=view)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(time_zone_command, any_case_command("timezone"))
    router.callback_query.register(time_zone_pressed, TimeZoneChoice.filter())
    return router
