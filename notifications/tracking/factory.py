"""Build the configured tracking provider (the settings' ``tracking_provider``).

Kept apart from `provider` so the port does not import its implementations.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp

from domain.clock import Clock, utcnow
from notifications.tracking.provider import TrackingProvider
from notifications.tracking.seventeen_track import DEFAULT_BASE_URL, SeventeenTrackClient
from notifications.tracking.simulated import SimulatedProvider

__all__ = ["make_tracking_provider"]


def make_tracking_provider(
    kind: str,
    *,
    api_key: str | None = None,
    clock: Clock = utcnow,
    seed: int | str = 0,
    session: aiohttp.ClientSession | None = None,
    base_url: str = DEFAULT_BASE_URL,
    call_log: Path | None = None,
) -> TrackingProvider:
    """``"17track"`` (needs `api_key`) or ``"simulated"`` (driven by `clock`; `call_log`: the
    file its calls are appended to, if any)."""
    if kind == "17track":
        if not api_key:
            raise ValueError("tracking provider 17track needs TRACKING_API_KEY")
        return SeventeenTrackClient(api_key, base_url=base_url, session=session)
    if kind == "simulated":
        return SimulatedProvider(clock=clock, seed=seed, call_log=call_log)
    raise ValueError(f"unknown tracking provider {kind!r} (17track or simulated)")
