"""The queries of erasure: a person's data in rows that are not theirs.

What may stay and how it is pseudonymised is decided in `domain.personal_data`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, cast, delete, or_, select, update

from domain.model import AuditEntry, Notification, Order, ReturnCase, Warehouse
from domain.personal_data import Pseudonyms, audit_facts
from domain.repositories.base import Repository


@dataclass(frozen=True)
class AuditSubject:
    """Audit entries about something of the person: its subject type and its ids."""

    subject_type: str
    ids: Select[tuple[str]] | Sequence[str]


class PersonalDataRepository(Repository):
    """The queries of erasure. Like every repository it never commits."""

    @staticmethod
    def subjects_of_user(user_id: int) -> list[AuditSubject]:
        return [AuditSubject("user", [str(user_id)])]

    @staticmethod
    def subjects_of_seller(seller_id: int) -> list[AuditSubject]:
        """What audit entries about a seller and everything of theirs are filed under."""
        return [
            AuditSubject("seller", [str(seller_id)]),
            AuditSubject(
                "warehouse",
                select(cast(Warehouse.id, String)).where(Warehouse.seller_id == seller_id),
            ),
            AuditSubject(
                "order", select(cast(Order.id, String)).where(Order.seller_id == seller_id)
            ),
        ]

    async def pseudonymise_audit(
        self, user_id: int, subjects: Sequence[AuditSubject], pseudonyms: Pseudonyms
    ) -> int:
        """Entries by the user or about their things keep action and time, lose the person.

        Run it before the subjects' rows are deleted (their ids are looked up). Returns how
        many entries changed.
        """
        columns = (
            AuditEntry.id,
            AuditEntry.actor_id,
            AuditEntry.actor_pseudonym,
            AuditEntry.subject_type,
            AuditEntry.subject_id,
            AuditEntry.subject_pseudonym,
            AuditEntry.details,
        )
        found: dict[int, Any] = {}
        about_them: set[int] = set()
        for row in await self.session.execute(
            select(*columns).where(AuditEntry.actor_id == user_id)
        ):
            found[row.id] = row
        for subject in subjects:
            query = select(*columns).where(
                AuditEntry.subject_type == subject.subject_type,
                AuditEntry.subject_id.in_(subject.ids),
            )
            for row in await self.session.execute(query):
                found[row.id] = row
                about_them.add(row.id)
        changes = []
        for row in found.values():
            by_them = row.actor_id == user_id
            is_about_them = row.id in about_them
            changes.append(
                {
                    "id": row.id,
                    "actor_id": None if by_them else row.actor_id,
                    "actor_pseudonym": (
                        pseudonyms.of("user", user_id) if by_them else row.actor_pseudonym
                    ),
                    "subject_id": None if is_about_them else row.subject_id,
                    "subject_pseudonym": (
                        pseudonyms.of(row.subject_type, row.subject_id)
                        if is_about_them
                        else row.subject_pseudonym
                    ),
                    "details": audit_facts(row.details),
                }
            )
        if changes:
            # One executemany: a seller with years of orders has many entries.
            await self.session.execute(update(AuditEntry), changes)
        return len(changes)

    async def delete_notifications_about(self, user_id: int) -> int:
        """Outbox rows to the user, and rows to anyone else about them, in any status."""
        return await self._rows_changed(
            delete(Notification).where(
                or_(Notification.chat_id == user_id, Notification.subject_user_id == user_id)
            )
        )

    async def forget_reviewer(self, user_id: int) -> int:
        """An operator's id on the warehouses they reviewed and the disputes whose outcome they
        recorded (the review and the outcome themselves stay)."""
        reviews = await self._rows_changed(
            update(Warehouse).where(Warehouse.reviewed_by == user_id).values(reviewed_by=None)
        )
        return reviews + await self._rows_changed(
            update(ReturnCase)
            .where(ReturnCase.outcome_recorded_by == user_id)
            .values(outcome_recorded_by=None)
        )
