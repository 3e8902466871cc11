"""Typed callback data of the seller's /returns. Ids and enums only; every case id is checked
against the caller by the service on every use."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData

from domain.services import return_views
from handlers.callbacks import Page, RecordId


class ReturnAction(enum.StrEnum):
    LIST = "list"
    VIEW = "view"


class ReturnMenu(CallbackData, prefix="rtm"):
    action: ReturnAction
    case_id: RecordId = 0
    listing: return_views.CaseFilter = return_views.CaseFilter.OPEN
    page: Page = 0
