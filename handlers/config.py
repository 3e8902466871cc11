"""The configuration values handlers read, injected as plain values.

Handlers never see the application's `Settings` (that is `bot/`'s, and handlers never import
`bot/`): the composition root (`bot/app.py`) builds one `HandlerConfig` from the settings and
puts it in the Dispatcher's workflow data as `config`, and handlers read it as `ctx.config`
(`handlers.context.UpdateContext`). A handler that needs another setting adds a field here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from domain.returns.deadlines import DeadlineRules
from domain.services.orders import import_jobs


@dataclass(frozen=True)
class HandlerConfig:
    # Telegram user ids of platform operators (OPERATOR_IDS).
    operator_ids: frozenset[int]
    # Orders worth more than this need a photo of the packed parcel (PARCEL_PHOTO_MIN_ORDER_VALUE).
    parcel_photo_min_order_value: Decimal
    # Days the outbox keeps a sent notification; /privacy states it (OUTBOX_RETENTION_DAYS).
    outbox_retention_days: int
    # How long each side of a return case has to answer (RETURN_* settings); the services
    # plan reminders with these, and the deadline job fires them with the same.
    return_deadlines: DeadlineRules = field(default_factory=DeadlineRules)
    # An import adds no orders while the store holds this many open ones (IMPORT_MAX_OPEN_ORDERS).
    import_max_open_orders: int = import_jobs.DEFAULT_MAX_OPEN_ORDERS
