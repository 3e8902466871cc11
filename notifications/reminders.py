"""Ship-by reminders: a scheduler job that queues the due 24 h / 4 h / overdue alerts.

The alerts are outbox rows written in the job's own short transaction (each at most once per
order, one summary for a seller with many at once, see
`domain.services.orders.reminders.due_reminders`); the outbox dispatcher delivers them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from domain.clock import Clock, utcnow
from domain.services.orders import reminders
from domain.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


async def send_due_reminders(uow_factory: Callable[[], UnitOfWork], clock: Clock = utcnow) -> int:
    """Queue every ship-by alert due now; returns how many messages were queued."""
    async with uow_factory() as uow:
        queued = await reminders.due_reminders(clock(), uow)
        await uow.commit()
    if queued:
        orders = sum(reminder.orders for reminder in queued)
        log.info("queued %d ship-by reminder(s) about %d order(s)", len(queued), orders)
    return len(queued)
