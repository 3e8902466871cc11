"""Orders and their lines, shipping documents, compliance findings, buyer links, and each
seller's logistics settings (budget policy, rate card, exchange rates).

Order lifecycle: awaiting_confirmation -> confirmed -> shipped -> delivered; an open order
(awaiting_confirmation or confirmed) can be cancelled with a reason; a shipped or delivered
order can end as returned. While the parcel travels, tracking moves a shipped order into a
problem state the seller must look at: `in_trouble` (an exception; back to shipped when the
parcel moves again), `lost`, or `returned_to_sender`. From `lost` or `returned_to_sender` the
seller either sends the goods again (`to_ship_again`, then shipped with a new document) or
cancels the order and refunds the buyer (`cancelled`). Each move is a method that refuses an
illegal one with `ConflictError`.

What the seller may do next is data, `ACTIONS_BY_ROLE`, read by `Order.allowed_actions(role)`
(handlers render the order card's buttons from it) and by the seller's transitions, which refuse
through it. Tracking's moves (delivered, in trouble, lost, ...) are the system's, not a person's
action, and keep their own guards.

Logistics method and goods characteristics are kept as plain strings here; their meaning
lives in the logistics module.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.errors import ConflictError, DomainError, NotFound
from domain.model.base import (
    ActionsByRole,
    Base,
    enum_column,
    link_id,
    money_amount,
    parent_id,
    primary_id,
    warehouse_reference,
)
from domain.roles import Role

ORDER_NUMBER_MAX = 64
PRODUCT_NAME_MAX = 200
SKU_MAX = 64
CANCEL_REASON_MAX = 500
# money_amount(): twelve digits before the point.
AMOUNT_LIMIT = Decimal("1e12")


class OrderStatus(enum.StrEnum):
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    # Tracking reported a problem on the way (an exception, the parcel going back).
    IN_TROUBLE = "in_trouble"
    LOST = "lost"
    RETURNED_TO_SENDER = "returned_to_sender"
    # The first parcel was lost or came back; the seller is sending the goods again and owes
    # a new shipping document.
    TO_SHIP_AGAIN = "to_ship_again"


# Orders the seller still has to act on before the ship-by deadline.
OPEN_ORDER_STATUSES = frozenset({OrderStatus.AWAITING_CONFIRMATION, OrderStatus.CONFIRMED})
# Orders waiting for a shipping document (the "to ship" list).
TO_SHIP_STATUSES = frozenset({OrderStatus.CONFIRMED, OrderStatus.TO_SHIP_AGAIN})
# Orders whose parcel nobody waits for news of any more: declared lost or back at the seller's,
# or the goods sent again or refunded. A parcel gone quiet is no news for them.
PARCEL_GIVEN_UP_STATUSES = frozenset(
    {
        OrderStatus.LOST,
        OrderStatus.RETURNED_TO_SENDER,
        OrderStatus.TO_SHIP_AGAIN,
        OrderStatus.CANCELLED,
    }
)
# Shipped orders whose parcel is in a state the seller has to look at (the "problems" list).
TRACKING_PROBLEM_STATUSES = frozenset(
    {OrderStatus.IN_TROUBLE, OrderStatus.LOST, OrderStatus.RETURNED_TO_SENDER}
)
# The parcel is on its way or came to an end: the order has a buyer who may follow it.
SHIPPED_STATUSES = frozenset(
    {OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.RETURNED, *TRACKING_PROBLEM_STATUSES}
)


class OrderAction(enum.StrEnum):
    """What someone may do with an order."""

    CONFIRM = "confirm"
    # Fill in the shipping document; confirming it ships the order.
    SHIP = "ship"
    CANCEL = "cancel"
    # See the shipment and its tracking, and give the buyer a new link to follow it.
    FOLLOW_SHIPMENT = "follow_shipment"
    NEW_BUYER_LINK = "new_buyer_link"
    # The buyer asks to return or exchange items (a return case, `domain.services.returns`).
    OPEN_RETURN = "open_return"
    # The parcel is lost or came back to the seller: send the goods again in a new parcel, or
    # give up on the order and refund the buyer (`domain.services.orders.redelivery`).
    SHIP_AGAIN = "ship_again"
    CANCEL_AND_REFUND = "cancel_and_refund"


_FOLLOWING = frozenset({OrderAction.FOLLOW_SHIPMENT, OrderAction.NEW_BUYER_LINK})
# A parcel that will not reach the buyer: the seller decides what happens instead. Not while it
# is only `in_trouble`: an exception often clears (customs, a held parcel) and tracking moves
# the order on by itself, to shipped again or to lost / returned; a second parcel sent then
# could reach the buyer with the first.
_UNDELIVERABLE = frozenset({OrderAction.SHIP_AGAIN, OrderAction.CANCEL_AND_REFUND})

# Role -> status -> the actions allowed; a role or status not listed may do nothing. The seller
# runs the order; the buyer, who follows it through a link, may only ask for a return once the
# goods are on their way or arrived; operators do not handle orders.
ACTIONS_BY_ROLE: dict[Role, dict[OrderStatus, frozenset[OrderAction]]] = {
    Role.SELLER: {
        OrderStatus.AWAITING_CONFIRMATION: frozenset({OrderAction.CONFIRM, OrderAction.CANCEL}),
        OrderStatus.CONFIRMED: frozenset({OrderAction.SHIP, OrderAction.CANCEL}),
        **{status: _FOLLOWING for status in SHIPPED_STATUSES},
        OrderStatus.LOST: _FOLLOWING | _UNDELIVERABLE,
        OrderStatus.RETURNED_TO_SENDER: _FOLLOWING | _UNDELIVERABLE,
        # The buyer paid and was told a new parcel is coming: a plain cancellation (meant for
        # orders nobody paid for yet) is not offered; giving up still refunds them.
        OrderStatus.TO_SHIP_AGAIN: frozenset({OrderAction.SHIP, OrderAction.CANCEL_AND_REFUND}),
    },
    Role.BUYER: {
        status: frozenset({OrderAction.OPEN_RETURN})
        for status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.IN_TROUBLE)
    },
}


class OrderSource(enum.StrEnum):
    CONVERSATION = "conversation"
    IMPORT = "import"
    API = "api"
    # The replacement an exchange ships (`domain.services.return_parcels`).
    EXCHANGE = "exchange"


class ReminderKind(enum.StrEnum):
    """Alerts about the ship-by deadline; each goes out at most once per order."""

    DUE_IN_24H = "due_24h"
    DUE_IN_4H = "due_4h"
    OVERDUE = "overdue"


# The column of `Order` that records each alert once it is queued.
REMINDER_COLUMNS: dict[ReminderKind, str] = {
    ReminderKind.DUE_IN_24H: "reminded_24h_at",
    ReminderKind.DUE_IN_4H: "reminded_4h_at",
    ReminderKind.OVERDUE: "overdue_alerted_at",
}
# What queuing an alert records: the less urgent ones whose time has passed unsent are done
# too (they are never sent late).
REMINDERS_RECORDED_WITH: dict[ReminderKind, tuple[ReminderKind, ...]] = {
    ReminderKind.DUE_IN_24H: (ReminderKind.DUE_IN_24H,),
    ReminderKind.DUE_IN_4H: (ReminderKind.DUE_IN_4H, ReminderKind.DUE_IN_24H),
    ReminderKind.OVERDUE: (ReminderKind.OVERDUE, ReminderKind.DUE_IN_4H, ReminderKind.DUE_IN_24H),
}


class FindingSeverity(enum.StrEnum):
    BLOCKER = "blocker"
    WARNING = "warning"


class BudgetMode(enum.StrEnum):
    WARN = "warn"
    BLOCK = "block"


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = primary_id()
    order_id: Mapped[int] = parent_id("orders", index=True)
    # 1-based position in the order, as the seller entered or imported it.
    position: Mapped[int] = mapped_column(Integer)
    product_name: Mapped[str] = mapped_column(String(PRODUCT_NAME_MAX))
    sku: Mapped[str | None] = mapped_column(String(SKU_MAX))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(money_amount())

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


class Order(ActionsByRole[OrderStatus, OrderAction], Base):
    """A marketplace order the seller fulfils; amounts are in `currency`."""

    actions_by_role = ACTIONS_BY_ROLE

    __tablename__ = "orders"
    __table_args__ = (
        # The marketplace's number identifies the order within one store.
        UniqueConstraint("seller_id", "number"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        # The /orders lists: one seller's orders in a status, nearest deadline first.
        Index("ix_orders_seller_status_ship_by", "seller_id", "status", "ship_by"),
        # The reminder sweep: open orders whose deadline is near.
        Index("ix_orders_status_ship_by", "status", "ship_by"),
    )

    id: Mapped[int] = primary_id()
    seller_id: Mapped[int] = parent_id("sellers")
    number: Mapped[str] = mapped_column(String(ORDER_NUMBER_MAX))
    ship_to_country: Mapped[str] = mapped_column(String(2))
    ship_to_postcode: Mapped[str | None] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(money_amount())
    ship_by: Mapped[datetime]
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus))
    source: Mapped[OrderSource] = mapped_column(enum_column(OrderSource, 16))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # When each ship-by alert was queued; set once, so none goes out twice.
    reminded_24h_at: Mapped[datetime | None]
    reminded_4h_at: Mapped[datetime | None]
    overdue_alerted_at: Mapped[datetime | None]

    lines: Mapped[list[OrderLine]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=OrderLine.position
    )

    # ----- rules -----

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ORDER_STATUSES

    def compute_total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    def _refusal(self, action: OrderAction) -> DomainError:
        if action == OrderAction.SHIP:
            return ConflictError(
                "shipping.order_not_confirmed", number=self.number, status=self.status.value
            )
        if action == OrderAction.NEW_BUYER_LINK:
            return ConflictError("buyer_link.not_shipped", number=self.number)
        if action == OrderAction.OPEN_RETURN:
            return ConflictError("returns.order_not_returnable", status=self.status.value)
        if action == OrderAction.FOLLOW_SHIPMENT:
            # Nothing has shipped yet: there is no parcel to follow.
            return NotFound("shipments.not_found")
        if action in _UNDELIVERABLE:
            # A stale button: the parcel turned up, or the seller already chose what to do.
            return ConflictError("orders.parcel_not_undeliverable", status=self.status.value)
        wanted = OrderStatus.CONFIRMED if action == OrderAction.CONFIRM else OrderStatus.CANCELLED
        return ConflictError(
            "orders.transition_refused", current=self.status.value, wanted=wanted.value
        )

    def _move(self, allowed_from: set[OrderStatus], to: OrderStatus) -> None:
        if self.status not in allowed_from:
            raise ConflictError(
                "orders.transition_refused", current=self.status.value, wanted=to.value
            )
        self.status = to

    def confirm(self, now: datetime) -> None:
        self.require(OrderAction.CONFIRM, Role.SELLER)
        self.status = OrderStatus.CONFIRMED
        self.confirmed_at = now

    def cancel(self, reason: str, now: datetime) -> None:
        """Only an open order can be cancelled; after shipping it is a return instead."""
        self.require(OrderAction.CANCEL, Role.SELLER)
        self.status = OrderStatus.CANCELLED
        self.cancelled_at = now
        self.cancel_reason = reason

    def ship_again(self) -> None:
        """The parcel is lost or came back: the goods go out again in a new parcel, with a new
        shipping document (`shipped_at` and `returned_at` keep the first parcel's story until
        the new one ships)."""
        self.require(OrderAction.SHIP_AGAIN, Role.SELLER)
        self.status = OrderStatus.TO_SHIP_AGAIN

    def cancel_and_refund(self, reason: str, now: datetime) -> None:
        """The goods will not reach the buyer: the order ends, and the buyer is refunded."""
        self.require(OrderAction.CANCEL_AND_REFUND, Role.SELLER)
        self.status = OrderStatus.CANCELLED
        self.cancelled_at = now
        self.cancel_reason = reason

    def mark_shipped(self, now: datetime) -> None:
        """The seller's shipping document was confirmed (the first, or a new parcel's)."""
        self.require(OrderAction.SHIP, Role.SELLER)
        self.status = OrderStatus.SHIPPED
        self.shipped_at = now

    def mark_delivered(self, now: datetime) -> None:
        # A parcel reported lost or in trouble may still turn up at the buyer's door.
        self._move(
            {OrderStatus.SHIPPED, OrderStatus.IN_TROUBLE, OrderStatus.LOST}, OrderStatus.DELIVERED
        )
        self.delivered_at = now

    def mark_in_trouble(self) -> None:
        """Tracking reports an exception (delayed, damaged, held, returning...)."""
        self._move({OrderStatus.SHIPPED}, OrderStatus.IN_TROUBLE)

    def mark_moving_again(self) -> None:
        """The parcel moves normally again after an exception."""
        self._move({OrderStatus.IN_TROUBLE}, OrderStatus.SHIPPED)

    def mark_lost(self) -> None:
        self._move({OrderStatus.SHIPPED, OrderStatus.IN_TROUBLE}, OrderStatus.LOST)

    def mark_returned_to_sender(self, now: datetime) -> None:
        self._move(
            {OrderStatus.SHIPPED, OrderStatus.IN_TROUBLE, OrderStatus.LOST},
            OrderStatus.RETURNED_TO_SENDER,
        )
        self.returned_at = now

    def mark_returned(self, now: datetime) -> None:
        self._move({OrderStatus.SHIPPED, OrderStatus.DELIVERED}, OrderStatus.RETURNED)
        self.returned_at = now

    def past_ship_by(self, now: datetime) -> bool:
        """Whether the ship-by deadline has come: the order is overdue if still open."""
        return self.ship_by <= now

    def reminder_due(self, now: datetime) -> ReminderKind | None:
        """The most urgent ship-by alert not yet sent, if any is due now.

        A less urgent alert whose time has passed unsent (the scheduler was down, or the order
        arrived late) is not sent any more: queuing this one records it too
        (`REMINDERS_RECORDED_WITH`; the sweep is `OrderRepository.mark_reminded`).
        """
        if not self.is_open:
            return None
        if self.past_ship_by(now):
            return ReminderKind.OVERDUE if self.overdue_alerted_at is None else None
        left = self.ship_by - now
        if left.total_seconds() <= 4 * 3600:
            return ReminderKind.DUE_IN_4H if self.reminded_4h_at is None else None
        if left.total_seconds() <= 24 * 3600:
            return ReminderKind.DUE_IN_24H if self.reminded_24h_at is None else None
        return None


class ComplianceFinding(Base):
    """One compliance rule that fired when a shipping document was checked; kept for operators."""

    __tablename__ = "compliance_findings"

    id: Mapped[int] = primary_id()
    shipment_id: Mapped[int] = parent_id("shipments", index=True)
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[FindingSeverity] = mapped_column(enum_column(FindingSeverity, 16))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    acknowledged: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(index=True)


class Shipment(Base):
    """The shipping document of (part of) an order, and later its tracking state.

    `confirmed_at` is None while the document is still a draft.
    """

    __tablename__ = "shipments"

    id: Mapped[int] = primary_id()
    order_id: Mapped[int] = parent_id("orders", index=True)
    warehouse_id: Mapped[int] = warehouse_reference(index=True)
    method: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64), index=True)
    declared_value: Mapped[Decimal] = mapped_column(money_amount())
    declared_currency: Mapped[str] = mapped_column(String(3))
    weight_kg: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    length_cm: Mapped[Decimal] = mapped_column(Numeric(8, 1))
    width_cm: Mapped[Decimal] = mapped_column(Numeric(8, 1))
    height_cm: Mapped[Decimal] = mapped_column(Numeric(8, 1))
    goods_characteristics: Mapped[list[str]] = mapped_column(JSON, default=list)
    chargeable_weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    estimated_cost: Mapped[Decimal | None] = mapped_column(money_amount())
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    transit_min_days: Mapped[int | None]
    transit_max_days: Mapped[int | None]
    # [{"line_id": int, "quantity": int}, ...]
    lines_shipped: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)
    is_partial: Mapped[bool] = mapped_column(default=False)
    # Evidence of safe packing, required above a configurable order value.
    parcel_photo_file_id: Mapped[str | None] = mapped_column(String(255))
    compliance_acknowledged: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    # Tracking (17TRACK's canonical statuses); the poller claims rows through the lease.
    tracking_status: Mapped[str | None] = mapped_column(String(32))
    tracking_sub_status: Mapped[str | None] = mapped_column(String(64))
    # When the poller should next register, fetch or stop this number; None: nothing to do.
    next_poll_at: Mapped[datetime | None] = mapped_column(index=True)
    lease_until: Mapped[datetime | None]
    # Failed polls in a row (per-shipment backoff); reset by a successful one.
    poll_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Registered with the tracking provider, and the carrier code it tracks the number with.
    registered_at: Mapped[datetime | None]
    provider_carrier: Mapped[str | None] = mapped_column(String(32))
    # The provider stopped following the number (we asked after delivery, or it gave up).
    tracking_stopped_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None] = mapped_column(index=True)
    # What the buyer was already told (domain.tracking.NoticeState.as_dict()).
    notice_state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The delivery window shown to the buyer: the lane's at first, the provider's once known.
    estimate_earliest: Mapped[date | None]
    estimate_latest: Mapped[date | None]
    estimate_source: Mapped[str | None] = mapped_column(String(16))
    # Seller alerts sent once: no news for too long, no information long after shipping.
    stale_alerted_at: Mapped[datetime | None]
    no_info_alerted_at: Mapped[datetime | None]
    # The seller sent the goods again in a new parcel (the order's newer shipment): this one is
    # history. It is no longer polled, its number is stopped with the provider, and news of it
    # no longer moves the order or reaches the buyer.
    replaced_at: Mapped[datetime | None]

    # The parcel a buyer sends back for this return case (`order_id` is the case's order);
    # None: the seller's parcel to the buyer. A return parcel tells both sides of the case,
    # never the buyer's "your order" notices (`domain.services.return_parcels`).
    return_case_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("return_cases.id", ondelete="CASCADE"), index=True, unique=True
    )

    findings: Mapped[list[ComplianceFinding]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by=ComplianceFinding.id
    )


class BuyerLink(Base):
    """A deep-link token that binds an order to the first Telegram account opening it.

    Only its hash is kept. Once used, it opens the order again for that account only
    (`bound_user_id`); a newer link for the order revokes it.
    """

    __tablename__ = "buyer_links"

    id: Mapped[int] = primary_id()
    order_id: Mapped[int] = parent_id("orders", index=True)
    # sha256 of the token, hex.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    # Set when a newer link for the same order replaced this one.
    revoked_at: Mapped[datetime | None]
    # The account the link bound the order to; emptied if that person erases their data.
    bound_user_id: Mapped[int | None] = link_id("telegram_users", index=True)

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at

    def opens_for(self, user_id: int, now: datetime) -> bool:
        """Whether `user_id` may open the order with this link now."""
        if self.revoked_at is not None or now >= self.expires_at:
            return False
        return self.used_at is None or self.bound_user_id == user_id


class SellerLogisticsSettings(Base):
    """A seller's logistics budget policy, own rate card and the exchange rates they supplied.

    `budget_max_share` is a fraction of the order value (0.15 = 15 %). `exchange_rates` is a
    list of {"from": "USD", "to": "CNY", "rate": "7.1"} with rates as decimal strings.
    """

    __tablename__ = "seller_logistics_settings"
    __table_args__ = (
        CheckConstraint(
            "budget_max_share IS NULL OR (budget_max_share > 0 AND budget_max_share <= 1)",
            name="budget_max_share_fraction",
        ),
    )

    id: Mapped[int] = primary_id()
    seller_id: Mapped[int] = parent_id("sellers", unique=True)
    budget_max_share: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    budget_max_per_order: Mapped[Decimal | None] = mapped_column(money_amount())
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    budget_mode: Mapped[BudgetMode] = mapped_column(
        enum_column(BudgetMode, 8), default=BudgetMode.WARN
    )
    rate_card: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    exchange_rates: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]
