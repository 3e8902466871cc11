"""What tracking keeps per shipment and per buyer.

- `ShipmentEvent`: every event a provider reported, once per shipment and provider event key
  (a push and a poll reporting the same scan store one row).
- `BuyerSubscription`: the buyer an order's link bound, and how they want to hear about it
  (muted, their time zone for quiet hours, paused while they block the bot).
- `BuyerLinkRefusal`: a bad or already used link someone opened, to slow down guessing.
- `NumberToStop`: a replaced parcel's number the provider should stop following.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.model.base import Base, parent_id, primary_id


class ShipmentEvent(Base):
    """One scan or status change of a shipment's parcel, as its provider reported it."""

    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint("shipment_id", "key"),
        # The timeline: one shipment's events in time order.
        Index("ix_tracking_events_shipment_time", "shipment_id", "time"),
    )

    id: Mapped[int] = primary_id()
    shipment_id: Mapped[int] = parent_id("shipments")
    key: Mapped[str] = mapped_column(String(64))
    time: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(32))
    sub_status: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500))
    location: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime]


class BuyerSubscription(Base):
    """The Telegram account following an order: the first one that opened its link."""

    __tablename__ = "buyer_subscriptions"

    id: Mapped[int] = primary_id()
    order_id: Mapped[int] = parent_id("orders", unique=True)
    # The buyer's user id, which is also their private chat with the bot.
    buyer_user_id: Mapped[int] = parent_id("telegram_users", index=True)
    # IANA zone for quiet hours; None: the ship-to country's.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    muted: Mapped[bool] = mapped_column(default=False)
    # Set while the buyer blocks the bot (Telegram answered 403); cleared when they write.
    paused_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    @property
    def wants_updates(self) -> bool:
        return not self.muted and self.paused_at is None


class BuyerLinkRefusal(Base):
    """A link that did not open (unknown, used by someone else, replaced, expired)."""

    __tablename__ = "buyer_link_refusals"
    __table_args__ = (Index("ix_buyer_link_refusals_user_at", "user_id", "at"),)

    id: Mapped[int] = primary_id()
    user_id: Mapped[int] = parent_id("telegram_users")
    at: Mapped[datetime]


class NumberToStop(Base):
    """A tracking number the provider still follows for a parcel we no longer have.

    A buyer who corrects their return parcel's number replaces that parcel's row; the old
    number stays registered with the provider (and on its quota) until the poller tells it to
    stop following, then this row goes. Nothing here names a person or an order."""

    __tablename__ = "numbers_to_stop"

    id: Mapped[int] = primary_id()
    tracking_number: Mapped[str] = mapped_column(String(64))
    provider_carrier: Mapped[str | None] = mapped_column(String(32))
    since: Mapped[datetime]
