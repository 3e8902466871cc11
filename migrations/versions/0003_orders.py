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
        schema.reference("seller_id"),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("ship_to_country", sa.String(length=2), nullable=False),
        sa.Column("ship_to_postcode", sa.String(length=20), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        schema.money("total", nullable=False),
        schema.moment("ship_by", nullable=False),
        schema.choice_column(
            "status",
            "orderstatus",
            "awaiting_confirmation",
            "confirmed",
            "shipped",
            "delivered",
            "cancelled",
            "returned",
            length=24,
        ),
        schema.choice_column("source", "ordersource", "conversation", "import", "api", length=16),
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
        schema.reference("seller_id"),
        sa.Column("budget_max_share", sa.Numeric(precision=5, scale=4), nullable=True),
        schema.money("budget_max_per_order", nullable=True),
        sa.Column("budget_currency", sa.String(length=3), nullable=True),
        schema.choice_column("budget_mode", "budgetmode", "warn", "block", length=8),
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
        schema.reference("order_id"),
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
        schema.reference("order_id"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_name", sa.String(length=200), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        schema.money("unit_price", nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity_positive")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_order_lines_unit_price_not_negative")),
        schema.foreign_key("order_lines", "order_id", "orders", ondelete="CASCADE"),
        indexed=["order_id"],
    )

    schema.create_table(
        "shipments",
        schema.reference("order_id"),
        schema.reference("warehouse_id"),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        schema.money("declared_value", nullable=False),
        sa.Column("declared_currency", sa.String(length=3), nullable=False),
        sa.Column("weight_kg", sa.Numeric(precision=10, scale=3), nullable=False),
        sa.Column("length_cm", sa.Numeric(precision=8, scale=1), nullable=False),
        sa.Column("width_cm", sa.Numeric(precision=8, scale=1), nullable=False),
        sa.Column("height_cm", sa.Numeric(precision=8, scale=1), nullable=False),
        sa.Column("goods_characteristics", sa.JSON(), nullable=False),
        sa.Column("chargeable_weight_kg", sa.Numeric(precision=10, scale=3), nullable=True),
        schema.money("estimated_cost", nullable=True),
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
        schema.reference("shipment_id"),
        sa.Column("rule", sa.String(length=64), nullable=False),
        schema.choice_column("severity", "findingseverity", "blocker", "warning", length=16),
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
