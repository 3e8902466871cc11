"""Numbers of replaced parcels (a corrected return number, an outbound parcel sent again)
that the tracking provider should stop following."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from domain.model import NumberToStop, Order, Shipment
from domain.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class WaitingNumber:
    id: int
    tracking_number: str
    provider_carrier: str | None


class NumbersToStopRepository(Repository):
    def add(self, tracking_number: str, provider_carrier: str | None, now: datetime) -> None:
        self.session.add(
            NumberToStop(
                tracking_number=tracking_number, provider_carrier=provider_carrier, since=now
            )
        )

    async def add_followed_for_seller(self, seller_id: int, now: datetime) -> None:
        """Every number of the seller's parcels (outbound and return) the provider follows:
        their shipments are about to be deleted, so nothing else would ever stop them."""
        followed = (
            select(Shipment.tracking_number, Shipment.provider_carrier)
            .join(Order, Order.id == Shipment.order_id)
            .where(
                Order.seller_id == seller_id,
                Shipment.tracking_number.is_not(None),
                Shipment.registered_at.is_not(None),
                Shipment.tracking_stopped_at.is_(None),
                # A replaced parcel's number was queued here when it was replaced.
                Shipment.replaced_at.is_(None),
            )
        )
        for number, carrier in await self.session.execute(followed):
            self.add(number, carrier, now)

    async def oldest(self, limit: int) -> list[WaitingNumber]:
        """Plain values: the poller calls the provider after this transaction ended."""
        query = (
            select(NumberToStop.id, NumberToStop.tracking_number, NumberToStop.provider_carrier)
            .order_by(NumberToStop.id)
            .limit(limit)
        )
        return [WaitingNumber(*row) for row in await self.session.execute(query)]

    async def still_followed(self, numbers: Iterable[str]) -> set[str]:
        """Those of `numbers` a shipment of ours still has (the same number entered again, or
        another parcel's): the provider must go on following them. A replaced parcel keeps its
        number as history and does not count: its number is here to be stopped."""
        query = select(Shipment.tracking_number).where(
            Shipment.tracking_number.in_(set(numbers)), Shipment.replaced_at.is_(None)
        )
        return {number for number in (await self.session.execute(query)).scalars() if number}

    async def remove(self, ids: Sequence[int]) -> None:
        if ids:
            await self.session.execute(delete(NumberToStop).where(NumberToStop.id.in_(ids)))
