"""The buyers following orders: subscriptions, link binding and revocation, and the refusals
that slow down link guessing. It never commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select, update

from domain.model import (
    BuyerLink,
    BuyerLinkRefusal,
    BuyerSubscription,
    Order,
)
from domain.repositories.base import RememberingRepository, affected_rows


class BuyerRepository(RememberingRepository):
    # ----- subscriptions -----

    def add(self, subscription: BuyerSubscription) -> None:
        self.session.add(subscription)
        self._known.subscribed.pop(subscription.buyer_user_id, None)

    async def for_order(self, order_id: int) -> BuyerSubscription | None:
        result = await self.session.execute(
            select(BuyerSubscription).where(BuyerSubscription.order_id == order_id)
        )
        return result.scalar_one_or_none()

    async def for_orders(self, order_ids: Iterable[int]) -> dict[int, BuyerSubscription]:
        ids = sorted(set(order_ids))
        if not ids:
            return {}
        result = await self.session.execute(
            select(BuyerSubscription).where(BuyerSubscription.order_id.in_(ids))
        )
        return {subscription.order_id: subscription for subscription in result.scalars()}

    async def orders_of(
        self, user_id: int, *, limit: int, offset: int = 0
    ) -> tuple[list[tuple[BuyerSubscription, Order]], int]:
        """The buyer's subscriptions with their orders, newest order first, and the total."""
        total = await self._count(BuyerSubscription, BuyerSubscription.buyer_user_id == user_id)
        result = await self.session.execute(
            select(BuyerSubscription, Order)
            .join(Order, Order.id == BuyerSubscription.order_id)
            .where(BuyerSubscription.buyer_user_id == user_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [(row[0], row[1]) for row in result.all()], total

    async def all_of(self, user_id: int) -> list[tuple[BuyerSubscription, Order]]:
        """Every subscription of the buyer with its order, newest order first."""
        result = await self.session.execute(
            select(BuyerSubscription, Order)
            .join(Order, Order.id == BuyerSubscription.order_id)
            .where(BuyerSubscription.buyer_user_id == user_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
        return [(row[0], row[1]) for row in result.all()]

    async def mute_all(self, user_id: int) -> int:
        return await self._rows_changed(
            update(BuyerSubscription)
            .where(BuyerSubscription.buyer_user_id == user_id, BuyerSubscription.muted.is_(False))
            .values(muted=True)
        )

    async def pause_chat(self, chat_id: int, now: datetime) -> int:
        return await self._rows_changed(
            update(BuyerSubscription)
            .where(
                BuyerSubscription.buyer_user_id == chat_id, BuyerSubscription.paused_at.is_(None)
            )
            .values(paused_at=now)
        )

    async def resume_chat(self, chat_id: int) -> int:
        return await self._rows_changed(
            update(BuyerSubscription)
            .where(
                BuyerSubscription.buyer_user_id == chat_id,
                BuyerSubscription.paused_at.is_not(None),
            )
            .values(paused_at=None)
        )

    async def delete_for_user(self, user_id: int) -> int:
        result = await self.session.execute(
            delete(BuyerSubscription).where(BuyerSubscription.buyer_user_id == user_id)
        )
        self._known.subscribed[user_id] = False
        return affected_rows(result)

    # ----- links -----

    async def revoke_links(self, order_id: int, now: datetime) -> int:
        """Retire every link of the order, used or not: a new one replaces them."""
        return await self._rows_changed(
            update(BuyerLink)
            .where(BuyerLink.order_id == order_id, BuyerLink.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def expire_links(self, order_id: int, at: datetime) -> None:
        """Links of the order stop working at `at` at the latest."""
        await self.expire_links_of([order_id], at)

    async def expire_links_of(self, order_ids: Iterable[int], at: datetime) -> None:
        """Links of these orders stop working at `at` at the latest (one statement)."""
        ids = sorted(set(order_ids))
        if ids:
            await self.session.execute(
                update(BuyerLink)
                .where(BuyerLink.order_id.in_(ids), BuyerLink.expires_at > at)
                .values(expires_at=at)
            )

    async def unbind_links(self, user_id: int) -> int:
        return await self._rows_changed(
            update(BuyerLink).where(BuyerLink.bound_user_id == user_id).values(bound_user_id=None)
        )

    # ----- refusals -----

    def add_refusal(self, user_id: int, at: datetime) -> None:
        self.session.add(BuyerLinkRefusal(user_id=user_id, at=at))

    async def refusals_since(self, user_id: int, since: datetime) -> list[datetime]:
        result = await self.session.execute(
            select(BuyerLinkRefusal.at)
            .where(BuyerLinkRefusal.user_id == user_id, BuyerLinkRefusal.at >= since)
            .order_by(BuyerLinkRefusal.at)
        )
        return list(result.scalars())

    async def prune_refusals(self, before: datetime) -> int:
        return await self._rows_changed(
            delete(BuyerLinkRefusal).where(BuyerLinkRefusal.at < before)
        )

    async def delete_refusals(self, user_id: int) -> int:
        return await self._rows_changed(
            delete(BuyerLinkRefusal).where(BuyerLinkRefusal.user_id == user_id)
        )

    async def has_subscriptions(self, user_id: int) -> bool:
        if user_id in self._known.subscribed:
            return self._known.subscribed[user_id]
        found = await self.session.scalar(
            select(BuyerSubscription.id).where(BuyerSubscription.buyer_user_id == user_id).limit(1)
        )
        self._known.subscribed[user_id] = found is not None
        return found is not None
