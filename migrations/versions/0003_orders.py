"""orders, shipping documents, compliance findings, buyer links, logistics settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:22:29.515227
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import domain.model.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("ship_to_country", sa.String(length=2), nullable=False),
        sa.Column("ship_to_postcode", sa.String(length=20), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("ship_by", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "awaiting_confirmation",
                "confirmed",
                "shipped",
                "delivered",
                "cancelled",
                "returned",
                name="orderstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "conversation", "import", "api", name="ordersource", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("created_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("returned_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("reminded_24h_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reminded_4h_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "overdue_alerted_at", domain.model.base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint("total >= 0", name=op.f("ck_orders_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_orders_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("seller_id", "number", name=op.f("uq_orders_seller_id_number")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_seller_status_ship_by", ["seller_id", "status", "ship_by"], unique=False
        )
        batch_op.create_index("ix_orders_status_ship_by", ["status", "ship_by"], unique=False)

    op.create_table(
        "seller_logistics_settings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.BigInteger(), nullable=False),
        sa.Column("budget_max_share", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("budget_max_per_order", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=True),
        sa.Column(
            "budget_mode",
            sa.Enum("warn", "block", name="budgetmode", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("rate_card", sa.JSON(), nullable=True),
        sa.Column("exchange_rates", sa.JSON(), nullable=False),
        sa.Column("updated_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "budget_max_share IS NULL OR (budget_max_share > 0 AND budget_max_share <= 1)",
            name=op.f("ck_seller_logistics_settings_budget_max_share_fraction"),
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_seller_logistics_settings_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_logistics_settings")),
        sa.UniqueConstraint("seller_id", name=op.f("uq_seller_logistics_settings_seller_id")),
    )
    op.create_table(
        "buyer_links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("used_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_buyer_links_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buyer_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_buyer_links_token_hash")),
    )
    with op.batch_alter_table("buyer_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_buyer_links_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_order_lines_unit_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_order_id"), ["order_id"], unique=False)

    op.create_table(
        "shipments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("declared_value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("declared_currency", sa.String(length=3), nullable=False),
        sa.Column("weight_kg", sa.Numeric(precision=10, scale=3), nullable=False),
        sa.Column("length_cm", sa.Numeric(precision=8, scale=1), nullable=False),
        sa.Column("width_cm", sa.Numeric(precision=8, scale=1), nullable=False),
        sa.Column("height_cm", sa.Numeric(precision=8, scale=1), nullable=False),
        sa.Column("goods_characteristics", sa.JSON(), nullable=False),
        sa.Column("chargeable_weight_kg", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("estimated_cost", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("cost_currency", sa.String(length=3), nullable=True),
        sa.Column("transit_min_days", sa.Integer(), nullable=True),
        sa.Column("transit_max_days", sa.Integer(), nullable=True),
        sa.Column("lines_shipped", sa.JSON(), nullable=False),
        sa.Column("is_partial", sa.Boolean(), nullable=False),
        sa.Column("parcel_photo_file_id", sa.String(length=255), nullable=True),
        sa.Column("compliance_acknowledged", sa.Boolean(), nullable=False),
        sa.Column("created_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("tracking_status", sa.String(length=32), nullable=True),
        sa.Column("tracking_sub_status", sa.String(length=64), nullable=True),
        sa.Column("next_poll_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_shipments_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_shipments_warehouse_id_warehouses"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipments_next_poll_at"), ["next_poll_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_shipments_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_shipments_tracking_number"), ["tracking_number"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shipments_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "compliance_findings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shipment_id", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column(
            "severity",
            sa.Enum("blocker", "warning", name="findingseverity", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("created_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_compliance_findings_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_findings")),
    )
    with op.batch_alter_table("compliance_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compliance_findings_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_compliance_findings_shipment_id"), ["shipment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("compliance_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_findings_shipment_id"))
        batch_op.drop_index(batch_op.f("ix_compliance_findings_created_at"))

    op.drop_table("compliance_findings")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_warehouse_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_tracking_number"))
        batch_op.drop_index(batch_op.f("ix_shipments_order_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_next_poll_at"))

    op.drop_table("shipments")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_order_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("buyer_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buyer_links_order_id"))

    op.drop_table("buyer_links")
    op.drop_table("seller_logistics_settings")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status_ship_by")
        batch_op.drop_index("ix_orders_seller_status_ship_by")

    op.drop_table("orders")
