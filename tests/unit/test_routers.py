"""Routers are built by functions: each call gives a fresh set a new Dispatcher can own."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import Command, StateFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.inline_filters import filters_below, run_plain_filters_on_the_loop
from handlers import get_routers
from handlers.operator.review import ReviewNote
from handlers.seller.logistics_settings import RateCardUpload
from handlers.seller.orders import OrderCancellation
from handlers.seller.shipping import CONVERSATION as SHIPPING
from handlers.seller.warehouse_changes import WarehouseChange


def _tree(router: Router) -> list[Router]:
    return [router, *(child for sub in router.sub_routers for child in _tree(sub))]


def test_every_call_builds_new_routers_so_two_dispatchers_never_share_one() -> None:
    first, second = get_routers(), get_routers()
    first_tree = [router for top in first for router in _tree(top)]
    second_tree = [router for top in second for router in _tree(top)]
    assert len(first_tree) == len(second_tree) > 10
    assert {id(router) for router in first_tree}.isdisjoint(id(r) for r in second_tree)

    # Both sets can be owned at once (a restart builds a second Dispatcher while the first
    # one's routers still exist), and the first keeps its own parents.
    old, new = Dispatcher(), Dispatcher()
    old.include_routers(*first)
    new.include_routers(*second)
    assert all(router.parent_router is old for router in first)
    assert all(router.parent_router is new for router in second)


def test_each_feature_router_keeps_its_handlers() -> None:
    handlers = {
        router.name: len(router.message.handlers) + len(router.callback_query.handlers)
        for top in get_routers()
        for router in _tree(top)
    }
    assert handlers["handlers.common"] >= 9
    assert handlers["handlers.buyer.links"] == 1
    assert handlers["handlers.fallback"] == 3  # stale buttons, unexpected files, the rest
    assert all(count > 0 for name, count in handlers.items() if name != "private"), handlers


async def test_plain_filters_run_on_the_loop_and_still_decide(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every magic or plain-function filter of our routers is awaited on the loop: none would
    cost the update a trip through a worker thread, and a wrapped filter still says no."""

    def plain_filters(router: Router) -> list[object]:
        """What aiogram would still run in a worker thread."""
        return [each for each in filters_below(router) if not each.awaitable]

    dispatcher = Dispatcher()
    dispatcher.include_routers(*get_routers())
    assert plain_filters(dispatcher), "the routers use magic filters: the check would be empty"

    assert run_plain_filters_on_the_loop(dispatcher) > 10
    assert plain_filters(dispatcher) == []

    router = Router()
    seen: list[str] = []

    async def on_text(message: Message) -> None:
        seen.append(message.text or "")

    router.message.register(on_text, F.text.startswith("yes"))
    run_plain_filters_on_the_loop(router)

    def no_threads(*args: object, **kwargs: object) -> None:
        raise AssertionError("a filter went to a worker thread")

    monkeypatch.setattr(asyncio, "to_thread", no_threads)
    for text in ("no thanks", "yes please"):
        message = Message.model_validate(
            {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 1, "type": "private"},
                "text": text,
            }
        )
        await router.propagate_event("message", message)
    assert seen == ["yes please"]


def test_every_command_is_recognised_in_any_case() -> None:
    """/HELP, /Start and /Cancel are the commands they spell: every command filter of the
    routers ignores case (registered through `handlers.command_filters`)."""
    commands = [
        each.callback
        for top in get_routers()
        for each in filters_below(top)
        if isinstance(each.callback, Command)
    ]
    names = {name for filter_ in commands for name in filter_.commands}
    assert {"start", "help", "cancel", "warehouses", "orders"} <= names
    assert [str(f) for f in commands if not f.ignore_case] == []


def _states_answered(handler: HandlerObject) -> set[str]:
    """The FSM states (by name, "*" for any) in which `handler` takes a message; empty for a
    handler of no state or only of the state outside any conversation (None)."""
    named: list[object] = []
    for each in handler.filters or ():
        callback = each.callback
        named.extend(callback.states if isinstance(callback, StateFilter) else [callback])
    states: set[str] = set()
    for state in named:
        if isinstance(state, type) and issubclass(state, StatesGroup):
            states.update(state.__all_states_names__)
        elif isinstance(state, State) and state.state is not None:
            states.add(state.state)
        elif isinstance(state, str):
            states.add(state)
    return states


def _is_command(handler: HandlerObject) -> bool:
    return any(isinstance(each.callback, Command) for each in handler.filters or ())


def test_what_is_sent_in_a_state_is_tried_after_every_command() -> None:
    """A handler that takes a message in an FSM state (a conversation's step, a mode's
    answer, its reminder) sits in a router placed after every router with a command: else
    each command registered after it is taken, in that state, for the state's answer."""
    (private,) = get_routers()
    command_routers: list[int] = []
    answers: dict[str, int] = {}  # state -> the first router answering a message in it
    for position, feature in enumerate(private.sub_routers):
        for router in feature.chain_tail:
            for handler in router.message.handlers:
                if _is_command(handler):
                    command_routers.append(position)
                for state in _states_answered(handler):
                    answers.setdefault(state, position)
    # The check reads the filters it must: every kind of state handler was found.
    assert {
        *OrderCancellation.__all_states_names__,
        *RateCardUpload.__all_states_names__,
        *ReviewNote.__all_states_names__,
        *WarehouseChange.__all_states_names__,
        *SHIPPING.states.__all_states_names__,
    } <= answers.keys()
    last_command = max(command_routers)
    names = [feature.name for feature in private.sub_routers]
    too_early = {
        state: names[position] for state, position in answers.items() if position <= last_command
    }
    assert too_early == {}, f"tried before {names[last_command]}'s commands"
