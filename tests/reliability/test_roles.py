"""`role_of` answers with the domain's Role: operator before seller, seller before buyer, anyone
else a guest."""

from __future__ import annotations

from collections.abc import Callable

from domain.roles import Role
from domain.services import buyers, sellers
from domain.unit_of_work import UnitOfWork
from tests.tracking_fixtures import Store, s10

OPERATOR, SELLER, SELLING_OPERATOR, STRANGER = 2001, 2002, 2003, 2004
BUYER, SELLING_BUYER, SHOP = 2005, 2006, 2007


async def test_role_of_is_the_role_enum(uow_factory: Callable[[], UnitOfWork]) -> None:
    async with uow_factory() as uow:
        for user_id in (SELLER, SELLING_OPERATOR, SELLING_BUYER):
            await sellers.register_seller(
                sellers.RegisterSeller(user_id, f"Store {user_id}", "CN", "en"), uow
            )
        await uow.commit()
    # Two buyers follow an order of another shop; one of them sells too.
    shop = await Store(uow_factory, SHOP).open()
    for serial, user_id in enumerate((BUYER, SELLING_BUYER), start=1):
        shipped = await shop.ship(f"R-{serial}", s10("RR", serial))
        async with uow_factory() as uow:
            await uow.users.touch(user_id, "en", uow.now())
            assert (await buyers.open_link(shipped.token, user_id, uow)).view is not None
            await uow.commit()
    operators = frozenset({OPERATOR, SELLING_OPERATOR})
    async with uow_factory() as uow:
        roles = {
            user: await sellers.role_of(user, operators, uow)
            for user in (OPERATOR, SELLER, SELLING_OPERATOR, STRANGER, BUYER, SELLING_BUYER)
        }
    assert roles == {
        OPERATOR: Role.OPERATOR,
        SELLER: Role.SELLER,
        SELLING_OPERATOR: Role.OPERATOR,
        STRANGER: Role.GUEST,
        BUYER: Role.BUYER,
        SELLING_BUYER: Role.SELLER,
    }
    assert all(type(role) is Role for role in roles.values())
