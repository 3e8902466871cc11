"""warehouse revisions: a counter of the changes a reviewer decides on

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:00:00.000000

`warehouses.revision` counts the changes of a warehouse (its fields, its documents, its status);
a review card's decision buttons name it, instead of the time of the last change. Warehouses
stored before this revision start at 1, as new ones do, and so does a warehouse a release
without the counter inserts during a rolling upgrade. Decision buttons drawn before it name a
time, never a revision: pressed, they are refused as showing an older state and the card is
shown again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    # Plain ALTERs on both databases (SQLite adds and drops a column in place): a batch copy
    # of `warehouses` would drop the table, and SQLite, enforcing foreign keys, would delete
    # the warehouses' documents with it.
    op.add_column(
        "warehouses", sa.Column("revision", sa.Integer(), server_default="1", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("warehouses", "revision")
