"""The unit of work: one database transaction and the repositories that share it.

`async with uow:` rolls back unless `await uow.commit()` was called. Callbacks registered
with `after_commit` run once the transaction is durable (e.g. waking the outbox dispatcher, or
making the database files forget what an erasure deleted).

Services reach the database only through the repositories and the few transaction controls
here (`flush`, `savepoint`): every query is a repository method, named for what it asks. The
session is the repositories' (and the infrastructure's), never a service's;
`tests/unit/test_architecture.py` fails if a module of `domain/services` touches it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from domain.clock import Clock, utcnow
from domain.model import ConversationState
from domain.repositories import (
    AuditLog,
    BlockedRecipientRepository,
    BuyerRepository,
    ConfirmationRepository,
    ConversationStateRepository,
    LogisticsSettingsRepository,
    NotificationRepository,
    NumbersToStopRepository,
    OrderImportRepository,
    OrderRepository,
    PersonalDataRepository,
    ProcessedUpdateRepository,
    ReturnRepository,
    SellerRepository,
    ShipmentRepository,
    TelegramUserRepository,
    TrackingRepository,
    WarehouseRepository,
)
from domain.repositories.known_rows import KnownRows, load_sender

AfterCommit = Callable[[], Awaitable[None] | None]


# PostgreSQL's codes for a transaction it rolled back because another one ran at the same time:
# a serialization failure and a deadlock.
_CONCURRENCY_SQLSTATES = frozenset({"40001", "40P01"})


def lost_to_a_concurrent_transaction(error: BaseException) -> bool:
    """Whether `error` says that another transaction got there first: a key this one inserted
    was taken meanwhile, a row it changed was changed since it was read, or the database
    rolled it back as a serialization failure or deadlock. Run again from the start, the work
    reads what the other transaction committed and may well succeed, or be refused for a
    reason the user can be told."""
    if isinstance(error, IntegrityError | StaleDataError):
        return True
    if isinstance(error, DBAPIError):
        return getattr(error.orig, "sqlstate", None) in _CONCURRENCY_SQLSTATES
    return False


class UnitOfWork:
    session: AsyncSession
    users: TelegramUserRepository
    sellers: SellerRepository
    processed_updates: ProcessedUpdateRepository
    notifications: NotificationRepository
    blocked_recipients: BlockedRecipientRepository
    audit: AuditLog
    conversation_states: ConversationStateRepository
    confirmations: ConfirmationRepository
    warehouses: WarehouseRepository
    orders: OrderRepository
    order_imports: OrderImportRepository
    shipments: ShipmentRepository
    logistics_settings: LogisticsSettingsRepository
    personal_data: PersonalDataRepository
    tracking: TrackingRepository
    numbers_to_stop: NumbersToStopRepository
    buyers: BuyerRepository
    returns: ReturnRepository

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        clock: Clock = utcnow,
        on_notifications_added: AfterCommit | None = None,
        on_personal_data_deleted: AfterCommit | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.clock = clock
        self._on_notifications_added = on_notifications_added
        # Given by the composition root: e.g. a SQLite checkpoint, so deleted rows do not
        # linger in the write-ahead log. Must not raise: the commit has already happened.
        self._on_personal_data_deleted = on_personal_data_deleted
        self._after_commit: list[AfterCommit] = []
        self._known = KnownRows()

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        self._known = KnownRows()
        self.users = TelegramUserRepository(self.session, self._known)
        self.sellers = SellerRepository(self.session, self._known)
        self.processed_updates = ProcessedUpdateRepository(self.session)
        self.notifications = NotificationRepository(
            self.session, on_add=self._mark_notifications_added
        )
        self.blocked_recipients = BlockedRecipientRepository(self.session, self._known)
        self.audit = AuditLog(self.session, self.now)
        self.conversation_states = ConversationStateRepository(self.session, self._known)
        self.confirmations = ConfirmationRepository(self.session)
        self.warehouses = WarehouseRepository(self.session)
        self.orders = OrderRepository(self.session)
        self.order_imports = OrderImportRepository(self.session)
        self.shipments = ShipmentRepository(self.session)
        self.logistics_settings = LogisticsSettingsRepository(self.session)
        self.personal_data = PersonalDataRepository(self.session)
        self.tracking = TrackingRepository(self.session)
        self.numbers_to_stop = NumbersToStopRepository(self.session)
        self.buyers = BuyerRepository(self.session, self._known)
        self.returns = ReturnRepository(self.session)
        self._after_commit = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    def now(self) -> datetime:
        return self.clock()

    async def flush(self) -> None:
        """Write pending changes now (inside the transaction), e.g. to learn a new row's id."""
        await self.session.flush()

    def savepoint(self) -> AsyncSessionTransaction:
        """`async with uow.savepoint():` — a failure inside (say, losing a race on a unique
        key) rolls back to here and leaves the rest of the transaction usable."""
        return self.session.begin_nested()

    async def commit(self) -> None:
        await self.session.commit()
        # A unit of work that goes on after a commit reads afresh what others changed since.
        self._known.clear()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            result = callback()
            if result is not None:
                await result

    async def rollback(self) -> None:
        await self.session.rollback()
        # The session expired what these refer to (or forgot it, if it was new).
        self._known.clear()
        self._after_commit = []

    async def load_sender(self, user_id: int, state_key: str | None) -> ConversationState | None:
        """Read at once what an update asks about its sender (user, seller, conversation
        state, blocked, following an order), so the repositories answer those from memory for
        the rest of the transaction. Returns the conversation state row, if any."""
        return await load_sender(self.session, self._known, user_id, state_key)

    def after_commit(self, callback: AfterCommit) -> None:
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    def wake_outbox(self) -> None:
        """Have the outbox look at its rows right after the commit (new or resumed ones)."""
        self._mark_notifications_added()

    def personal_data_deleted(self) -> None:
        """Once this transaction commits, have the storage drop its copies of deleted rows."""
        if self._on_personal_data_deleted is not None:
            self.after_commit(self._on_personal_data_deleted)

    def _mark_notifications_added(self) -> None:
        if self._on_notifications_added is not None:
            self.after_commit(self._on_notifications_added)


UnitOfWorkFactory = Callable[[], UnitOfWork]
