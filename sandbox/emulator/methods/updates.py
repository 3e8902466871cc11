"""Updates for the bot: the queue users fill, getUpdates, and the webhook methods.

``UpdateQueue`` numbers every update a user causes (ids only grow, across restarts too) and
hands them to getUpdates the way Telegram does: a long poll that returns as soon as one
arrives; an ``offset`` confirms everything below it; ``allowed_updates`` persists until a later
call changes it; a newer getUpdates ends an older one with 409 (two bot instances), and so does
an active webhook. The webhook methods are here because they compete with getUpdates for the
same queue: while a webhook is set, ``WebhookDelivery`` (``sandbox.emulator.webhook``) POSTs the
queue to it and getUpdates is refused, as Telegram does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sandbox.emulator.events import EventHub
from sandbox.emulator.methods import MethodFamily, bot_api
from sandbox.emulator.params import Params, bool_param, int_param, json_param
from sandbox.emulator.records import BotApiError
from sandbox.emulator.webhook import (
    DEFAULT_GIVE_UP_AFTER,
    DEFAULT_RETRY_DELAYS,
    WebhookDelivery,
    check_webhook,
)

__all__ = ["UpdateQueue"]

# The default allowed_updates excludes these (Bot API, getUpdates.allowed_updates).
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class UpdateQueue(MethodFamily):
    def __init__(
        self,
        events: EventHub,
        *,
        local_webhooks: bool = False,
        webhook_retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        webhook_give_up_after: float = DEFAULT_GIVE_UP_AFTER,
        webhook_timeout: float = 60.0,
    ) -> None:
        # Every update users produced, in order (delivered or not), for tests to refer to.
        self.log: list[dict[str, Any]] = []
        self.next_update_id = 1
        self.waiting_polls = 0  # getUpdates calls blocked in a long poll right now
        self._events = events
        self._pending: list[dict[str, Any]] = []
        self._allowed: frozenset[str] | None = None
        self._poll_generation = 0
        self._arrived = asyncio.Event()
        self._local_webhooks = local_webhooks
        self.webhook = WebhookDelivery(
            self,
            retry_delays=webhook_retry_delays,
            give_up_after=webhook_give_up_after,
            request_timeout=webhook_timeout,
            notify=events.notify,
        )

    @property
    def webhook_url(self) -> str | None:
        return self.webhook.config.url if self.webhook.config else None

    @property
    def pending(self) -> list[dict[str, Any]]:
        return list(self._pending)

    def push(self, kind: str, payload: dict[str, Any]) -> None:
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self._pending.append(update)
        self.log.append(update)
        self._events.emit("update", None, None, update)
        self.wake()

    def redeliver(self, update: Mapping[str, Any]) -> None:
        """Queue an already delivered update again (see ``BotApiEmulator.redeliver``)."""
        self._pending.append(dict(update))
        self._pending.sort(key=lambda queued: int(queued["update_id"]))
        self.wake()
        self._events.notify()

    def deliverable(self) -> list[dict[str, Any]]:
        """Queued updates of the allowed types, oldest first (for the webhook)."""
        return self._ready(len(self._pending))

    def confirm_one(self, update_id: int) -> None:
        self._pending = [u for u in self._pending if u["update_id"] != update_id]
        self._events.notify()

    def arrival(self) -> asyncio.Event:
        return self._arrived

    def continue_after(self, update_id: int) -> None:
        self.next_update_id = max(self.next_update_id, update_id + 1)

    def wake(self) -> None:
        """End every long poll's wait so it looks at the queue again."""
        event, self._arrived = self._arrived, asyncio.Event()
        event.set()

    # -- getUpdates ---------------------------------------------------------------------------

    @bot_api("getUpdates")
    async def get_updates(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise BotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int_param(params, "offset")
        limit = min(max(int_param(params, "limit") or 100, 1), 100)
        timeout = max(int_param(params, "timeout") or 0, 0)
        allowed = json_param(params, "allowed_updates")
        if isinstance(allowed, list):
            # Like Telegram, the setting persists until a later call changes it.
            self._allowed = frozenset(allowed) if allowed else None
        # A newer getUpdates terminates an older one still waiting (two bot instances).
        self._poll_generation += 1
        generation = self._poll_generation
        self.wake()
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ready = self._ready(limit)
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._events.closing:
                return ready
            event = self._arrived
            self.waiting_polls += 1
            self._events.notify()
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                pass
            finally:
                self.waiting_polls -= 1
            if self.webhook_url:
                raise BotApiError(
                    409, "Conflict: terminated by setWebhook request; the webhook is active"
                )
            if generation != self._poll_generation:
                raise BotApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )

    def _confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    def _ready(self, limit: int) -> list[dict[str, Any]]:
        def allowed(update: Mapping[str, Any]) -> bool:
            kind = next(k for k in update if k != "update_id")
            if self._allowed is None:
                return kind not in OPT_IN_UPDATES
            return kind in self._allowed

        # Updates of types the bot did not ask for are dropped, as Telegram never delivers them.
        self._pending = [u for u in self._pending if allowed(u)]
        return self._pending[:limit]

    # -- webhook ------------------------------------------------------------------------------

    @bot_api("setWebhook")
    async def set_webhook(self, params: Params) -> bool:
        url = str(params["url"])
        if not url:
            return await self.delete_webhook(params)
        secret = params.get("secret_token")
        config = check_webhook(
            url,
            None if secret is None else str(secret),
            int_param(params, "max_connections"),
            local=self._local_webhooks,
        )
        ip_address = params.get("ip_address")
        config = replace(
            config,
            has_custom_certificate=params.get("certificate") is not None,
            ip_address=None if ip_address is None else str(ip_address),
        )
        allowed = json_param(params, "allowed_updates")
        if isinstance(allowed, list):
            # One setting shared with getUpdates; absent means "keep the previous one".
            self._allowed = frozenset(allowed) if allowed else None
        if bool_param(params, "drop_pending_updates"):
            self._pending.clear()
        self.webhook.set(config)
        # A long poll still waiting ends with 409, as the webhook now owns the queue.
        self.wake()
        return True

    @bot_api("deleteWebhook")
    async def delete_webhook(self, params: Params) -> bool:
        self.webhook.clear()
        if bool_param(params, "drop_pending_updates"):
            self._pending.clear()
        return True

    @bot_api("getWebhookInfo")
    async def get_webhook_info(self, params: Params) -> dict[str, Any]:
        config = self.webhook.config
        info: dict[str, Any] = {
            "url": config.url if config else "",
            "has_custom_certificate": bool(config and config.has_custom_certificate),
            "pending_update_count": len(self.deliverable()),
            **self.webhook.info(),
        }
        if self._allowed is not None:
            info["allowed_updates"] = sorted(self._allowed)
        return info
