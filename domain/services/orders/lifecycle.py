"""What the seller does with an order they have: find it (theirs only), confirm it, cancel it.

Whether an action is possible now is the order's to say (`Order.allowed_actions`); these use
cases act in the seller's role and the order refuses what its status does not allow.
"""

from __future__ import annotations

from domain.errors import NotFound
from domain.model import Order, OrderAction, OrderSource
from domain.roles import Role
from domain.services import warehouses
from domain.services.orders import audit, cleaning
from domain.unit_of_work import UnitOfWork


async def owned_order(user_id: int, order_id: int, uow: UnitOfWork) -> Order:
    """The caller's order. Someone else's answers exactly like one that does not exist."""
    seller = await warehouses.seller_of(user_id, uow)
    order = await uow.orders.get(order_id)
    if order is None or order.seller_id != seller.id:
        raise NotFound("orders.not_found")
    return order


async def order_for(user_id: int, order_id: int, action: OrderAction, uow: UnitOfWork) -> Order:
    """The caller's order, if `action` is allowed on it now: what a button press checks before
    asking for more (a cancellation's reason, a shipping document)."""
    order = await owned_order(user_id, order_id, uow)
    order.require(action, Role.SELLER)
    return order


async def confirm_order(user_id: int, order_id: int, uow: UnitOfWork) -> Order:
    order = await owned_order(user_id, order_id, uow)
    order.confirm(uow.now())
    audit.record(uow, user_id, OrderSource.CONVERSATION, "order.confirmed", order.id, order.number)
    return order


async def cancel_order(user_id: int, order_id: int, reason: str, uow: UnitOfWork) -> Order:
    order = await owned_order(user_id, order_id, uow)
    checked = cleaning.clean_cancel_reason(
        reason
    )  # before moving: a refused reason changes nothing
    order.cancel(checked, uow.now())
    await uow.orders.revoke_buyer_links(order.id, uow.now())
    audit.record(
        uow,
        user_id,
        OrderSource.CONVERSATION,
        "order.cancelled",
        order.id,
        order.number,
        reason=checked,
    )
    return order
