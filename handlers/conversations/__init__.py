"""The conversation engine (`engine`): conversations declared as data on one set of handlers."""

from __future__ import annotations

from handlers.conversations.engine import (
    Controls,
    Conversation,
    Expect,
    Move,
    Press,
    Step,
    Turn,
    resume,
)

__all__ = ["Controls", "Conversation", "Expect", "Move", "Press", "Step", "Turn", "resume"]
