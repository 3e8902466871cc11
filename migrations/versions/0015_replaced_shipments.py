"""replaced shipments: a parcel the seller sent again is kept as history

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 23:30:00.000000

When a parcel is lost or came back to the seller, the seller may send the goods again: the
order gets a new shipment and the old one is kept, marked `shipments.replaced_at`. A replaced
shipment is no longer polled, its number is stopped with the tracking provider, and its news
moves neither the order nor the buyer. Empty for every shipment stored before.
"""

from __future__ import annotations

from alembic import op

from migrations import schema

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    # A plain ALTER on both databases, as in 0014: a batch copy of `shipments` would drop the
    # table, and SQLite, enforcing foreign keys, would delete its events and findings with it.
    op.add_column("shipments", schema.moment("replaced_at", nullable=True))


def downgrade() -> None:
    op.drop_column("shipments", "replaced_at")
