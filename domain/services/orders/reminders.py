"""Ship-by reminders: 24 h and 4 h before the deadline, and once overdue, queued in the outbox.

Each order gets each alert at most once. A seller whose orders cross a threshold a few at a
time gets a message per order; one with many crossing it together (an imported file whose
deadlines have passed) gets one message that counts them, names the first few and points to
/orders, rather than hundreds of messages that would keep their chat busy for hours. Every
seller owed an alert is served in every run, whatever another seller's volume.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.model import ReminderKind
from domain.repositories import RemindedOrder
from domain.unit_of_work import UnitOfWork

REMINDER_TEMPLATES = {
    ReminderKind.DUE_IN_24H: "orders.reminder_24h",
    ReminderKind.DUE_IN_4H: "orders.reminder_4h",
    ReminderKind.OVERDUE: "orders.overdue",
}
SUMMARY_TEMPLATE = "orders.reminder_summary"
# Up to this many orders of a seller crossing one threshold in a run get a message each;
# more get one summary.
SEPARATE_UP_TO = 3
# The order numbers a summary names, nearest (or longest passed) deadline first.
SUMMARY_NUMBERS = 5
# Sellers' alerts (one per seller and threshold) handled in one run, most urgent first: a
# run's transaction stays short however many sellers are owed one, and the rest go in the
# next run, five minutes later. Each costs two statements, whatever its number of orders.
GROUPS_PER_RUN = 500


async def due_reminders(
    now: datetime, uow: UnitOfWork, *, groups: int = GROUPS_PER_RUN
) -> list[tuple[RemindedOrder, ReminderKind]]:
    """Queue the ship-by alerts due now (24 h and 4 h before the deadline, and overdue), each
    at most once per order, as outbox notifications to the seller; the orders reminded. For
    the scheduler."""
    reminded: list[tuple[RemindedOrder, ReminderKind]] = []
    for group in await uow.orders.reminders_owed(now, groups):
        orders = await uow.orders.mark_reminded(group.seller_id, group.kind, now)
        if not orders:
            continue  # another process's sweep took them meanwhile
        if len(orders) <= SEPARATE_UP_TO:
            rows = [_reminder(order, group.kind, group.chat_id, now) for order in orders]
        else:
            rows = [_summary(orders, group.kind, group.chat_id, now)]
        await uow.notifications.add_many(rows)
        reminded += [(order, group.kind) for order in orders]
    return reminded


def _reminder(
    order: RemindedOrder, kind: ReminderKind, chat_id: int, now: datetime
) -> dict[str, Any]:
    return {
        "dedupe_key": f"order-reminder:{order.id}:{kind.value}",
        "chat_id": chat_id,
        "template": REMINDER_TEMPLATES[kind],
        "params": {
            "order_id": order.id,
            "order_number": order.number,
            "ship_by": order.ship_by.isoformat(),
            "status": order.status.value,
        },
        "now": now,
    }


def _summary(
    orders: list[RemindedOrder], kind: ReminderKind, chat_id: int, now: datetime
) -> dict[str, Any]:
    first = orders[0]
    return {
        # An order records each alert once, so the first order names the summary for good.
        "dedupe_key": f"order-reminders:{first.id}:{kind.value}",
        "chat_id": chat_id,
        "template": SUMMARY_TEMPLATE,
        "params": {
            "kind": kind.value,
            "count": len(orders),
            "numbers": [order.number for order in orders[:SUMMARY_NUMBERS]],
            "ship_by": first.ship_by.isoformat(),
        },
        "now": now,
    }
