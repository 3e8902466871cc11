"""The parts every paged list shares: filter buttons above it, Previous / Next below it.

The lists themselves (orders, shipments, return cases, the review queue, findings, a buyer's
purchases) differ in what they list; how one moves between filters and pages is the same, and
lives here so that every list moves alike.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message

from handlers.context import UpdateContext
from handlers.responder import Button, Keyboard, Responder

Filter = TypeVar("Filter", bound=StrEnum)


class ListedBy(Protocol):
    """The callback data of a filtered list's buttons: which filter, which page."""

    @property
    def listing(self) -> Any: ...

    @property
    def page(self) -> int: ...


# Shows one page of the caller's list: (the update's context, filter, page).
ShowList = Callable[[UpdateContext, Any, int], Awaitable[None]]


def page_count(total: int, page_size: int) -> int:
    """How many pages `total` items fill; an empty list still has its one (empty) page."""
    return max(1, -(-total // page_size))


def paging_row(page: int, pages: int, to_page: Callable[[int], CallbackData]) -> list[Button]:
    """ "Previous" unless on the first page, "Next" unless on the last; `to_page` makes a
    page's callback data."""
    row: list[Button] = []
    if page > 0:
        row.append(Button(label="common.previous", callback=to_page(page - 1)))
    if page + 1 < pages:
        row.append(Button(label="common.next", callback=to_page(page + 1)))
    return row


def filter_rows(
    feature: str,
    current: Filter,
    rows: Iterable[Iterable[Filter]],
    to_filter: Callable[[Filter], CallbackData],
    responder: Responder,
) -> Keyboard:
    """One button per filter, laid out as `rows`; the current one is marked (the label
    `<feature>.filter_current` around its name), the others named by `<feature>.filter_<x>`."""
    name = responder.label(f"{feature}.filter_{current}")
    return [
        [
            Button(
                label=f"{feature}.filter_current"
                if option == current
                else f"{feature}.filter_{option}",
                params={"name": name} if option == current else {},
                callback=to_filter(option),
            )
            for option in row
        ]
        for row in rows
    ]


def reply_filtered_list(
    responder: Responder,
    feature: str,
    *,
    current: Filter,
    layout: Iterable[Iterable[Filter]],
    to_list: Callable[[Filter, int], CallbackData],
    items: Keyboard,
    total: int,
    page: int,
    pages: int,
    extra_rows: Keyboard = (),
    **params: Any,
) -> None:
    """Queue `<feature>.list`: one page of `items` under the filter buttons, the page buttons
    below them. `to_list(filter, page)` is the callback data that shows a filter's page."""
    responder.reply(
        f"{feature}.list",
        filter_name=responder.label(f"{feature}.filter_{current}"),
        total=total,
        page=page + 1,
        pages=pages,
        keyboard=[
            *filter_rows(feature, current, layout, lambda option: to_list(option, 0), responder),
            *items,
            paging_row(page, pages, lambda to: to_list(current, to)),
            *extra_rows,
        ],
        **params,
    )


def list_command(show: ShowList, first: StrEnum) -> Callable[..., Awaitable[None]]:
    """The handler of a list's command: the first page of the `first` filter."""

    async def command(message: Message, ctx: UpdateContext) -> None:
        await show(ctx, first, 0)

    return command


def list_pressed(show: ShowList) -> Callable[..., Awaitable[None]]:
    """The handler of a list's filter and page buttons (and of "back to the list"): the page
    their callback data names. `show` takes the filter and page as untrusted values."""

    async def pressed(query: CallbackQuery, callback_data: ListedBy, ctx: UpdateContext) -> None:
        await show(ctx, callback_data.listing, callback_data.page)

    return pressed
