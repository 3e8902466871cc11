"""Warehouses: a seller's, the review queue, those an order can ship from."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from domain.model import (
    Warehouse,
    WarehouseStatus,
)
from domain.repositories.base import AggregateRepository


class WarehouseRepository(AggregateRepository[Warehouse]):
    root = Warehouse

    async def for_seller(self, seller_id: int) -> Sequence[Warehouse]:
        result = await self.session.execute(
            select(Warehouse)
            .where(Warehouse.seller_id == seller_id, Warehouse.status != WarehouseStatus.ARCHIVED)
            .order_by(Warehouse.created_at, Warehouse.id)
        )
        return result.scalars().all()

    async def name_taken(
        self, seller_id: int, name_key: str, exclude_id: int | None = None
    ) -> bool:
        query = select(func.count()).where(
            Warehouse.seller_id == seller_id,
            Warehouse.name_key == name_key,
            Warehouse.status != WarehouseStatus.ARCHIVED,
        )
        if exclude_id is not None:
            query = query.where(Warehouse.id != exclude_id)
        return bool(await self.session.scalar(query))

    async def by_status(
        self, status: WarehouseStatus, *, limit: int = 10, offset: int = 0
    ) -> Sequence[Warehouse]:
        """Oldest submission first: the review queue is first come, first served."""
        result = await self.session.execute(
            select(Warehouse)
            .where(Warehouse.status == status)
            .order_by(Warehouse.submitted_at, Warehouse.id)
            .limit(limit)
            .offset(offset)
        )
        return result.scalars().all()

    async def count_by_status(self, status: WarehouseStatus) -> int:
        return await self._count(Warehouse, Warehouse.status == status)

    async def verified_that_can_ship(self, seller_id: int) -> list[Warehouse]:
        result = await self.session.execute(
            select(Warehouse)
            .where(Warehouse.seller_id == seller_id, Warehouse.status == WarehouseStatus.VERIFIED)
            .order_by(Warehouse.name)
        )
        return [w for w in result.scalars() if w.can_ship]
