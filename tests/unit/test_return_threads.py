"""Which case a message in a return thread belongs to, and how copies and topics are framed."""

from __future__ import annotations

import pytest

from domain.returns.threads import (
    TOPIC_NAME_MAX,
    Route,
    RouteKind,
    Seen,
    needs_header,
    parse_case_number,
    route,
    thread_gone,
    topic_name,
)


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        # The case's own topic says it all, whatever else the message does.
        (Seen(in_topic=True, topic_case=7, reply_case=8, chosen_case=9),
         Route(RouteKind.RELAY, 7, "topic")),
        # A topic that is no case's (or not the caller's) is not about a case.
        (Seen(in_topic=True, topic_case=None, chosen_case=9, fallback_cases=[9]),
         Route(RouteKind.PASS)),
        # In the main chat, the message it answers decides before the chosen case.
        (Seen(reply_case=8, chosen_case=9, fallback_cases=[8, 9]),
         Route(RouteKind.RELAY, 8, "reply")),
        (Seen(chosen_case=9, fallback_cases=[8, 9]), Route(RouteKind.RELAY, 9, "chosen")),
        # A reply to something that is no case of theirs, with a case chosen: the chosen one.
        (Seen(reply_case=None, chosen_case=9), Route(RouteKind.RELAY, 9, "chosen")),
        # Nothing says which case (no reply, or a reply to no case of theirs: an order card, a
        # copy not recorded yet) and there are cases without a topic: ask.
        (Seen(fallback_cases=[8, 9]), Route(RouteKind.PICK)),
        (Seen(fallback_cases=[8]), Route(RouteKind.PICK)),
        # A file in the main chat (an order file?) goes to a case only as a reply.
        (Seen(reply_case=8, file_in_main_chat=True), Route(RouteKind.RELAY, 8, "reply")),
        (Seen(chosen_case=9, fallback_cases=[9], file_in_main_chat=True), Route(RouteKind.PASS)),
        # Nobody with open cases in the main chat: the other handlers answer.
        (Seen(), Route(RouteKind.PASS)),
    ],
)  # fmt: skip
def test_route(seen: Seen, expected: Route) -> None:
    assert route(seen) == expected


def test_a_copy_outside_a_topic_carries_the_case_header() -> None:
    assert needs_header(None) is True
    assert needs_header(12) is False


@pytest.mark.parametrize(
    ("description", "gone"),
    [
        ("Bad Request: message thread not found", True),
        ("Bad Request: TOPIC_DELETED", True),
        ("Bad Request: TOPIC_CLOSED", True),
        ("Bad Request: message to be replied not found", False),
        ("Bad Request: chat not found", False),
    ],
)
def test_thread_gone(description: str, gone: bool) -> None:
    assert thread_gone(description) is gone


def test_topic_names_fit_telegram() -> None:
    assert topic_name("Return R-1042", "Mug") == "Return R-1042 · Mug"
    long = topic_name("Return R-1042", "x" * 300)
    assert len(long) == TOPIC_NAME_MAX and long.startswith("Return R-1042 · x") and long[-1] == "…"


@pytest.mark.parametrize(
    ("raw", "case_id"),
    [
        ("R-1042", 1042),
        ("r1042", 1042),
        ("#1042", 1042),
        (" 1042 ", 1042),
        ("R-0", None),
        ("R-", None),
        ("1042abc", None),
        ("١٠٤٢", None),  # other scripts' digits are not case numbers
        ("9" * 19, None),
    ],
)
def test_parse_case_number(raw: str, case_id: int | None) -> None:
    assert parse_case_number(raw) == case_id
