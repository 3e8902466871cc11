"""Registering a menu's buttons: one callback data class, one handler per action.

A menu's callback data names what a button does in one enum field (`action`, or `step`); each
action has its handler. Declaring them as a table keeps a module's routing to one line per
button instead of a filter expression repeated for each.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from aiogram import F, Router
from aiogram.dispatcher.event.handler import CallbackType
from aiogram.filters.callback_data import CallbackData


def register_presses(
    router: Router,
    menu: type[CallbackData],
    presses: Mapping[enum.Enum, CallbackType],
    *filters: CallbackType,
    field: str = "action",
) -> None:
    """Register `presses[action]` for the buttons of `menu` whose `field` is that action, in the
    table's order; `filters` (a state, say) apply to each of them, before the callback data's."""
    for action, handler in presses.items():
        router.callback_query.register(handler, *filters, menu.filter(getattr(F, field) == action))
