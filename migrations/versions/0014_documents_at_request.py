"""documents at request: how many documents a warehouse had when an operator asked for more

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 09:00:00.000000

`warehouses.documents_at_request` counts the documents kept when an operator asked for more,
so the seller cannot send the warehouse back for review without adding one. Empty for the
warehouses stored before (their request is not held to it), and for those never asked.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    # A plain ALTER on both databases: a batch copy of `warehouses` would drop the table, and
    # SQLite, enforcing foreign keys, would delete the warehouses' documents with it.
    op.add_column("warehouses", sa.Column("documents_at_request", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("warehouses", "documents_at_request")
