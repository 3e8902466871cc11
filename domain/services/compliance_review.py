"""What operators see of compliance: every finding stored when a shipping document was checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from domain.model import ComplianceFinding, Order, Seller, Shipment
from domain.services import operators
from domain.unit_of_work import UnitOfWork

PAGE_SIZE = 10


@dataclass(frozen=True)
class FindingView:
    created_at: datetime
    store_name: str
    order_number: str
    tracking_number: str | None
    rule: str
    severity: str
    message_key: str
    params: dict[str, Any]
    acknowledged: bool


async def recent_findings(
    operator_id: int, operator_ids: frozenset[int], page: int, uow: UnitOfWork
) -> tuple[list[FindingView], int]:
    """Newest first, a page at a time; only operators may look."""
    operators.require_operator(operator_id, operator_ids)
    total = int(await uow.session.scalar(select(func.count()).select_from(ComplianceFinding)) or 0)
    rows = await uow.session.execute(
        select(ComplianceFinding, Shipment.tracking_number, Order.number, Seller.store_name)
        .join(Shipment, Shipment.id == ComplianceFinding.shipment_id)
        .join(Order, Order.id == Shipment.order_id)
        .join(Seller, Seller.id == Order.seller_id)
        .order_by(ComplianceFinding.created_at.desc(), ComplianceFinding.id.desc())
        .limit(PAGE_SIZE)
        .offset(max(page, 0) * PAGE_SIZE)
    )
    views = []
    for finding, tracking_number, order_number, store_name in rows.all():
        params = dict(finding.params or {})
        message_key = str(params.pop("message_key", f"compliance.{finding.rule}"))
        views.append(
            FindingView(
                created_at=finding.created_at,
                store_name=store_name,
                order_number=order_number,
                tracking_number=tracking_number,
                rule=finding.rule,
                severity=finding.severity.value,
                message_key=message_key,
                params=params,
                acknowledged=finding.acknowledged,
            )
        )
    return views, total
