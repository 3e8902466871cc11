"""Where a person's data lives in rows that are not theirs, and how erasure reaches it.

A seller's own rows (store, warehouses and their documents, orders with their lines, shipping
documents with their findings, buyer links, logistics settings) go with the `sellers` row
through `ON DELETE CASCADE`. This module handles the rest:

- the audit trail, which keeps its facts: entries the person made, or that are about something
  of theirs, are pseudonymised (`Pseudonyms`) and keep only the detail keys in
  `AUDIT_FACT_KEYS`;
- outbox rows sent to them, or to others (operators) about them, found by
  `Notification.subject_user_id`, not by searching their text;
- their Telegram id as the reviewer of other sellers' warehouses (an operator who erases).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, String, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.model import AuditEntry, Notification, Order, Warehouse

# Audit details that state facts about the business, never about a person: kinds, countries,
# statuses, counts, amounts, rule names, which field changed, and the marketplace's order
# number (the marketplace's identifier, kept for disputes). Everything else — names, phones,
# addresses, e-mail, notes and reasons written in free text, file names, before/after values —
# is dropped on erasure. A list of what to keep rather than of what to drop, so a detail key
# added later is erased unless someone decides it is safe to keep.
AUDIT_FACT_KEYS = frozenset(
    {
        "country",
        "currency",
        "field",
        "findings",
        "home_country",
        "kind",
        "locale",
        "max_per_order",
        "max_share",
        "mode",
        "number",
        "orders",
        "pair",
        "rate",
        "rows",
        "shipment_id",
        "skipped_rows",
        "source",
        "status",
        "zones",
    }
)


def audit_facts(details: dict[str, Any] | None) -> dict[str, Any]:
    """The part of an entry's details that may outlive the person it is about."""
    return {key: value for key, value in (details or {}).items() if key in AUDIT_FACT_KEYS}


class Pseudonyms:
    """The pseudonyms of one erasure: an HMAC of what they replace, under a key never stored.

    Not a plain hash of the Telegram id: there are only about 10^10 ids, so anyone holding the
    database could hash them all and map a pseudonym back. Not a fresh random token per entry
    either: the trail would stop reading as one person's (who submitted, was approved, edited).
    A key drawn for this erasure and dropped with this object gives both: one actor or subject
    keeps one pseudonym across its entries, and nobody, the bot's operators included, can
    recompute it from an id afterwards.
    """

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def of(self, kind: str, identifier: object) -> str:
        digest = hmac.new(self._key, f"{kind}:{identifier}".encode(), hashlib.sha256)
        return digest.hexdigest()[:32]


@dataclass(frozen=True)
class AuditSubject:
    """Audit entries about something of the person: its subject type and its ids."""

    subject_type: str
    ids: Select[tuple[str]] | Sequence[str]


class PersonalDataRepository:
    """The queries of erasure. Like every repository it never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
        result = await self.session.execute(
            delete(Notification).where(
                or_(Notification.chat_id == user_id, Notification.subject_user_id == user_id)
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def forget_reviewer(self, user_id: int) -> int:
        """An operator's id on the warehouses they reviewed (the review itself stays)."""
        result = await self.session.execute(
            update(Warehouse).where(Warehouse.reviewed_by == user_id).values(reviewed_by=None)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
