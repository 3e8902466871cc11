"""Rows a conversation test needs before it starts, made through the domain services (as the
bot would have made them), and the rows it reads back afterwards."""

from __future__ import annotations

from typing import Any

from domain.model import WarehouseStatus
from domain.services import sellers
from tests.handlers.chat import HandlerBot


async def make_seller(bot: HandlerBot, user_id: int, home_country: str = "CN") -> int:
    """A registered seller writing in English; its id."""
    async with bot.uow() as uow:
        seller = await sellers.register_seller(
            sellers.RegisterSeller(user_id, f"Store {user_id}", home_country, "en"), uow
        )
        await uow.commit()
        return seller.id


async def warehouses_of(bot: HandlerBot, user_id: int) -> list[dict[str, Any]]:
    """The seller's live warehouses as plain values (what a reviewer would read)."""
    async with bot.uow() as uow:
        seller = await uow.sellers.by_telegram_user(user_id)
        assert seller is not None
        return [
            {
                "kind": w.kind.value,
                "name": w.name,
                "country": w.country,
                "address": (w.street, w.city, w.region, w.postcode),
                "contact": (w.contact_name, w.contact_phone),
                "capabilities": list(w.capabilities),
                "status": w.status.value,
                "documents": [(d.kind.value, d.file_name) for d in w.documents],
            }
            for w in await uow.warehouses.for_seller(seller.id)
        ]


async def warehouse_status(bot: HandlerBot, warehouse_id: int) -> WarehouseStatus:
    async with bot.uow() as uow:
        warehouse = await uow.warehouses.get(warehouse_id)
        assert warehouse is not None
        return warehouse.status
