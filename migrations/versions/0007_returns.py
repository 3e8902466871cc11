"""return cases: lines, evidence, offers, relayed messages and their copies, the timeline,
deadline firings claimed with a lease, and each seller's return policy

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from migrations import schema

revision = "0007"
down_revision = "0006"

CASE_STATUSES = (
    "requested",
    "negotiating",
    "agreed",
    "awaiting_return_shipment",
    "return_in_transit",
    "received",
    "resolved",
    "declined",
    "withdrawn",
    "expired",
    "escalated",
)
RESOLUTIONS = (
    "refund_full",
    "refund_partial",
    "return_and_refund",
    "exchange",
    "keep_partial_refund",
)


def _side(name: str = "side", *, nullable: bool = False) -> sa.Column[Any]:
    return schema.choice_column(name, "side", "buyer", "seller", length=8, nullable=nullable)


def _resolution(name: str, *, nullable: bool) -> sa.Column[Any]:
    return schema.choice_column(name, "resolution", *RESOLUTIONS, length=24, nullable=nullable)


def _case_status(name: str, *, nullable: bool) -> sa.Column[Any]:
    # Created without a length, so the column is as wide as the longest status.
    return schema.choice_column(name, "casestatus", *CASE_STATUSES, nullable=nullable)


def _postage_payer() -> sa.Column[Any]:
    return schema.choice_column(
        "postage_payer", "postagepayer", "store", "buyer", length=8, nullable=True
    )


def _case_id() -> sa.Column[Any]:
    """The case a row belongs to (an event, a line, evidence, a message, an offer...)."""
    return schema.reference("case_id")


def _case_key(table: str) -> sa.ForeignKeyConstraint:
    """The row goes when its case goes."""
    return schema.foreign_key(table, "case_id", "return_cases", ondelete="CASCADE")


def upgrade() -> None:
    schema.create_table(
        "seller_return_policies",
        schema.reference("seller_id"),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("non_returnable", sa.JSON(), nullable=False),
        sa.Column("postage", sa.JSON(), nullable=False),
        schema.moment("updated_at", nullable=False),
        schema.foreign_key("seller_return_policies", "seller_id", "sellers", ondelete="CASCADE"),
        schema.unique("seller_return_policies", "seller_id"),
    )
    _create_return_cases()
    _create_case_records()
    _create_offers_and_deadlines()


def _create_return_cases() -> None:
    schema.create_table(
        "return_cases",
        schema.reference("order_id"),
        schema.reference("seller_id"),
        schema.reference("buyer_user_id", nullable=True),
        schema.choice_column(
            "reason",
            "returnreason",
            "not_as_described",
            "damaged",
            "wrong_item",
            "missing_parts",
            "quality_problem",
            "changed_mind",
            "other",
            length=24,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        _resolution("wanted", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        schema.money("paid", nullable=False),
        _case_status("status", nullable=False),
        sa.Column("out_of_policy", sa.JSON(), nullable=False),
        schema.moment("opened_at", nullable=False),
        schema.moment("updated_at", nullable=False),
        schema.moment("seller_answered_at", nullable=True),
        schema.moment("closed_at", nullable=True),
        schema.moment("agreed_at", nullable=True),
        _resolution("agreed_resolution", nullable=True),
        schema.money("agreed_amount", nullable=True),
        _postage_payer(),
        schema.reference("return_warehouse_id", nullable=True),
        schema.moment("return_ship_by", nullable=True),
        sa.Column("return_tracking_number", sa.String(length=64), nullable=True),
        sa.Column("return_carrier", sa.String(length=64), nullable=True),
        schema.moment("return_shipped_at", nullable=True),
        schema.moment("received_at", nullable=True),
        sa.Column("inspection_note", sa.Text(), nullable=True),
        schema.money("refund_amount", nullable=True),
        sa.Column("refund_reference", sa.String(length=64), nullable=True),
        schema.moment("refunded_at", nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        schema.moment("escalated_at", nullable=True),
        _side("escalated_by", nullable=True),
        _case_status("status_before_escalation", nullable=True),
        sa.Column("buyer_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("seller_thread_id", sa.BigInteger(), nullable=True),
        schema.foreign_key("return_cases", "buyer_user_id", "telegram_users", ondelete="SET NULL"),
        schema.foreign_key("return_cases", "order_id", "orders", ondelete="CASCADE"),
        schema.foreign_key("return_cases", "return_warehouse_id", "warehouses", deferred=True),
        schema.foreign_key("return_cases", "seller_id", "sellers", ondelete="CASCADE"),
        indexed=["buyer_user_id", "order_id", "return_tracking_number"],
    )
    op.create_index(
        "ix_return_cases_seller_status_updated",
        "return_cases",
        ["seller_id", "status", "updated_at"],
        unique=False,
    )


def _create_case_records() -> None:
    """The case's timeline, its lines, the evidence and the relayed messages with their copies."""
    schema.create_table(
        "return_case_events",
        _case_id(),
        schema.moment("at", nullable=False),
        _side(nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        _case_key("return_case_events"),
    )
    op.create_index(
        "ix_return_case_events_case_at", "return_case_events", ["case_id", "at"], unique=False
    )

    schema.create_table(
        "return_case_lines",
        _case_id(),
        schema.reference("order_line_id"),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        schema.money("unit_price", nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_case_lines_quantity_positive")),
        _case_key("return_case_lines"),
        schema.foreign_key("return_case_lines", "order_line_id", "order_lines", ondelete="CASCADE"),
        indexed=["case_id"],
    )
    schema.create_partial_index(
        "uq_return_case_lines_one_open_case",
        "return_case_lines",
        ["order_line_id"],
        where="active",
        unique=True,
    )

    schema.create_table(
        "return_evidence",
        _case_id(),
        _side(),
        schema.choice_column("kind", "evidencekind", "photo", "video", length=8),
        sa.Column("telegram_file_id", sa.String(length=255), nullable=False),
        sa.Column("file_unique_id", sa.String(length=64), nullable=False),
        schema.moment("added_at", nullable=False),
        _case_key("return_evidence"),
        schema.unique("return_evidence", "case_id", "file_unique_id"),
        indexed=["case_id"],
    )

    schema.create_table(
        "return_messages",
        _case_id(),
        _side(),
        schema.choice_column(
            "kind", "messagekind", "text", "photo", "video", "document", "voice", length=16
        ),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("telegram_file_id", sa.String(length=255), nullable=True),
        sa.Column("masked", sa.JSON(), nullable=False),
        schema.reference("reply_to_id", nullable=True),
        schema.moment("created_at", nullable=False),
        schema.moment("edited_at", nullable=True),
        sa.Column("edits", sa.Integer(), nullable=False),
        _case_key("return_messages"),
        schema.foreign_key(
            "return_messages", "reply_to_id", "return_messages", ondelete="SET NULL"
        ),
        indexed=["case_id"],
    )


def _create_offers_and_deadlines() -> None:
    schema.create_table(
        "return_offers",
        _case_id(),
        _side(),
        _resolution("resolution", nullable=False),
        schema.money("amount", nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _postage_payer(),
        schema.reference("warehouse_id", nullable=True),
        sa.Column("act_within_days", sa.Integer(), nullable=True),
        schema.choice_column(
            "status",
            "offerstatus",
            "open",
            "accepted",
            "declined",
            "countered",
            "lapsed",
            "withdrawn",
            length=16,
        ),
        schema.moment("created_at", nullable=False),
        schema.moment("respond_by", nullable=False),
        schema.moment("answered_at", nullable=True),
        schema.reference("replaces_id", nullable=True),
        _case_key("return_offers"),
        schema.foreign_key("return_offers", "replaces_id", "return_offers", ondelete="SET NULL"),
        schema.foreign_key("return_offers", "warehouse_id", "warehouses", deferred=True),
        indexed=["case_id"],
    )
    schema.create_partial_index(
        "uq_return_offers_one_open",
        "return_offers",
        ["case_id"],
        where="status = 'open'",
        unique=True,
    )

    schema.create_table(
        "return_deadlines",
        _case_id(),
        sa.Column("key", sa.String(length=48), nullable=False),
        schema.choice_column(
            "kind",
            "deadlinekind",
            "seller_first_answer",
            "offer_answer",
            "return_shipment",
            length=24,
        ),
        schema.choice_column("firing", "firing", "half_time", "day_before", "lapse", length=16),
        _side(),
        schema.reference("offer_id", nullable=True),
        schema.moment("due_at", nullable=False),
        schema.moment("fire_at", nullable=False),
        schema.moment("lease_until", nullable=True),
        schema.moment("fired_at", nullable=True),
        schema.moment("cancelled_at", nullable=True),
        _case_key("return_deadlines"),
        schema.foreign_key("return_deadlines", "offer_id", "return_offers", ondelete="CASCADE"),
        schema.unique("return_deadlines", "case_id", "key", "firing"),
        indexed=["case_id"],
    )
    schema.create_partial_index(
        "ix_return_deadlines_pending",
        "return_deadlines",
        ["fire_at"],
        where="fired_at IS NULL AND cancelled_at IS NULL",
        unique=False,
    )

    schema.create_table(
        "return_message_copies",
        schema.reference("message_id"),
        _side(),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("original", sa.Boolean(), nullable=False),
        schema.foreign_key(
            "return_message_copies", "message_id", "return_messages", ondelete="CASCADE"
        ),
        schema.unique("return_message_copies", "chat_id", "telegram_message_id"),
        indexed=["message_id"],
    )


def downgrade() -> None:
    schema.drop_table("return_message_copies", indexed=["message_id"])
    op.drop_index("ix_return_deadlines_pending", table_name="return_deadlines")
    schema.drop_table("return_deadlines", indexed=["case_id"])
    op.drop_index("uq_return_offers_one_open", table_name="return_offers")
    schema.drop_table("return_offers", indexed=["case_id"])
    schema.drop_table("return_messages", indexed=["case_id"])
    schema.drop_table("return_evidence", indexed=["case_id"])
    op.drop_index("uq_return_case_lines_one_open_case", table_name="return_case_lines")
    schema.drop_table("return_case_lines", indexed=["case_id"])
    op.drop_index("ix_return_case_events_case_at", table_name="return_case_events")
    op.drop_table("return_case_events")
    op.drop_index("ix_return_cases_seller_status_updated", table_name="return_cases")
    schema.drop_table(
        "return_cases", indexed=["buyer_user_id", "order_id", "return_tracking_number"]
    )
    op.drop_table("seller_return_policies")
