"""An order-file import that runs in the background: one row per file a seller sent.

The row is the seller's lock (at most one `running` import per seller, kept by a partial unique
index, so it holds across bot processes), the progress the bot shows while it runs, and the
outcome afterwards. A running import renews `lease_until` as it goes; one whose lease ran out
was left by a process that stopped, and counts as interrupted.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.model.base import Base, enum_column, parent_id, partial_index, primary_id

FILE_NAME_MAX = 255


class ImportStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    # A file-level problem (too many rows, unreadable, a limit): nothing of the file was saved.
    FAILED = "failed"
    # The process stopped mid-way; the chunks saved so far stay, a re-send skips them.
    INTERRUPTED = "interrupted"
    # A failed import whose file the seller took as their rate card instead (once: a later
    # press of that button must not bring back a card replaced since).
    TAKEN_AS_RATE_CARD = "rate_card"


class OrderImport(Base):
    __tablename__ = "order_imports"
    __table_args__ = (
        partial_index(
            "ix_order_imports_one_running", "seller_id", where="status = 'running'", unique=True
        ),
        # The sweep for imports whose process stopped.
        Index("ix_order_imports_status_lease_until", "status", "lease_until"),
    )

    id: Mapped[int] = primary_id()
    seller_id: Mapped[int] = parent_id("sellers")
    # Who sent the file (Telegram user id) and the chat the progress and report go to.
    actor_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    locale: Mapped[str | None] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(String(255))
    file_name: Mapped[str] = mapped_column(String(FILE_NAME_MAX))
    status: Mapped[ImportStatus] = mapped_column(enum_column(ImportStatus, 16))
    created_at: Mapped[datetime]
    lease_until: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    orders_imported: Mapped[int] = mapped_column(Integer, default=0)
    lines_imported: Mapped[int] = mapped_column(Integer, default=0)
    # Orders of the file the store already had (a re-sent file): left as they are.
    orders_existing: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)

    def end(self, outcome: ImportStatus, now: datetime) -> None:
        """The import stopped running: done, failed or interrupted."""
        self.status = outcome
        self.finished_at = now
