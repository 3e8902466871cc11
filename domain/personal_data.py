"""Where a person's data lives in rows that are not theirs, and how erasure reaches it.

A seller's own rows (store, warehouses and their documents, orders with their lines, shipping
documents with their findings, buyer links, logistics settings) go with the `sellers` row
through `ON DELETE CASCADE`. This module holds the rules for the rest (what an audit entry
keeps, the pseudonyms); `domain.repositories.personal_data` holds the queries that reach it:

- the audit trail, which keeps its facts: entries the person made, or that are about something
  of theirs, are pseudonymised (`Pseudonyms`) and keep only the detail keys in
  `AUDIT_FACT_KEYS`;
- outbox rows sent to them, or to others (operators) about them, found by
  `Notification.subject_user_id`, not by searching their text;
- their Telegram id as the reviewer of other sellers' warehouses and as the recorder of
  disputes' outcomes (an operator who erases).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

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
