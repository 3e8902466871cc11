"""The rules of buyer links, pure: how long they work, and when someone guesses too much.

A link binds the order to the first Telegram account that opens it; that account may open it
again, nobody else. It stops working 30 days after the parcel is delivered (or returned), and
when the seller issues a new one. Opening a bad or used link is refused; more than
`max_refusals` refusals within `window` from one account block it from opening any link for
`block_for` — enough to make guessing a 192-bit token hopeless and cheap to refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["LINK_TTL_AFTER_DELIVERY", "LinkGuard"]

LINK_TTL_AFTER_DELIVERY = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class LinkGuard:
    max_refusals: int = 10
    window: timedelta = timedelta(minutes=1)
    block_for: timedelta = timedelta(minutes=10)

    @property
    def lookback(self) -> timedelta:
        """How far back refusals matter: a block may have started this long ago."""
        return self.window + self.block_for

    def blocked(self, refusals: Sequence[datetime], now: datetime) -> bool:
        """True when `max_refusals` refusals (oldest first) fell within one `window` that
        ended less than `block_for` ago: the next attempt, the eleventh, is refused."""
        times = sorted(refusals)
        count = self.max_refusals
        if count < 1 or len(times) < count:
            return False
        for index in range(len(times) - count + 1):
            first, last = times[index], times[index + count - 1]
            if last - first <= self.window and now - last < self.block_for:
                return True
        return False
