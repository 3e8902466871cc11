"""orders, shipping documents, compliance findings, buyer links, logistics settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:22:29.515227
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from migrations import schema

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    schema.create_table(
        "orders",
        sa.Column("seller_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("ship_to_country", sa.String(length=2), nullable=False),
        sa.Column("ship_to_postcode", sa.String(length=20), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        schema.moment("ship_by", nullable=False),
        sa.Column(
            "status",
            schema.choice(
                "orderstatus",
                "awaiting_confirmation",
                "confirmed",
                "shipped",
                "delivered",
                "cancelled",
                "returned",
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            schema.choice("ordersource", "conversation", "import", "api", length=16),
            nullable=False,
        ),
        schema.moment("created_at", nullable=False),
        schema.moment("confirmed_at", nullable=True),
        schema.moment("shipped_at", nullable=True),
        schema.moment("delivered_at", nullable=True),
        schema.moment("returned_at", nullable=True),
        schema.moment("cancelled_at", nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        schema.moment("reminded_24h_at", nullable=True),
        schema.moment("reminded_4h_at", nullable=True),
        schema.moment("overdue_alerted_at", nullable=True),
        sa.CheckConstraint("total >= 0", name=op.f("ck_orders_total_not_negative")),
        schema.foreign_key("orders", "seller_id", "sellers", ondelete="CASCADE"),
        schema.unique("orders", "seller_id", "number"),
    )
    op.create_index(
        "ix_orders_seller_status_ship_by",
        "orders",
        ["seller_id", "status", "ship_by"],
        unique=False,
    )
    op.create_index("ix_orders_status_ship_by", "orders", ["status", "ship_by"], unique=False)

    schema.create_table(
        "seller_logistics_settings",
        sa.Column("seller_id", sa.BigInteger(), nullable=False),
        sa.Column("budget_max_share", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("budget_max_per_order", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=True),
        sa.Column(
            "budget_mode",
            schema.choice("budgetmode", "warn", "block", length=8),
            nullable=False,
        ),
        sa.Column("rate_card", sa.JSON(), nullable=True),
        sa.Column("exchange_rates", sa.JSON(), nullable=False),
        schema.moment("updated_at", nullable=False),
        sa.CheckConstraint(
            "budget_max_share IS NULL OR (budget_max_share > 0 AND budget_max_share <= 1)",
            name=op.f("ck_seller_logistics_settings_budget_max_share_fraction"),
        ),
        schema.foreign_key("seller_logistics_settings", "seller_id", "sellers", ondelete="CASCADE"),
        schema.unique("seller_logistics_settings", "seller_id"),
    )
    schema.create_table(
        "buyer_links",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        schema.moment("created_at", nullable=False),
        schema.moment("expires_at", nullable=False),
        schema.moment("used_at", nullable=True),
        schema.moment("revoked_at", nullable=True),
        schema.foreign_key("buyer_links", "order_id", "orders", ondelete="CASCADE"),
        schema.unique("buyer_links", "token_hash"),
        indexed=["order_id"],
    )

    schema.create_table(
        "order_lines",
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_order_lines_unit_price_not_negative")),
        schema.foreign_key("order_lines", "order_id", "orders", ondelete="CASCADE"),
        indexed=["order_id"],
    )

    schema.create_table(
        "shipments",
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
        schema.moment("created_at", nullable=False),
        schema.moment("confirmed_at", nullable=True),
        sa.Column("tracking_status", sa.String(length=32), nullable=True),
        sa.Column("tracking_sub_status", sa.String(length=64), nullable=True),
        schema.moment("next_poll_at", nullable=True),
        schema.moment("lease_until", nullable=True),
        schema.foreign_key("shipments", "order_id", "orders", ondelete="CASCADE"),
        schema.foreign_key("shipments", "warehouse_id", "warehouses", deferred=True),
    )
    schema.create_indexes(
        "shipments", "next_poll_at", "order_id", "tracking_number", "warehouse_id"
    )

    schema.create_table(
        "compliance_findings",
        sa.Column("shipment_id", sa.BigInteger(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column(
            "severity",
            schema.choice("findingseverity", "blocker", "warning", length=16),
            nullable=False,
        ),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        schema.moment("created_at", nullable=False),
        schema.foreign_key("compliance_findings", "shipment_id", "shipments", ondelete="CASCADE"),
        indexed=["created_at", "shipment_id"],
    )


def downgrade() -> None:
    schema.drop_indexes("compliance_findings", "created_at", "shipment_id")

    op.drop_table("compliance_findings")
    schema.drop_indexes("shipments", "next_poll_at", "order_id", "tracking_number", "warehouse_id")

    op.drop_table("shipments")
    schema.drop_indexes("order_lines", "order_id")

    op.drop_table("order_lines")
    schema.drop_indexes("buyer_links", "order_id")

    op.drop_table("buyer_links")
    op.drop_table("seller_logistics_settings")
    op.drop_index("ix_orders_status_ship_by", table_name="orders")
    op.drop_index("ix_orders_seller_status_ship_by", table_name="orders")

    op.drop_table("orders")
