"""The buttons of outbox notices, drawn for the outbox (`notifications.outbox_drain.NoticeKeyboard`).

A return case notice keeps its buttons in its params as data (`return_notices.notice_buttons`),
and so do a warehouse review decision (`warehouses.decision_notice_buttons`), a tracking alert
about a parcel that will not arrive (`tracking_notices.order_notice_buttons`) and an order
import that turned out to be a rate card: the domain cannot pack callback data, and the outbox
must not know the handlers' formats. Here, in the composition root, the handlers turn that data
into their cards' own presses (`notice_keyboard` in `handlers.return_case`,
`handlers.seller.warehouses`, `handlers.seller.order_redelivery` and
`handlers.seller.logistics_settings`), labelled in the recipient's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from handlers import return_case
from handlers.responder import Responder
from handlers.seller import logistics_settings, order_redelivery, warehouses
from templates import Renderer


class NoticeKeyboards:
    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def __call__(self, params: Mapping[str, Any], locale: str) -> InlineKeyboardMarkup | None:
        keyboard = [
            *return_case.notice_keyboard(params),
            *warehouses.notice_keyboard(params),
            *order_redelivery.notice_keyboard(params),
            *logistics_settings.notice_keyboard(params),
        ]
        if not keyboard:
            return None
        return Responder(self.renderer, locale, chat_id=None).inline_keyboard(keyboard)
