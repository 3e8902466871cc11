"""Let the event loop run the routers' plain (synchronous) filters itself.

aiogram awaits a filter that is not a coroutine function — every magic filter such as `F.text`
or `F.chat.type == "private"`, and any plain function — through `asyncio.to_thread`: a hop to a
worker thread and back, with the context copied, for each filter of each handler it tries. An
update here tries forty-odd of them before one matches, so the hops cost more CPU than the
handler it ends in, and every hop also waits for the GIL behind the database thread.

Our filters only look at the update already in memory (no I/O, nothing that blocks), so they
are wrapped in a coroutine that calls them directly. Handlers are left as they are: a plain
function handler would be one that chose a thread on purpose.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject


def filters_below(router: Router) -> Iterator[FilterObject]:
    """Every filter of `router` and of the routers below it, the observers' own included."""
    for each_router in router.chain_tail:
        for observer in each_router.observers.values():
            # The observer's own filters (`router.message.filter(...)`) sit on a handler object
            # aiogram keeps for the purpose; it has no public accessor.
            owners = [observer._handler, *observer.handlers]
            for owner in owners:
                yield from owner.filters or ()


def _on_the_loop(callback: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        return callback(*args, **kwargs)

    return run


def run_plain_filters_on_the_loop(router: Router) -> int:
    """Wrap every synchronous filter below `router` (included) in a coroutine; returns how many.

    The keyword arguments aiogram passes stay those of the original filter: it worked them out
    from the filter's own signature when the filter was registered."""
    wrapped = 0
    for filter_object in filters_below(router):
        if filter_object.awaitable:
            continue
        filter_object.callback = _on_the_loop(filter_object.callback)
        filter_object.awaitable = True
        wrapped += 1
    return wrapped
