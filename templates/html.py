"""Telegram-HTML helpers: the tags Telegram accepts, and splitting long texts safely."""

from __future__ import annotations

import re
from html.parser import HTMLParser

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
POPUP_LIMIT = 200  # answerCallbackQuery text

# https://core.telegram.org/bots/api#html-style
ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "code", "pre", "blockquote", "tg-emoji",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "span": {"class"},
    "code": {"class"},
    "blockquote": {"expandable"},
    "tg-emoji": {"emoji-id"},
}

_TOKEN = re.compile(r"(<[^>]+>)")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


class _TagCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}> is not allowed")
        for name, _value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {name!r} is not allowed on <{tag}>")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unbalanced </{tag}>")
            return
        self.stack.pop()


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_plain(html: str) -> str:
    """What a reader sees of Telegram HTML, as plain text: tags dropped, entities decoded.

    For the places Telegram shows text as is (pop-up answers to a button press): there,
    "Castilla &amp; León" would be shown with the "&amp;".
    """
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def utf16_length(text: str) -> int:
    """Length as Telegram counts it for its limits (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def telegram_html_problems(text: str) -> list[str]:
    """What in `text` Telegram would refuse to parse (empty list when it is fine)."""
    checker = _TagCheck()
    checker.feed(text)
    checker.close()
    if checker.stack:
        checker.problems.append(f"unclosed tags: {', '.join(checker.stack)}")
    return checker.problems


def visible_length(html: str) -> int:
    """Length Telegram counts: text without tags, entities as one character."""
    return len(_ENTITY.sub("x", _TOKEN.sub("", html)))


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split Telegram HTML into parts of at most `limit` visible characters.

    Cuts prefer paragraph, then line, then word boundaries; tags open at a cut are closed
    at the end of one part and reopened at the start of the next, so each part parses alone.
    """
    if visible_length(text) <= limit:
        return [text]
    parts: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, full opening tag)
    current: list[str] = []
    current_len = 0
    last_break: tuple[int, int, list[tuple[str, str]]] | None = None  # (index, len, tags)

    def close_part(upto: int, tags_at_cut: list[tuple[str, str]]) -> None:
        nonlocal current, current_len
        head = "".join(current[:upto])
        closing = "".join(f"</{name}>" for name, _ in reversed(tags_at_cut))
        parts.append((head + closing).strip())
        reopened = [opening for _, opening in tags_at_cut]
        rest = current[upto:]
        current = reopened + rest
        current_len = visible_length("".join(rest))

    for token in _TOKEN.split(text):
        if not token:
            continue
        if token.startswith("<"):
            name = token.strip("</>").split()[0].lower()
            if token.startswith("</"):
                if open_tags and open_tags[-1][0] == name:
                    open_tags.pop()
            else:
                open_tags.append((name, token))
            current.append(token)
            continue
        # Text: walk it in pieces so an entity (&amp;) is never cut in half.
        for piece in re.findall(r"&[#\w]+;|\s+|[^\s&]+|&", token):
            width = visible_length(piece)
            if current_len + width > limit:
                if last_break is not None and last_break[1] > limit // 2:
                    index, _, tags = last_break
                    close_part(index, tags)
                else:
                    close_part(len(current), list(open_tags))
                last_break = None
                while visible_length(piece) > limit:  # a single huge word
                    parts.append(piece[:limit])
                    piece = piece[limit:]
                width = visible_length(piece)
            current.append(piece)
            current_len += width
            if piece.isspace():
                last_break = (len(current), current_len, list(open_tags))
    tail = "".join(current).strip()
    if tail and visible_length(tail) > 0:
        parts.append(tail)
    return [part for part in parts if part]
