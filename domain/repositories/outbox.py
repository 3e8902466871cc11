"""The outbox of notifications and the chats that blocked the bot."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnElement, Subquery

from domain.model import (
    BlockedRecipient,
    Notification,
    NotificationStatus,
    TelegramUser,
)
from domain.repositories.base import RememberingRepository, Repository, affected_rows
from domain.repositories.statements import dialect_insert, insert_ignoring_conflicts

# How many rows of one chat a claim takes at most. A private chat gets one message a second
# (a group one every three), so five keep a chat busy for a few seconds between claims while
# never letting one chat's backlog fill a batch that other chats' notifications wait behind.
CLAIM_PER_CHAT = 5


def _ranked(where: ColumnElement[bool]) -> Subquery:
    """The ids of the rows `where` selects, each with its place among its chat's (1: the
    chat's first in id order)."""
    return (
        select(
            Notification.id,
            func.row_number()
            .over(partition_by=Notification.chat_id, order_by=Notification.id)
            .label("place"),
        )
        .where(where)
        .subquery("ranked")
    )


@dataclass(frozen=True, slots=True)
class SentRecord:
    """A row Telegram accepted: its id, the first part's message id (None: a delivery that
    left nothing to show), and when it went."""

    id: int
    message_id: int | None
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxBacklog:
    """What the outbox still has to send: rows due now (pending or being sent), since when the
    oldest of them is due, rows held for later (quiet hours, backoff), and rows given up."""

    due: int
    oldest_due_at: datetime | None
    deferred: int
    dead: int


class NotificationRepository(Repository):
    """The outbox. Rows are added in the transaction that caused them and claimed with a lease."""

    def __init__(self, session: AsyncSession, on_add: Callable[[], None] | None = None) -> None:
        super().__init__(session)
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
        statement = insert_ignoring_conflicts(
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
        added = bool(affected_rows(result))
        if added and self._on_add is not None:
            self._on_add()
        return added

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Queue several notifications in one round trip; returns the dedupe keys added.

        Each row holds `add`'s keyword arguments (`now`, and optionally `not_before`,
        `locale`, `message_thread_id`, `subject_user_id`). A key that exists already, or
        that an earlier row of `rows` used, is skipped, as `add` would skip it.
        """
        values: list[dict[str, Any]] = []
        seen: set[str] = set()
        for row in rows:
            if row["dedupe_key"] in seen:
                continue
            seen.add(row["dedupe_key"])
            now, not_before = row["now"], row.get("not_before")
            values.append(
                {
                    "dedupe_key": row["dedupe_key"],
                    "chat_id": row["chat_id"],
                    "template": row["template"],
                    "params": row["params"],
                    "locale": row.get("locale"),
                    "message_thread_id": row.get("message_thread_id"),
                    "subject_user_id": row.get("subject_user_id"),
                    "status": NotificationStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now if not_before is None else max(now, not_before),
                    "created_at": now,
                }
            )
        if not values:
            return set()
        table = Notification.__table__
        statement = (
            dialect_insert(self.session, table)
            .on_conflict_do_nothing()
            .returning(table.c.dedupe_key)
        )
        # One executemany: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues").
        added = set((await self.session.execute(statement, values)).scalars())
        if added and self._on_add is not None:
            self._on_add()
        return added

    async def claim_due(
        self,
        now: datetime,
        lease: timedelta,
        limit: int,
        *,
        per_chat: int = CLAIM_PER_CHAT,
        skip_chats: Collection[int] = (),
    ) -> list[Notification]:
        """Lease up to `limit` due rows: pending ones, and `sending` ones whose lease ran out.

        Fair across chats: at most `per_chat` rows of any one chat, its first in id order (the
        order a chat's rows are sent in, whatever a backoff did to their due times), and the
        batch filled round-robin — every chat's first row before any chat's second, the
        longest waiting first — so a chat with thousands of rows due takes no more of a batch
        than one with a single row. No row is taken of a chat with a row leased now, or with a
        failed send waiting for its retry, by this worker or another: two workers never serve
        one chat at once, and no row overtakes a failed one. `skip_chats`: chats the caller is
        serving, or holding back behind a failed row; none of their rows is taken. The rows
        come back in id order.
        """
        due_now = or_(
            (Notification.status == NotificationStatus.PENDING)
            & (Notification.next_attempt_at <= now),
            (Notification.status == NotificationStatus.SENDING) & (Notification.lease_until < now),
        )
        # Chats held, whichever worker holds them: with a row leased now (two workers sending
        # to one chat at once would break its id order and trip Telegram's per-chat limit,
        # and each 429 pauses all of that worker's sends), or with a failed send waiting for
        # its retry (backoff, a long 429), which the chat's later rows must not overtake. A
        # row merely not due yet (a buyer's night) holds nothing back.
        held = select(Notification.chat_id).where(
            or_(
                (Notification.status == NotificationStatus.SENDING)
                & (Notification.lease_until >= now),
                (Notification.status == NotificationStatus.PENDING)
                & (Notification.next_attempt_at > now)
                & Notification.last_error.is_not(None),
            )
        )
        eligible: ColumnElement[bool] = Notification.chat_id.not_in(held)
        if skip_chats:
            eligible &= Notification.chat_id.not_in(list(skip_chats))
        # First the chats to serve, longest waiting first, each by its first due row, locked
        # until the claim commits (PostgreSQL; `SKIP LOCKED`): that row stands for its chat,
        # so two workers claiming at once never both take rows of one chat.
        ranked = _ranked(due_now & eligible)
        firsts = (
            select(Notification.chat_id)
            .join(ranked, ranked.c.id == Notification.id)
            .where(ranked.c.place == 1, due_now)
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
        )
        chats = list(
            (await self.session.execute(self._locking(firsts, Notification, skip_locked=True)))
            .scalars()
            .all()
        )
        if not chats:
            return []
        # Then up to `per_chat` rows of each of those chats, round-robin.
        ranked = _ranked(due_now & Notification.chat_id.in_(chats))
        due = (
            select(Notification.id)
            .join(ranked, ranked.c.id == Notification.id)
            # Checked again on the row itself: on PostgreSQL a row another worker claimed
            # and committed after this statement's snapshot is re-read before it is locked,
            # and must then be passed over (the ranking above saw the old version).
            .where(ranked.c.place <= per_chat, due_now)
            .order_by(ranked.c.place, Notification.next_attempt_at, Notification.id)
            .limit(limit)
        )
        ids = await self._claim(
            due, Notification.id, status=NotificationStatus.SENDING, lease_until=now + lease
        )
        if not ids:
            return []
        result = await self.session.execute(
            select(Notification)
            .where(Notification.id.in_(ids))
            .order_by(Notification.id)
            .execution_options(populate_existing=True)
        )
        return list(result.scalars())

    async def recipient_languages(
        self, chat_ids: Sequence[int]
    ) -> dict[int, tuple[str | None, str | None]]:
        """Chosen locale and Telegram language of the recipients that are known users, in one
        query (what a claimed batch is rendered in)."""
        if not chat_ids:
            return {}
        result = await self.session.execute(
            select(TelegramUser.id, TelegramUser.locale, TelegramUser.telegram_language).where(
                TelegramUser.id.in_(chat_ids)
            )
        )
        return {user_id: (locale, language) for user_id, locale, language in result.tuples()}

    async def record_sent(self, sent: Sequence[SentRecord]) -> set[int]:
        """Mark rows sent, in one statement; returns the ids recorded (a row deleted
        meanwhile, e.g. by an erasure, is not). Recorded whoever holds the lease now: the
        message did go out."""
        if not sent:
            return set()
        present = select(Notification.id).where(Notification.id.in_([row.id for row in sent]))
        if self._postgres:
            # Held until the commit, so an erasure cannot delete a row between here and the
            # UPDATE and have it counted as sent.
            present = present.with_for_update()
        found = set((await self.session.execute(present)).scalars())
        if found:
            table = cast(Table, Notification.__table__)
            await self.session.execute(
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values(
                    status=NotificationStatus.SENT,
                    sent_at=bindparam("row_sent_at"),
                    telegram_message_id=bindparam("row_message_id"),
                    lease_until=None,
                ),
                [
                    {
                        "row_id": row.id,
                        "row_sent_at": row.sent_at,
                        "row_message_id": row.message_id,
                    }
                    for row in sent
                    if row.id in found
                ],
            )
        return found

    async def renew_leases(
        self, ids: Sequence[int], lease_until: datetime, renewed_until: datetime
    ) -> set[int]:
        """Extend the lease of rows still `sending` under `lease_until`; returns their ids.

        A row missing from the answer is no longer the caller's: sent or given up by someone
        else, deleted, paused, or claimed by another worker after the lease ran out."""
        if not ids:
            return set()
        result = await self.session.execute(
            update(Notification)
            .where(
                Notification.id.in_(ids),
                Notification.status == NotificationStatus.SENDING,
                Notification.lease_until == lease_until,
            )
            .values(lease_until=renewed_until)
            .returning(Notification.id)
        )
        return set(result.scalars())

    async def release(
        self, ids: Sequence[int], lease_until: datetime, not_before: datetime | None = None
    ) -> int:
        """Hand rows leased under `lease_until` back as `pending`, not due before `not_before`."""
        if not ids:
            return 0
        values: dict[str, Any] = {"status": NotificationStatus.PENDING, "lease_until": None}
        if not_before is not None:
            values["next_attempt_at"] = case(
                (Notification.next_attempt_at < not_before, not_before),
                else_=Notification.next_attempt_at,
            )
        return await self._rows_changed(
            update(Notification)
            .where(
                Notification.id.in_(ids),
                Notification.status == NotificationStatus.SENDING,
                Notification.lease_until == lease_until,
            )
            .values(**values)
        )

    async def record_failure(
        self,
        notification_id: int,
        lease_until: datetime,
        *,
        status: NotificationStatus,
        attempts: int,
        next_attempt_at: datetime,
        last_error: str,
    ) -> bool:
        """Record a failed send on a row still leased under `lease_until`; False if it is not."""
        changed = await self._rows_changed(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.status == NotificationStatus.SENDING,
                Notification.lease_until == lease_until,
            )
            .values(
                status=status,
                attempts=attempts,
                next_attempt_at=next_attempt_at,
                last_error=last_error,
                lease_until=None,
            )
        )
        return bool(changed)

    async def get(self, notification_id: int) -> Notification | None:
        return await self.session.get(Notification, notification_id)

    async def sent_as(
        self, chat_id: int, telegram_message_id: int, template_prefix: str
    ) -> Notification | None:
        """The notification whose message in `chat_id` is `telegram_message_id`, among those
        whose template starts with `template_prefix` (what a reply answers)."""
        result = await self.session.execute(
            select(Notification)
            .where(
                Notification.chat_id == chat_id,
                Notification.telegram_message_id == telegram_message_id,
                Notification.template.startswith(template_prefix, autoescape=True),
            )
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def by_status(self, status: NotificationStatus) -> Sequence[Notification]:
        result = await self.session.execute(
            select(Notification).where(Notification.status == status).order_by(Notification.id)
        )
        return result.scalars().all()

    async def dead_letters(self, limit: int) -> tuple[list[Notification], int]:
        """The newest rows the outbox gave up on, and how many there are."""
        dead = Notification.status == NotificationStatus.DEAD
        total = await self._count(Notification, dead)
        result = await self.session.execute(
            select(Notification).where(dead).order_by(Notification.id.desc()).limit(limit)
        )
        return list(result.scalars()), total

    async def retry_dead(self, now: datetime) -> int:
        """Send every dead row again, from a fresh count of attempts."""
        return await self._rows_changed(
            update(Notification)
            .where(Notification.status == NotificationStatus.DEAD)
            .values(
                status=NotificationStatus.PENDING, attempts=0, next_attempt_at=now, lease_until=None
            )
        )

    async def withdraw_held(self, chat_id: int, key_prefix: str, now: datetime) -> int:
        """Delete the rows to `chat_id` whose dedupe key starts with `key_prefix` and that are
        still held for later (pending, not due before a moment after `now`): news overtaken
        before its recipient woke up. A row due or being sent is left to go."""
        return await self._rows_changed(
            delete(Notification).where(
                Notification.chat_id == chat_id,
                Notification.dedupe_key.startswith(key_prefix, autoescape=True),
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at > now,
            )
        )

    async def pause_chat(self, chat_id: int) -> int:
        """Stop every unsent notification to a chat that blocked the bot."""
        return await self._rows_changed(
            update(Notification)
            .where(
                Notification.chat_id == chat_id,
                Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING]),
            )
            .values(status=NotificationStatus.PAUSED, lease_until=None)
        )

    async def resume_chat(self, chat_id: int, now: datetime) -> int:
        return await self._rows_changed(
            update(Notification)
            .where(
                Notification.chat_id == chat_id, Notification.status == NotificationStatus.PAUSED
            )
            .values(status=NotificationStatus.PENDING, next_attempt_at=now)
        )

    async def backlog(self, now: datetime) -> OutboxBacklog:
        """The outbox's depth, for the metrics (reads only, through the status index)."""
        open_statuses = [NotificationStatus.PENDING, NotificationStatus.SENDING]
        due_count, oldest = (
            await self.session.execute(
                select(func.count(), func.min(Notification.next_attempt_at)).where(
                    Notification.status.in_(open_statuses), Notification.next_attempt_at <= now
                )
            )
        ).one()
        deferred = await self.session.scalar(
            select(func.count()).where(
                Notification.status == NotificationStatus.PENDING,
                Notification.next_attempt_at > now,
            )
        )
        dead = await self.session.scalar(
            select(func.count()).where(Notification.status == NotificationStatus.DEAD)
        )
        return OutboxBacklog(int(due_count), oldest, int(deferred or 0), int(dead or 0))

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
        return await self._rows_changed(delete(Notification).where(Notification.id.in_(finished)))


class BlockedRecipientRepository(RememberingRepository):
    async def is_blocked(self, chat_id: int) -> bool:
        if chat_id not in self._known.blocked:
            found = await self.session.get(BlockedRecipient, chat_id)
            self._known.blocked[chat_id] = found is not None
        return self._known.blocked[chat_id]

    async def blocked_among(self, chat_ids: Sequence[int]) -> set[int]:
        """Which of `chat_ids` blocked the bot, in one query."""
        unknown = [chat_id for chat_id in chat_ids if chat_id not in self._known.blocked]
        if unknown:
            found = set(
                (
                    await self.session.execute(
                        select(BlockedRecipient.chat_id).where(
                            BlockedRecipient.chat_id.in_(unknown)
                        )
                    )
                ).scalars()
            )
            for chat_id in unknown:
                self._known.blocked[chat_id] = chat_id in found
        return {chat_id for chat_id in chat_ids if self._known.blocked[chat_id]}

    async def block(self, chat_id: int, reason: str, now: datetime) -> None:
        statement = insert_ignoring_conflicts(
            self.session,
            BlockedRecipient,
            {"chat_id": chat_id, "blocked_at": now, "reason": reason[:200]},
        )
        await self.session.execute(statement)
        self._known.blocked[chat_id] = True

    async def unblock(self, chat_id: int) -> bool:
        if self._known.blocked.get(chat_id) is False:
            return False  # known not to be there: no statement
        result = await self.session.execute(
            delete(BlockedRecipient).where(BlockedRecipient.chat_id == chat_id)
        )
        self._known.blocked[chat_id] = False
        return bool(affected_rows(result))
