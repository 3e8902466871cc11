"""`role_of` answers with the domain's Role: operator before seller, anyone else a guest."""

from __future__ import annotations

from collections.abc import Callable

from domain.roles import Role
from domain.services.sellers import RegisterSeller, register_seller, role_of
from domain.unit_of_work import UnitOfWork

OPERATOR, SELLER, SELLING_OPERATOR, STRANGER = 2001, 2002, 2003, 2004


async def test_role_of_is_the_role_enum(uow_factory: Callable[[], UnitOfWork]) -> None:
    async with uow_factory() as uow:
        for user_id in (SELLER, SELLING_OPERATOR):
            await register_seller(RegisterSeller(user_id, f"Store {user_id}", "CN", "en"), uow)
        await uow.commit()
    operators = frozenset({OPERATOR, SELLING_OPERATOR})
    async with uow_factory() as uow:
        roles = {
            user: await role_of(user, operators, uow)
            for user in (OPERATOR, SELLER, SELLING_OPERATOR, STRANGER)
        }
    assert roles == {
        OPERATOR: Role.OPERATOR,
        SELLER: Role.SELLER,
        SELLING_OPERATOR: Role.OPERATOR,
        STRANGER: Role.GUEST,
    }
    assert all(type(role) is Role for role in roles.values())
