"""When the parcel will not reach the buyer (tracking says it is lost, or it came back to the
seller): the seller sends the goods again, or cancels the order and refunds the buyer.

- Sending again puts the order back among those to ship (`to_ship_again`); the seller fills a
  new shipping document as for any order (`domain.services.shipping`), and confirming it ships
  the order again. The old shipment stays as history, marked replaced: it is no longer polled,
  its number waits in `numbers_to_stop` until the provider stops following it, and its late
  news neither moves the order nor reaches the buyer. The new parcel's number must be its own
  (`shipping.steps.set_tracking`).
- Cancelling and refunding is irreversible: the seller gives a reason, then confirms a question
  whose button carries a one-time token (`confirmations`); only then does the order end.

The buyer who follows the order hears of either in their language, through the outbox, after
their quiet hours like their tracking messages (nothing here has to be read at night). Both
are told even when they muted tracking news: this is about their goods and their money, not a
parcel's progress.

Every use case takes the caller's Telegram id and re-checks the order is theirs; the order
refuses what its status no longer allows (a stale button on an order that moved on).
"""

from __future__ import annotations

from typing import Any

from domain.errors import ConflictError
from domain.model import Order, OrderAction, OrderSource
from domain.returns.masking import (
    mask_contacts,
    order_number_for_buyer,
    store_name_for_buyer,
)
from domain.roles import Role
from domain.services import confirmations, tracking_notices
from domain.services.orders import audit, cleaning, lifecycle
from domain.tracking import QuietHours
from domain.unit_of_work import UnitOfWork

REFUND = confirmations.Purpose.CANCEL_AND_REFUND
SHIPPING_AGAIN_NOTICE = "orders.buyer_shipping_again"
REFUNDED_NOTICE = "orders.buyer_cancelled_refunded"
# The buyer's night, as their tracking messages keep it.
BUYER_QUIET_HOURS = QuietHours()


async def ship_again(user_id: int, order_id: int, uow: UnitOfWork) -> tuple[Order, bool]:
    """The goods go out again: the order waits for a new shipping document, the old parcel
    is history, and the buyer is told a new parcel is coming. With whether a buyer was told
    (nobody follows an order whose link was never opened)."""
    order = await lifecycle.owned_order(user_id, order_id, uow)
    order.ship_again()
    parcel = await uow.tracking.shipment_of_order(order.id)
    old_number = None
    if parcel is not None:
        now = uow.now()
        old_number = parcel.tracking_number
        parcel.replaced_at = now
        parcel.next_poll_at = None
        parcel.lease_until = None
        if old_number and parcel.registered_at and parcel.tracking_stopped_at is None:
            # The provider follows the old number until told otherwise (the poller tells it).
            uow.numbers_to_stop.add(old_number, parcel.provider_carrier, now)
    audit.record(
        uow,
        user_id,
        OrderSource.CONVERSATION,
        "order.shipping_again",
        order.id,
        order.number,
        replaced_tracking_number=old_number,
    )
    return order, await _tell_buyer(order, SHIPPING_AGAIN_NOTICE, uow)


async def ask_to_cancel_and_refund(
    user_id: int, order_id: int, reason: str, uow: UnitOfWork
) -> tuple[Order, str, int]:
    """The question before cancelling and refunding: the order (still the caller's and still
    undeliverable), the reason cleaned, and the token its confirming button carries. Nothing
    changes yet; a refused reason is said before the question."""
    order = await lifecycle.order_for(user_id, order_id, OrderAction.CANCEL_AND_REFUND, uow)
    checked = cleaning.clean_cancel_reason(reason)
    token = await confirmations.ask(user_id, REFUND, uow, about=order.id)
    return order, checked, token


async def cancel_and_refund(
    user_id: int, order_id: int, reason: str | None, token: int, uow: UnitOfWork
) -> tuple[Order, bool]:
    """The seller confirmed: the order ends cancelled with the reason, its buyer links stop
    working, and the buyer is told they are refunded (with whether there was one to tell).

    `reason` is the one the question showed, kept by the chat between the two answers; None
    when it was lost (the seller left the question), and then the "yes" is stale."""
    order = await lifecycle.owned_order(user_id, order_id, uow)
    # A stale or repeated "yes" on an order that moved on says so, not that the question aged.
    order.require(OrderAction.CANCEL_AND_REFUND, Role.SELLER)
    if reason is None:
        raise ConflictError("confirmation.stale")
    checked = cleaning.clean_cancel_reason(reason)
    await confirmations.confirm(user_id, REFUND, token, uow, about=order.id)
    order.cancel_and_refund(checked, uow.now())
    await uow.orders.revoke_buyer_links(order.id, uow.now())
    audit.record(
        uow,
        user_id,
        OrderSource.CONVERSATION,
        "order.cancelled_refunded",
        order.id,
        order.number,
        reason=checked,
    )
    told = await _tell_buyer(
        order, REFUNDED_NOTICE, uow, reason=checked, overtakes=SHIPPING_AGAIN_NOTICE
    )
    return order, told


async def keep(user_id: int, token: int, uow: UnitOfWork) -> None:
    """The seller said no: that question can no longer be confirmed."""
    await confirmations.forget(user_id, REFUND, token, uow)


async def _tell_buyer(
    order: Order,
    template: str,
    uow: UnitOfWork,
    *,
    reason: str | None = None,
    overtakes: str | None = None,
) -> bool:
    """A notice to the buyer following the order, if any, held through their quiet hours;
    whether there was a buyer to tell. `reason`: the seller's, shown with contact details
    masked as in a return's thread (the seller's card and the audit keep it as written).
    `overtakes`: a notice of that template still held for the buyer's morning is withdrawn,
    so they wake up to this one alone (a refund after "a new parcel is coming")."""
    subscription = await uow.buyers.for_order(order.id)
    if subscription is None:
        return False
    contacts = await uow.tracking.seller_contacts([order.seller_id])
    seller = contacts[order.seller_id]
    now = uow.now()
    if overtakes is not None:
        await uow.notifications.withdraw_held(
            subscription.buyer_user_id, _notice_key_prefix(overtakes, order), now
        )
    params: dict[str, Any] = {
        "order_id": order.id,
        # As a buyer may read them (contact-like names stored before they were refused).
        "order_number": order_number_for_buyer(order.number),
        "store_name": store_name_for_buyer(seller.store_name),
    }
    if reason is not None:
        regions = [order.ship_to_country, seller.home_country]
        params["reason"] = mask_contacts(reason, regions=regions, keep=[order.number]).text
    zone = tracking_notices.buyer_zone(subscription, order)
    send_at = BUYER_QUIET_HOURS.quiet_until(now, zone)
    await uow.notifications.add(
        # One notice per move: a parcel lost again later is news again.
        dedupe_key=f"{_notice_key_prefix(template, order)}{order.status.value}:{now.isoformat()}",
        chat_id=subscription.buyer_user_id,
        template=template,
        params=params,
        now=now,
        # The store's name is the seller's data: erasing the seller drops the notice.
        subject_user_id=seller.user_id,
        not_before=send_at if send_at > now else None,
    )
    return True


def _notice_key_prefix(template: str, order: Order) -> str:
    """What every dedupe key of the buyer's `template` notices about `order` starts with."""
    return f"order-{template}:{order.id}:"
