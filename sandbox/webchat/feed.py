"""What the page hears: a full snapshot when it connects, then each change as a small event.

The emulator's events (``EmulatorEvent``) are about chats by id; the page thinks in personas.
``page_event`` turns one into what the page needs (a new or edited message, a deletion, the
topics, a button's answer, "typing…"), and ``PageFeed`` hands every event to each open page.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sandbox.emulator import BotApiEmulator, EmulatorEvent
from sandbox.webchat.personas import Persona

__all__ = ["PageEvent", "PageFeed", "open_topics", "page_event"]

PageEvent = dict[str, Any]


class PageFeed:
    """The event queues of the open pages; ``None`` in a queue ends that page's stream."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[PageEvent | None]] = set()

    def subscribe(self, snapshot: PageEvent) -> asyncio.Queue[PageEvent | None]:
        """A queue that starts with ``snapshot``, then receives every change."""
        queue: asyncio.Queue[PageEvent | None] = asyncio.Queue()
        queue.put_nowait(snapshot)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[PageEvent | None]) -> None:
        self._queues.discard(queue)

    def publish(self, event: PageEvent) -> None:
        for queue in list(self._queues):
            queue.put_nowait(event)

    def close(self) -> None:
        """End every stream (the server is going down)."""
        for queue in list(self._queues):
            queue.put_nowait(None)


def open_topics(emulator: BotApiEmulator | None, persona: Persona) -> list[dict[str, Any]]:
    """The persona's chat's topics that are not deleted, as the page lists them."""
    if emulator is None:
        return []
    return [
        {"message_thread_id": t.message_thread_id, "name": t.name, "closed": t.closed}
        for t in emulator.topics(persona.user_id)
        if not t.deleted
    ]


def page_event(
    event: EmulatorEvent, persona: Persona, emulator: BotApiEmulator | None
) -> PageEvent | None:
    """The page's event for a change in the persona's chat, or None if the page ignores it."""
    base = {"persona": persona.key}
    if event.kind in ("message", "edit"):
        return {"type": event.kind, **base, "message": event.data}
    if event.kind == "pin" and event.message_id is not None and emulator is not None:
        message = emulator.message(persona.user_id, event.message_id)
        return {"type": "edit", **base, "message": message.to_dict()}
    if event.kind == "delete":
        return {"type": "delete", **base, "message_id": event.message_id}
    if event.kind == "topic":
        return {"type": "topics", **base, "topics": open_topics(emulator, persona)}
    if event.kind == "callback_answer":
        return {
            "type": "callback_answer",
            **base,
            "message_id": event.message_id,
            "text": event.data.get("text"),
            "show_alert": bool(event.data.get("show_alert")),
        }
    if event.kind == "chat_action":
        return {"type": "chat_action", **base, "action": event.data.get("action")}
    return None
