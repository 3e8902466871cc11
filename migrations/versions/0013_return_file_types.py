"""return file types: the format a relayed document's content proved to be

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09 09:00:00.000000

`return_messages.file_type` is the format ("pdf", "jpg", "png", "webp") the file worker found
a document to be before it was stored; the copy is sent under a name made of it. Documents
stored before this revision were never checked: the column stays empty for them, and their
copy, if one is still waiting, carries the text without the file.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    # A plain ALTER on both databases: a batch copy of `return_messages` would drop the table,
    # and with it (foreign keys enforced) the copies of every message.
    op.add_column("return_messages", sa.Column("file_type", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_column("return_messages", "file_type")
