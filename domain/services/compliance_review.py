"""What operators see of compliance: every finding stored when a shipping document was checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    total = await uow.shipments.count_findings()
    rows = await uow.shipments.recent_findings(limit=PAGE_SIZE, offset=max(page, 0) * PAGE_SIZE)
    views = []
    for finding, tracking_number, order_number, store_name in rows:
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
