"""The two bots `bench/updates.py` measures sellerbot against.

- **bare**: aiogram's Dispatcher polling with its defaults and one router that answers every
  message with its text and every button press with an empty pop-up. No database, no
  middleware: what aiogram alone costs per update.
- **typical**: what most aiogram + SQLAlchemy bots look like: a middleware opens an
  `AsyncSession` per update, the handler upserts the user (one INSERT .. ON CONFLICT DO UPDATE),
  commits, reads the row back (one SELECT) and answers with it.

Both run on the same event loop, the same emulator and the same database kind as sellerbot.
Neither knows Telegram's limits: a send refused with 429 raises in the handler and aiogram logs
the update as failed, so the answer is lost (which is what such bots do in production).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message, TelegramObject
from sqlalchemy import BigInteger, DateTime, Integer, String, event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class _Base(DeclarativeBase):
    pass


class BotUser(_Base):
    """The one table of the typical bot: who wrote, and how often."""

    __tablename__ = "bot_users"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(16))
    messages: Mapped[int] = mapped_column(Integer, default=1)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SessionMiddleware(BaseMiddleware):
    """One AsyncSession per update, closed afterwards (the tutorials' pattern)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self._sessions() as session:
            data["session"] = session
            return await handler(event, data)


async def _upsert_and_read(
    session: AsyncSession, user_id: int, name: str, lang: str | None
) -> BotUser:
    insert = postgresql_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    now = datetime.now(UTC)
    statement = insert(BotUser).values(
        id=user_id, first_name=name, language_code=lang, messages=1, last_seen_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[BotUser.id],
        set_={"messages": BotUser.messages + 1, "last_seen_at": now, "first_name": name},
    )
    await session.execute(statement)
    await session.commit()
    return (await session.execute(select(BotUser).where(BotUser.id == user_id))).scalar_one()


def _echo_router() -> Router:
    router = Router(name="bare")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    @router.callback_query()
    async def pressed(query: CallbackQuery) -> None:
        await query.answer()

    return router


def _typical_router() -> Router:
    router = Router(name="typical")

    @router.message()
    async def answer(message: Message, session: AsyncSession) -> None:
        assert message.from_user is not None
        user = await _upsert_and_read(
            session,
            message.from_user.id,
            message.from_user.first_name,
            message.from_user.language_code,
        )
        await message.answer(f"Hello {user.first_name}, message {user.messages}: {message.text}")

    @router.callback_query()
    async def pressed(query: CallbackQuery, session: AsyncSession) -> None:
        user = await _upsert_and_read(
            session, query.from_user.id, query.from_user.first_name, query.from_user.language_code
        )
        await query.answer(f"{user.messages}")

    return router


def _use_wal(engine: AsyncEngine) -> None:
    """The same SQLite settings as sellerbot's (WAL, relaxed fsync, a busy timeout), so the
    comparison is of the code on the update path, not of the journal mode."""

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


class BaselineBot:
    """A polling aiogram bot on the emulator; `start` returns once polling runs."""

    def __init__(self, kind: str, token: str, api_base: str, database_url: str | None) -> None:
        if kind not in ("bare", "typical"):
            raise ValueError(kind)
        self.kind = kind
        self.bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_base)))
        self.dispatcher = Dispatcher()
        self.engine: AsyncEngine | None = None
        if kind == "typical":
            assert database_url is not None
            self.engine = create_engine(database_url)
            if self.engine.dialect.name == "sqlite":
                _use_wal(self.engine)
            sessions = async_sessionmaker(self.engine, expire_on_commit=False)
            self.dispatcher.update.outer_middleware(SessionMiddleware(sessions))
            self.dispatcher.include_router(_typical_router())
        else:
            self.dispatcher.include_router(_echo_router())
        self._polling: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.engine is not None:
            async with self.engine.begin() as connection:
                await connection.run_sync(_Base.metadata.create_all)
        await self.bot.me()
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(self.bot, handle_signals=False, close_bot_session=False)
        )

    async def stop(self) -> None:
        if self._polling is not None:
            with suppress(RuntimeError):  # polling had not started yet
                await self.dispatcher.stop_polling()
            with suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._polling, timeout=15)
        await self.bot.session.close()
        if self.engine is not None:
            await self.engine.dispose()
