"""Who uses the bot: Telegram users, sellers and their logistics settings."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from domain.model import (
    Seller,
    SellerLogisticsSettings,
    TelegramUser,
)
from domain.repositories.base import RememberingRepository, Repository

# `last_seen_at` is kept to this resolution: a write per update would buy nothing more.
LAST_SEEN_RESOLUTION = timedelta(hours=1)


class TelegramUserRepository(RememberingRepository):
    async def get(self, user_id: int) -> TelegramUser | None:
        return await self._remembered(self._known.users, TelegramUser, user_id)

    async def touch(
        self, user_id: int, telegram_language: str | None, now: datetime
    ) -> TelegramUser:
        """Return the user's row, creating it on first contact and noting Telegram's language."""
        user = await self.get(user_id)
        if user is None:
            user = TelegramUser(
                id=user_id, telegram_language=telegram_language, created_at=now, last_seen_at=now
            )
            self.session.add(user)
            await self.session.flush()
            self._known.users[user_id] = user
        else:
            if now - user.last_seen_at >= LAST_SEEN_RESOLUTION:
                user.last_seen_at = now
            if telegram_language and user.telegram_language != telegram_language:
                user.telegram_language = telegram_language
        return user

    async def delete(self, user_id: int) -> None:
        await self.session.execute(delete(TelegramUser).where(TelegramUser.id == user_id))
        self._known.users[user_id] = None


class SellerRepository(RememberingRepository):
    def add(self, seller: Seller) -> None:
        self.session.add(seller)
        self._known.sellers_by_user[seller.telegram_user_id] = seller

    async def get(self, seller_id: int) -> Seller | None:
        return await self.session.get(Seller, seller_id)

    async def by_telegram_user(self, user_id: int) -> Seller | None:
        if user_id in self._known.sellers_by_user:
            return self._known.sellers_by_user[user_id]
        result = await self.session.execute(
            select(Seller).where(Seller.telegram_user_id == user_id)
        )
        seller = result.scalar_one_or_none()
        self._known.sellers_by_user[user_id] = seller
        return seller

    async def delete(self, seller: Seller) -> None:
        await self.session.delete(seller)
        self._known.sellers_by_user[seller.telegram_user_id] = None

    async def count(self) -> int:
        return await self._count(Seller)


class LogisticsSettingsRepository(Repository):
    def add(self, settings: SellerLogisticsSettings) -> None:
        self.session.add(settings)

    async def for_seller(self, seller_id: int) -> SellerLogisticsSettings | None:
        result = await self.session.execute(
            select(SellerLogisticsSettings).where(SellerLogisticsSettings.seller_id == seller_id)
        )
        return result.scalar_one_or_none()
