"""Typed callback data of the seller's /returns. Ids and enums only; every case id is checked
against the caller by the service on every use."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData

from domain.services import return_views


class ReturnAction(enum.StrEnum):
    LIST = "list"
    VIEW = "view"


class ReturnMenu(CallbackData, prefix="rtm"):
    action: ReturnAction
    case_id: int = 0
    listing: return_views.CaseFilter = return_views.CaseFilter.OPEN
    page: int = 0


class CasePick(CallbackData, prefix="rcp"):
    """A case chosen in the `/case` picker (the caller's side in it is checked on press)."""

    case_id: int
