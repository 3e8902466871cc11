"""Repositories: the only place that knows how entities are queried. They never commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import (
    AuditEntry,
    BlockedRecipient,
    ConversationState,
    Notification,
    NotificationStatus,
    ProcessedUpdate,
    Seller,
    TelegramUser,
    Warehouse,
    WarehouseStatus,
)


def _insert_ignoring_conflicts(session: AsyncSession, table: Any, values: dict[str, Any]) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING`, in the dialect of the session's database."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(table).values(**values).on_conflict_do_nothing()


class TelegramUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> TelegramUser | None:
        return await self.session.get(TelegramUser, user_id)

    async def touch(
        self, user_id: int, telegram_language: str | None, now: datetime
    ) -> TelegramUser:
        """Return the user's row, creating it on first contact and noting Telegram's language."""
        user = await self.session.get(TelegramUser, user_id)
        if user is None:
            user = TelegramUser(
                id=user_id, telegram_language=telegram_language, created_at=now, last_seen_at=now
            )
            self.session.add(user)
            await self.session.flush()
        else:
            user.last_seen_at = now
            if telegram_language and user.telegram_language != telegram_language:
                user.telegram_language = telegram_language
        return user

    async def delete(self, user_id: int) -> None:
        await self.session.execute(delete(TelegramUser).where(TelegramUser.id == user_id))


class SellerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, seller: Seller) -> None:
        self.session.add(seller)

    async def by_telegram_user(self, user_id: int) -> Seller | None:
        result = await self.session.execute(
            select(Seller).where(Seller.telegram_user_id == user_id)
        )
        return result.scalar_one_or_none()

    async def delete(self, seller: Seller) -> None:
        await self.session.delete(seller)

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Seller)) or 0)


class ProcessedUpdateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Record the update as processed; False when it already was (a redelivery)."""
        statement = _insert_ignoring_conflicts(
            self.session, ProcessedUpdate, {"update_id": update_id, "processed_at": now}
        )
        result = await self.session.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def prune(self, older_than: datetime) -> int:
        result = await self.session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < older_than)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


class NotificationRepository:
    """The outbox. Rows are added in the transaction that caused them and claimed with a lease."""

    def __init__(self, session: AsyncSession, on_add: Callable[[], None] | None = None) -> None:
        self.session = session
        # Lets the unit of work wake the dispatcher once the new rows are committed.
        self._on_add = on_add

    async def add(
        self,
        *,
        dedupe_key: str,
        chat_id: int,
        template: str,
        params: dict[str, Any],
        now: datetime,
        locale: str | None = None,
        message_thread_id: int | None = None,
    ) -> bool:
        """Queue a notification; False when one with this dedupe key already exists."""
        statement = _insert_ignoring_conflicts(
            self.session,
            Notification,
            {
                "dedupe_key": dedupe_key,
                "chat_id": chat_id,
                "template": template,
                "params": params,
                "locale": locale,
                "message_thread_id": message_thread_id,
                "status": NotificationStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
        result = await self.session.execute(statement)
        added = bool(result.rowcount)  # type: ignore[attr-defined]
        if added and self._on_add is not None:
            self._on_add()
        return added

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[Notification]:
        """Lease up to `limit` due rows: pending ones, and `sending` ones whose lease ran out."""
        due = (
            select(Notification.id)
            .where(
                or_(
                    (Notification.status == NotificationStatus.PENDING)
                    & (Notification.next_attempt_at <= now),
                    (Notification.status == NotificationStatus.SENDING)
                    & (Notification.lease_until < now),
                )
            )
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        ids = list((await self.session.execute(due)).scalars())
        if not ids:
            return []
        await self.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(status=NotificationStatus.SENDING, lease_until=now + lease)
        )
        result = await self.session.execute(
            select(Notification)
            .where(Notification.id.in_(ids))
            .order_by(Notification.next_attempt_at, Notification.id)
            .execution_options(populate_existing=True)
        )
        return list(result.scalars())

    async def get(self, notification_id: int) -> Notification | None:
        return await self.session.get(Notification, notification_id)

    async def by_status(self, status: NotificationStatus) -> Sequence[Notification]:
        result = await self.session.execute(
            select(Notification).where(Notification.status == status).order_by(Notification.id)
        )
        return result.scalars().all()

    async def pause_chat(self, chat_id: int) -> int:
        """Stop every unsent notification to a chat that blocked the bot."""
        result = await self.session.execute(
            update(Notification)
            .where(
                Notification.chat_id == chat_id,
                Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING]),
            )
            .values(status=NotificationStatus.PAUSED, lease_until=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def resume_chat(self, chat_id: int, now: datetime) -> int:
        result = await self.session.execute(
            update(Notification)
            .where(
                Notification.chat_id == chat_id, Notification.status == NotificationStatus.PAUSED
            )
            .values(status=NotificationStatus.PENDING, next_attempt_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def delete_for_chat(self, chat_id: int) -> None:
        await self.session.execute(delete(Notification).where(Notification.chat_id == chat_id))


class BlockedRecipientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def is_blocked(self, chat_id: int) -> bool:
        return await self.session.get(BlockedRecipient, chat_id) is not None

    async def block(self, chat_id: int, reason: str, now: datetime) -> None:
        statement = _insert_ignoring_conflicts(
            self.session,
            BlockedRecipient,
            {"chat_id": chat_id, "blocked_at": now, "reason": reason[:200]},
        )
        await self.session.execute(statement)

    async def unblock(self, chat_id: int) -> bool:
        result = await self.session.execute(
            delete(BlockedRecipient).where(BlockedRecipient.chat_id == chat_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def record(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        actor_role: str,
        action: str,
        subject_type: str,
        subject_id: str | int | None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            at=at,
            actor_id=actor_id,
            actor_role=actor_role,
            action=action,
            subject_type=subject_type,
            subject_id=None if subject_id is None else str(subject_id),
            details=details or {},
        )
        self.session.add(entry)
        return entry

    async def entries_for(self, subject_type: str, subject_id: str | int) -> Sequence[AuditEntry]:
        result = await self.session.execute(
            select(AuditEntry)
            .where(
                AuditEntry.subject_type == subject_type, AuditEntry.subject_id == str(subject_id)
            )
            .order_by(AuditEntry.id)
        )
        return result.scalars().all()


class ConversationStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, key: str) -> ConversationState | None:
        return await self.session.get(ConversationState, key)

    async def upsert(
        self,
        key: str,
        *,
        chat_id: int,
        user_id: int,
        now: datetime,
        state: str | None = None,
        data: dict[str, Any] | None = None,
        set_state: bool = False,
        set_data: bool = False,
    ) -> None:
        row = await self.session.get(ConversationState, key)
        if row is None:
            row = ConversationState(
                key=key, chat_id=chat_id, user_id=user_id, data={}, updated_at=now
            )
            self.session.add(row)
        if set_state:
            row.state = state
        if set_data:
            row.data = dict(data or {})
        row.updated_at = now

    async def delete_for_user(self, user_id: int) -> None:
        await self.session.execute(
            delete(ConversationState).where(ConversationState.user_id == user_id)
        )


class WarehouseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, warehouse: Warehouse) -> None:
        self.session.add(warehouse)

    async def get(self, warehouse_id: int) -> Warehouse | None:
        return await self.session.get(Warehouse, warehouse_id)

    async def for_seller(self, seller_id: int) -> Sequence[Warehouse]:
        result = await self.session.execute(
            select(Warehouse)
            .where(Warehouse.seller_id == seller_id, Warehouse.status != WarehouseStatus.ARCHIVED)
            .order_by(Warehouse.created_at, Warehouse.id)
        )
        return result.scalars().all()

    async def name_taken(
        self, seller_id: int, name_key: str, exclude_id: int | None = None
    ) -> bool:
        query = select(func.count()).where(
            Warehouse.seller_id == seller_id,
            Warehouse.name_key == name_key,
            Warehouse.status != WarehouseStatus.ARCHIVED,
        )
        if exclude_id is not None:
            query = query.where(Warehouse.id != exclude_id)
        return bool(await self.session.scalar(query))

    async def by_status(
        self, status: WarehouseStatus, *, limit: int = 10, offset: int = 0
    ) -> Sequence[Warehouse]:
        """Oldest submission first: the review queue is first come, first served."""
        result = await self.session.execute(
            select(Warehouse)
            .where(Warehouse.status == status)
            .order_by(Warehouse.submitted_at, Warehouse.id)
            .limit(limit)
            .offset(offset)
        )
        return result.scalars().all()

    async def count_by_status(self, status: WarehouseStatus) -> int:
        return int(
            await self.session.scalar(select(func.count()).where(Warehouse.status == status)) or 0
        )

    async def verified_that_can_ship(self, seller_id: int) -> list[Warehouse]:
        result = await self.session.execute(
            select(Warehouse)
            .where(Warehouse.seller_id == seller_id, Warehouse.status == WarehouseStatus.VERIFIED)
            .order_by(Warehouse.name)
        )
        return [w for w in result.scalars() if w.can_ship]
