"""dispute outcomes: how the platform ended a return case's dispute, as an operator recorded it

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00.000000

`return_cases` gains the outcome (decided for the buyer, for the store, or closed without a
decision), the amount refunded (decided for the buyer), when it was recorded and by which
operator. All empty for the cases stored before, which therefore still await their outcome,
as they do; a release without these columns inserts cases with them empty too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from migrations import schema

revision = "0012"
down_revision = "0011"

COLUMNS = ("dispute_outcome", "dispute_refund", "outcome_recorded_at", "outcome_recorded_by")


def upgrade() -> None:
    # Plain ALTERs on both databases (SQLite adds and drops a column in place): a batch copy
    # of `return_cases` would drop the table, and SQLite, enforcing foreign keys, would delete
    # the cases' lines, offers, messages and timeline with it.
    op.add_column(
        "return_cases",
        schema.choice_column(
            "dispute_outcome",
            "disputeoutcome",
            "for_buyer",
            "for_seller",
            "closed",
            length=16,
            nullable=True,
        ),
    )
    op.add_column("return_cases", schema.money("dispute_refund", nullable=True))
    op.add_column("return_cases", schema.moment("outcome_recorded_at", nullable=True))
    op.add_column("return_cases", sa.Column("outcome_recorded_by", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.drop_column("return_cases", column)
