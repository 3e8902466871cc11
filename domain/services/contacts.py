"""What happens when a user writes to the bot at all."""

from __future__ import annotations

from domain.locales import resolve_locale, telegram_language_tag
from domain.unit_of_work import UnitOfWork


async def record_contact(
    user_id: int, telegram_language: str | None, default_locale: str, uow: UnitOfWork
) -> str:
    """Note the user's visit and return their locale.

    A user who had blocked the bot and writes again has unblocked it: notifications that
    were paused for them resume, and so do the tracking updates of the orders they follow.
    """
    now = uow.now()
    telegram_language = telegram_language_tag(telegram_language)
    user = await uow.users.touch(user_id, telegram_language, now)
    if await uow.blocked_recipients.unblock(user_id):
        await uow.notifications.resume_chat(user_id, now)
        await uow.buyers.resume_chat(user_id)
        uow.wake_outbox()
    return resolve_locale(user.locale, telegram_language, default_locale)
