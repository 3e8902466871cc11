"""Replies to the current update, queued during the handler and sent after the commit.

Handlers never call Telegram directly: they queue replies here. The application shell's
unit-of-work middleware sends them through the rate-limited sender once the transaction is
committed, so a reply never announces something that was rolled back, and no transaction waits
on the network. Handlers own this module (and `Button`, `Keyboard`); `bot/` imports it from
here, never the other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVideo,
    TelegramMethod,
)
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyKeyboardRemove,
)

from handlers import button_stamps
from templates import Renderer
from templates.html import CAPTION_LIMIT, POPUP_LIMIT, split_html, utf16_length

T = TypeVar("T")

# The pop-up shown when the whole answer went to the chat instead.
DETAILS_IN_CHAT = "common.details_in_chat"
# How Telegram refuses an edit that would leave the message as it is (a double press).
NOT_MODIFIED = "message is not modified"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Button:
    """An inline button: a label key (translated) or a ready text, and callback data or a URL."""

    label: str | None = None
    callback: CallbackData | str | None = None
    url: str | None = None
    text: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


Keyboard = Sequence[Sequence[Button]]


class MethodSender(Protocol):
    """What `flush` needs: the application's rate-limited sender (`notifications.sender`)."""

    async def call(self, method: TelegramMethod[T], *, chat_id: int | None) -> T:
        """Send one Bot API request within the rate limits of `chat_id`."""


@dataclass
class _Outgoing:
    method: TelegramMethod[Any]
    chat_id: int | None
    # An edit in place of a message: what is sent instead if the message cannot be edited.
    instead: _Outgoing | None = None


@dataclass(eq=False)
class Responder:
    """Collects what the bot answers to one update, in the user's language."""

    renderer: Renderer
    locale: str
    chat_id: int | None
    thread_id: int | None = None
    # The conversation engine's stamp for the buttons queued now (`handlers.button_stamps`),
    # and the stamps on a button queued (or sent) for this update.
    button_stamp: str | None = None
    stamps_drawn: set[str] = field(default_factory=set, init=False, repr=False)
    _queue: list[_Outgoing] = field(default_factory=list, init=False, repr=False)
    _callback_answered: bool = field(default=False, init=False, repr=False)

    # ----- building blocks -----
    def text(self, template: str, /, **params: Any) -> str:
        return self.renderer.render(template, self.locale, **params)

    def label(self, key: str, /, **params: Any) -> str:
        return self.renderer.label(key, self.locale, **params)

    def inline_keyboard(self, keyboard: Keyboard) -> InlineKeyboardMarkup:
        rows = []
        # A row left empty (a list's paging on its only page) is no row: not sent at all.
        for row in filter(None, keyboard):
            buttons = []
            for button in row:
                text = button.text if button.text is not None else ""
                if button.label is not None:
                    text = self.label(button.label, **button.params)
                callback = button.callback
                callback = callback.pack() if isinstance(callback, CallbackData) else callback
                if callback is not None and self.button_stamp is not None:
                    callback = button_stamps.stamped(callback, self.button_stamp)
                    self.stamps_drawn.add(self.button_stamp)
                buttons.append(
                    InlineKeyboardButton(text=text, callback_data=callback, url=button.url)
                )
            rows.append(buttons)
        return InlineKeyboardMarkup(inline_keyboard=rows)

    # ----- queueing -----
    def reply(
        self,
        template: str,
        /,
        *,
        keyboard: Keyboard | None = None,
        remove_reply_keyboard: bool = False,
        chat_id: int | None = None,
        **params: Any,
    ) -> None:
        """Queue a message rendered from `template` (split if longer than Telegram allows)."""
        markup: InlineKeyboardMarkup | ReplyKeyboardRemove | None = None
        if keyboard is not None and any(keyboard):
            markup = self.inline_keyboard(keyboard)
        elif remove_reply_keyboard:
            markup = ReplyKeyboardRemove()
        self.reply_html(self.text(template, **params), markup=markup, chat_id=chat_id)

    def reply_html(
        self,
        html: str,
        *,
        markup: InlineKeyboardMarkup | ReplyKeyboardRemove | None = None,
        chat_id: int | None = None,
    ) -> None:
        target = chat_id if chat_id is not None else self.chat_id
        if target is None:
            return
        parts = split_html(html)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            self._queue.append(
                _Outgoing(
                    SendMessage(
                        chat_id=target,
                        text=part,
                        parse_mode="HTML",
                        message_thread_id=self.thread_id if target == self.chat_id else None,
                        reply_markup=markup if last else None,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    ),
                    target,
                )
            )

    def edit(
        self,
        message_id: int,
        template: str,
        /,
        *,
        keyboard: Keyboard | None = None,
        **params: Any,
    ) -> None:
        """Replace the text (and buttons) of an earlier bot message, e.g. after a button press."""
        if self.chat_id is None:
            return
        html = split_html(self.text(template, **params))[0]
        markup = self.inline_keyboard(keyboard) if keyboard else None
        self._queue.append(_Outgoing(self._edit_of(message_id, html, markup), None))

    def _edit_of(
        self, message_id: int, html: str, markup: InlineKeyboardMarkup | None
    ) -> EditMessageText:
        return EditMessageText(
            chat_id=self.chat_id,
            message_id=message_id,
            text=html,
            parse_mode="HTML",
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    @contextmanager
    def in_place_of(self, message_id: int | None) -> Iterator[None]:
        """Make the one message queued inside the block an edit of `message_id`, the message
        whose button was pressed (a multi-select asked again after a toggle), instead of a new
        message. It stays new without a pressed message, or when an edit cannot carry it: a
        text split in parts, a file, a keyboard that is not inline. If Telegram refuses the
        edit (the message is gone), `flush` sends it as new after all."""
        before = {id(item) for item in self._queue}
        yield
        added = [
            index
            for index, item in enumerate(self._queue)
            if id(item) not in before and not isinstance(item.method, AnswerCallbackQuery)
        ]
        if message_id is None or len(added) != 1:
            return
        item = self._queue[added[0]]
        sent = item.method
        if (
            not isinstance(sent, SendMessage)
            or item.chat_id != self.chat_id
            or not isinstance(sent.reply_markup, InlineKeyboardMarkup | None)
        ):
            return
        edit = self._edit_of(message_id, sent.text, sent.reply_markup)
        self._queue[added[0]] = _Outgoing(edit, None, instead=item)

    def remove_buttons(self, message_id: int) -> None:
        if self.chat_id is None:
            return
        self._queue.append(
            _Outgoing(EditMessageReplyMarkup(chat_id=self.chat_id, message_id=message_id), None)
        )

    def remove_pressed_buttons(self, query: CallbackQuery) -> None:
        """Take the buttons off the message whose button was just pressed, so what it offered is
        not offered twice (a press on an inline-mode message comes without the message)."""
        if query.message is not None:
            self.remove_buttons(query.message.message_id)

    def answer_callback(
        self,
        callback_query_id: str,
        template: str | None = None,
        /,
        *,
        alert: bool = False,
        **params: Any,
    ) -> None:
        """Stop the button's spinner; optionally show a notice.

        Telegram shows a pop-up's text as is (no HTML) and takes at most 200 characters, so
        the template is rendered as plain text. A notice that does not fit (a long name, several
        reasons) is never cut: it goes to the chat in full, and the pop-up points there.
        """
        text = None
        if template:
            text = self.renderer.render_plain(template, self.locale, **params)
            if utf16_length(text) > POPUP_LIMIT:
                self.reply(template, **params)
                text = self.renderer.render_plain(DETAILS_IN_CHAT, self.locale)
                alert = False
        self._queue.insert(
            0,
            _Outgoing(
                AnswerCallbackQuery(
                    callback_query_id=callback_query_id, text=text, show_alert=alert
                ),
                None,
            ),
        )
        self._callback_answered = True

    @property
    def callback_answered(self) -> bool:
        return self._callback_answered

    def document(
        self, filename: str, content: bytes, template: str | None = None, /, **params: Any
    ) -> None:
        if self.chat_id is None:
            return
        caption = split_html(self.text(template, **params), CAPTION_LIMIT)[0] if template else None
        self._queue.append(
            _Outgoing(
                SendDocument(
                    chat_id=self.chat_id,
                    document=BufferedInputFile(content, filename=filename),
                    caption=caption,
                    parse_mode="HTML" if caption else None,
                    message_thread_id=self.thread_id,
                ),
                self.chat_id,
            )
        )

    def resend_file(
        self, file_id: str, *, is_photo: bool, caption: str | None = None, is_video: bool = False
    ) -> None:
        """Send a file Telegram already holds (by file id): a document for a reviewer, a case's
        photos and videos."""
        if self.chat_id is None:
            return
        common: dict[str, Any] = {"chat_id": self.chat_id, "caption": caption}
        common.update(parse_mode="HTML", message_thread_id=self.thread_id)
        method: TelegramMethod[Any]
        if is_photo:
            method = SendPhoto(photo=file_id, **common)
        elif is_video:
            method = SendVideo(video=file_id, **common)
        else:
            method = SendDocument(document=file_id, **common)
        self._queue.append(_Outgoing(method, self.chat_id))

    def discard(self) -> None:
        """Forget queued replies (the handler failed; its answers must not go out)."""
        self._queue = []
        self._callback_answered = False
        self.stamps_drawn = set()

    @property
    def pending(self) -> list[TelegramMethod[Any]]:
        return [item.method for item in self._queue]

    async def flush(self, sender: MethodSender) -> None:
        """Send everything queued, in order. Called after the commit.

        A call Telegram refuses as a bad request (a double tap's "message is not modified",
        a message already deleted, a callback query too old to answer) is skipped: the
        replies queued after it, often the one the user is waiting for, still go out. An edit
        in place of a message that cannot be edited is sent as a new message instead; one
        that changes nothing (the message already shows it) is left at that.
        """
        queue, self._queue = self._queue, []
        for item in queue:
            refusal = await _send(sender, item)
            if item.instead is not None and refusal is not None and NOT_MODIFIED not in refusal:
                await _send(sender, item.instead)


async def _send(sender: MethodSender, item: _Outgoing) -> str | None:
    """Send `item`; Telegram's description when it refuses it as a bad request."""
    try:
        await sender.call(item.method, chat_id=item.chat_id)
    except TelegramBadRequest as error:
        # Telegram's description may quote the chat; the method and kind suffice.
        log.warning(
            "%s refused, went on with the next reply: %s",
            item.method.__api_method__,
            type(error).__name__,
        )
        return error.message
    return None
