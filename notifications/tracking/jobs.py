"""The tracking pipeline's scheduler jobs and rules, built from the settings.

Kept apart from the composition root so the root stays a list of parts: the poller's tick
(registration, polls, stops, silent-parcel alerts), the sellers' daily digests, and the pruning
of refused buyer-link attempts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any, Protocol

from domain.logistics import ShippingMethod
from domain.services import buyers, shipments, tracking
from domain.tracking import PollPolicy, StaleRules
from domain.unit_of_work import UnitOfWork
from notifications.tracking.poller import TrackingPoller

__all__ = ["Job", "TrackingSettings", "tracking_jobs", "tracking_rules"]


class TrackingSettings(Protocol):
    """What the pipeline reads from the settings (bot.settings.Settings has it)."""

    tracking_provider: str
    tracking_poll_seconds: int
    tracking_stale_days_express: int
    tracking_stale_days_land: int
    tracking_stale_days_sea: int


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    every_seconds: float
    function: Callable[[], Awaitable[Any]]


def tracking_rules(settings: TrackingSettings) -> tracking.TrackingRules:
    """Push first with 17TRACK (polls only catch up); the simulator is polled."""
    policy = PollPolicy.push_fallback() if settings.tracking_provider == "17track" else PollPolicy()
    stale = StaleRules(
        stale_after=MappingProxyType(
            {
                ShippingMethod.EXPRESS: timedelta(days=settings.tracking_stale_days_express),
                ShippingMethod.LAND: timedelta(days=settings.tracking_stale_days_land),
                ShippingMethod.SEA: timedelta(days=settings.tracking_stale_days_sea),
            }
        )
    )
    return tracking.TrackingRules(poll_policy=policy, stale_rules=stale)


def tracking_jobs(
    poller: TrackingPoller,
    uow_factory: Callable[[], UnitOfWork],
    settings: TrackingSettings,
) -> list[Job]:
    async def digests() -> int:
        async with uow_factory() as uow:
            queued = await shipments.queue_digests(uow)
            await uow.commit()
        return queued

    async def prune_refusals() -> int:
        async with uow_factory() as uow:
            pruned = await buyers.prune_link_refusals(uow)
            await uow.commit()
        return pruned

    return [
        Job("tracking_tick", float(settings.tracking_poll_seconds), poller.tick),
        Job("tracking_digests", 3600.0, digests),
        Job("buyer_link_refusals", 3600.0, prune_refusals),
    ]
