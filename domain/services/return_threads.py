"""The threads of a return case and the copies relayed into them, as the outbox needs them.

When a case opens, each side's thread is opened through the outbox (`open_threads`): a topic
in their private chat where Telegram allows one, else the main chat with a case header. The
outbox's relay delivery (`notifications.return_relay`) reads what to send with `copy_plan`,
and records what it did with `set_thread` and `record_copy`, each in a short transaction of
its own; nothing here calls Telegram.

Neither side learns who the other is: a copy names the store to the buyer and "the buyer of
order N" to the seller, and carries only the stored (masked) text and the file; a document
under a name of the bot's making (`domain.returns.files.copy_name`). A store or order number
stored before such names were refused is shown to the other side with its contact details
masked (`masking.masked_name`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from domain.model import ReturnCase, ReturnMessageCopy
from domain.returns import files
from domain.returns.masking import masked_name
from domain.returns.rules import MessageKind, Side
from domain.unit_of_work import UnitOfWork

THREAD_TEMPLATE = "returns.thread"
RELAYED_TEMPLATE = "returns.relayed"
RELAYED_EDIT_TEMPLATE = "returns.relayed_edit"
# Every template whose notification belongs to one case (its params name `case_id`): a reply
# to any of them in the main chat is routed to that case.
CASE_TEMPLATE_PREFIX = "returns."


def case_number(case_id: int) -> str:
    return f"R-{case_id}"


@dataclass(frozen=True, slots=True)
class CaseFrame:
    """How a case is named to one side: its number, its product, who the other side is."""

    case_id: int
    number: str
    product: str
    order_number: str
    # The store's name (shown to the buyer); None for the seller, who reads "buyer of order N".
    store_name: str | None


@dataclass(frozen=True, slots=True)
class CopyPlan:
    """One case message as it is to appear in the other side's chat."""

    frame: CaseFrame
    to_side: Side
    chat_id: int
    thread_id: int | None
    kind: MessageKind
    text: str | None
    telegram_file_id: str | None
    # A document's copy name (None for other kinds).
    file_name: str | None
    masked: tuple[str, ...]
    edited: bool
    # The copy in this chat of the message it answers, when it sits in the same thread.
    reply_to_telegram_id: int | None
    # Already relayed: the copy to edit (for an edit).
    existing_telegram_id: int | None
    existing_thread_id: int | None
    # A document stored before documents were checked: its text goes, the file does not.
    withheld: bool = False


async def chat_of(case: ReturnCase, side: Side, uow: UnitOfWork) -> int | None:
    """The private chat where `side` of the case is reached now (None: nobody is). The buyer
    is the account that opened the case, even once a new link handed the order to someone
    else; None once they erased their data."""
    if Side(side) is Side.SELLER:
        contacts = await uow.tracking.seller_contacts([case.seller_id])
        contact = contacts.get(case.seller_id)
        return contact.user_id if contact is not None else None
    return case.buyer_user_id


def thread_of(case: ReturnCase, side: Side) -> int | None:
    return case.seller_thread_id if Side(side) is Side.SELLER else case.buyer_thread_id


async def frame_of(case: ReturnCase, side: Side, uow: UnitOfWork) -> CaseFrame:
    order = await uow.orders.get(case.order_id)
    store_name = None
    if Side(side) is Side.BUYER:
        contacts = await uow.tracking.seller_contacts([case.seller_id])
        contact = contacts.get(case.seller_id)
        store_name = masked_name(contact.store_name) if contact is not None else ""
    return CaseFrame(
        case_id=case.id,
        number=case_number(case.id),
        product=shown_to(side)(case.lines[0].product_name) if case.lines else "",
        order_number=shown_to(side)(order.number) if order is not None else "",
        store_name=store_name,
    )


def shown_to(side: Side) -> Callable[[str], str]:
    """How `side` reads an order's number or a product's name: the buyer with contact details
    masked (a number stored before such numbers were refused, a product named with a link);
    the store reads its own as they are. Long digit runs stay: order numbers and model numbers
    are made of them."""
    if Side(side) is Side.BUYER:
        return partial(masked_name, digit_runs=False)
    return str


async def open_threads(case: ReturnCase, uow: UnitOfWork) -> None:
    """Queue the opening of each side's thread; the outbox sends a side's rows in order, so
    everything relayed later to that side finds its thread ready."""
    for side in (Side.SELLER, Side.BUYER):
        chat_id = await chat_of(case, side, uow)
        if chat_id is None:
            continue
        await uow.notifications.add(
            dedupe_key=f"return-thread:{case.id}:{side.value}",
            chat_id=chat_id,
            template=THREAD_TEMPLATE,
            params={"case_id": case.id, "side": side.value},
            now=uow.now(),
        )


async def thread_plan(case_id: int, side: Side, uow: UnitOfWork) -> CaseFrame | None:
    """How to name the case's thread for `side` (None: the case is gone)."""
    case = await uow.returns.get(case_id)
    if case is None:
        return None
    return await frame_of(case, side, uow)


async def current_thread(case_id: int, side: Side, uow: UnitOfWork) -> int | None:
    case = await uow.returns.get(case_id)
    return thread_of(case, side) if case is not None else None


async def set_thread(case_id: int, side: Side, thread_id: int | None, uow: UnitOfWork) -> None:
    """`side`'s thread of the case is now topic `thread_id` (None: the main chat, with a
    header on every copy)."""
    case = await uow.returns.lock(case_id)
    if case is None:
        return
    if Side(side) is Side.SELLER:
        case.seller_thread_id = thread_id
    else:
        case.buyer_thread_id = thread_id


async def copy_plan(message_id: int, to_side: Side, uow: UnitOfWork) -> CopyPlan | None:
    """What to send (or edit) in `to_side`'s chat for case message `message_id`; None when
    the message, its case or the recipient is gone (erased), so there is nothing to send."""
    message = await uow.returns.message(message_id)
    if message is None or Side(message.side) is Side(to_side):
        return None
    case = await uow.returns.get(message.case_id)
    if case is None:
        return None
    chat_id = await chat_of(case, to_side, uow)
    kind, file_id = MessageKind(message.kind), message.telegram_file_id
    withheld = kind is MessageKind.DOCUMENT and message.file_type is None
    if withheld:
        kind, file_id = MessageKind.TEXT, None
    if chat_id is None or (message.text is None and file_id is None and not withheld):
        return None
    thread_id = thread_of(case, to_side)
    reply_to: int | None = None
    if message.reply_to_id is not None:
        answered = await uow.returns.message(message.reply_to_id)
        target = answered.copy_for(Side(to_side)) if answered is not None else None
        if target is not None and target.chat_id == chat_id and target.thread_id == thread_id:
            reply_to = target.telegram_message_id
    existing = message.copy_for(Side(to_side))
    file_name = None
    if kind is MessageKind.DOCUMENT and message.file_type is not None:
        file_name = files.copy_name(case_number(case.id), message.id, message.file_type)
    return CopyPlan(
        frame=await frame_of(case, to_side, uow),
        to_side=Side(to_side),
        chat_id=chat_id,
        thread_id=thread_id,
        kind=kind,
        text=message.text,
        telegram_file_id=file_id,
        file_name=file_name,
        masked=tuple(message.masked),
        edited=message.edits > 0,
        reply_to_telegram_id=reply_to,
        existing_telegram_id=existing.telegram_message_id if existing is not None else None,
        existing_thread_id=existing.thread_id if existing is not None else None,
        withheld=withheld,
    )


async def record_copy(
    message_id: int,
    side: Side,
    chat_id: int,
    telegram_message_id: int,
    thread_id: int | None,
    uow: UnitOfWork,
) -> None:
    """The copy of case message `message_id` now shown to `side` (a reply to it routes)."""
    message = await uow.returns.message(message_id)
    if message is None or await uow.returns.copy_at(chat_id, telegram_message_id) is not None:
        return
    uow.returns.add_copy(
        ReturnMessageCopy(
            message_id=message_id,
            side=Side(side),
            chat_id=chat_id,
            telegram_message_id=telegram_message_id,
            thread_id=thread_id,
            original=False,
        )
    )
