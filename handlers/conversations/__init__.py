"""The conversation engine: conversations declared as data (`engine`) on one set of handlers
(`routing`)."""

from __future__ import annotations

from handlers.conversations.controls import Controls, Expect, Move
from handlers.conversations.engine import Conversation, Press, Step, Turn
from handlers.conversations.forms import FormControls
from handlers.conversations.routing import (
    conversation_router,
    entry,
    expecting_text,
    refuse_if_stale,
    register,
    resume,
    text_answer_router,
)

__all__ = [
    "Controls",
    "Conversation",
    "Expect",
    "FormControls",
    "Move",
    "Press",
    "Step",
    "Turn",
    "conversation_router",
    "entry",
    "expecting_text",
    "refuse_if_stale",
    "register",
    "resume",
    "text_answer_router",
]
