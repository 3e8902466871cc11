"""Tasks a component starts and does not await: kept until they end, awaited or cancelled together."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Hashable
from typing import Any


class BackgroundTasks:
    """The running tasks of one component (the event loop keeps only weak references to tasks,
    so an unreferenced one may vanish mid-run). A task may be started under a key, which is
    then `in` the set until that task ends."""

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Task[None]] = {}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._running

    def start(self, work: Coroutine[Any, Any, None], *, key: Hashable | None = None) -> None:
        task = asyncio.create_task(work)
        name = task if key is None else key
        self._running[name] = task
        task.add_done_callback(lambda _: self._running.pop(name, None))

    async def wait(self) -> None:
        """Until every task has ended, including those started meanwhile."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def cancel(self) -> None:
        """Cancel the running tasks and wait for them to end."""
        tasks = list(self._running.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
