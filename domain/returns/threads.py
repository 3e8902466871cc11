"""Where a message written about a return case goes, and how a relayed copy is framed.

Each side of a case has one thread: a topic in their private chat with the bot when Telegram
offers topics there (and creating one worked), else the main chat, where every relayed
message carries a short case header and an answer is routed by the message it replies to.

`route` decides, from what the handler saw, which case a message belongs to; the service has
already looked each candidate up for the caller (so a case here is always the caller's).
Plain values, no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

# Telegram's limit on a topic's name.
TOPIC_NAME_MAX = 128
# Errors after which a topic is gone or unusable for this case: send it elsewhere.
_THREAD_GONE = ("message thread not found", "topic_deleted", "topic_closed", "thread not found")


class RouteKind(enum.StrEnum):
    RELAY = "relay"  # store and relay it to the case
    PICK = "pick"  # ask which case (the /case picker), holding the message
    PASS = "pass"  # noqa: S105 (not a password) not about a case: the other handlers take it


@dataclass(frozen=True, slots=True)
class Route:
    kind: RouteKind
    case_id: int | None = None
    # How the case was found: "topic", "reply", "chosen" (the case picked with /case).
    via: str | None = None


@dataclass(frozen=True, slots=True)
class Seen:
    """What the handler saw, each case already checked against the caller.

    `topic_case`: the case whose thread on the caller's side is the topic written in;
    `in_topic`: the message was written in a topic at all; `reply_case`: the case of the
    message it replies to; `chosen_case`: the case chosen with /case (still open, still
    theirs); `fallback_cases`: the caller's open cases without a topic on their side.
    """

    in_topic: bool = False
    topic_case: int | None = None
    reply_case: int | None = None
    chosen_case: int | None = None
    fallback_cases: Sequence[int] = ()
    # A file sent in the main chat: order files and rate cards are sent there too, so a file
    # goes to a case only by its topic or as a reply, never by the chosen case or the picker.
    file_in_main_chat: bool = False


def route(seen: Seen) -> Route:
    """The case a message belongs to, in order of what says it most plainly.

    A case's topic wins; then the message it answers; then the case chosen with /case; a
    message in the main chat of someone with open cases in the main chat and no choice asks
    which one. A topic that is no case's is not about a case (the other handlers answer it).
    """
    if seen.in_topic:
        if seen.topic_case is not None:
            return Route(RouteKind.RELAY, seen.topic_case, "topic")
        return Route(RouteKind.PASS)
    if seen.reply_case is not None:
        return Route(RouteKind.RELAY, seen.reply_case, "reply")
    if seen.file_in_main_chat:
        return Route(RouteKind.PASS)
    if seen.chosen_case is not None:
        return Route(RouteKind.RELAY, seen.chosen_case, "chosen")
    # A reply to a message that is no case's (an order card, or a copy still being recorded)
    # is held for the picker like any other: asking costs a tap, guessing could misroute.
    if seen.fallback_cases:
        return Route(RouteKind.PICK)
    return Route(RouteKind.PASS)


def needs_header(thread_id: int | None) -> bool:
    """A copy outside a case's topic says which case it is about."""
    return thread_id is None


def thread_gone(description: str) -> bool:
    """Telegram says the topic is no longer there (deleted by the user, or closed)."""
    lowered = description.lower()
    return any(marker in lowered for marker in _THREAD_GONE)


def topic_name(title: str, product: str) -> str:
    """ "Return R-1042 · <product>", the product shortened to fit Telegram's 128 characters."""
    name = f"{title} · {product}".strip()
    if len(name) <= TOPIC_NAME_MAX:
        return name
    return name[: TOPIC_NAME_MAX - 1].rstrip() + "…"


def parse_case_number(raw: str) -> int | None:
    """A case as people name it: "R-1042", "r1042", "#1042" or "1042"; None if it is not one."""
    cleaned = raw.strip().upper().removeprefix("#").removeprefix("R").lstrip("-# ")
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 18:
        return None
    number = int(cleaned)
    return number if number > 0 else None
