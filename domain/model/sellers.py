"""People the bot knows: every Telegram user's preferences, and registered sellers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, false
from sqlalchemy.orm import Mapped, mapped_column

from domain.model.base import Base, parent_id, primary_id

STORE_NAME_MAX = 64
STORE_NAME_MIN = 2


class TelegramUser(Base):
    """Anyone who has talked to the bot: only what is needed to answer them well."""

    __tablename__ = "telegram_users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # The language the user chose with /language; None means "follow Telegram's setting".
    locale: Mapped[str | None] = mapped_column(String(16))
    # Telegram's language_code from the last update, so pushed messages match the user.
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class Seller(Base):
    """A store on AliExpress (semi-managed mode), owned by one Telegram user."""

    __tablename__ = "sellers"

    id: Mapped[int] = primary_id()
    telegram_user_id: Mapped[int] = parent_id("telegram_users", unique=True)
    store_name: Mapped[str] = mapped_column(String(STORE_NAME_MAX))
    home_country: Mapped[str] = mapped_column(String(2))
    locale: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    # Opted in to a daily summary of their shipments (/digest).
    tracking_digest: Mapped[bool] = mapped_column(default=False, server_default=false())
