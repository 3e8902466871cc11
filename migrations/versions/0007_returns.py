"""return cases: lines, evidence, offers, relayed messages and their copies, the timeline,
deadline firings claimed with a lease, and each seller's return policy

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import domain.model.base

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seller_return_policies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.BigInteger(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("non_returnable", sa.JSON(), nullable=False),
        sa.Column("postage", sa.JSON(), nullable=False),
        sa.Column("updated_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_seller_return_policies_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_return_policies")),
        sa.UniqueConstraint("seller_id", name=op.f("uq_seller_return_policies_seller_id")),
    )
    op.create_table(
        "return_cases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("seller_id", sa.BigInteger(), nullable=False),
        sa.Column("buyer_user_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "not_as_described",
                "damaged",
                "wrong_item",
                "missing_parts",
                "quality_problem",
                "changed_mind",
                "other",
                name="returnreason",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "wanted",
            sa.Enum(
                "refund_full",
                "refund_partial",
                "return_and_refund",
                "exchange",
                "keep_partial_refund",
                name="resolution",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("paid", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
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
                name="casestatus",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("out_of_policy", sa.JSON(), nullable=False),
        sa.Column("opened_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "seller_answered_at", domain.model.base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("closed_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("agreed_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "agreed_resolution",
            sa.Enum(
                "refund_full",
                "refund_partial",
                "return_and_refund",
                "exchange",
                "keep_partial_refund",
                name="resolution",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column("agreed_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column(
            "postage_payer",
            sa.Enum("store", "buyer", name="postagepayer", native_enum=False, length=8),
            nullable=True,
        ),
        sa.Column("return_warehouse_id", sa.BigInteger(), nullable=True),
        sa.Column("return_ship_by", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("return_tracking_number", sa.String(length=64), nullable=True),
        sa.Column("return_carrier", sa.String(length=64), nullable=True),
        sa.Column("return_shipped_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("received_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("inspection_note", sa.Text(), nullable=True),
        sa.Column("refund_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("refund_reference", sa.String(length=64), nullable=True),
        sa.Column("refunded_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("escalated_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "escalated_by",
            sa.Enum("buyer", "seller", name="side", native_enum=False, length=8),
            nullable=True,
        ),
        sa.Column(
            "status_before_escalation",
            sa.Enum(
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
                name="casestatus",
                native_enum=False,
            ),
            nullable=True,
        ),
        sa.Column("buyer_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("seller_thread_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["buyer_user_id"],
            ["telegram_users.id"],
            name=op.f("fk_return_cases_buyer_user_id_telegram_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_return_cases_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["return_warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_return_cases_return_warehouse_id_warehouses"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_return_cases_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_cases")),
    )
    with op.batch_alter_table("return_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_cases_buyer_user_id"), ["buyer_user_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_return_cases_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_return_cases_return_tracking_number"),
            ["return_tracking_number"],
            unique=False,
        )
        batch_op.create_index(
            "ix_return_cases_seller_status_updated",
            ["seller_id", "status", "updated_at"],
            unique=False,
        )

    op.create_table(
        "return_case_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "side",
            sa.Enum("buyer", "seller", name="side", native_enum=False, length=8),
            nullable=True,
        ),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["return_cases.id"],
            name=op.f("fk_return_case_events_case_id_return_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_case_events")),
    )
    with op.batch_alter_table("return_case_events", schema=None) as batch_op:
        batch_op.create_index("ix_return_case_events_case_at", ["case_id", "at"], unique=False)

    op.create_table(
        "return_case_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_case_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["return_cases.id"],
            name=op.f("fk_return_case_lines_case_id_return_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_return_case_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_case_lines")),
    )
    with op.batch_alter_table("return_case_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_case_lines_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "uq_return_case_lines_one_open_case",
            ["order_line_id"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    op.create_table(
        "return_evidence",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "side",
            sa.Enum("buyer", "seller", name="side", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum("photo", "video", name="evidencekind", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("telegram_file_id", sa.String(length=255), nullable=False),
        sa.Column("file_unique_id", sa.String(length=64), nullable=False),
        sa.Column("added_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["return_cases.id"],
            name=op.f("fk_return_evidence_case_id_return_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_evidence")),
        sa.UniqueConstraint(
            "case_id", "file_unique_id", name=op.f("uq_return_evidence_case_id_file_unique_id")
        ),
    )
    with op.batch_alter_table("return_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_evidence_case_id"), ["case_id"], unique=False)

    op.create_table(
        "return_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "side",
            sa.Enum("buyer", "seller", name="side", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "text",
                "photo",
                "video",
                "document",
                "voice",
                name="messagekind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("telegram_file_id", sa.String(length=255), nullable=True),
        sa.Column("masked", sa.JSON(), nullable=False),
        sa.Column("reply_to_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("edits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["return_cases.id"],
            name=op.f("fk_return_messages_case_id_return_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["return_messages.id"],
            name=op.f("fk_return_messages_reply_to_id_return_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_messages")),
    )
    with op.batch_alter_table("return_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_messages_case_id"), ["case_id"], unique=False)

    op.create_table(
        "return_offers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "side",
            sa.Enum("buyer", "seller", name="side", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column(
            "resolution",
            sa.Enum(
                "refund_full",
                "refund_partial",
                "return_and_refund",
                "exchange",
                "keep_partial_refund",
                name="resolution",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "postage_payer",
            sa.Enum("store", "buyer", name="postagepayer", native_enum=False, length=8),
            nullable=True,
        ),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=True),
        sa.Column("act_within_days", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "accepted",
                "declined",
                "countered",
                "lapsed",
                "withdrawn",
                name="offerstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("respond_by", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("replaces_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["return_cases.id"],
            name=op.f("fk_return_offers_case_id_return_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["return_offers.id"],
            name=op.f("fk_return_offers_replaces_id_return_offers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_return_offers_warehouse_id_warehouses"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_offers")),
    )
    with op.batch_alter_table("return_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_offers_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "uq_return_offers_one_open",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "return_deadlines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=48), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "seller_first_answer",
                "offer_answer",
                "return_shipment",
                name="deadlinekind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "firing",
            sa.Enum(
                "half_time", "day_before", "lapse", name="firing", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "side",
            sa.Enum("buyer", "seller", name="side", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("offer_id", sa.BigInteger(), nullable=True),
        sa.Column("due_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("fire_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("fired_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["return_cases.id"],
            name=op.f("fk_return_deadlines_case_id_return_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["return_offers.id"],
            name=op.f("fk_return_deadlines_offer_id_return_offers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_deadlines")),
        sa.UniqueConstraint(
            "case_id", "key", "firing", name=op.f("uq_return_deadlines_case_id_key_firing")
        ),
    )
    with op.batch_alter_table("return_deadlines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_deadlines_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_return_deadlines_pending",
            ["fire_at"],
            unique=False,
            sqlite_where=sa.text("fired_at IS NULL AND cancelled_at IS NULL"),
            postgresql_where=sa.text("fired_at IS NULL AND cancelled_at IS NULL"),
        )

    op.create_table(
        "return_message_copies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "side",
            sa.Enum("buyer", "seller", name="side", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("original", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["return_messages.id"],
            name=op.f("fk_return_message_copies_message_id_return_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_message_copies")),
        sa.UniqueConstraint(
            "chat_id",
            "telegram_message_id",
            name=op.f("uq_return_message_copies_chat_id_telegram_message_id"),
        ),
    )
    with op.batch_alter_table("return_message_copies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_message_copies_message_id"), ["message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("return_message_copies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_message_copies_message_id"))

    op.drop_table("return_message_copies")
    with op.batch_alter_table("return_deadlines", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_return_deadlines_pending",
            sqlite_where=sa.text("fired_at IS NULL AND cancelled_at IS NULL"),
            postgresql_where=sa.text("fired_at IS NULL AND cancelled_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_return_deadlines_case_id"))

    op.drop_table("return_deadlines")
    with op.batch_alter_table("return_offers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_return_offers_one_open",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_return_offers_case_id"))

    op.drop_table("return_offers")
    with op.batch_alter_table("return_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_messages_case_id"))

    op.drop_table("return_messages")
    with op.batch_alter_table("return_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_evidence_case_id"))

    op.drop_table("return_evidence")
    with op.batch_alter_table("return_case_lines", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_return_case_lines_one_open_case",
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )
        batch_op.drop_index(batch_op.f("ix_return_case_lines_case_id"))

    op.drop_table("return_case_lines")
    with op.batch_alter_table("return_case_events", schema=None) as batch_op:
        batch_op.drop_index("ix_return_case_events_case_at")

    op.drop_table("return_case_events")
    with op.batch_alter_table("return_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_return_cases_seller_status_updated")
        batch_op.drop_index(batch_op.f("ix_return_cases_return_tracking_number"))
        batch_op.drop_index(batch_op.f("ix_return_cases_order_id"))
        batch_op.drop_index(batch_op.f("ix_return_cases_buyer_user_id"))

    op.drop_table("return_cases")
    op.drop_table("seller_return_policies")
