"""What keeps updates exactly-once and conversations durable, and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.clock import Clock, utcnow
from domain.model import (
    AuditEntry,
    ConversationState,
    ProcessedUpdate,
)
from domain.repositories.base import RememberingRepository, Repository
from domain.repositories.statements import insert_ignoring_conflicts


class ProcessedUpdateRepository(Repository):
    async def claim(self, update_id: int, now: datetime) -> bool:
        """Record the update as processed; False when it already was (a redelivery)."""
        statement = insert_ignoring_conflicts(
            self.session, ProcessedUpdate, {"update_id": update_id, "processed_at": now}
        )
        return bool(await self._rows_changed(statement))

    async def prune(self, older_than: datetime) -> int:
        return await self._rows_changed(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < older_than)
        )


class ConversationStateRepository(RememberingRepository):
    async def get(self, key: str) -> ConversationState | None:
        return await self._remembered(self._known.states, ConversationState, key)

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
        row = await self.get(key)
        if row is None:
            row = ConversationState(
                key=key, chat_id=chat_id, user_id=user_id, data={}, updated_at=now
            )
            self.session.add(row)
            self._known.states[key] = row
        if set_state:
            row.state = state
        if set_data:
            row.data = dict(data or {})
        row.updated_at = now

    async def delete_for_user(self, user_id: int) -> None:
        await self.session.execute(
            delete(ConversationState).where(ConversationState.user_id == user_id)
        )
        self._known.states.clear()


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, as the audit log names them: their role ("seller", "buyer",
    "operator", "api", "system", ...) and their Telegram user id (None: nobody in person)."""

    role: str
    user_id: int | None = None


# What an entry is about, as erasure finds it: (subject type, its id), e.g. ("order", 17).
Audited = tuple[str, str | int | None]


class AuditLog(Repository):
    """Who did what, when and why (`AuditEntry`); append-only."""

    def __init__(self, session: AsyncSession, clock: Clock = utcnow) -> None:
        super().__init__(session)
        self._clock = clock

    def add(
        self, action: str, *, by: Actor, about: Audited, details: dict[str, Any] | None = None
    ) -> AuditEntry:
        """An entry stamped now, by the unit of work's clock."""
        subject_type, subject_id = about
        return self.record(
            at=self._clock(),
            actor_id=by.user_id,
            actor_role=by.role,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details=details,
        )

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
