"""What a message carries, checked as Telegram checks it: shared by sending and editing.

``formatted`` parses a text or caption per ``parse_mode`` (Telegram HTML strictly, see
``sandbox.emulator.telegram_html``) and applies the length limits, and ``text_fields`` /
``caption_fields`` give a message's fields from them; ``reply_markup`` decodes and checks inline
and reply keyboards (``markup_fields``: as message fields); ``reply_target`` finds the message a
send replies to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sandbox.emulator.chats import Chat
from sandbox.emulator.params import bool_param, int_param, json_param
from sandbox.emulator.records import BotApiError, InlineButton
from sandbox.emulator.telegram_html import HtmlParseError, parse_telegram_html, utf16_len

__all__ = [
    "CAPTION_LIMIT",
    "TEXT_LIMIT",
    "caption_fields",
    "formatted",
    "markup_fields",
    "reply_markup",
    "reply_target",
    "text_fields",
]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def formatted(
    text: str, params: Mapping[str, Any], entities_param: str, *, caption: bool
) -> tuple[str, list[dict[str, Any]]]:
    """Parse text/caption per parse_mode and enforce Telegram's length limits."""
    parse_mode = params.get("parse_mode")
    entities: list[dict[str, Any]] = []
    if parse_mode is None or parse_mode == "":
        plain = text
        decoded = json_param(params, entities_param)
        if isinstance(decoded, list):
            entities = decoded
    elif str(parse_mode).lower() == "html":
        try:
            plain, entities = parse_telegram_html(text)
        except HtmlParseError as error:
            raise BotApiError(400, f"Bad Request: can't parse entities: {error}") from None
    elif str(parse_mode).lower() in ("markdown", "markdownv2"):
        # Markdown is not validated: the bot is expected to use HTML.
        plain = text
    else:
        raise BotApiError(400, "Bad Request: unsupported parse_mode")
    if caption:
        if utf16_len(plain) > CAPTION_LIMIT:
            raise BotApiError(400, "Bad Request: message caption is too long")
    else:
        if not plain.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > TEXT_LIMIT:
            raise BotApiError(400, "Bad Request: message is too long")
    return plain, entities


def text_fields(params: Mapping[str, Any]) -> dict[str, Any]:
    """A message's text as sent, its parse mode, and the plain text and entities it renders to."""
    text = str(params["text"])
    return _content("text", text, params, *formatted(text, params, "entities", caption=False))


def caption_fields(params: Mapping[str, Any]) -> dict[str, Any]:
    """The same for a caption, which may be absent."""
    caption = params.get("caption")
    if caption is None:
        return _content("caption", None, params, None, [])
    rendered = formatted(str(caption), params, "caption_entities", caption=True)
    return _content("caption", caption, params, *rendered)


def _content(
    field: str, value: Any, params: Mapping[str, Any], plain: str | None, entities: list[Any]
) -> dict[str, Any]:
    return {
        field: value,
        "parse_mode": params.get("parse_mode"),
        "plain": plain,
        "entities": entities,
    }


def markup_fields(params: Mapping[str, Any]) -> dict[str, Any]:
    """`reply_markup` as the message fields that keep it."""
    raw, inline, keyboard = reply_markup(params)
    return {"raw_reply_markup": raw, "reply_markup": inline, "reply_keyboard": keyboard}


def reply_markup(
    params: Mapping[str, Any],
) -> tuple[dict[str, Any] | None, list[list[InlineButton]] | None, list[list[str]] | None]:
    """Decode reply_markup into (raw, inline rows, reply keyboard rows) and check buttons."""
    raw = json_param(params, "reply_markup")
    if not isinstance(raw, dict):
        return None, None, None
    inline: list[list[InlineButton]] | None = None
    keyboard: list[list[str]] | None = None
    if "inline_keyboard" in raw:
        inline = [[_inline_button(button) for button in row] for row in raw["inline_keyboard"]]
    elif "keyboard" in raw:
        keyboard = [
            [b if isinstance(b, str) else b["text"] for b in row] for row in raw["keyboard"]
        ]
    return raw, inline, keyboard


def _inline_button(button: dict[str, Any]) -> InlineButton:
    actions = set(button) - {"text", "icon_custom_emoji_id", "style"}
    if not actions:
        raise BotApiError(
            400,
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
        raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not re.match(r"(https?|tg)://\S+$", url):
        raise BotApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid")
    return InlineButton(button["text"], data, url, dict(button))


def reply_target(chat: Chat, params: Mapping[str, Any]) -> int | None:
    """The id of the message a send replies to, if it replies to one that exists."""
    reply = json_param(params, "reply_parameters")
    message_id: int | None = None
    allow_missing = bool_param(params, "allow_sending_without_reply")
    if isinstance(reply, dict):
        message_id = int(reply["message_id"])
        allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
    elif params.get("reply_to_message_id") is not None:
        message_id = int_param(params, "reply_to_message_id")
    if message_id is None:
        return None
    target = chat.messages.get(message_id)
    if target is None or target.deleted:
        if allow_missing:
            return None
        raise BotApiError(400, "Bad Request: message to be replied not found")
    return message_id
