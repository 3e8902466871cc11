"""Relaying what either side of a return case writes to the other: routing, storing, queueing.

A message reaches a case by its topic, by the case message (or case notice) it replies to, or
by the case chosen with `/case`; `find_route` looks each candidate up for the caller and
`domain.returns.threads.route` decides. `relay` stores it (contact details masked) with the
Telegram message it came as, and queues its copy for the other side on the outbox; `relay_edit`
does the same for an edit. A document is relayed only once its content was checked
(`document_to_check` says whether one may be sent at all, the handler has the file worker read
it, then `relay` takes it with the format it proved to be: `domain.returns.files`). Every case id a caller names — by a topic, a reply, a button or
`/case` — is checked against them: a case that is not theirs answers like one that does not
exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.errors import ConflictError, InvalidInput, NotFound
from domain.model import ReturnCase, ReturnMessageCopy
from domain.returns import files
from domain.returns.rules import MessageKind, Side
from domain.returns.threads import Route, Seen, route
from domain.services import return_threads, returns
from domain.unit_of_work import UnitOfWork

# The most open cases the picker offers (a seller with more answers by reply or topic).
PICKER_LIMIT = 12


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message as the handler received it."""

    chat_id: int
    telegram_message_id: int
    kind: MessageKind
    text: str | None
    telegram_file_id: str | None
    # The topic it was written in (None: the main chat).
    thread_id: int | None = None
    # The message it replies to, in the same chat.
    reply_to_telegram_id: int | None = None
    # A document's name, type and size as Telegram reports them (what the sender says).
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None
    # A document's format once its content was checked (`files.CaseFileFormat` value).
    file_type: str | None = None


@dataclass(frozen=True, slots=True)
class CaseChoice:
    case_id: int
    side: Side
    number: str
    product: str
    order_number: str


@dataclass(frozen=True, slots=True)
class Relayed:
    case_id: int
    number: str
    side: Side
    # Kinds of contact details taken out of the copy (domain.returns.masking.ContactKind).
    masked: tuple[str, ...]


# ----- whose case is it -----


async def side_in(user_id: int, case_id: int, uow: UnitOfWork) -> Side:
    """The side `user_id` holds in the case; `returns.case_not_found` when neither."""
    for side in (Side.SELLER, Side.BUYER):
        try:
            await returns.case_for(user_id, case_id, side, uow)
        except NotFound:
            continue
        return side
    raise NotFound(returns.CASE_NOT_FOUND)


async def _checked(user_id: int, case_id: int | None, uow: UnitOfWork) -> int | None:
    if case_id is None:
        return None
    try:
        await side_in(user_id, case_id, uow)
    except NotFound:
        return None
    return case_id


async def _topic_case(user_id: int, thread_id: int, uow: UnitOfWork) -> int | None:
    seller = await uow.sellers.by_telegram_user(user_id)
    case: ReturnCase | None = None
    if seller is not None:
        case = await uow.returns.in_thread(Side.SELLER, seller.id, thread_id)
    if case is None:
        case = await uow.returns.in_thread(Side.BUYER, user_id, thread_id)
    return await _checked(user_id, case.id if case is not None else None, uow)


async def case_shown_by(
    chat_id: int, telegram_message_id: int, uow: UnitOfWork
) -> tuple[int, int | None] | None:
    """The case (and the case message, if it is one) that a message of this chat shows:
    a case message or its copy, or a notice about a case (a new-case alert, a thread's
    opening, a deadline). Only messages of the caller's own chat are looked up."""
    copy = await uow.returns.copy_at(chat_id, telegram_message_id)
    if copy is not None:
        message = await uow.returns.message(copy.message_id)
        if message is not None:
            return message.case_id, message.id
    notice = await uow.notifications.sent_as(
        chat_id, telegram_message_id, return_threads.CASE_TEMPLATE_PREFIX
    )
    case_id = (notice.params or {}).get("case_id") if notice is not None else None
    if isinstance(case_id, int):
        return case_id, None
    return None


async def _fallback_cases(user_id: int, uow: UnitOfWork) -> list[int]:
    return [c.case_id for c in await open_cases(user_id, uow, without_topic=True)]


async def find_route(
    user_id: int, incoming: Incoming, chosen_case_id: int | None, uow: UnitOfWork
) -> Route:
    """Which case `incoming` belongs to, every candidate checked against `user_id`."""
    topic_case = reply_case = None
    if incoming.thread_id is not None:
        topic_case = await _topic_case(user_id, incoming.thread_id, uow)
    elif incoming.reply_to_telegram_id is not None:
        answered = await case_shown_by(incoming.chat_id, incoming.reply_to_telegram_id, uow)
        reply_case = await _checked(user_id, answered[0] if answered else None, uow)
    chosen = None
    if incoming.thread_id is None and reply_case is None and chosen_case_id is not None:
        chosen = await _open_case_of(user_id, chosen_case_id, uow)
    fallback: Sequence[int] = ()
    if incoming.thread_id is None and reply_case is None and chosen is None:
        fallback = await _fallback_cases(user_id, uow)
    return route(
        Seen(
            in_topic=incoming.thread_id is not None,
            topic_case=topic_case,
            reply_case=reply_case,
            chosen_case=chosen,
            fallback_cases=fallback,
            file_in_main_chat=incoming.thread_id is None and incoming.kind is MessageKind.DOCUMENT,
        )
    )


async def _open_case_of(user_id: int, case_id: int, uow: UnitOfWork) -> int | None:
    try:
        side = await side_in(user_id, case_id, uow)
    except NotFound:
        return None
    case = await returns.case_for(user_id, case_id, side, uow)
    return case.id if case.is_open else None


# ----- the picker -----


async def open_cases(
    user_id: int, uow: UnitOfWork, *, without_topic: bool = False
) -> list[CaseChoice]:
    """The caller's open cases, as seller and as buyer (newest first); `without_topic`: only
    those whose thread on the caller's side is the main chat."""
    found: list[tuple[ReturnCase, Side]] = []
    seller = await uow.sellers.by_telegram_user(user_id)
    if seller is not None:
        found += [
            (c, Side.SELLER)
            for c in await uow.returns.open_of(Side.SELLER, seller.id, limit=PICKER_LIMIT)
        ]
    found += [
        (c, Side.BUYER) for c in await uow.returns.open_of(Side.BUYER, user_id, limit=PICKER_LIMIT)
    ]
    choices: list[CaseChoice] = []
    for case, side in found[:PICKER_LIMIT]:
        if without_topic and return_threads.thread_of(case, side) is not None:
            continue
        choices.append(await _choice(case, side, uow))
    return choices


async def choose(user_id: int, case_id: int, uow: UnitOfWork) -> CaseChoice:
    """The case `user_id` picked (a button or `/case R-…`): theirs and still open."""
    side = await side_in(user_id, case_id, uow)
    case = await returns.case_for(user_id, case_id, side, uow)
    if not case.is_open:
        raise ConflictError("returns.case_closed", case=return_threads.case_number(case.id))
    return await _choice(case, side, uow)


async def _choice(case: ReturnCase, side: Side, uow: UnitOfWork) -> CaseChoice:
    frame = await return_threads.frame_of(case, side, uow)
    return CaseChoice(case.id, side, frame.number, frame.product, frame.order_number)


# ----- relaying -----


async def document_to_check(
    user_id: int, case_id: int, incoming: Incoming, uow: UnitOfWork
) -> files.CaseFileFormat:
    """The format a document sent to the case claims, when the case is the caller's and a
    return may relay such a file; its content is read next, before `relay` takes it."""
    await side_in(user_id, case_id, uow)
    return files.check_case_document(incoming.file_name, incoming.mime_type, incoming.file_size)


async def relay(user_id: int, case_id: int, incoming: Incoming, uow: UnitOfWork) -> Relayed:
    """Store what `user_id` wrote in the case and queue its copy for the other side. A
    document must come with the format its content was checked to be (`file_type`)."""
    side = await side_in(user_id, case_id, uow)
    files.check_kind(incoming.kind)
    if incoming.kind is MessageKind.DOCUMENT and incoming.file_type is None:
        raise InvalidInput("returns.file_type", file_name=files.shown_name(incoming.file_name))
    reply_to_id = None
    if incoming.reply_to_telegram_id is not None:
        answered = await case_shown_by(incoming.chat_id, incoming.reply_to_telegram_id, uow)
        if answered is not None and answered[0] == case_id:
            reply_to_id = answered[1]
    message = await returns.post_message(
        user_id,
        case_id,
        side,
        incoming.kind,
        incoming.text,
        incoming.telegram_file_id,
        uow,
        reply_to_id=reply_to_id,
        file_type=incoming.file_type if incoming.kind is MessageKind.DOCUMENT else None,
    )
    uow.returns.add_copy(
        ReturnMessageCopy(
            message_id=message.id,
            side=side,
            chat_id=incoming.chat_id,
            telegram_message_id=incoming.telegram_message_id,
            thread_id=incoming.thread_id,
            original=True,
        )
    )
    await _queue(
        message.case_id,
        message.id,
        side,
        return_threads.RELAYED_TEMPLATE,
        f"return-relay:{message.id}",
        user_id,
        uow,
    )
    return Relayed(case_id, return_threads.case_number(case_id), side, tuple(message.masked))


async def relay_edit(
    user_id: int, chat_id: int, telegram_message_id: int, text: str | None, uow: UnitOfWork
) -> Relayed | None:
    """The author edited a message they wrote in a case: store it and queue the copy's edit.
    None when the edited message is not one they wrote in a case (nothing to relay)."""
    copy = await uow.returns.copy_at(chat_id, telegram_message_id)
    if copy is None or not copy.original:
        return None
    message = await returns.edit_message(user_id, copy.message_id, Side(copy.side), text, uow)
    await _queue(
        message.case_id,
        message.id,
        Side(copy.side),
        return_threads.RELAYED_EDIT_TEMPLATE,
        f"return-relay-edit:{message.id}:{message.edits}",
        user_id,
        uow,
    )
    return Relayed(
        message.case_id,
        return_threads.case_number(message.case_id),
        Side(copy.side),
        tuple(message.masked),
    )


async def _queue(
    case_id: int,
    message_id: int,
    author: Side,
    template: str,
    dedupe_key: str,
    user_id: int,
    uow: UnitOfWork,
) -> None:
    case = await uow.returns.get(case_id)
    assert case is not None  # the caller just wrote in it
    chat_id = await return_threads.chat_of(case, author.other, uow)
    if chat_id is None:
        return  # the other side erased their data: the message stays on the record
    await uow.notifications.add(
        dedupe_key=dedupe_key,
        chat_id=chat_id,
        template=template,
        params={"case_id": case_id, "message_id": message_id, "side": author.other.value},
        now=uow.now(),
        # What the author wrote is theirs: erasing them removes the queued copy too.
        subject_user_id=user_id,
    )
