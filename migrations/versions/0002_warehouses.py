"""warehouses and certification documents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:01:32.618254
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import domain.model.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warehouses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("domestic", "overseas", name="warehousekind", native_enum=False, length=24),
            nullable=False,
        ),
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
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "pending_review",
                "verified",
                "rejected",
                "needs_documents",
                "suspended",
                "archived",
                name="warehousestatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("created_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_at", domain.model.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["sellers.id"],
            name=op.f("fk_warehouses_seller_id_sellers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
    )
    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_warehouses_seller_id"), ["seller_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_warehouses_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_warehouses_submitted_at"), ["submitted_at"], unique=False
        )
        batch_op.create_index(
            "uq_warehouses_seller_name_live",
            ["seller_id", "name_key"],
            unique=True,
            sqlite_where=sa.text("status <> 'archived'"),
            postgresql_where=sa.text("status <> 'archived'"),
        )

    op.create_table(
        "warehouse_documents",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "business_licence",
                "lease",
                "ownership",
                "third_party_agreement",
                "customs_vat",
                "other",
                name="documentkind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("telegram_file_id", sa.String(length=255), nullable=False),
        sa.Column("file_unique_id", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("is_photo", sa.Boolean(), nullable=False),
        sa.Column("uploaded_at", domain.model.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_warehouse_documents_warehouse_id_warehouses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse_documents")),
    )
    with op.batch_alter_table("warehouse_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_warehouse_documents_warehouse_id"), ["warehouse_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("warehouse_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warehouse_documents_warehouse_id"))

    op.drop_table("warehouse_documents")
    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_warehouses_seller_name_live",
            sqlite_where=sa.text("status <> 'archived'"),
            postgresql_where=sa.text("status <> 'archived'"),
        )
        batch_op.drop_index(batch_op.f("ix_warehouses_submitted_at"))
        batch_op.drop_index(batch_op.f("ix_warehouses_status"))
        batch_op.drop_index(batch_op.f("ix_warehouses_seller_id"))

    op.drop_table("warehouses")
