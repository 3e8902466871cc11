"""Repositories: the only place that knows how entities are queried. They never commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import (
    OPEN_ORDER_STATUSES,
    AuditEntry,
    BlockedRecipient,
    BuyerLink,
    ComplianceFinding,
    ConversationState,
    Notification,
    NotificationStatus,
    Order,
    OrderLine,
    OrderStatus,
    ProcessedUpdate,
    Seller,
    SellerLogisticsSettings,
    Shipment,
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
        subject_user_id: int | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue a notification; False when one with this dedupe key already exists.

        `not_before`: not sent before then (a tracking message held through quiet hours).

        `subject_user_id`: the Telegram user whose personal data `params` carry, when that is
        not the recipient (e.g. a seller's store and warehouse names sent to an operator), so
        erasing that user deletes the row too.
        """
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
                "subject_user_id": subject_user_id,
                "status": NotificationStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now if not_before is None else max(now, not_before),
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

    async def dead_letters(self, limit: int) -> tuple[list[Notification], int]:
        """The newest rows the outbox gave up on, and how many there are."""
        dead = Notification.status == NotificationStatus.DEAD
        total = int(await self.session.scalar(select(func.count()).where(dead)) or 0)
        result = await self.session.execute(
            select(Notification).where(dead).order_by(Notification.id.desc()).limit(limit)
        )
        return list(result.scalars()), total

    async def retry_dead(self, now: datetime) -> int:
        """Send every dead row again, from a fresh count of attempts."""
        result = await self.session.execute(
            update(Notification)
            .where(Notification.status == NotificationStatus.DEAD)
            .values(
                status=NotificationStatus.PENDING, attempts=0, next_attempt_at=now, lease_until=None
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

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

    async def prune_finished(self, older_than: datetime, limit: int) -> int:
        """Delete up to `limit` rows the outbox is done with: sent before `older_than`, or
        dead or paused (never to be sent as they are) and written before it."""
        finished = (
            select(Notification.id)
            .where(
                or_(
                    (Notification.status == NotificationStatus.SENT)
                    & (Notification.sent_at < older_than),
                    Notification.status.in_([NotificationStatus.DEAD, NotificationStatus.PAUSED])
                    & (Notification.created_at < older_than),
                )
            )
            .order_by(Notification.id)
            .limit(limit)
        )
        result = await self.session.execute(
            delete(Notification).where(Notification.id.in_(finished))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


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


class OrderRepository:
    """Orders with their lines, and the buyer links that point at them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, order: Order) -> None:
        self.session.add(order)

    async def insert_new(
        self, orders: Sequence[dict[str, Any]], lines: Sequence[Sequence[dict[str, Any]]]
    ) -> set[str]:
        """Insert the orders (their column values) whose number the seller does not have yet,
        with their lines (`lines[i]` belongs to `orders[i]`); return the numbers inserted.

        Two statements for any number of orders (imports): one INSERT ... ON CONFLICT DO
        NOTHING RETURNING for the orders, so a number already taken is skipped without a
        lookup first and without spoiling the transaction, then one for the lines. Core
        inserts of the tables (the ORM's bulk path would convert every row again); nothing
        enters the session. Fewer round trips keep an import's hold on SQLite's write lock
        short.
        """
        if not orders:
            return set()
        table = cast(Table, Order.__table__)
        dialect = self.session.get_bind().dialect.name
        insert_into = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert_into(table)
            .on_conflict_do_nothing(index_elements=[table.c.seller_id, table.c.number])
            .returning(table.c.id, table.c.seller_id, table.c.number)
        )
        result = await self.session.execute(statement, list(orders))
        ids = {(seller_id, number): order_id for order_id, seller_id, number in result.tuples()}
        rows = [
            {"order_id": ids[key], **line}
            for order, order_lines in zip(orders, lines, strict=True)
            if (key := (order["seller_id"], order["number"])) in ids
            for line in order_lines
        ]
        if rows:
            await self.session.execute(insert(cast(Table, OrderLine.__table__)), rows)
        return {number for _, number in ids}

    async def get(self, order_id: int) -> Order | None:
        return await self.session.get(Order, order_id)

    async def by_number(self, seller_id: int, number: str) -> Order | None:
        result = await self.session.execute(
            select(Order).where(Order.seller_id == seller_id, Order.number == number)
        )
        return result.scalar_one_or_none()

    async def existing_numbers(self, seller_id: int, numbers: Sequence[str]) -> set[str]:
        """Which of these order numbers the seller already has (any status)."""
        found: set[str] = set()
        unique = sorted(set(numbers))
        # Chunked: SQLite allows a limited number of bound parameters per statement.
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            result = await self.session.execute(
                select(Order.number).where(Order.seller_id == seller_id, Order.number.in_(chunk))
            )
            found.update(result.scalars())
        return found

    async def page(
        self,
        seller_id: int,
        *,
        statuses: Sequence[OrderStatus],
        overdue_before: datetime | None = None,
        tracking_problems: Sequence[str] = (),
        problem_statuses: Sequence[OrderStatus] = (),
        newest_first: bool = False,
        limit: int,
        offset: int,
    ) -> tuple[list[Order], int]:
        """One page of a seller's orders in `statuses`, and how many there are in all.

        With `overdue_before`, open orders count only when their deadline has passed; with
        `tracking_problems`, shipped orders whose shipment has one of those tracking statuses
        are added (the "problems" list), and so are orders in `problem_statuses`.
        """
        condition: Any = Order.status.in_(list(statuses))
        if overdue_before is not None:
            condition = condition & (Order.ship_by < overdue_before)
        if tracking_problems:
            troubled = select(Shipment.order_id).where(
                Shipment.tracking_status.in_(list(tracking_problems))
            )
            condition = or_(
                condition,
                (Order.status == OrderStatus.SHIPPED) & Order.id.in_(troubled),
            )
        if problem_statuses:
            condition = or_(condition, Order.status.in_(list(problem_statuses)))
        where = (Order.seller_id == seller_id) & condition
        total = int(await self.session.scalar(select(func.count()).where(where)) or 0)
        ordering = (
            [Order.created_at.desc(), Order.id.desc()]
            if newest_first
            else [Order.ship_by, Order.id]
        )
        result = await self.session.execute(
            select(Order).where(where).order_by(*ordering).limit(limit).offset(offset)
        )
        return list(result.scalars()), total

    async def count_open(self, seller_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    Order.seller_id == seller_id, Order.status.in_(list(OPEN_ORDER_STATUSES))
                )
            )
            or 0
        )

    async def near_deadline(self, now: datetime, limit: int) -> list[tuple[Order, int]]:
        """Open orders owed a ship-by alert now, with their seller's Telegram user id.

        Mirrors `Order.reminder_due`: overdue and not alerted, or due within 4 h / 24 h and
        not yet reminded at that stage. Other processes running the same sweep skip the rows
        this one holds (PostgreSQL); the outbox dedupe key catches anything else.
        """
        soon_4h = now + timedelta(hours=4)
        soon_24h = now + timedelta(hours=24)
        query = (
            select(Order, Seller.telegram_user_id)
            .join(Seller, Seller.id == Order.seller_id)
            .where(
                Order.status.in_(list(OPEN_ORDER_STATUSES)),
                Order.ship_by <= soon_24h,
                or_(
                    (Order.ship_by <= now) & Order.overdue_alerted_at.is_(None),
                    (Order.ship_by > now)
                    & (Order.ship_by <= soon_4h)
                    & Order.reminded_4h_at.is_(None),
                    (Order.ship_by > soon_4h) & Order.reminded_24h_at.is_(None),
                ),
            )
            .order_by(Order.ship_by, Order.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=Order, skip_locked=True)
        result = await self.session.execute(query)
        return [(order, int(user_id)) for order, user_id in result.tuples()]

    def add_buyer_link(self, link: BuyerLink) -> None:
        self.session.add(link)

    async def buyer_link_by_hash(self, token_hash: str) -> BuyerLink | None:
        result = await self.session.execute(
            select(BuyerLink).where(BuyerLink.token_hash == token_hash)
        )
        return result.scalar_one_or_none()

    async def revoke_buyer_links(self, order_id: int, now: datetime) -> int:
        """Retire the order's unused links (a new one replaces them)."""
        result = await self.session.execute(
            update(BuyerLink)
            .where(
                BuyerLink.order_id == order_id,
                BuyerLink.used_at.is_(None),
                BuyerLink.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


class ShipmentRepository:
    """Shipping documents and their compliance findings."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, shipment: Shipment) -> None:
        self.session.add(shipment)

    async def get(self, shipment_id: int) -> Shipment | None:
        return await self.session.get(Shipment, shipment_id)

    async def for_order(self, order_id: int) -> Sequence[Shipment]:
        result = await self.session.execute(
            select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)
        )
        return result.scalars().all()

    async def tracking_number_used_elsewhere(self, tracking_number: str, order_id: int) -> bool:
        """Whether another order (of any seller) already shipped with this number.

        Pass the number normalised (upper case, no spaces), as it is stored. Drafts do not
        count: an abandoned or refused document must not lock a number away from its parcel.
        """
        found = await self.session.scalar(
            select(Shipment.id)
            .where(
                Shipment.tracking_number == tracking_number,
                Shipment.order_id != order_id,
                Shipment.confirmed_at.is_not(None),
            )
            .limit(1)
        )
        return found is not None

    async def count_open_for_warehouse(self, warehouse_id: int) -> int:
        """Documents from this warehouse whose order is not yet shipped, cancelled or closed."""
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(Shipment)
                .join(Order, Order.id == Shipment.order_id)
                .where(
                    Shipment.warehouse_id == warehouse_id,
                    Order.status.in_(list(OPEN_ORDER_STATUSES)),
                )
            )
            or 0
        )

    async def recent_findings(
        self, *, limit: int = 20, offset: int = 0
    ) -> Sequence[ComplianceFinding]:
        """Compliance findings, newest first (what operators review)."""
        result = await self.session.execute(
            select(ComplianceFinding)
            .order_by(ComplianceFinding.created_at.desc(), ComplianceFinding.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return result.scalars().all()


class LogisticsSettingsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, settings: SellerLogisticsSettings) -> None:
        self.session.add(settings)

    async def for_seller(self, seller_id: int) -> SellerLogisticsSettings | None:
        result = await self.session.execute(
            select(SellerLogisticsSettings).where(SellerLogisticsSettings.seller_id == seller_id)
        )
        return result.scalar_one_or_none()
