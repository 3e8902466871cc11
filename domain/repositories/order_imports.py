"""The repository of background order imports (`order_imports`). It never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update

from domain.model import ImportStatus, OrderImport
from domain.repositories.base import Repository


class OrderImportRepository(Repository):
    async def add(self, job: OrderImport) -> None:
        """Insert now, so the one-running-import-per-seller index answers in this call."""
        self.session.add(job)
        await self.session.flush()

    async def get(self, import_id: int) -> OrderImport | None:
        return await self.session.get(OrderImport, import_id)

    async def running_for(self, seller_id: int) -> OrderImport | None:
        result = await self.session.execute(
            select(OrderImport).where(
                OrderImport.seller_id == seller_id, OrderImport.status == ImportStatus.RUNNING
            )
        )
        return result.scalar_one_or_none()

    async def count_batch(
        self, import_id: int, *, orders: int, lines: int, existing: int, lease_until: datetime
    ) -> bool:
        """Add a saved batch to a running import's counts (one statement); False when the
        import no longer runs."""
        return bool(
            await self._rows_changed(
                update(OrderImport)
                .where(OrderImport.id == import_id, OrderImport.status == ImportStatus.RUNNING)
                .values(
                    orders_imported=OrderImport.orders_imported + orders,
                    lines_imported=OrderImport.lines_imported + lines,
                    orders_existing=OrderImport.orders_existing + existing,
                    lease_until=lease_until,
                )
                .execution_options(synchronize_session=False)
            )
        )

    async def stale(self, now: datetime, limit: int = 100) -> Sequence[OrderImport]:
        """Running imports whose lease ran out: their process stopped."""
        result = await self.session.execute(
            select(OrderImport)
            .where(OrderImport.status == ImportStatus.RUNNING, OrderImport.lease_until < now)
            .order_by(OrderImport.id)
            .limit(limit)
        )
        return result.scalars().all()

    async def prune(self, finished_before: datetime) -> int:
        return await self._rows_changed(
            delete(OrderImport).where(
                OrderImport.status != ImportStatus.RUNNING,
                OrderImport.finished_at < finished_before,
            )
        )
