"""Ship-by reminders: 24 h and 4 h before the deadline, and once overdue, queued in the outbox.

Each order gets each alert at most once. A seller whose orders cross a threshold a few at a
time gets a message per order; one with many crossing it together (an imported file whose
deadlines have passed) gets one message that counts them, names the first few and points to
/orders, rather than hundreds of messages that would keep their chat busy for hours. Every
seller owed an alert is served in every run, whatever another seller's volume.
"""

from __future__ import annotations

from dataclasses import dataclass
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
# next run, five minutes later. Each costs three statements, whatever its number of orders.
GROUPS_PER_RUN = 500


@dataclass(frozen=True, slots=True)
class QueuedReminder:
    """One message queued: about `order` alone, or a summary of `orders` orders that names
    `order` (the nearest deadline) first."""

    kind: ReminderKind
    order: RemindedOrder
    orders: int = 1


async def due_reminders(
    now: datetime, uow: UnitOfWork, *, groups: int = GROUPS_PER_RUN
) -> list[QueuedReminder]:
    """Queue the ship-by alerts due now (24 h and 4 h before the deadline, and overdue), each
    at most once per order, as outbox notifications to the seller; the messages queued. For
    the scheduler."""
    queued: list[QueuedReminder] = []
    for group in await uow.orders.reminders_owed(now, groups):
        count, named = await uow.orders.mark_reminded(
            group.seller_id, group.kind, now, first=max(SEPARATE_UP_TO, SUMMARY_NUMBERS)
        )
        if not count:
            continue  # another process's sweep took them meanwhile
        # Every order recorded is among those read back (unless a row another sweep let go
        # of came in between): then each can have its own message.
        if count <= SEPARATE_UP_TO and count == len(named):
            messages = [QueuedReminder(group.kind, order) for order in named]
        else:
            messages = [QueuedReminder(group.kind, named[0], count)]
        await uow.notifications.add_many(
            [_notification(message, named, group.chat_id, now) for message in messages]
        )
        queued += messages
    return queued


def _notification(
    message: QueuedReminder, named: list[RemindedOrder], chat_id: int, now: datetime
) -> dict[str, Any]:
    order, kind = message.order, message.kind
    if message.orders == 1:
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
    return {
        # An order records each alert once, so the first order names the summary for good.
        "dedupe_key": f"order-reminders:{order.id}:{kind.value}",
        "chat_id": chat_id,
        "template": SUMMARY_TEMPLATE,
        "params": {
            "kind": kind.value,
            "count": message.orders,
            "numbers": [named_order.number for named_order in named[:SUMMARY_NUMBERS]],
            "ship_by": order.ship_by.isoformat(),
        },
        "now": now,
    }
