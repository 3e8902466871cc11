"""Ship-by reminders: 24 h and 4 h before the deadline, and once overdue, queued in the outbox."""

from __future__ import annotations

from datetime import datetime

from domain.model import Order, ReminderKind
from domain.unit_of_work import UnitOfWork

REMINDER_TEMPLATES = {
    ReminderKind.DUE_IN_24H: "orders.reminder_24h",
    ReminderKind.DUE_IN_4H: "orders.reminder_4h",
    ReminderKind.OVERDUE: "orders.overdue",
}


async def due_reminders(
    now: datetime, uow: UnitOfWork, *, limit: int = 500
) -> list[tuple[Order, ReminderKind]]:
    """Queue the ship-by alerts due now (24 h and 4 h before the deadline, and overdue), each
    at most once per order, as outbox notifications to the seller. For the scheduler."""
    queued: list[tuple[Order, ReminderKind]] = []
    for order, chat_id in await uow.orders.near_deadline(now, limit):
        kind = order.reminder_due(now)
        if kind is None:
            continue
        order.record_reminder(kind, now)
        await uow.notifications.add(
            dedupe_key=f"order-reminder:{order.id}:{kind.value}",
            chat_id=chat_id,
            template=REMINDER_TEMPLATES[kind],
            params={
                "order_id": order.id,
                "order_number": order.number,
                "ship_by": order.ship_by.isoformat(),
                "status": order.status.value,
            },
            now=now,
        )
        queued.append((order, kind))
    return queued
