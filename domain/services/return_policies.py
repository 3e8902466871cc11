"""A seller's return policy as they read and change it: each change is checked by the policy
(`domain.returns.policy`) and saved at once, audited (`returns.save_policy`)."""

from __future__ import annotations

from collections.abc import Callable

from domain.returns.policy import ReturnPolicy
from domain.services import returns, warehouses
from domain.unit_of_work import UnitOfWork


async def policy_for(user_id: int, uow: UnitOfWork) -> ReturnPolicy:
    """The caller's store's policy; someone who is not a seller is refused."""
    seller = await warehouses.seller_of(user_id, uow)
    return await returns.policy_of(seller.id, uow)


async def change(
    user_id: int, changed: Callable[[ReturnPolicy], ReturnPolicy], uow: UnitOfWork
) -> ReturnPolicy:
    """Save the caller's policy as `changed` makes it from the current one."""
    return await returns.save_policy(user_id, changed(await policy_for(user_id, uow)), uow)


async def reset(user_id: int, uow: UnitOfWork) -> ReturnPolicy:
    """The defaults again: 15 days, every category returnable, the marketplace's postage rule."""
    return await change(user_id, lambda current: ReturnPolicy(), uow)
