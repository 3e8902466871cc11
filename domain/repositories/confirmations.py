"""The questions users were asked to confirm (`pending_confirmations`), one per user and
purpose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from domain.model import PendingConfirmation
from domain.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class IssuedConfirmation:
    subject_id: int
    token: int
    expires_at: datetime


class ConfirmationRepository(Repository):
    async def replace(
        self, user_id: int, purpose: str, subject_id: int, token: int, expires_at: datetime
    ) -> None:
        """The user's question for `purpose` is now this one; an earlier one is forgotten."""
        await self.discard(user_id, purpose)
        self.session.add(
            PendingConfirmation(
                user_id=user_id,
                purpose=purpose,
                subject_id=subject_id,
                token=token,
                expires_at=expires_at,
            )
        )

    async def latest(self, user_id: int, purpose: str) -> IssuedConfirmation | None:
        query = select(
            PendingConfirmation.subject_id,
            PendingConfirmation.token,
            PendingConfirmation.expires_at,
        ).where(PendingConfirmation.user_id == user_id, PendingConfirmation.purpose == purpose)
        row = (await self.session.execute(query)).first()
        return IssuedConfirmation(*row) if row else None

    async def prune_expired(self, now: datetime) -> int:
        """Delete the questions nobody answered in time; how many."""
        return await self._rows_changed(
            delete(PendingConfirmation).where(PendingConfirmation.expires_at <= now)
        )

    async def discard(self, user_id: int, purpose: str) -> None:
        await self.session.execute(
            delete(PendingConfirmation).where(
                PendingConfirmation.user_id == user_id, PendingConfirmation.purpose == purpose
            )
        )
