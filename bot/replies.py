"""Sends each update's queued replies after its commit, in order per chat, off the update path.

Polling confirms a batch once its transactions commit; waiting for every reply to pass the
per-chat rate limit as well would let one chatty user hold up everyone's next batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from aiogram.exceptions import TelegramAPIError

from bot.background import BackgroundTasks
from handlers.responder import Responder
from notifications.sender import RecipientBlocked, Sender

log = logging.getLogger(__name__)


class ReplyQueue:
    def __init__(self, sender: Sender) -> None:
        self._sender = sender
        self._chat_locks: defaultdict[int | None, asyncio.Lock] = defaultdict(asyncio.Lock)
        # How many scheduled flushes use each chat's lock, so idle chats' locks are dropped.
        self._lock_users: defaultdict[int | None, int] = defaultdict(int)
        self._tasks = BackgroundTasks()

    def schedule(self, responder: Responder) -> None:
        if not responder.pending:
            return
        # Take the chat's place in line now, so replies leave in commit order.
        lock = self._chat_locks[responder.chat_id]
        self._lock_users[responder.chat_id] += 1
        self._tasks.start(self._flush(responder, lock))

    async def _flush(self, responder: Responder, lock: asyncio.Lock) -> None:
        try:
            async with lock:
                await responder.flush(self._sender)
        # Chat ids are personal data: the lines say what failed, the log context which update.
        except RecipientBlocked:
            log.info("reply not delivered: the user blocked the bot")
        except TelegramAPIError as error:
            # Telegram's description names the chat; its kind is what matters here.
            log.warning("reply not delivered: %s", type(error).__name__)
        except Exception:
            log.exception("reply not delivered")
        finally:
            self._lock_users[responder.chat_id] -= 1
            if not self._lock_users[responder.chat_id]:
                del self._lock_users[responder.chat_id]
                del self._chat_locks[responder.chat_id]

    async def drain(self) -> None:
        """Wait until every scheduled reply has been sent (or failed)."""
        await self._tasks.wait()

    async def cancel(self) -> None:
        await self._tasks.cancel()
