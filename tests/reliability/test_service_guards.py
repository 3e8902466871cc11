"""The services guard themselves, whatever a handler did or did not check first: operator use
cases refuse anyone who is not an operator, and every use case refuses an action the
aggregate's status does not allow, changing nothing. On a real database (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.errors import ConflictError, DomainError, InvalidInput, NotAllowed, NotFound
from domain.model import (
    AuditEntry,
    DocumentKind,
    OrderAction,
    OrderStatus,
    WarehouseAction,
    WarehouseStatus,
)
from domain.services import buyers, compliance_review, shipments, warehouses
from domain.services.orders import lifecycle
from domain.services.shipping import steps
from domain.unit_of_work import UnitOfWork
from tests.reliability.test_shipping_service import (
    OPERATORS,
    SELLER,
    make_confirmed_order,
    make_seller,
    make_warehouse,
)

UowFactory = Callable[[], UnitOfWork]
STRANGER = 777_001
OperatorUseCase = Callable[[int, int, UnitOfWork], Awaitable[Any]]

OPERATOR_USE_CASES: dict[str, OperatorUseCase] = {
    "review list": lambda user, _, uow: warehouses.review_list(
        user, WarehouseStatus.PENDING_REVIEW, 0, OPERATORS, uow
    ),
    "open for review": lambda user, warehouse_id, uow: warehouses.warehouse_for_review(
        user, warehouse_id, OPERATORS, uow
    ),
    "press a decision": lambda user, warehouse_id, uow: warehouses.warehouse_to_decide(
        user, warehouse_id, WarehouseAction.APPROVE, OPERATORS, uow
    ),
    "decide": lambda user, warehouse_id, uow: warehouses.decide(
        user, warehouse_id, WarehouseAction.APPROVE, None, OPERATORS, uow
    ),
    "compliance findings": lambda user, _, uow: compliance_review.recent_findings(
        user, OPERATORS, 0, uow
    ),
    "dead letters": lambda user, _, uow: shipments.dead_letters(user, OPERATORS, uow),
    "retry dead letters": lambda user, _, uow: shipments.retry_dead_letters(user, OPERATORS, uow),
}


async def _operator_audit_entries(uow: UnitOfWork) -> int:
    count = await uow.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.actor_role == "operator")
    )
    return int(count or 0)


async def test_operator_use_cases_refuse_anyone_else_and_change_nothing(
    uow_factory: UowFactory,
) -> None:
    await make_seller(uow_factory, SELLER)
    warehouse_id = await make_warehouse(uow_factory, SELLER, approve=False)
    for caller in (SELLER, STRANGER):
        for name, use_case in OPERATOR_USE_CASES.items():
            async with uow_factory() as uow:
                with pytest.raises(NotAllowed):
                    await use_case(caller, warehouse_id, uow)
                await uow.commit()
            async with uow_factory() as uow:
                warehouse = await uow.warehouses.get(warehouse_id)
                assert warehouse is not None
                assert warehouse.status == WarehouseStatus.PENDING_REVIEW, name
                assert await _operator_audit_entries(uow) == 0, name


async def test_an_operator_is_let_through_and_sees_the_queue(uow_factory: UowFactory) -> None:
    await make_seller(uow_factory, SELLER)
    warehouse_id = await make_warehouse(uow_factory, SELLER, approve=False)
    operator = next(iter(OPERATORS))
    async with uow_factory() as uow:
        queue, total = await warehouses.review_list(
            operator, WarehouseStatus.PENDING_REVIEW, 0, OPERATORS, uow
        )
        assert ([w.id for w in queue], total) == ([warehouse_id], 1)
        verified, none = await warehouses.review_list(
            operator, WarehouseStatus.VERIFIED, 0, OPERATORS, uow
        )
        assert (list(verified), none) == ([], 0)


@pytest.mark.parametrize(
    ("decision", "error", "key"),
    [
        # Suspending is for verified warehouses; this one waits for review.
        (WarehouseAction.SUSPEND, ConflictError, "warehouse.transition_refused"),
        # A seller's action is no review decision, whatever the button says.
        (WarehouseAction.EDIT, InvalidInput, "errors.invalid_choice"),
        (WarehouseAction.ARCHIVE, InvalidInput, "errors.invalid_choice"),
    ],
)
async def test_a_decision_the_status_does_not_allow_is_refused_before_its_note(
    uow_factory: UowFactory, decision: WarehouseAction, error: type[DomainError], key: str
) -> None:
    await make_seller(uow_factory, SELLER)
    warehouse_id = await make_warehouse(uow_factory, SELLER, approve=False)
    operator = next(iter(OPERATORS))
    async with uow_factory() as uow:
        with pytest.raises(error) as pressed:
            await warehouses.warehouse_to_decide(operator, warehouse_id, decision, OPERATORS, uow)
        assert pressed.value.key == key
        with pytest.raises(error) as decided:
            await warehouses.decide(
                operator, warehouse_id, decision, "a note that is long enough", OPERATORS, uow
            )
        assert decided.value.key == key
        await uow.commit()
    async with uow_factory() as uow:
        warehouse = await uow.warehouses.get(warehouse_id)
        assert warehouse is not None
        assert warehouse.status == WarehouseStatus.PENDING_REVIEW
        assert warehouse.review_note is None


async def test_documents_are_only_added_when_the_status_asks_for_them(
    uow_factory: UowFactory,
) -> None:
    await make_seller(uow_factory, SELLER)
    warehouse_id = await make_warehouse(uow_factory, SELLER)  # verified
    document = warehouses.UploadedDocument(
        DocumentKind.OTHER,
        "f-extra",
        "u-extra",
        "extra.pdf",
        "application/pdf",
        10,
    )
    async with uow_factory() as uow:
        with pytest.raises(ConflictError) as refused:
            await warehouses.add_document(SELLER, warehouse_id, document, uow)
        assert refused.value.key == "warehouse.documents_not_requested"
        warehouse = await uow.warehouses.get(warehouse_id)
        assert warehouse is not None
        assert len(warehouse.documents) == 1


async def test_order_use_cases_refuse_what_the_order_does_not_allow(
    uow_factory: UowFactory,
) -> None:
    seller_id = await make_seller(uow_factory, SELLER)
    order_id = await make_confirmed_order(uow_factory, seller_id, SELLER, "AE-GUARD-1")
    async with uow_factory() as uow:
        # A confirmed order: shipping it is next; confirming again, following a parcel or
        # giving the buyer a link are not possible yet.
        with pytest.raises(ConflictError) as confirmed_twice:
            await lifecycle.confirm_order(SELLER, order_id, uow)
        assert confirmed_twice.value.key == "orders.transition_refused"
        with pytest.raises(NotFound) as no_parcel:
            await shipments.shipment_of_order(SELLER, order_id, uow)
        assert no_parcel.value.key == "shipments.not_found"
        with pytest.raises(ConflictError) as no_link:
            await buyers.reissue_link(SELLER, order_id, uow)
        assert no_link.value.key == "buyer_link.not_shipped"
        draft = await steps.start_document(SELLER, order_id, uow)
        assert draft.order_id == order_id
        await lifecycle.cancel_order(SELLER, order_id, "the buyer cancelled it", uow)
        await uow.commit()
    async with uow_factory() as uow:
        # Cancelled: nothing more to do with it.
        for action in OrderAction:
            with pytest.raises(DomainError):
                await lifecycle.order_for(SELLER, order_id, action, uow)
        with pytest.raises(ConflictError) as not_confirmed:
            await steps.start_document(SELLER, order_id, uow)
        assert not_confirmed.value.key == "shipping.order_not_confirmed"
        order = await uow.orders.get(order_id)
        assert order is not None
        assert order.status == OrderStatus.CANCELLED
