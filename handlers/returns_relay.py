"""Return case threads: what a seller or a buyer writes about a case is relayed to the other.

A message belongs to a case by its topic, by the case message it replies to, or by the case
chosen with `/case` (`domain.services.return_relay.find_route`). A message in the main chat
of someone with open cases that says none of these is held while the picker asks which case
it is for. Edits of a relayed message are relayed as edits. Anything else passes on to the
other handlers.

A document is relayed only once its content was checked: what Telegram says about it (name,
type, size) is checked in the update, its bytes after the commit in the file worker, and the
relay itself is done then, in a transaction of its own (`handlers.uploads`). A voice message,
an audio file or any other document is refused with what a return takes instead.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import CommandObject, StateFilter
from aiogram.types import CallbackQuery, Message

from domain.errors import InvalidInput
from domain.returns import files
from domain.returns.rules import MessageKind
from domain.returns.threads import RouteKind, parse_case_number
from domain.services import return_relay
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.responder import Button
from handlers.return_callbacks import CasePick
from handlers.uploads import FileStepRunner, FileUpload, StepContext

# FSM data keys: the case chosen with /case, and a message waiting for the picker.
CHOSEN_KEY = "return_case"
HELD_KEY = "return_held"


def incoming_of(message: Message) -> return_relay.Incoming | None:
    """What a message carries, as the relay takes it; None for what it does not relay
    (commands, stickers, locations...)."""
    kind: MessageKind
    file_id: str | None = None
    # What the sender says a document is (its name, type and size), to be checked.
    described: dict[str, Any] = {}
    if message.text is not None:
        if message.text.startswith("/"):
            return None
        kind = MessageKind.TEXT
    elif message.photo:
        kind, file_id = MessageKind.PHOTO, message.photo[-1].file_id
    elif message.document is not None or message.audio is not None:
        # An audio file goes the way of a document, which refuses its type.
        sent = message.document if message.document is not None else message.audio
        assert sent is not None
        kind, file_id = MessageKind.DOCUMENT, sent.file_id
        described = {
            "file_name": sent.file_name,
            "mime_type": sent.mime_type,
            "file_size": sent.file_size,
        }
    elif message.video is not None:
        kind, file_id = MessageKind.VIDEO, message.video.file_id
    elif message.voice is not None:
        kind, file_id = MessageKind.VOICE, message.voice.file_id
    else:
        return None
    reply = message.reply_to_message
    # In a topic, Telegram marks the topic's creation as the message replied to.
    replies_to = None
    if reply is not None and reply.forum_topic_created is None:
        replies_to = reply.message_id
    return return_relay.Incoming(
        chat_id=message.chat.id,
        telegram_message_id=message.message_id,
        kind=kind,
        text=message.text if kind is MessageKind.TEXT else message.caption,
        telegram_file_id=file_id,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        reply_to_telegram_id=replies_to,
        **described,
    )


def _held(incoming: return_relay.Incoming) -> dict[str, Any]:
    return {
        "chat_id": incoming.chat_id,
        "message_id": incoming.telegram_message_id,
        "kind": incoming.kind.value,
        "text": incoming.text,
        "file_id": incoming.telegram_file_id,
    }


def _from_held(data: dict[str, Any]) -> return_relay.Incoming:
    return return_relay.Incoming(
        chat_id=int(data["chat_id"]),
        telegram_message_id=int(data["message_id"]),
        kind=MessageKind(data["kind"]),
        text=data.get("text"),
        telegram_file_id=data.get("file_id"),
    )


async def _relay(
    ctx: UpdateContext,
    case_id: int,
    incoming: return_relay.Incoming,
    *,
    confirm: bool,
) -> None:
    relayed = await return_relay.relay(ctx.user_id, case_id, incoming, ctx.uow)
    if relayed.masked or confirm:
        ctx.responder.reply(
            "returns.relay_sent",
            case=relayed.number,
            masked=bool(relayed.masked),
            confirm=confirm,
        )


async def _relay_checked(
    ctx: UpdateContext,
    case_id: int,
    incoming: return_relay.Incoming,
    file_steps: FileStepRunner,
    *,
    confirm: bool,
) -> None:
    """A document: refused now if a return does not take its kind; else read after the
    commit in the file worker, and relayed with the format its content proved to be."""
    claimed = await return_relay.document_to_check(ctx.user_id, case_id, incoming, ctx.uow)
    assert incoming.telegram_file_id is not None
    upload = FileUpload(
        job="case_file",
        file_name=files.name_to_check(incoming.file_name, claimed),
        file_id=incoming.telegram_file_id,
        user_id=ctx.user_id,
        chat_id=incoming.chat_id,
        locale=ctx.responder.locale,
        max_bytes=files.MAX_FILE_BYTES,
        too_large=InvalidInput("returns.file_too_large", max_mb=files.MAX_FILE_BYTES // 2**20),
        seconds=files.CHECK_SECONDS,
        unreadable_key="returns.file_damaged",
    )

    async def checked(found: Any, step: StepContext) -> None:
        after = replace(ctx, uow=step.uow, responder=step.responder, state=step.state)
        await _relay(after, case_id, replace(incoming, file_type=str(found)), confirm=confirm)

    ctx.uow.after_commit(lambda: file_steps.start(upload, checked))


async def _offer_picker(ctx: UpdateContext, *, holding: bool) -> None:
    choices = await return_relay.open_cases(ctx.user_id, ctx.uow)
    if not choices:
        ctx.responder.reply("returns.no_open_cases")
        return
    ctx.responder.reply(
        "returns.pick_case",
        holding=holding,
        keyboard=[
            [
                Button(
                    label="returns.pick_item",
                    params={"case": c.number, "product": c.product, "number": c.order_number},
                    callback=CasePick(case_id=c.case_id),
                )
            ]
            for c in choices
        ],
    )


async def _chosen(ctx: UpdateContext, case_id: int) -> None:
    """`case_id` is now where the caller's main-chat messages go; a held message goes first."""
    choice = await return_relay.choose(ctx.user_id, case_id, ctx.uow)
    data = await ctx.state.get_data()
    held = data.get(HELD_KEY)
    await ctx.state.update_data({CHOSEN_KEY: choice.case_id, HELD_KEY: None})
    ctx.responder.reply(
        "returns.case_chosen",
        case=choice.number,
        product=choice.product,
        order_number=choice.order_number,
        recipient=choice.side.value,
    )
    if isinstance(held, dict):
        await _relay(ctx, choice.case_id, _from_held(held), confirm=True)


async def case_command(message: Message, command: CommandObject, ctx: UpdateContext) -> None:
    if not command.args:
        await _offer_picker(ctx, holding=False)
        return
    case_id = parse_case_number(command.args)
    if case_id is None:
        raise InvalidInput("returns.case_number_invalid")
    await _chosen(ctx, case_id)


async def case_picked(query: CallbackQuery, callback_data: CasePick, ctx: UpdateContext) -> None:
    assert query.id
    await _chosen(ctx, callback_data.case_id)
    ctx.responder.answer_callback(query.id)


async def case_message(message: Message, ctx: UpdateContext, file_steps: FileStepRunner) -> None:
    incoming = incoming_of(message)
    if incoming is None:
        raise SkipHandler
    chosen = (await ctx.state.get_data()).get(CHOSEN_KEY)
    decided = await return_relay.find_route(
        ctx.user_id, incoming, chosen if isinstance(chosen, int) else None, ctx.uow
    )
    if decided.kind is RouteKind.PASS:
        raise SkipHandler
    if decided.kind is RouteKind.PICK:
        await ctx.state.update_data({HELD_KEY: _held(incoming)})
        await _offer_picker(ctx, holding=True)
        return
    assert decided.case_id is not None
    # In the case's own topic the copy speaks for itself; elsewhere say where it went.
    confirm = decided.via != "topic"
    if incoming.kind is MessageKind.DOCUMENT:
        await _relay_checked(ctx, decided.case_id, incoming, file_steps, confirm=confirm)
        return
    await _relay(ctx, decided.case_id, incoming, confirm=confirm)


async def case_message_edited(edited_message: Message, ctx: UpdateContext) -> None:
    text = edited_message.text if edited_message.text is not None else edited_message.caption
    relayed = await return_relay.relay_edit(
        ctx.user_id, edited_message.chat.id, edited_message.message_id, text, ctx.uow
    )
    if relayed is not None and relayed.masked:
        ctx.responder.reply("returns.relay_sent", case=relayed.number, masked=True, confirm=False)


def build_command_router() -> Router:
    """`/case` and its picker: tried with the other commands, before any conversation."""
    router = Router(name=f"{__name__}.commands")
    router.message.register(case_command, any_case_command("case"))
    router.callback_query.register(case_picked, CasePick.filter())
    return router


def build_router() -> Router:
    """The relay itself: after the conversations (which take free text in their states)."""
    router = Router(name=__name__)
    router.message.register(case_message, StateFilter(None))
    router.edited_message.register(case_message_edited)
    return router
