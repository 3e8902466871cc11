"""return shipments: a return case's parcel is a shipment the tracking poller follows, and an
exchange's replacement order is linked to its case

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 13:30:00.000000

`shipments.return_case_id` marks the parcel a buyer sends back (at most one per case); it is
claimed, leased and recorded like any shipment, but tells both sides of the case instead of the
buyer's outbound notices. `return_cases.replacement_order_id` is the order an exchange ships.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("return_case_id", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_shipments_return_case_id"), ["return_case_id"], unique=True
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_shipments_return_case_id_return_cases"),
            "return_cases",
            ["return_case_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("return_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replacement_order_id", sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_return_cases_replacement_order_id_orders"),
            "orders",
            ["replacement_order_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("return_cases", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_return_cases_replacement_order_id_orders"), type_="foreignkey"
        )
        batch_op.drop_column("replacement_order_id")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_shipments_return_case_id_return_cases"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_shipments_return_case_id"))
        batch_op.drop_column("return_case_id")
