"""A warehouse's revision on a real database (SQLite and PostgreSQL): the services count every
change, on a clock that does not move; each decision's notice is its own; and a decision written
over a change another transaction committed meanwhile is refused, not mixed with it."""

from __future__ import annotations

import pytest

from domain.errors import ConflictError
from domain.model import DocumentKind, WarehouseAction, WarehouseStatus
from domain.services import warehouses
from tests.reliability.test_shipping_service import (
    OPERATOR,
    OPERATORS,
    PDF,
    SELLER,
    UowFactory,
    make_seller,
    make_warehouse,
)
from tests.tracking_fixtures import notifications_to


async def _revision(uow_factory: UowFactory, warehouse_id: int) -> int:
    async with uow_factory() as uow:
        warehouse = await uow.warehouses.get(warehouse_id)
        assert warehouse is not None
        return warehouse.revision


async def _decide(
    uow_factory: UowFactory,
    warehouse_id: int,
    decision: WarehouseAction,
    note: str | None = None,
    shown: int | None = None,
) -> None:
    async with uow_factory() as uow:
        await warehouses.decide(OPERATOR, warehouse_id, decision, note, OPERATORS, uow, shown=shown)
        await uow.commit()


async def test_every_change_counts_and_every_decision_is_told_on_a_frozen_clock(
    uow_factory: UowFactory,
) -> None:
    """The clock never moves here: two approvals of one warehouse are two notices, and a card
    shown before the seller's change cannot decide."""
    await make_seller(uow_factory, SELLER)
    warehouse_id = await make_warehouse(uow_factory, SELLER, approve=False)
    submitted = await _revision(uow_factory, warehouse_id)

    await _decide(
        uow_factory, warehouse_id, WarehouseAction.REQUEST_DOCUMENTS, note="A lease, please"
    )
    asked = await _revision(uow_factory, warehouse_id)
    async with uow_factory() as uow:
        lease = warehouses.UploadedDocument(DocumentKind.LEASE, "f-l", "u-l", "lease.pdf", PDF, 9)
        await warehouses.add_document(SELLER, warehouse_id, lease, uow)
        await uow.commit()
    with_lease = await _revision(uow_factory, warehouse_id)
    async with uow_factory() as uow:
        await warehouses.resubmit(SELLER, warehouse_id, OPERATORS, uow)
        await uow.commit()
    resubmitted = await _revision(uow_factory, warehouse_id)
    await _decide(uow_factory, warehouse_id, WarehouseAction.APPROVE, shown=resubmitted)
    approved = await _revision(uow_factory, warehouse_id)
    async with uow_factory() as uow:
        await warehouses.edit_warehouse(
            SELLER, warehouse_id, warehouses.EditableField.CITY, "Dongguan", OPERATORS, uow
        )
        await uow.commit()
    edited = await _revision(uow_factory, warehouse_id)
    assert [asked, with_lease, resubmitted, approved, edited] == [
        submitted + step for step in range(1, 6)
    ]

    # The card of the approved warehouse, before the seller's edit, names `approved`.
    with pytest.raises(ConflictError) as refused:
        await _decide(uow_factory, warehouse_id, WarehouseAction.APPROVE, shown=approved)
    assert refused.value.key == "review.warehouse_changed"
    await _decide(uow_factory, warehouse_id, WarehouseAction.APPROVE, shown=edited)

    notices = await notifications_to(uow_factory, SELLER)
    decisions = [n.template for n in notices if n.template.startswith("warehouse.decision")]
    assert decisions == [
        "warehouse.decision_docs",
        "warehouse.decision_approve",
        "warehouse.decision_approve",
    ]
    # Each submission (the first, the resubmission, the edit of a verified warehouse) told
    # the operator, though all came at the same instant.
    submissions = await notifications_to(uow_factory, OPERATOR)
    assert [n.params["warehouse_id"] for n in submissions] == [warehouse_id] * 3


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_decision_over_a_change_committed_meanwhile_is_refused(
    uow_factory: UowFactory,
) -> None:
    """The operator's transaction read the warehouse; the seller's edit committed before the
    decision was written. The decision is refused as on a stale card, nothing of it is written,
    and the same transaction reads the warehouse as the seller left it (the card shown next)."""
    await make_seller(uow_factory, SELLER)
    warehouse_id = await make_warehouse(uow_factory, SELLER, approve=False)
    shown = await _revision(uow_factory, warehouse_id)
    async with uow_factory() as operator_uow:
        # Held, the warehouse read stays this transaction's: the decision finds it as read.
        read, _ = await warehouses.warehouse_for_review(
            OPERATOR, warehouse_id, OPERATORS, operator_uow
        )
        async with uow_factory() as seller_uow:
            street = warehouses.EditableField.STREET
            await warehouses.edit_warehouse(
                SELLER, warehouse_id, street, "Kade 99", OPERATORS, seller_uow
            )
            await seller_uow.commit()
        with pytest.raises(ConflictError) as refused:
            await warehouses.decide(
                OPERATOR,
                warehouse_id,
                WarehouseAction.APPROVE,
                None,
                OPERATORS,
                operator_uow,
                shown=shown,
            )
        assert refused.value.key == "review.warehouse_changed"
        now, _ = await warehouses.warehouse_for_review(
            OPERATOR, warehouse_id, OPERATORS, operator_uow
        )
        assert now is read
        assert (now.street, now.status, now.revision) == (
            "Kade 99",
            WarehouseStatus.PENDING_REVIEW,
            shown + 1,
        )
        assert [d.file_name for d in now.documents] == ["doc.pdf"]
        await operator_uow.commit()
    async with uow_factory() as uow:
        stored = await uow.warehouses.get(warehouse_id)
        assert stored is not None
        assert (stored.status, stored.reviewed_by, stored.revision) == (
            WarehouseStatus.PENDING_REVIEW,
            None,
            shown + 1,
        )
    assert not [
        n
        for n in await notifications_to(uow_factory, SELLER)
        if n.template.startswith("warehouse.")
    ]
