"""numbers to stop: a replaced return parcel's number waits here until the tracking provider
was told to stop following it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 05:00:00.000000

A buyer who corrects their return tracking number replaces the parcel's shipment row; the old
number stays registered with the provider (and counts against its quota) until the poller's
`stoptrack` for it succeeds, after which the row is deleted.
"""

from __future__ import annotations

import sqlalchemy as sa

from migrations import schema

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    schema.create_table(
        "numbers_to_stop",
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("provider_carrier", sa.String(length=32), nullable=True),
        schema.moment("since", nullable=False),
    )


def downgrade() -> None:
    schema.drop_table("numbers_to_stop")
