"""The rows a return case owns: its lines, evidence, offers, the relayed messages with
their Telegram copies, the timeline, and the deadline firings the scheduler claims; and each
seller's stored return policy.

The rules live on `domain.model.returns.ReturnCase`; these rows are what it records.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.errors import InvalidInput
from domain.model.base import (
    Base,
    enum_column,
    link_id,
    money_amount,
    parent_id,
    partial_index,
    primary_id,
    warehouse_reference,
)
from domain.model.orders import PRODUCT_NAME_MAX, SKU_MAX
from domain.returns.deadlines import DeadlineKind, Firing
from domain.returns.rules import (
    FILE_ID_MAX,
    MESSAGE_TEXT_MAX,
    EvidenceKind,
    MessageKind,
    OfferStatus,
    PostagePayer,
    Resolution,
    Side,
)


class ReturnEvidence(Base):
    """A photo or short video one side attached (the buyer's proof, the seller's inspection)."""

    __tablename__ = "return_evidence"
    __table_args__ = (UniqueConstraint("case_id", "file_unique_id"),)

    id: Mapped[int] = primary_id()
    case_id: Mapped[int] = parent_id("return_cases", index=True)
    side: Mapped[Side] = mapped_column(enum_column(Side, 8))
    kind: Mapped[EvidenceKind] = mapped_column(enum_column(EvidenceKind, 8))
    telegram_file_id: Mapped[str] = mapped_column(String(FILE_ID_MAX))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime]


class ReturnOffer(Base):
    """A resolution one side proposed. At most one per case is open (a partial unique index)."""

    __tablename__ = "return_offers"
    __table_args__ = (
        partial_index("uq_return_offers_one_open", "case_id", where="status = 'open'", unique=True),
    )

    id: Mapped[int] = primary_id()
    case_id: Mapped[int] = parent_id("return_cases", index=True)
    side: Mapped[Side] = mapped_column(enum_column(Side, 8))
    resolution: Mapped[Resolution] = mapped_column(enum_column(Resolution))
    amount: Mapped[Decimal | None] = mapped_column(money_amount())
    currency: Mapped[str] = mapped_column(String(3))
    postage_payer: Mapped[PostagePayer | None] = mapped_column(enum_column(PostagePayer, 8))
    warehouse_id: Mapped[int | None] = warehouse_reference()
    act_within_days: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[OfferStatus] = mapped_column(enum_column(OfferStatus, 16))
    created_at: Mapped[datetime]
    respond_by: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    # The offer this one countered.
    replaces_id: Mapped[int | None] = link_id("return_offers")

    @property
    def is_open(self) -> bool:
        return self.status == OfferStatus.OPEN


class ReturnMessageCopy(Base):
    """Where a relayed message sits in Telegram: the author's original and each copy.

    A reply in either chat is routed to its case by the message it replies to.
    """

    __tablename__ = "return_message_copies"
    __table_args__ = (UniqueConstraint("chat_id", "telegram_message_id"),)

    id: Mapped[int] = primary_id()
    message_id: Mapped[int] = parent_id("return_messages", index=True)
    side: Mapped[Side] = mapped_column(enum_column(Side, 8))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    telegram_message_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    original: Mapped[bool] = mapped_column(default=False)


class ReturnMessage(Base):
    """What one side wrote in its thread, as relayed (contact details already masked)."""

    __tablename__ = "return_messages"

    id: Mapped[int] = primary_id()
    case_id: Mapped[int] = parent_id("return_cases", index=True)
    side: Mapped[Side] = mapped_column(enum_column(Side, 8))
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, 16))
    text: Mapped[str | None] = mapped_column(Text)
    telegram_file_id: Mapped[str | None] = mapped_column(String(FILE_ID_MAX))
    # A document's format as its content proved it ("pdf", "jpg", "png", "webp": a
    # domain.returns.files.CaseFileFormat): its copy is sent under a name made of it. None for
    # other kinds, and for a document stored before documents were checked (never relayed).
    file_type: Mapped[str | None] = mapped_column(String(8))
    # Kinds of contact details taken out (domain.returns.masking.ContactKind values).
    masked: Mapped[list[str]] = mapped_column(JSON, default=list)
    reply_to_id: Mapped[int | None] = link_id("return_messages")
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None]
    edits: Mapped[int] = mapped_column(Integer, default=0)

    copies: Mapped[list[ReturnMessageCopy]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=ReturnMessageCopy.id
    )

    def copy_for(self, side: Side) -> ReturnMessageCopy | None:
        return next((c for c in self.copies if c.side == side), None)


class ReturnCaseEvent(Base):
    """One step of the case's timeline: who did what, and the status it left the case in."""

    __tablename__ = "return_case_events"
    __table_args__ = (Index("ix_return_case_events_case_at", "case_id", "at"),)

    id: Mapped[int] = primary_id()
    case_id: Mapped[int] = parent_id("return_cases")
    at: Mapped[datetime]
    # None: the bot itself (a lapsed deadline).
    side: Mapped[Side | None] = mapped_column(enum_column(Side, 8))
    action: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReturnDeadline(Base):
    """One firing of a case's deadline: a reminder or the lapse, claimed with a lease.

    `key` names the deadline within the case ("seller_first_answer", "offer_answer:17",
    "return_shipment"); each (case, key, firing) exists once, and `fired_at` is set in the
    transaction that records what the firing did, so none fires twice.
    """

    __tablename__ = "return_deadlines"
    __table_args__ = (
        UniqueConstraint("case_id", "key", "firing"),
        # The scheduler's sweep: firings not yet done, soonest first.
        partial_index(
            "ix_return_deadlines_pending",
            "fire_at",
            where="fired_at IS NULL AND cancelled_at IS NULL",
        ),
    )

    id: Mapped[int] = primary_id()
    case_id: Mapped[int] = parent_id("return_cases", index=True)
    key: Mapped[str] = mapped_column(String(48))
    kind: Mapped[DeadlineKind] = mapped_column(enum_column(DeadlineKind))
    firing: Mapped[Firing] = mapped_column(enum_column(Firing, 16))
    side: Mapped[Side] = mapped_column(enum_column(Side, 8))
    offer_id: Mapped[int | None] = parent_id("return_offers")
    due_at: Mapped[datetime]
    fire_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    fired_at: Mapped[datetime | None]
    # The side did what was asked (or the case ended) before this firing's time.
    cancelled_at: Mapped[datetime | None]


class SellerReturnPolicy(Base):
    """A seller's return policy as stored (`domain.returns.policy.ReturnPolicy`)."""

    __tablename__ = "seller_return_policies"

    id: Mapped[int] = primary_id()
    seller_id: Mapped[int] = parent_id("sellers", unique=True)
    window_days: Mapped[int] = mapped_column(Integer)
    # [{"name": str, "sku_prefixes": [str, ...]}, ...]
    non_returnable: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # {reason: payer}
    postage: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class NewEvidence:
    kind: EvidenceKind
    telegram_file_id: str
    file_unique_id: str


class ReturnCaseLine(Base):
    """An item of the order and how many of it the case is about (copied at opening)."""

    __tablename__ = "return_case_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        # One open case per order line: the database refuses a second even under a race.
        partial_index(
            "uq_return_case_lines_one_open_case", "order_line_id", where="active", unique=True
        ),
    )

    id: Mapped[int] = primary_id()
    case_id: Mapped[int] = parent_id("return_cases", index=True)
    order_line_id: Mapped[int] = parent_id("order_lines")
    product_name: Mapped[str] = mapped_column(String(PRODUCT_NAME_MAX))
    sku: Mapped[str | None] = mapped_column(String(SKU_MAX))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(money_amount())
    # True while the case is open (or escalated: the items stay in dispute).
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


def clean_message_text(raw: str | None) -> str | None:
    """A relayed message's text: NFC, trimmed, line breaks kept; None when empty."""
    if raw is None:
        return None
    cleaned = unicodedata.normalize("NFC", raw).strip()
    if len(cleaned) > MESSAGE_TEXT_MAX:
        raise InvalidInput("returns.message_too_long", max=MESSAGE_TEXT_MAX)
    return cleaned or None
