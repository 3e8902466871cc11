"""warehouses and certification documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:01:32.618254
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from migrations import schema

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    schema.create_table(
        "warehouses",
        schema.reference("seller_id"),
        schema.choice_column("kind", "warehousekind", "domestic", "overseas", length=24),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=True),
        sa.Column("postcode", sa.String(length=20), nullable=True),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        schema.choice_column(
            "status",
            "warehousestatus",
            "draft",
            "pending_review",
            "verified",
            "rejected",
            "needs_documents",
            "suspended",
            "archived",
            length=24,
        ),
        sa.Column("review_note", sa.Text(), nullable=True),
        schema.moment("created_at", nullable=False),
        schema.moment("updated_at", nullable=False),
        schema.moment("submitted_at", nullable=True),
        schema.moment("reviewed_at", nullable=True),
        sa.Column("reviewed_by", sa.BigInteger(), nullable=True),
        schema.foreign_key("warehouses", "seller_id", "sellers", ondelete="CASCADE"),
        indexed=["seller_id", "status", "submitted_at"],
    )
    schema.create_partial_index(
        "uq_warehouses_seller_name_live",
        "warehouses",
        ["seller_id", "name_key"],
        where="status <> 'archived'",
        unique=True,
    )

    schema.create_table(
        "warehouse_documents",
        schema.reference("warehouse_id"),
        schema.choice_column(
            "kind",
            "documentkind",
            "business_licence",
            "lease",
            "ownership",
            "third_party_agreement",
            "customs_vat",
            "other",
            length=24,
        ),
        sa.Column("telegram_file_id", sa.String(length=255), nullable=False),
        sa.Column("file_unique_id", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("is_photo", sa.Boolean(), nullable=False),
        schema.moment("uploaded_at", nullable=False),
        schema.foreign_key("warehouse_documents", "warehouse_id", "warehouses", ondelete="CASCADE"),
        indexed=["warehouse_id"],
    )


def downgrade() -> None:
    schema.drop_indexes("warehouse_documents", "warehouse_id")

    op.drop_table("warehouse_documents")
    op.drop_index("uq_warehouses_seller_name_live", table_name="warehouses")
    schema.drop_indexes("warehouses", "seller_id", "status", "submitted_at")

    op.drop_table("warehouses")
