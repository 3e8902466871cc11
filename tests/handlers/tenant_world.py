"""Two tenants side by side for the authorization matrix: each seller with a verified warehouse,
a warehouse waiting for review, an order still waiting for confirmation, and an order shipped
with its shipping document, shipment and buyer link, whose buyer opened the link and asked for
a return (a case with the buyer's offer on the table), and an order file refused as a rate
card. Made through the domain services, as
the bot would have made them; every name of tenant A says "Aardvark" so a leak is easy to see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from domain.errors import InvalidInput
from domain.model import Order
from domain.returns.offers import OfferTerms
from domain.returns.rules import Resolution
from domain.services import buyers, sellers
from domain.services.orders import import_jobs, intake
from domain.unit_of_work import UnitOfWork
from tests.reliability.test_shipping_service import HAMBURG, make_warehouse
from tests.returns_fixtures import BoughtOrder, case_row, open_damaged
from tests.tracking_fixtures import Store, s10

UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class Tenant:
    """One seller's objects, by id, and the words that must never reach anyone outside it."""

    seller_user: int
    buyer_user: int
    seller_id: int
    warehouse_id: int
    pending_warehouse_id: int
    pending_order_id: int
    pending_order_number: str
    shipped_order_id: int
    shipped_order_number: str
    line_ids: tuple[int, ...]
    shipment_id: int
    token: str
    tracking_number: str
    case_id: int
    offer_id: int  # the case's open offer (the buyer's request)
    import_id: int  # an order import refused as a rate card (its notice offers to use it)
    # What no one outside the tenant may read.
    secrets: tuple[str, ...]
    # What the tenant's own buyer may not read either (the store's side of things).
    seller_only_secrets: tuple[str, ...]


async def make_tenant(uow_factory: UowFactory, tag: str, seller_user: int, serial: int) -> Tenant:
    """A store named after `tag` ("Aardvark", "Badger"), its buyer being `seller_user + 100`."""
    buyer_user = seller_user + 100
    store = Store(uow_factory, seller_user, f"{tag} Goods")
    async with uow_factory() as uow:
        seller = await sellers.register_seller(
            sellers.RegisterSeller(seller_user, f"{tag} Goods", "CN", "en"), uow
        )
        await uow.commit()
        store.seller_id = seller.id
    store.warehouse_id = await make_warehouse(uow_factory, seller_user, f"{tag} Vault")
    pending_warehouse_id = await make_warehouse(
        uow_factory, seller_user, f"{tag} Annex", approve=False, site=HAMBURG
    )
    number = tag[:4].upper()
    async with uow_factory() as uow:
        pending = await intake.create_order(
            intake.NewOrder(
                seller_id=store.seller_id,
                number=f"{number}-2",
                ship_to_country="US",
                ship_to_postcode="10001",
                currency="USD",
                ship_by=uow.now() + timedelta(days=5),
                lines=[intake.NewOrderLine(f"{tag} widget", 1, "9.00")],
                actor_id=seller_user,
            ),
            uow,
        )
        await uow.commit()
        pending_id = pending.id
    store_products = ((f"{tag} lamp", 2), (f"{tag} shade", 1))
    shipped = await store.ship(f"{number}-1", s10("RB", serial), products=store_products)
    async with uow_factory() as uow:
        await uow.users.touch(buyer_user, "en", uow.now())
        await uow.commit()
    bought = await _open_link(uow_factory, shipped.order_id, shipped.token, buyer_user)
    case_id = await open_damaged(
        uow_factory, bought, OfferTerms(Resolution.REFUND_PARTIAL, Decimal("3.50"))
    )
    offer = (await case_row(uow_factory, case_id)).open_offer
    assert offer is not None
    async with uow_factory() as uow:
        file = import_jobs.FileToImport(f"file-{serial}", f"{tag} rates.csv", seller_user, "en")
        import_id = await import_jobs.begin_import(seller_user, file, uow)
        job = await import_jobs.running_import(import_id, uow)
        assert job is not None
        await import_jobs.fail_import(job, InvalidInput(import_jobs.RATE_CARD_SENT), uow)
        await uow.commit()
    return Tenant(
        seller_user=seller_user,
        buyer_user=buyer_user,
        seller_id=store.seller_id,
        warehouse_id=store.warehouse_id,
        pending_warehouse_id=pending_warehouse_id,
        pending_order_id=pending_id,
        pending_order_number=f"{number}-2",
        shipped_order_id=shipped.order_id,
        shipped_order_number=f"{number}-1",
        line_ids=bought.line_ids,
        shipment_id=shipped.shipment_id,
        token=shipped.token,
        tracking_number=shipped.tracking_number,
        case_id=case_id,
        offer_id=offer.id,
        import_id=import_id,
        secrets=(tag, number, shipped.token, shipped.tracking_number),
        seller_only_secrets=(f"{tag} Vault", f"{tag} Annex", f"{number}-2", f"{tag} widget"),
    )


async def _open_link(uow_factory: UowFactory, order_id: int, token: str, buyer: int) -> BoughtOrder:
    async with uow_factory() as uow:
        outcome = await buyers.open_link(token, buyer, uow)
        assert outcome.view is not None
        await uow.commit()
    async with uow_factory() as uow:
        order = (await uow.session.execute(select(Order).where(Order.id == order_id))).scalar_one()
        return BoughtOrder(order.id, order.number, buyer, tuple(line.id for line in order.lines))


# Rows every update writes about its own sender: not the tenant's data.
_BOOKKEEPING = {"processed_updates", "alembic_version", "buyer_link_refusals"}
# The sender's own rows (when they were last seen, their conversation) and a buyer's own
# settings of their subscriptions (time zone, muting): kept only for the tenant's users.
_PER_USER = {
    "telegram_users": "id",
    "conversation_states": "user_id",
    "buyer_subscriptions": "buyer_user_id",
}


async def snapshot(
    uow_factory: UowFactory, owners: dict[str, set[int]]
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the per-user tables: only the rows of `owners[table]`)."""
    async with uow_factory() as uow:
        session = uow.session
        connection = await session.connection()

        def tables(sync: Any) -> list[str]:
            from sqlalchemy import inspect

            return sorted(inspect(sync).get_table_names())

        names = await connection.run_sync(tables)
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for name in names:
            if name in _BOOKKEEPING:
                continue
            result = await session.execute(text(f'SELECT * FROM "{name}"'))  # noqa: S608
            keys = list(result.keys())
            found = [tuple(row) for row in result]
            if name in _PER_USER:
                column = keys.index(_PER_USER[name]) if _PER_USER[name] in keys else None
                if column is not None:
                    found = [row for row in found if row[column] in owners[name]]
            rows[name] = sorted(found, key=repr)
        return rows
