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

from alembic import op

from migrations import schema

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        schema.add_reference(
            batch_op,
            "shipments",
            "return_case_id",
            "return_cases",
            ondelete="CASCADE",
            index="unique",
        )
    with op.batch_alter_table("return_cases", schema=None) as batch_op:
        schema.add_reference(
            batch_op, "return_cases", "replacement_order_id", "orders", ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("return_cases", schema=None) as batch_op:
        schema.drop_reference(
            batch_op, "return_cases", "replacement_order_id", "orders", indexed=False
        )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        schema.drop_reference(batch_op, "shipments", "return_case_id", "return_cases", indexed=True)
