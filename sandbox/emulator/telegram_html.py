"""Telegram HTML, parsed as Telegram parses it: plain text plus MessageEntity dicts.

The emulator checks every text and caption the bot sends with ``parse_mode=HTML`` through
``parse_telegram_html``, so a stray ``<``, an unsupported tag or an unbalanced one is the 400
"can't parse entities" Telegram would answer, not a message that looked fine in a test.
Offsets and lengths are in UTF-16 code units (``utf16_len``), as in the Bot API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["HtmlParseError", "parse_telegram_html", "utf16_len"]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML (Telegram answers "can't parse entities")."""


_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*)"
    r"\s*>"
)
_ATTR_RE = re.compile(
    r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?"
)
_CHAR_REF_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#[xX][0-9a-fA-F]+);")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_SUPPORTED_TAGS = frozenset({*_SIMPLE_TAGS, "span", "a", "blockquote", "tg-emoji"})


@dataclass(slots=True)
class _OpenTag:
    name: str
    attrs: dict[str, str]
    offset: int
    language: str | None = None


def parse_telegram_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into plain text and MessageEntity dicts.

    Raises HtmlParseError with a Telegram-like message for unsupported tags, unbalanced tags,
    stray ``<`` and missing mandatory attributes.
    """
    out: list[str] = []
    offset = 0  # UTF-16 offset into the plain text produced so far
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i = 0

    def byte_offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    while i < len(text):
        ch = text[i]
        if ch == "<":
            match = _TAG_RE.match(text, i)
            if match is None:
                raise HtmlParseError(
                    f'Unsupported start tag "" at byte offset {byte_offset(i)}; '
                    "escape '<' as &lt;"
                )
            closing, name = match.group(1) == "/", match.group(2).lower()
            if closing:
                if not stack:
                    raise HtmlParseError(f"Unexpected end tag at byte offset {byte_offset(i)}")
                top = stack.pop()
                if top.name != name:
                    raise HtmlParseError(
                        f"Unmatched end tag at byte offset {byte_offset(i)}, "
                        f'expected "</{top.name}>", found "</{name}>"'
                    )
                entity = _entity_for(top, offset, stack)
                if entity is not None and entity["length"] > 0:
                    entities.append(entity)
            else:
                if name not in _SUPPORTED_TAGS:
                    raise HtmlParseError(
                        f'Unsupported start tag "{name}" at byte offset {byte_offset(i)}'
                    )
                attrs = {
                    m.group(1).lower(): next((g for g in m.group(2, 3, 4) if g is not None), "")
                    for m in _ATTR_RE.finditer(match.group(3))
                }
                attrs = {k: _unescape(v) for k, v in attrs.items()}
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise HtmlParseError(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(i)}'
                    )
                if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
                    raise HtmlParseError(
                        "Custom emoji entity must contain a valid custom emoji identifier"
                    )
                stack.append(_OpenTag(name, attrs, offset))
            i = match.end()
            continue
        if ch == "&":
            ref = _CHAR_REF_RE.match(text, i)
            if ref is not None:
                decoded = _unescape(ref.group(0))
                out.append(decoded)
                offset += utf16_len(decoded)
                i = ref.end()
                continue
        # Anything else, including a bare '>' (Telegram tolerates it), is literal text.
        out.append(ch)
        offset += utf16_len(ch)
        i += 1
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _unescape(value: str) -> str:
    def repl(m: re.Match[str]) -> str:
        body = m.group(1)
        if body in _NAMED_REFS:
            return _NAMED_REFS[body]
        number = int(body[2:], 16) if body[1:2] in "xX" and len(body) > 1 else int(body[1:])
        return chr(number)

    return _CHAR_REF_RE.sub(repl, value)


def _entity_for(tag: _OpenTag, end: int, stack: list[_OpenTag]) -> dict[str, Any] | None:
    """MessageEntity for a closed tag (None when it only annotates its parent)."""
    base: dict[str, Any] = {"offset": tag.offset, "length": end - tag.offset}
    if tag.name == "code" and stack and stack[-1].name == "pre":
        # <pre><code class="language-x"> gives the pre block a language, not a separate entity.
        cls = tag.attrs.get("class", "")
        if cls.startswith("language-"):
            stack[-1].language = cls.removeprefix("language-")
        return None
    if tag.name == "pre":
        return {"type": "pre", **base, **({"language": tag.language} if tag.language else {})}
    if tag.name in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[tag.name], **base}
    if tag.name == "span":
        return {"type": "spoiler", **base}
    if tag.name == "blockquote":
        kind = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
        return {"type": kind, **base}
    if tag.name == "tg-emoji":
        return {"type": "custom_emoji", **base, "custom_emoji_id": tag.attrs["emoji-id"]}
    if tag.name == "a":
        href = tag.attrs.get("href")
        if not href:
            return None
        if href.startswith("tg://user?id="):
            user_id = href.removeprefix("tg://user?id=")
            if user_id.isdigit():
                user = {"id": int(user_id), "is_bot": False, "first_name": ""}
                return {"type": "text_mention", **base, "user": user}
        return {"type": "text_link", **base, "url": href}
    return None
