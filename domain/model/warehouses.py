"""Warehouses a seller ships from, their certification documents, and the review lifecycle.

draft -> pending_review -> verified | rejected | needs_documents; needs_documents ->
pending_review; verified -> suspended -> pending_review; editing a verified warehouse sends it
back to pending_review. Any warehouse not in use can be archived. Each transition is a method
that refuses an illegal move with a domain error, and each change (a move, a field, a document)
is a new `revision`, the number an operator's review card names.

What may happen next is data, `ACTIONS_BY_ROLE`: the seller's actions and the operator's review
decisions allowed in each status. `Warehouse.allowed_actions(role)` reads it for handlers to
render buttons, and the transition methods refuse through it, so a button is shown exactly when
pressing it can work (other preconditions, such as complete documents, aside).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.errors import ConflictError, DomainError, InvalidInput
from domain.model.base import ActionsByRole, Base, enum_column, parent_id, partial_index, primary_id
from domain.roles import Role
from domain.typed_text import clean_typed_line


class WarehouseKind(enum.StrEnum):
    DOMESTIC = "domestic"
    OVERSEAS = "overseas"


class WarehouseStatus(enum.StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    VERIFIED = "verified"
    REJECTED = "rejected"
    NEEDS_DOCUMENTS = "needs_documents"
    SUSPENDED = "suspended"
    ARCHIVED = "archived"


class WarehouseAction(enum.StrEnum):
    """What someone may do to a warehouse. The values of the review decisions are those of the
    operator's buttons and of the messages that tell the seller about them."""

    # the seller's
    EDIT = "edit"
    ADD_DOCUMENTS = "add_documents"
    SUBMIT = "submit"
    ARCHIVE = "archive"
    # an operator's review decisions
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_DOCUMENTS = "docs"
    SUSPEND = "suspend"


# The review decisions, in the order the operator's buttons show them.
REVIEW_DECISIONS = (
    WarehouseAction.APPROVE,
    WarehouseAction.REJECT,
    WarehouseAction.REQUEST_DOCUMENTS,
    WarehouseAction.SUSPEND,
)
# A decision that changes nothing for the better must say why, for the seller to act on.
DECISIONS_NEEDING_NOTE = frozenset(
    {WarehouseAction.REJECT, WarehouseAction.REQUEST_DOCUMENTS, WarehouseAction.SUSPEND}
)

_SELLER_CAN_CHANGE = frozenset({WarehouseAction.EDIT, WarehouseAction.ARCHIVE})
_SELLER_CAN_COMPLETE = _SELLER_CAN_CHANGE | {
    WarehouseAction.ADD_DOCUMENTS,
    WarehouseAction.SUBMIT,
}
# Role -> status -> the actions allowed; a role or status not listed may do nothing.
ACTIONS_BY_ROLE: dict[Role, dict[WarehouseStatus, frozenset[WarehouseAction]]] = {
    Role.SELLER: {
        WarehouseStatus.DRAFT: _SELLER_CAN_CHANGE | {WarehouseAction.SUBMIT},
        WarehouseStatus.PENDING_REVIEW: _SELLER_CAN_CHANGE,
        WarehouseStatus.VERIFIED: _SELLER_CAN_CHANGE,
        # A rejection is final for this warehouse: it can only be archived (and declared anew).
        WarehouseStatus.REJECTED: frozenset({WarehouseAction.ARCHIVE}),
        WarehouseStatus.NEEDS_DOCUMENTS: _SELLER_CAN_COMPLETE,
        WarehouseStatus.SUSPENDED: _SELLER_CAN_COMPLETE,
    },
    Role.OPERATOR: {
        WarehouseStatus.PENDING_REVIEW: frozenset(
            {WarehouseAction.APPROVE, WarehouseAction.REJECT, WarehouseAction.REQUEST_DOCUMENTS}
        ),
        WarehouseStatus.VERIFIED: frozenset({WarehouseAction.SUSPEND}),
    },
}
# A warehouse's first revision (rows from before revisions were counted start there too). Never
# 0: that is what a decision button drawn before buttons named a revision carries.
FIRST_REVISION = 1
# The longest reason a reviewer may give the seller (a decision, a request for documents).
REVIEW_NOTE_MAX = 1000
# The refusal of a review decision taken on a card of an earlier revision.
WAREHOUSE_CHANGED = "review.warehouse_changed"
# The status each move leads to (editing and adding documents keep the status).
_LEADS_TO = {
    WarehouseAction.SUBMIT: WarehouseStatus.PENDING_REVIEW,
    WarehouseAction.ARCHIVE: WarehouseStatus.ARCHIVED,
    WarehouseAction.APPROVE: WarehouseStatus.VERIFIED,
    WarehouseAction.REJECT: WarehouseStatus.REJECTED,
    WarehouseAction.REQUEST_DOCUMENTS: WarehouseStatus.NEEDS_DOCUMENTS,
    WarehouseAction.SUSPEND: WarehouseStatus.SUSPENDED,
}


class Capability(enum.StrEnum):
    SORTING = "sorting"
    PACKING = "packing"
    SHIPPING = "shipping"
    LOCAL_RETURNS = "local_returns"


class DocumentKind(enum.StrEnum):
    BUSINESS_LICENCE = "business_licence"
    LEASE = "lease"
    OWNERSHIP = "ownership"
    THIRD_PARTY_AGREEMENT = "third_party_agreement"
    CUSTOMS_VAT = "customs_vat"
    OTHER = "other"


# Proof that the seller may use the premises; any one of these satisfies the rule.
PREMISES_DOCUMENTS = frozenset(
    {DocumentKind.LEASE, DocumentKind.OWNERSHIP, DocumentKind.THIRD_PARTY_AGREEMENT}
)
# Where importing stock into a warehouse needs a customs/VAT (or GST) registration.
VAT_REGISTRATION_COUNTRIES = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
        "GB", "NO", "CH", "AU", "NZ",
    }
)  # fmt: skip


class WarehouseDocument(Base):
    """A certification file, kept as Telegram's file id (the bot re-sends it to reviewers)."""

    __tablename__ = "warehouse_documents"

    id: Mapped[int] = primary_id()
    warehouse_id: Mapped[int] = parent_id("warehouses", index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind))
    telegram_file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    # Photos are re-sent with sendPhoto, files with sendDocument.
    is_photo: Mapped[bool] = mapped_column(default=False)
    uploaded_at: Mapped[datetime]


class Warehouse(ActionsByRole[WarehouseStatus, WarehouseAction], Base):
    __tablename__ = "warehouses"
    __table_args__ = (
        # A seller's live warehouses have distinct names; archived ones free their name.
        partial_index(
            "uq_warehouses_seller_name_live",
            "seller_id",
            "name_key",
            where="status <> 'archived'",
            unique=True,
        ),
    )

    actions_by_role = ACTIONS_BY_ROLE

    id: Mapped[int] = primary_id()
    seller_id: Mapped[int] = parent_id("sellers", index=True)
    kind: Mapped[WarehouseKind] = mapped_column(enum_column(WarehouseKind))
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(80))
    region: Mapped[str | None] = mapped_column(String(80))
    postcode: Mapped[str | None] = mapped_column(String(20))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(20))
    capabilities: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[WarehouseStatus] = mapped_column(enum_column(WarehouseStatus), index=True)
    review_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger)
    # How many documents were kept when an operator asked for more (None: not asked, or asked
    # before this was counted): sending it back for review needs at least one more.
    documents_at_request: Mapped[int | None] = mapped_column(Integer)
    # The warehouse as it stands, as a small number a button can carry: one more on every
    # change a reviewer could be deciding on (a field, a document, a move; `_changed`), so a
    # card naming it showed what is decided on, however the clock moved. Counted here rather
    # than by SQLAlchemy's version counter, which counts only changes to this row (a document
    # added on an unmoved clock changes none). It is still the mapper's version column, so a
    # change written over one committed since it was read fails (`StaleDataError`) instead of
    # mixing two changes under one revision.
    revision: Mapped[int] = mapped_column(Integer, server_default=str(FIRST_REVISION))

    documents: Mapped[list[WarehouseDocument]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=WarehouseDocument.id
    )

    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}  # noqa: RUF012

    def __init__(self, **fields: Any) -> None:
        # The column's default would come only with the INSERT, after the first move (a new
        # warehouse is submitted before it is stored).
        super().__init__(**{"revision": FIRST_REVISION, **fields})

    # ----- rules -----

    def require_unchanged(self, shown: int | None) -> None:
        """Refuse a review decision taken on a card of an earlier state (`shown`, its
        `revision`); None: no card to compare with."""
        if shown is not None and shown != self.revision:
            raise ConflictError(WAREHOUSE_CHANGED)

    @property
    def can_ship(self) -> bool:
        return self.status == WarehouseStatus.VERIFIED and Capability.SHIPPING in self.capabilities

    def missing_documents(self) -> list[str]:
        """Document requirements not yet met (keys of DocumentRequirement), in order."""
        return missing_documents(
            self.kind, self.country, [DocumentKind(d.kind) for d in self.documents]
        )

    def _refusal(self, action: WarehouseAction) -> DomainError:
        if action == WarehouseAction.EDIT:
            return ConflictError("warehouse.not_editable", current=self.status.value)
        if action == WarehouseAction.ADD_DOCUMENTS:
            return ConflictError("warehouse.documents_not_requested")
        return ConflictError(
            "warehouse.transition_refused",
            current=self.status.value,
            wanted=_LEADS_TO[action].value,
        )

    def _changed(self, now: datetime) -> None:
        self.revision += 1
        self.updated_at = now

    def _move(self, action: WarehouseAction, role: Role, now: datetime) -> None:
        self.require(action, role)
        self.status = _LEADS_TO[action]
        self._changed(now)

    def submit(self, now: datetime) -> None:
        """Send for review: from a draft, after documents were asked for, or after suspension."""
        if self.missing_documents():
            raise InvalidInput("warehouse.documents_missing", missing=self.missing_documents())
        asked = self.documents_at_request
        if self.status == WarehouseStatus.NEEDS_DOCUMENTS and len(self.documents) <= (
            -1 if asked is None else asked
        ):
            # The same files again would only send the operator's question back unanswered.
            raise InvalidInput("warehouse.no_new_documents")
        self._move(WarehouseAction.SUBMIT, Role.SELLER, now)
        self.submitted_at = now
        self.documents_at_request = None

    def approve(self, operator_id: int, now: datetime) -> None:
        self._move(WarehouseAction.APPROVE, Role.OPERATOR, now)
        self._reviewed(operator_id, None, now)

    def reject(self, operator_id: int, reason: str, now: datetime) -> None:
        checked = _required_note(reason)  # before moving: a refused note changes nothing
        self._move(WarehouseAction.REJECT, Role.OPERATOR, now)
        self._reviewed(operator_id, checked, now)

    def request_documents(self, operator_id: int, note: str, now: datetime) -> None:
        checked = _required_note(note)  # before moving: a refused note changes nothing
        self._move(WarehouseAction.REQUEST_DOCUMENTS, Role.OPERATOR, now)
        self._reviewed(operator_id, checked, now)
        self.documents_at_request = len(self.documents)

    def suspend(self, operator_id: int, reason: str, now: datetime) -> None:
        checked = _required_note(reason)  # before moving: a refused note changes nothing
        self._move(WarehouseAction.SUSPEND, Role.OPERATOR, now)
        self._reviewed(operator_id, checked, now)

    @property
    def edit_needs_review(self) -> bool:
        """Whether a change by the owner sends the warehouse back to review (orders cannot ship
        from it until an operator approves it again): the seller is told before saving."""
        return self.status == WarehouseStatus.VERIFIED

    def edited(self, now: datetime) -> bool:
        """Record a change by the owner; a verified warehouse goes back to review (True)."""
        self.require(WarehouseAction.EDIT, Role.SELLER)
        self._changed(now)
        if self.edit_needs_review:
            self.status = WarehouseStatus.PENDING_REVIEW
            self.submitted_at = now
            return True
        return False

    def add_document(self, document: WarehouseDocument, now: datetime, *, most: int) -> None:
        """Keep one more certification file, where the status takes documents from the owner
        and fewer than `most` are kept."""
        self.require(WarehouseAction.ADD_DOCUMENTS, Role.SELLER)
        if len(self.documents) >= most:
            raise InvalidInput("warehouse.too_many_documents", max=most)
        self.documents.append(document)
        self._changed(now)

    def archive(self, now: datetime) -> None:
        self._move(WarehouseAction.ARCHIVE, Role.SELLER, now)

    def _reviewed(self, operator_id: int, note: str | None, now: datetime) -> None:
        self.reviewed_by = operator_id
        self.reviewed_at = now
        self.review_note = note


def _required_note(text: str) -> str:
    return clean_typed_line(
        text,
        3,
        REVIEW_NOTE_MAX,
        "warehouse.reason_required",
        too_long_key="warehouse.reason_too_long",
    )


def missing_documents(kind: WarehouseKind, country: str, present: list[DocumentKind]) -> list[str]:
    """What certification is still missing for a warehouse of this kind and country."""
    have = set(present)
    missing: list[str] = []
    if DocumentKind.BUSINESS_LICENCE not in have:
        missing.append(DocumentKind.BUSINESS_LICENCE.value)
    if kind == WarehouseKind.OVERSEAS:
        if not have & PREMISES_DOCUMENTS:
            missing.append("premises")
        if country in VAT_REGISTRATION_COUNTRIES and DocumentKind.CUSTOMS_VAT not in have:
            missing.append(DocumentKind.CUSTOMS_VAT.value)
    return missing
