"""What each side of a return case is told when the other side (or the bot) moves it: a new
offer or counter, a declined offer, the agreement (both sides, with its terms), the return
parcel, its receipt, the refund, the resolution and an escalation.

Notices go through the outbox, written in the transaction of the change, rendered in the
recipient's current language and sent into their thread of the case when it has one. Neither
side's Telegram identity is in them: the buyer reads the store's name, the seller "the buyer".
The acting side reads its own answer from the handler; only the agreement goes to both.

Every notice carries the buttons to act on it (`notice_buttons`, kept in its params under
`BUTTONS` and drawn by the chat layer when it is sent): the answers to the other side's open
offer that the case allows the reader when the notice is written, naming that offer, and
opening the case. A press goes through the case card's own handlers and checks, so an answer
from a notice whose offer was countered since is refused like one from an old card.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.model import ReturnCase, ReturnOffer
from domain.returns.masking import masked_name
from domain.returns.rules import Action, CaseStatus, Side
from domain.services import buyer_time_zones
from domain.tracking.quiet_hours import QuietHours
from domain.unit_of_work import UnitOfWork

# Stores keep no time zone: their texts give times in UTC and say so.
SELLER_ZONE = "UTC"
# A case's news waits out the buyer's night, as their tracking messages do: nothing in a case
# has to be done within hours (its deadlines are days, and are reminded ahead). The store's
# side hears at once. Messages the other side writes in the thread are relayed at once: that
# is a conversation, not a notice.
BUYER_QUIET_HOURS = QuietHours()
# A notice's params key for its buttons, and the button that opens the case's card.
BUTTONS = "buttons"
OPEN_CASE = "open"
# The answers to an open offer a notice offers, in the order the case card shows them.
_ANSWERS = (Action.ACCEPT_OFFER, Action.COUNTER_OFFER, Action.DECLINE_OFFER)

# The service's audit action -> the notice (and whether both sides get it).
NOTICES: dict[str, tuple[str, bool]] = {
    "return_case.offer_proposed": ("returns.offer_notice", False),
    "return_case.offer_countered": ("returns.offer_notice", False),
    "return_case.offer_declined": ("returns.offer_declined_notice", False),
    "return_case.offer_accepted": ("returns.agreed_notice", True),
    "return_case.return_shipped": ("returns.return_shipped_notice", False),
    "return_case.received": ("returns.received_notice", False),
    "return_case.refunded": ("returns.refunded_notice", True),
    "return_case.resolved": ("returns.resolved_notice", True),
    "return_case.escalated": ("returns.escalated_notice", False),
    "return_case.declined": ("returns.case_declined_notice", False),
}


async def announce(case: ReturnCase, actor: Side, action: str, uow: UnitOfWork) -> None:
    """Tell the other side (or both) what `actor` just did, if it is news to them."""
    notice = NOTICES.get(action)
    if notice is None:
        return
    template, both = notice
    order = await uow.orders.get(case.order_id)
    params: dict[str, Any] = {
        "case_id": case.id,
        "order_number": order.number if order is not None else "",
        "actor": actor.value,
        **await _facts(case, template, uow),
    }
    for side in (Side.BUYER, Side.SELLER) if both else (actor.other,):
        # One notice per step of the timeline and side, whatever retries the update gets.
        key = f"return-step:{case.id}:{len(case.events)}:{side.value}"
        await tell(case, side, template, {**params, "side": side.value}, key, uow)


async def tell(
    case: ReturnCase,
    side: Side,
    template: str,
    params: dict[str, Any],
    dedupe_key: str,
    uow: UnitOfWork,
) -> bool:
    """A notice to one side of the case, through the outbox, in their thread of the case;
    whether it was queued (not when that side cannot be reached, or `dedupe_key` was used).
    The buyer's copy names the store (`store`); every copy carries the zone its reader's times
    are shown in (`time_zone`)."""
    contacts = await uow.tracking.seller_contacts([case.seller_id])
    seller = contacts.get(case.seller_id)
    if side is Side.SELLER:
        if seller is None:
            return False
        chat_id, thread_id, subject = seller.user_id, case.seller_thread_id, None
    else:
        # The account that opened the case: the one the case's checks let act.
        if case.buyer_user_id is None:
            return False
        chat_id, thread_id = case.buyer_user_id, case.buyer_thread_id
        # The store's name and warehouse address are the seller's data: erasing them drops it.
        subject = seller.user_id if seller is not None else None
        params = {
            **params,
            "store": masked_name(seller.store_name) if seller is not None else "",
            # A number stored before numbers that read as contacts were refused.
            **(
                {"order_number": masked_name(params["order_number"], digit_runs=False)}
                if isinstance(params.get("order_number"), str)
                else {}
            ),
        }
    zone = await zone_of(case, side, uow)
    params = {**params, "time_zone": zone, BUTTONS: await notice_buttons(case, side, uow)}
    return await uow.notifications.add(
        dedupe_key=dedupe_key,
        chat_id=chat_id,
        template=template,
        params=params,
        now=uow.now(),
        message_thread_id=thread_id,
        subject_user_id=subject,
        not_before=held_for_the_night(side, zone, uow.now()),
    )


def held_for_the_night(side: Side, zone: str, now: datetime) -> datetime | None:
    """When a notice to `side` may go: the end of the buyer's quiet hours in `zone` if `now`
    falls in them; None (at once) otherwise, and always for the store."""
    if Side(side) is not Side.BUYER:
        return None
    try:
        until = BUYER_QUIET_HOURS.quiet_until(now, ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return until if until > now else None


async def zone_of(case: ReturnCase, side: Side, uow: UnitOfWork) -> str:
    """The time zone `side` reads the case's times in: the buyer's own (the one their tracking
    messages use), UTC for the store."""
    if Side(side) is Side.SELLER or case.buyer_user_id is None:
        return SELLER_ZONE
    order = await uow.orders.get(case.order_id)
    if order is None:
        return SELLER_ZONE
    return await buyer_time_zones.zone_of(case.buyer_user_id, order, uow)


async def notice_buttons(
    case: ReturnCase, side: Side, uow: UnitOfWork, *, escalate: bool = False
) -> dict[str, Any]:
    """What a notice to `side` lets them do from it: answer the other side's open offer (the
    answers the case allows them now, naming the offer), take the case to the platform when
    `escalate` asks for it and the case allows it, and open the case."""
    offer = case.open_offer if case.is_open else None
    allowed = case.allowed_actions(side)
    answers = [action.value for action in _ANSWERS if action in allowed] if offer else []
    if escalate and Action.ESCALATE in allowed:
        answers.append(Action.ESCALATE.value)
    if answers and offer is not None and offer.id is None:
        await uow.returns.flush()  # a new offer needs its id to be named
    return {
        "case_id": case.id,
        "side": Side(side).value,
        "offer_id": offer.id if answers and offer is not None else 0,
        "actions": [*answers, OPEN_CASE],
        # Still the buyer's request, unanswered: its decline button says "request", not "offer".
        "request": case.status is CaseStatus.REQUESTED,
    }


async def _facts(case: ReturnCase, template: str, uow: UnitOfWork) -> dict[str, Any]:
    if template == "returns.offer_notice":
        offer = case.open_offer
        if offer is None:
            return {}
        return {
            "counter": offer.replaces_id is not None,
            "respond_by": offer.respond_by.isoformat(),
            **await terms_of(offer, uow),
        }
    if template == "returns.agreed_notice":
        return {
            "resolution": case.agreed_resolution.value if case.agreed_resolution else "",
            "amount": None if case.agreed_amount is None else str(case.agreed_amount),
            "currency": case.currency,
            "payer": case.postage_payer.value if case.postage_payer else None,
            "ship_by": case.return_ship_by.isoformat() if case.return_ship_by else None,
            **await address_of(case.return_warehouse_id, uow),
        }
    if template == "returns.return_shipped_notice":
        return {
            "tracking_number": case.return_tracking_number or "",
            "carrier": case.return_carrier,
            "corrected": case.events[-1].action == "return_tracking_corrected",
        }
    if template == "returns.received_notice":
        return {"note": case.inspection_note}
    if template == "returns.refunded_notice":
        return {
            "amount": str(case.refund_amount),
            "currency": case.currency,
            "reference": case.refund_reference,
        }
    if template == "returns.case_declined_notice":
        return {"reason": case.decline_reason}
    if template == "returns.resolved_notice":
        return {"note": case.resolution_note}
    return {}


async def terms_of(offer: ReturnOffer, uow: UnitOfWork) -> dict[str, Any]:
    """An offer's terms as a notice or a card shows them."""
    return {
        "resolution": offer.resolution.value,
        "amount": None if offer.amount is None else str(offer.amount),
        "currency": offer.currency,
        "payer": offer.postage_payer.value if offer.postage_payer else None,
        "days": offer.act_within_days,
        **await address_of(offer.warehouse_id, uow),
    }


async def address_of(warehouse_id: int | None, uow: UnitOfWork) -> dict[str, Any]:
    """Where the goods go back: the warehouse's name and postal address (never its contact).
    The store typed both, and the buyer reads them: a phone, an e-mail, a link or a handle in
    them is masked (digits stay, for house numbers and postcodes)."""
    warehouse = await uow.warehouses.get(warehouse_id) if warehouse_id is not None else None
    if warehouse is None:
        return {"warehouse": None, "address": None}
    parts = [warehouse.street, warehouse.city, warehouse.region, warehouse.postcode]
    return {
        "warehouse": masked_name(warehouse.name, digit_runs=False),
        "address": masked_name(", ".join(p for p in parts if p), digit_runs=False),
        "address_country": warehouse.country,
    }
