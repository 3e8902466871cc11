"""The outbox's delivery of return case threads and relayed messages.

Three kinds of outbox rows are delivered here instead of as plain text:

- `returns.thread`: open a side's thread. When getMe says the bot has topics in private chats
  (`has_topics_enabled`) and `createForumTopic` works, the case gets a topic named
  "Return R-1042 · <product>"; otherwise (or when Telegram refuses to create one) the side's
  thread is the main chat, and every copy there carries a case header.
- `returns.relayed`: the copy of what the other side wrote — text, photo, video or voice by its
  file id; a document downloaded and sent again under a name of the bot's making
  (`case-R-1042-7.pdf`: a file id keeps the sender's name, and names carry contact details) —
  naming the store (to the buyer) or "the buyer of order N" (to the seller), never the
  person; as a reply to the copy of the message it answers.
- `returns.relayed_edit`: the author edited it; the copy is edited to match.

A topic that is gone ("message thread not found": the user deleted it) is created again and
the copy goes there; if that fails too, the case falls back to the main chat for that side,
and the message is still delivered. What was sent is recorded in short transactions of their
own (`domain.services.return_threads`), after the call, like every outbox outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Protocol

from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    CreateForumTopic,
    EditMessageCaption,
    EditMessageText,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.types import FSInputFile, InputFile, LinkPreviewOptions, Message, ReplyParameters

from domain.returns.rules import MessageKind, Side
from domain.returns.threads import needs_header, thread_gone, topic_name
from domain.services import return_threads
from domain.unit_of_work import UnitOfWork
from notifications.sender import RecipientBlocked, Sender
from templates.html import CAPTION_LIMIT, html_to_plain, split_html, utf16_length
from templates.renderer import Renderer

logger = logging.getLogger(__name__)

_MEDIA: dict[MessageKind, tuple[type[TelegramMethod[Message]], str]] = {
    MessageKind.PHOTO: (SendPhoto, "photo"),
    MessageKind.DOCUMENT: (SendDocument, "document"),
    MessageKind.VIDEO: (SendVideo, "video"),
    MessageKind.VOICE: (SendVoice, "voice"),
}


class FileSource(Protocol):
    """Where the delivery gets a document's bytes to send it under another name."""

    def fetched(self, file_id: str) -> AbstractAsyncContextManager[Path]:
        """The file downloaded to a temporary path, for as long as the context lasts (any
        failure raises: the outbox tries the row again later)."""


class ReturnRelayDelivery:
    """Delivers the outbox rows of return threads; the dispatcher calls `deliver`."""

    templates = frozenset(
        {
            return_threads.THREAD_TEMPLATE,
            return_threads.RELAYED_TEMPLATE,
            return_threads.RELAYED_EDIT_TEMPLATE,
        }
    )

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        sender: Sender,
        renderer: Renderer,
        files: FileSource,
    ) -> None:
        self._uow_factory = uow_factory
        self.sender = sender
        self.renderer = renderer
        self.files = files

    async def deliver(
        self, chat_id: int, template: str, params: dict[str, Any], locale: str
    ) -> int | None:
        """Send the row; the Telegram id of the message it showed (None: nothing to show)."""
        case_id, side = int(params["case_id"]), Side(params["side"])
        if template == return_threads.THREAD_TEMPLATE:
            return await self._open_thread(chat_id, case_id, side, locale)
        message_id = int(params["message_id"])
        edit = template == return_threads.RELAYED_EDIT_TEMPLATE
        return await self._relay(message_id, side, locale, edit=edit)

    # ----- threads -----

    async def _open_thread(self, chat_id: int, case_id: int, side: Side, locale: str) -> int | None:
        async with self._uow_factory() as uow:
            frame = await return_threads.thread_plan(case_id, side, uow)
            thread = await return_threads.current_thread(case_id, side, uow)
        if frame is None:
            return None
        if thread is None:  # not opened yet (a redelivery finds the topic made the first time)
            thread = await self._new_topic(chat_id, frame, locale)
            await self._set_thread(case_id, side, thread)
        try:
            return await self._send_intro(chat_id, frame, side, thread, locale)
        except TelegramBadRequest as error:
            if thread is None or not thread_gone(error.message):
                raise
        await self._set_thread(case_id, side, None)
        return await self._send_intro(chat_id, frame, side, None, locale)

    async def _send_intro(
        self,
        chat_id: int,
        frame: return_threads.CaseFrame,
        side: Side,
        thread: int | None,
        locale: str,
    ) -> int:
        html = self.renderer.render(
            return_threads.THREAD_TEMPLATE, locale, **_frame_params(frame, side, thread)
        )
        sent = await self.sender.send_text(chat_id, html, message_thread_id=thread, bulk=True)
        return sent[0].message_id

    async def _new_topic(
        self, chat_id: int, frame: return_threads.CaseFrame, locale: str
    ) -> int | None:
        """A topic for the case in this chat, or None when Telegram offers or allows none."""
        me = await self.sender.call(GetMe(), chat_id=None, bulk=True)
        if not me.has_topics_enabled:
            return None
        title = self.renderer.render_plain("returns.topic_name", locale, case=frame.number)
        method = CreateForumTopic(chat_id=chat_id, name=topic_name(title, frame.product))
        try:
            topic = await self.sender.call(method, chat_id=chat_id, bulk=True)
        except TelegramBadRequest as error:
            logger.info("no topic for a return case (%s): main chat instead", error.message)
            return None
        except RecipientBlocked as error:
            if "blocked" in error.description.lower():
                raise  # the person blocked the bot: the outbox pauses their chat
            logger.info("topic creation forbidden (%s): main chat instead", error.description)
            return None
        return topic.message_thread_id

    async def _set_thread(self, case_id: int, side: Side, thread: int | None) -> None:
        async with self._uow_factory() as uow:
            await return_threads.set_thread(case_id, side, thread, uow)
            await uow.commit()

    # ----- copies -----

    async def _relay(self, message_id: int, side: Side, locale: str, *, edit: bool) -> int | None:
        async with self._uow_factory() as uow:
            plan = await return_threads.copy_plan(message_id, side, uow)
        if plan is None:
            return None
        if plan.existing_telegram_id is not None:
            if edit:
                await self._edit(plan, locale)
            # A redelivered copy was already sent: sending it again would duplicate it.
            return plan.existing_telegram_id
        thread, reply_to = plan.thread_id, plan.reply_to_telegram_id
        try:
            sent = await self._send_copy(plan, thread, reply_to, locale)
        except TelegramBadRequest as error:
            if thread is None or not thread_gone(error.message):
                raise
            # The user deleted the case's topic: a new one, else the main chat with a header.
            thread = await self._new_topic(plan.chat_id, plan.frame, locale)
            await self._set_thread(plan.frame.case_id, side, thread)
            if thread is not None:
                await self._send_intro(plan.chat_id, plan.frame, side, thread, locale)
            sent = await self._send_copy(plan, thread, None, locale)
        async with self._uow_factory() as uow:
            await return_threads.record_copy(message_id, side, plan.chat_id, sent, thread, uow)
            await uow.commit()
        return sent

    def _render(
        self, plan: return_threads.CopyPlan, thread: int | None, locale: str, *, body: bool
    ) -> str:
        return self.renderer.render(
            return_threads.RELAYED_TEMPLATE,
            locale,
            **_frame_params(plan.frame, plan.to_side, thread),
            text=plan.text if body else None,
            kind=plan.kind.value,
            masked=bool(plan.masked),
            edited=plan.edited,
            withheld=plan.withheld,
        )

    def _caption(
        self, plan: return_threads.CopyPlan, thread: int | None, locale: str
    ) -> tuple[str, bool]:
        """The media's caption, and whether the text had to go in a message of its own
        (header, name and the author's caption together are longer than a caption may be)."""
        full = self._render(plan, thread, locale, body=True)
        if utf16_length(html_to_plain(full)) <= CAPTION_LIMIT or plan.text is None:
            return full, False
        return self._render(plan, thread, locale, body=False), True

    async def _send_copy(
        self, plan: return_threads.CopyPlan, thread: int | None, reply_to: int | None, locale: str
    ) -> int:
        reply = (
            ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
            if reply_to is not None
            else None
        )
        if plan.kind is MessageKind.TEXT or plan.telegram_file_id is None:
            parts = split_html(self._render(plan, thread, locale, body=True))
            first = await self._send_text(plan.chat_id, parts[0], thread, reply)
            for part in parts[1:]:
                await self._send_text(plan.chat_id, part, thread, None)
            return first
        if plan.file_name is not None:
            async with self.files.fetched(plan.telegram_file_id) as path:
                named = FSInputFile(path, filename=plan.file_name)
                return await self._send_media(plan, thread, reply, locale, named)
        return await self._send_media(plan, thread, reply, locale, plan.telegram_file_id)

    async def _send_media(
        self,
        plan: return_threads.CopyPlan,
        thread: int | None,
        reply: ReplyParameters | None,
        locale: str,
        media: str | InputFile,
    ) -> int:
        method_type, field = _MEDIA[plan.kind]
        caption, apart = self._caption(plan, thread, locale)
        method = method_type(
            chat_id=plan.chat_id,
            caption=caption,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread,
            reply_parameters=reply,
            **{field: media},
        )
        sent = await self.sender.call(method, chat_id=plan.chat_id, bulk=True)
        if apart:
            # The text in full, as an answer to the media it belongs with.
            reply_to_media = ReplyParameters(message_id=sent.message_id)
            for part in split_html(self._render(plan, thread, locale, body=True)):
                await self._send_text(plan.chat_id, part, thread, reply_to_media)
        return sent.message_id

    async def _send_text(
        self, chat_id: int, html: str, thread: int | None, reply: ReplyParameters | None
    ) -> int:
        method = SendMessage(
            chat_id=chat_id,
            text=html,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread,
            reply_parameters=reply,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return (await self.sender.call(method, chat_id=chat_id, bulk=True)).message_id

    async def _edit(self, plan: return_threads.CopyPlan, locale: str) -> None:
        assert plan.existing_telegram_id is not None
        thread = plan.existing_thread_id
        method: TelegramMethod[Any]
        if plan.kind is MessageKind.TEXT:
            method = EditMessageText(
                chat_id=plan.chat_id,
                message_id=plan.existing_telegram_id,
                text=split_html(self._render(plan, thread, locale, body=True))[0],
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        else:
            method = EditMessageCaption(
                chat_id=plan.chat_id,
                message_id=plan.existing_telegram_id,
                caption=self._caption(plan, thread, locale)[0],
                parse_mode=ParseMode.HTML,
            )
        try:
            await self.sender.call(method, chat_id=plan.chat_id, bulk=True)
        except TelegramBadRequest as error:
            lowered = error.message.lower()
            # Already as edited (a redelivery), or the reader deleted the copy: nothing to do.
            if "not modified" in lowered or "message to edit not found" in lowered:
                return
            raise


def _frame_params(
    frame: return_threads.CaseFrame, side: Side, thread: int | None
) -> dict[str, Any]:
    return {
        "header": needs_header(thread),
        "case": frame.number,
        "product": frame.product,
        "order_number": frame.order_number,
        "store_name": frame.store_name,
        "recipient": side.value,
    }
