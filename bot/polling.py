"""Long polling that confirms a batch of updates only after it has been processed.

aiogram's own loop asks for the next offset while handlers still run, so a crash would lose
that batch. Here each batch is processed concurrently across users (each user's own updates
in the order sent), and the offset moves on only when every update of the batch has
committed. A crash mid-batch means Telegram redelivers it; `processed_updates` makes the
redelivery harmless.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import DeleteWebhook, GetUpdates
from aiogram.types import Update

log = logging.getLogger(__name__)


class Poller:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        *,
        timeout: int = 25,
        limit: int = 100,
        max_concurrency: int = 64,
    ) -> None:
        self._bot = bot
        self._dispatcher = dispatcher
        self._timeout = timeout
        self._limit = limit
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._stopping = asyncio.Event()
        self.offset: int | None = None

    def stop(self) -> None:
        self._stopping.set()

    async def _handle(self, update: Update) -> None:
        async with self._semaphore:
            try:
                await self._dispatcher.feed_update(self._bot, update)
            except Exception:
                # The error middleware answers users; this is only for failures outside it.
                log.exception("update %s failed", update.update_id)

    async def process_batch(self, updates: list[Update]) -> None:
        """Different users' updates run concurrently; one user's run in the order sent.

        The FSM isolation lock alone does not keep order: Redis locks are not first come,
        first served, so a button press and the text typed right after it could swap.
        """
        by_sender: dict[tuple[int | None, int | None], list[Update]] = defaultdict(list)
        for update in updates:
            context = UserContextMiddleware.resolve_event_context(update)
            by_sender[(context.chat_id, context.user_id)].append(update)

        async def in_order(queue: list[Update]) -> None:
            for update in queue:
                await self._handle(update)

        await asyncio.gather(*(in_order(queue) for queue in by_sender.values()))

    async def run(self) -> None:
        await self._bot(DeleteWebhook(drop_pending_updates=False))
        allowed = self._dispatcher.resolve_used_update_types()
        backoff = 1.0
        while not self._stopping.is_set():
            fetch = asyncio.ensure_future(
                self._bot(
                    GetUpdates(
                        offset=self.offset,
                        limit=self._limit,
                        timeout=self._timeout,
                        allowed_updates=allowed,
                    ),
                    request_timeout=self._timeout + 10,
                )
            )
            stopping = asyncio.ensure_future(self._stopping.wait())
            done, _ = await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if fetch not in done:
                fetch.cancel()
                break
            stopping.cancel()
            try:
                updates = fetch.result()
            except TelegramRetryAfter as error:
                await asyncio.sleep(error.retry_after)
                continue
            except (TelegramNetworkError, TelegramServerError) as error:
                log.warning("getUpdates failed (%s); retrying in %.0f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if not updates:
                continue
            await self.process_batch(updates)
            # Only now may Telegram forget these updates.
            self.offset = updates[-1].update_id + 1
        await self._confirm()

    async def _confirm(self) -> None:
        """Tell Telegram the last batch is done, so a clean restart does not replay it."""
        if self.offset is None:
            return
        try:
            await self._bot(GetUpdates(offset=self.offset, limit=1, timeout=0))
        except Exception as error:  # the update will be redelivered and de-duplicated
            log.warning("could not confirm the last batch: %s", error)
