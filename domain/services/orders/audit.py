"""The audit trail entry of an order change, in one shape for intake and lifecycle alike."""

from __future__ import annotations

from typing import Any

from domain.model import OrderSource
from domain.repositories import Actor
from domain.unit_of_work import UnitOfWork


def record(
    uow: UnitOfWork,
    actor_id: int | None,
    source: OrderSource,
    action: str,
    order_id: int | None,
    number: str,
    **details: Any,
) -> None:
    """One audit entry for an order: who (a seller, or the API), what, and the order number."""
    uow.audit.add(
        action,
        by=Actor("api" if source == OrderSource.API else "seller", actor_id),
        about=("order", order_id),
        details={"number": number, "source": source.value, **details},
    )
