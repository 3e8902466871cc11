"""The sandbox's clock: real time plus an offset that only grows, kept across restarts.

Fast-forwarding lets a person see a deadline pass or a reminder fire without waiting. The
offset is saved next to the database, so a restarted sandbox never travels back before data it
wrote in its own future.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from domain.clock import Clock, utcnow

__all__ = ["SandboxClock"]


class SandboxClock:
    """Real time plus an offset that only grows: the sandbox can jump ahead, never back."""

    def __init__(self, now: Clock = utcnow) -> None:
        self._now = now
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self._now() + self.offset

    def advance(self, delta: timedelta) -> None:
        if delta <= timedelta(0):
            raise ValueError("the clock only moves forward")
        self.offset += delta

    def reset(self) -> None:
        self.offset = timedelta(0)

    def load(self, path: Path) -> None:
        """Take the offset saved at ``path`` (none, or an unreadable file: no offset)."""
        try:
            seconds = float(json.loads(path.read_text())["offset_seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            seconds = 0.0
        self.offset = timedelta(seconds=max(seconds, 0.0))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"offset_seconds": self.offset.total_seconds()}))
