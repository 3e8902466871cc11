"""The tracking provider port: what the poller and the handlers may ask of 17TRACK or the simulator.

Every method takes and returns the domain's provider-neutral types (`domain.tracking`), takes
batches of any size (an implementation splits them to its own limit), and answers per number:
a number the provider refuses is a `Rejection` in the outcome, never an exception. Exceptions
are for the call as a whole:

- `ProviderUnavailable`: time-outs, 5xx, connection errors after bounded retries. Transient; a
  provider-wide circuit breaker counts these. `RateLimited` is one (429s beyond the retries).
- `ProviderAuthError`: the key is wrong or the account disabled. Operators must act.
- `QuotaExhausted`: registering would need quota the account no longer has (`daily` when only
  today's limit is reached). It carries what was done before the quota ran out.
- `ProviderRequestError`: the provider refused the request itself (our bug, not the number's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from domain.tracking import BatchOutcome, FetchOutcome, Quota, TrackedNumber

__all__ = [
    "ProviderAuthError",
    "ProviderRequestError",
    "ProviderUnavailable",
    "QuotaExhausted",
    "RateLimited",
    "TrackingProvider",
    "TrackingProviderError",
]


class TrackingProviderError(Exception):
    """A tracking provider call failed as a whole. Messages never contain the API key."""


class ProviderUnavailable(TrackingProviderError):
    """Transient: the provider timed out, failed (5xx) or could not be reached."""


class RateLimited(ProviderUnavailable):
    """The provider kept answering 429 after the bounded retries."""


class ProviderAuthError(TrackingProviderError):
    """The provider refused our credentials (wrong key, IP not allowed, account disabled)."""


class ProviderRequestError(TrackingProviderError):
    """The provider refused the request's shape (too many numbers, invalid body)."""


class QuotaExhausted(TrackingProviderError):
    """No registration quota left; `outcome` holds what was done, `not_attempted` the rest."""

    def __init__(
        self,
        message: str,
        *,
        outcome: BatchOutcome | None = None,
        not_attempted: Sequence[TrackedNumber] = (),
        daily: bool = False,
    ) -> None:
        super().__init__(message)
        self.outcome = outcome if outcome is not None else BatchOutcome()
        self.not_attempted = tuple(not_attempted)
        self.daily = daily


@runtime_checkable
class TrackingProvider(Protocol):
    """A source of tracking data: 17TRACK (`SeventeenTrackClient`) or `SimulatedProvider`."""

    @property
    def name(self) -> str:
        """A short name for logs and metrics (``"17track"``, ``"simulated"``)."""
        ...

    async def register(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        """Start tracking `numbers` (carrier auto-detected where none is given)."""
        ...

    async def fetch(self, numbers: Sequence[TrackedNumber]) -> FetchOutcome:
        """The current status, events and estimate of each number."""
        ...

    async def stop(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        """Stop tracking (after delivery: it saves the provider's effort and our quota)."""
        ...

    async def retrack(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        """Resume tracking stopped numbers (17TRACK allows this once per number)."""
        ...

    async def change_carrier(self, number: TrackedNumber, new_carrier: str) -> BatchOutcome:
        """Track `number` with `new_carrier` instead of the detected or given one."""
        ...

    async def quota(self) -> Quota:
        """The account's registration quota."""
        ...

    async def close(self) -> None:
        """Release connections; the provider is not used afterwards."""
        ...
