"""The conversation engine's aiogram side: the handlers every declared conversation gets
(navigation, answers, reminders), and resuming a conversation from /start.

A press on a button that is not on the conversation's current prompt (`prompts`) does not act:
the user is told it is from an earlier message and is asked the current step again. Cancel is
the exception: from any message of the conversation it leaves it, as the user asked, since
leaving changes nothing but the conversation itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.dispatcher.event.handler import CallbackType
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, TelegramObject

from handlers.button_stamps import STAMP_KEY
from handlers.context import UpdateContext
from handlers.conversations.controls import Expect, Move
from handlers.conversations.engine import Answer, Conversation, Turn


def conversation_router(module: str, conversation: Conversation[Any]) -> Router:
    """A new router named after `module` with the handlers of `conversation`'s steps."""
    router = Router(name=module)
    register(conversation, router)
    return router


def register(conversation: Conversation[Any], router: Router) -> None:
    """Add the conversation's handlers to `router`: navigation first, reminders last."""
    router.callback_query.register(
        _handler(conversation, _navigate, with_draft=False),
        StateFilter(conversation.states),
        conversation.controls.callback.filter(),
    )
    for step in conversation.steps:
        state = conversation.state(step.name)
        for press in step.presses:
            router.callback_query.register(
                _handler(conversation, press.handle), state, press.filter
            )
        if step.parse is not None or step.on_text is not None:
            router.message.register(_handler(conversation, _text_answer), state, F.text)
        if step.on_file is not None:
            router.message.register(_handler(conversation, step.on_file), state, step.file_filter)
        router.message.register(_handler(conversation, _remind, with_draft=False), state)


def _handler(
    conversation: Conversation[Any], handle: Answer[Any], *, with_draft: bool = True
) -> Callable[..., Awaitable[None]]:
    """An aiogram handler that opens the turn and gives `handle` the draft and the answer.

    Navigation and reminders work without a readable draft (Cancel always works).
    """

    async def handler(event: TelegramObject, **data: Any) -> None:
        turn = _turn(conversation, event, data)
        await turn.load()
        answer = data.get("callback_data", event)
        stale = isinstance(event, CallbackQuery) and not turn.pressed_current_prompt
        if stale and not _cancels(conversation, answer):
            assert isinstance(event, CallbackQuery)
            await _refuse_stale(turn, event)
            return
        draft: Any = await turn.draft() if with_draft else None
        await handle(turn, draft, answer)
        await turn.settle()

    return handler


def _cancels(conversation: Conversation[Any], callback_data: Any) -> bool:
    if not isinstance(callback_data, conversation.controls.callback):
        return False
    move = conversation.controls.read(callback_data)
    return move is not None and move[0] == Move.CANCEL


async def refuse_if_stale(
    conversation: Conversation[Any], query: CallbackQuery, ctx: UpdateContext, stamp: str
) -> bool:
    """For a press no handler of the conversation took (another step's button, say): refuse it
    as `_refuse_stale` does if it is not on the current prompt. False: it is, or the user is
    not in the conversation."""
    turn = _turn(conversation, query, {"ctx": ctx, STAMP_KEY: stamp})
    if not await turn.load() or turn.pressed_current_prompt:
        return False
    await _refuse_stale(turn, query)
    return True


async def _refuse_stale(turn: Turn[Any], query: CallbackQuery) -> None:
    """A button of an earlier message (or of none the engine drew): it would act on the draft
    as it is now, which that message may not show. Say so, take its buttons away and ask the
    current step again."""
    assert query.id
    turn.ctx.responder.answer_callback(
        query.id,
        "errors.stale_button_in_conversation",
        alert=True,
        conversation=turn.conversation.name,
    )
    turn.remove_pressed_buttons()
    await turn.ask()


# The draft a conversation starts with for the caller, made from the turn and the callback data
# (or the message) that starts it; None: it does not start, and the caller was told why.
FirstDraft = Callable[[Turn[Any], Any], Awaitable[Any]]


def entry(
    conversation: Conversation[Any], first_draft: FirstDraft
) -> Callable[..., Awaitable[None]]:
    """An aiogram handler, for a command or a button, that starts `conversation` with the
    draft `first_draft` makes. A domain error it raises (not a seller, not their order) is
    answered like any other, and nothing starts."""

    async def handler(event: TelegramObject, **data: Any) -> None:
        turn = _turn(conversation, event, data)
        draft = await first_draft(turn, data.get("callback_data", event))
        if draft is not None:
            await turn.begin(draft)

    return handler


def _turn(
    conversation: Conversation[Any], event: TelegramObject, data: dict[str, Any]
) -> Turn[Any]:
    """The turn of the update aiogram is handling, from what it passes a handler."""
    message_id = None
    if isinstance(event, CallbackQuery) and event.message is not None:
        message_id = event.message.message_id
    stamp = data.get(STAMP_KEY)
    return Turn(conversation, data["ctx"], message_id=message_id, pressed_stamp=stamp, extra=data)


async def resume(ctx: UpdateContext, conversations: Sequence[Conversation[Any]]) -> bool:
    """Ask again where the user left off (after /start); False outside these conversations."""
    for conversation in conversations:
        turn = Turn(conversation, ctx)
        if await turn.load():
            ctx.responder.reply("conversation.resumed")
            await turn.ask()
            return True
    return False


async def _navigate(turn: Turn[Any], draft: Any, callback_data: CallbackData) -> None:
    move = turn.conversation.controls.read(callback_data)
    if move is None:
        raise SkipHandler  # a step's own button: its handler comes next
    action, value = move
    if action == Move.CANCEL:
        await turn.cancel()
    elif action == Move.BACK:
        await turn.back()
    elif turn.step.name == turn.conversation.summary:
        await turn.edit(value)
    else:
        raise SkipHandler  # an edit button outside the summary is stale


async def _text_answer(turn: Turn[Any], draft: Any, message: Message) -> None:
    assert message.text is not None
    step = turn.step
    if step.on_text is not None:
        await step.on_text(turn, draft, message.text)
        return
    assert step.parse is not None
    await turn.advance(step.parse(draft, message.text))


async def expecting_text(message: Message, ctx: UpdateContext) -> None:
    """The handler of a one-question state outside the engine (a reason, a note, a new value)
    for anything but text."""
    ctx.responder.reply("conversation.expecting_text")


def text_answer_router(module: str, state: State, on_text: CallbackType) -> Router:
    """A new router for a one-question state outside the engine (a reason, a note, a new
    value): a text goes to `on_text`, anything else is told that text is expected.

    It goes among the conversations, after every command, so that a command is never taken
    for the answer. More handlers of the module's states may be added to it.
    """
    router = Router(name=f"{module}.answers")
    router.message.register(on_text, state, F.text)
    router.message.register(expecting_text, state)
    return router


async def _remind(turn: Turn[Any], draft: Any, message: Message) -> None:
    """The user sent something the step does not take: say what it takes."""
    step = turn.step
    if step.expects == Expect.BUTTONS:
        turn.ctx.responder.reply("conversation.use_buttons")
        await turn.ask()
    elif step.expects == Expect.FILE and step.reminder is not None:
        turn.ctx.responder.reply(step.reminder, **step.reminder_params)
    else:
        turn.ctx.responder.reply("conversation.expecting_text")
