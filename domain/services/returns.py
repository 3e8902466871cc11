"""Return cases, use case by use case: opening, offers, withdrawal, escalation, the return
shipment, receipt, the refund, the resolution, messages; and each seller's return policy.

Who may act is checked here, on every call, against the database: a buyer acts only on cases
of orders whose link bound their account now; a seller only on cases of their store. Anyone
else's case answers exactly like one that does not exist (`returns.case_not_found`). The rules
themselves live on the aggregate (`domain.model.returns.ReturnCase`); after each change the
case's deadlines are brought up to date (`domain.services.return_deadlines.sync`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from domain.errors import ConflictError, InvalidInput, NotFound
from domain.model import (
    NewEvidence,
    Order,
    OrderAction,
    ReturnCase,
    ReturnMessage,
    ReturnOffer,
    SellerReturnPolicy,
    WarehouseStatus,
)
from domain.repositories import Actor
from domain.returns.deadlines import DeadlineKind, DeadlineRules, deadline
from domain.returns.masking import MaskedText, mask_contacts, order_number_for_buyer
from domain.returns.offers import OfferRules, OfferTerms
from domain.returns.policy import ReturnPolicy
from domain.returns.rules import (
    Action,
    CaseStatus,
    MessageKind,
    ReturnReason,
    Side,
)
from domain.roles import Role
from domain.services import (
    return_deadlines,
    return_notices,
    return_parcels,
    return_threads,
    warehouses,
)
from domain.tracking_numbers import valid_tracking_number
from domain.unit_of_work import UnitOfWork

CASE_NOT_FOUND = "returns.case_not_found"
ORDER_NOT_FOUND = "returns.order_not_found"
NEW_CASE_TEMPLATE = "returns.new_case"
WITHDRAWN_TEMPLATE = "returns.withdrawn_notice"
DEFAULT_RULES = DeadlineRules()


def case_number(case_id: int) -> str:
    """How people name a case: "R-1042"."""
    return f"R-{case_id}"


# ----- who is asking -----


async def linked_order(user_id: int, order_id: int, uow: UnitOfWork) -> Order:
    """The order, if its link binds `user_id`'s account now."""
    subscription = await uow.buyers.for_order(order_id)
    order = await uow.orders.get(order_id) if subscription is not None else None
    if subscription is None or order is None or subscription.buyer_user_id != user_id:
        raise NotFound(ORDER_NOT_FOUND)
    return order


async def _case_of(
    user_id: int, case_id: int, side: Side, uow: UnitOfWork, *, lock: bool = True
) -> ReturnCase:
    """The case (locked, to change it) if `user_id` is its `side`; anyone else's answers as
    not found. The buyer side is the account that opened the case (`buyer_user_id`), not
    whoever the order's link binds now: a new link hands the order on, not the cases."""
    case = await (uow.returns.lock(case_id) if lock else uow.returns.get(case_id))
    if case is None:
        raise NotFound(CASE_NOT_FOUND)
    if Side(side) is Side.SELLER:
        seller = await uow.sellers.by_telegram_user(user_id)
        if seller is None or seller.id != case.seller_id:
            raise NotFound(CASE_NOT_FOUND)
    elif case.buyer_user_id != user_id:  # None once the buyer erased their data
        raise NotFound(CASE_NOT_FOUND)
    return case


async def case_for(user_id: int, case_id: int, side: Side, uow: UnitOfWork) -> ReturnCase:
    """A case its side may read (the card, the timeline)."""
    return await _case_of(user_id, case_id, side, uow, lock=False)


# ----- the policy -----


async def policy_of(seller_id: int, uow: UnitOfWork) -> ReturnPolicy:
    stored = await uow.returns.policy_of(seller_id)
    if stored is None:
        return ReturnPolicy()
    return ReturnPolicy.from_dict(
        {
            "window_days": stored.window_days,
            "non_returnable": stored.non_returnable,
            "postage": stored.postage,
        }
    )


async def save_policy(user_id: int, policy: ReturnPolicy, uow: UnitOfWork) -> ReturnPolicy:
    """The caller's store takes `policy` for cases opened from now on."""
    seller = await warehouses.seller_of(user_id, uow)
    stored = await uow.returns.policy_of(seller.id)
    values = policy.as_dict()
    if stored is None:
        stored = SellerReturnPolicy(seller_id=seller.id, updated_at=uow.now(), **values)
        uow.returns.add_policy(stored)
    else:
        stored.window_days = values["window_days"]
        stored.non_returnable = values["non_returnable"]
        stored.postage = values["postage"]
        stored.updated_at = uow.now()
    uow.audit.add(
        "return_policy.saved",
        by=Actor("seller", user_id),
        about=("seller", seller.id),
        details={"window_days": policy.window_days},
    )
    return policy


# ----- opening -----


@dataclass(frozen=True)
class OpenCase:
    user_id: int
    order_id: int
    items: Sequence[tuple[int, int]]  # (order line id, quantity)
    reason: ReturnReason
    wanted: OfferTerms
    comment: str | None = None
    evidence: Sequence[NewEvidence] = field(default_factory=tuple)


async def open_case(
    command: OpenCase, uow: UnitOfWork, rules: DeadlineRules = DEFAULT_RULES
) -> ReturnCase:
    """The buyer's request: checked against the order and the seller's policy, and on record."""
    order = await linked_order(command.user_id, command.order_id, uow)
    # Only goods that reached (or are reaching) the buyer: the order's own table says so.
    order.require(OrderAction.OPEN_RETURN, Role.BUYER)
    lines = {line.id: line for line in order.lines}
    if any(line_id not in lines for line_id, _quantity in command.items):
        raise InvalidInput("returns.quantity_invalid", max=0)
    wanted_lines = [line_id for line_id, _quantity in command.items]
    if await uow.returns.lines_in_open_cases(wanted_lines):
        # Said to the buyer, who reads the number masked if it holds contact details.
        raise ConflictError(
            "returns.line_has_open_case", number=order_number_for_buyer(order.number)
        )
    now = uow.now()
    policy = await policy_of(order.seller_id, uow)
    reason = ReturnReason(command.reason)
    first_answer = deadline(DeadlineKind.SELLER_FIRST_ANSWER, now, rules)
    case = ReturnCase.open(
        order_id=order.id,
        seller_id=order.seller_id,
        buyer_user_id=command.user_id,
        currency=order.currency,
        items=[(lines[line_id], quantity) for line_id, quantity in command.items],
        reason=reason,
        comment=None
        if command.comment is None
        else (await _masked_for(order, command.comment, uow)).text,
        wanted=await _checked_warehouse(command.wanted, order.seller_id, uow),
        evidence=command.evidence,
        out_of_policy=policy.out_of_policy(
            reason, [lines[i].sku for i in wanted_lines], order.delivered_at, now
        ),
        offer_rules=OfferRules(
            policy.postage_payer(reason), rules.return_shipment.days, first_answer.due_at
        ),
        now=now,
        returned=await uow.returns.settled_quantities(order.id),
    )
    uow.returns.add(case)
    number = order.number  # read now: after a failed flush the session loads nothing more
    try:
        await uow.returns.flush()
    except IntegrityError:
        # Another case for one of these lines committed first (the partial unique index).
        raise ConflictError("returns.line_has_open_case", number=number) from None
    await return_deadlines.sync(case, uow, rules)
    _audit(uow, command.user_id, "buyer", "return_case.opened", order, case, kind=reason.value)
    await _alert_seller(case, order, first_answer.due_at, uow)
    await return_threads.open_threads(case, uow)
    return case


async def _alert_seller(
    case: ReturnCase, order: Order, answer_by: datetime, uow: UnitOfWork
) -> None:
    """A new case reaches the seller at once: the clock of their answer is running."""
    await _tell_seller(
        case,
        NEW_CASE_TEMPLATE,
        f"return-opened:{case.id}",
        uow,
        order_number=order.number,
        reason=case.reason.value,
        wanted=case.wanted.value,
        out_of_policy=list(case.out_of_policy),
        answer_by=answer_by.isoformat(),
    )


async def _tell_seller(
    case: ReturnCase, template: str, dedupe_key: str, uow: UnitOfWork, **params: object
) -> None:
    """A notice to the case's seller, through the outbox, in their thread of the case."""
    seller_params = {"case_id": case.id, **params}
    await return_notices.tell(case, Side.SELLER, template, seller_params, dedupe_key, uow)


# ----- negotiation -----


async def _checked_warehouse(terms: OfferTerms, seller_id: int, uow: UnitOfWork) -> OfferTerms:
    """A return goes only to one of the case's seller's verified warehouses."""
    if terms.warehouse_id is not None:
        warehouse = await uow.warehouses.get(terms.warehouse_id)
        if (
            warehouse is None
            or warehouse.seller_id != seller_id
            or warehouse.status != WarehouseStatus.VERIFIED
        ):
            raise InvalidInput("returns.warehouse_invalid")
    return terms


async def _offer_rules(
    case: ReturnCase, uow: UnitOfWork, rules: DeadlineRules, offer_from: Side, now: datetime
) -> OfferRules:
    """The seller's policy for the case's reason, and the deadline of the other side's answer."""
    policy = await policy_of(case.seller_id, uow)
    answer = deadline(DeadlineKind.OFFER_ANSWER, now, rules, offer_from=offer_from)
    return OfferRules(policy.postage_payer(case.reason), rules.return_shipment.days, answer.due_at)


async def propose_offer(
    user_id: int,
    case_id: int,
    side: Side,
    terms: OfferTerms,
    uow: UnitOfWork,
    rules: DeadlineRules = DEFAULT_RULES,
    *,
    counter: bool = False,
) -> ReturnOffer:
    """A new offer, or (`counter`) a counter that replaces the open one: the same terms, checks
    and deadline; the aggregate decides which of the two the case allows now."""
    event = "return_case.offer_countered" if counter else "return_case.offer_proposed"
    async with _changing(user_id, case_id, side, uow, rules, event) as case:
        now = uow.now()
        place = case.counter_offer if counter else case.propose_offer
        offer = place(
            side,
            await _checked_warehouse(terms, case.seller_id, uow),
            await _offer_rules(case, uow, rules, offer_from=side, now=now),
            now,
        )
    return offer


async def counter_offer(
    user_id: int,
    case_id: int,
    side: Side,
    terms: OfferTerms,
    uow: UnitOfWork,
    rules: DeadlineRules = DEFAULT_RULES,
) -> ReturnOffer:
    return await propose_offer(user_id, case_id, side, terms, uow, rules, counter=True)


async def accept_offer(
    user_id: int,
    case_id: int,
    side: Side,
    uow: UnitOfWork,
    rules: DeadlineRules = DEFAULT_RULES,
    *,
    warehouse_id: int | None = None,
    offer_id: int | None = None,
) -> ReturnCase:
    """Accept the open offer. A button passes `offer_id`, the offer its card showed (client
    input): refused with `returns.offer_changed` when the case's open offer is another one."""
    async with _changing(user_id, case_id, side, uow, rules, "return_case.offer_accepted") as case:
        case.offer_to_answer(side, Action.ACCEPT_OFFER, offer_id)  # before naming a warehouse
        if warehouse_id is not None:
            await _checked_warehouse(
                OfferTerms(case.wanted, warehouse_id=warehouse_id), case.seller_id, uow
            )
        case.accept_offer(side, uow.now(), warehouse_id=warehouse_id, offer_id=offer_id)
    return case


async def decline_offer(
    user_id: int,
    case_id: int,
    side: Side,
    uow: UnitOfWork,
    rules: DeadlineRules = DEFAULT_RULES,
    *,
    offer_id: int | None = None,
) -> ReturnCase:
    """Decline the open offer; `offer_id` as in `accept_offer`."""
    async with _changing(user_id, case_id, side, uow, rules, "return_case.offer_declined") as case:
        case.decline_offer(side, uow.now(), offer_id=offer_id)
    return case


async def decline_case(
    user_id: int, case_id: int, reason: str, uow: UnitOfWork, rules: DeadlineRules = DEFAULT_RULES
) -> ReturnCase:
    async with _changing(user_id, case_id, Side.SELLER, uow, rules, "return_case.declined") as case:
        case.decline_case(Side.SELLER, await _without_contacts(case, reason, uow) or "", uow.now())
    return case


async def withdraw(
    user_id: int, case_id: int, uow: UnitOfWork, rules: DeadlineRules = DEFAULT_RULES
) -> ReturnCase:
    async with _changing(user_id, case_id, Side.BUYER, uow, rules, "return_case.withdrawn") as case:
        case.withdraw(Side.BUYER, uow.now())
    order = await uow.orders.get(case.order_id)
    await _tell_seller(
        case,
        WITHDRAWN_TEMPLATE,
        f"return-withdrawn:{case.id}",
        uow,
        order_number=order.number if order is not None else "",
    )
    return case


async def escalate(
    user_id: int, case_id: int, side: Side, uow: UnitOfWork, rules: DeadlineRules = DEFAULT_RULES
) -> ReturnCase:
    async with _changing(user_id, case_id, side, uow, rules, "return_case.escalated") as case:
        if case.status in (CaseStatus.DECLINED, CaseStatus.EXPIRED):
            # The closed case's items go back into dispute: not while a case opened since
            # about one of them is still open (one open case per order line).
            taken = await uow.returns.lines_in_open_cases(ln.order_line_id for ln in case.lines)
            if taken:
                order = await uow.orders.get(case.order_id)
                number = order.number if order is not None else ""
                raise ConflictError("returns.line_has_open_case", number=number)
        case.escalate(side, uow.now())
    return case


# ----- carrying out the agreement -----


async def record_return_tracking(
    user_id: int,
    case_id: int,
    tracking_number: str,
    carrier: str | None,
    uow: UnitOfWork,
    rules: DeadlineRules = DEFAULT_RULES,
) -> ReturnCase:
    """The buyer's return tracking number, validated like a seller's (check digits), and
    refused when it already names another parcel (`_refuse_a_number_in_use`)."""
    async with _changing(
        user_id, case_id, Side.BUYER, uow, rules, "return_case.return_shipped"
    ) as case:
        parsed = valid_tracking_number(tracking_number)
        await _refuse_a_number_in_use(case, parsed.value, uow)
        case.record_return_tracking(Side.BUYER, parsed.value, carrier or parsed.carrier, uow.now())
        await return_parcels.follow(case, uow)
    return case


async def _refuse_a_number_in_use(case: ReturnCase, number: str, uow: UnitOfWork) -> None:
    """A return parcel's number must be the parcel's own. The order's outbound number (the
    parcel the buyer received, typed by mistake) or another shipment's would be followed as
    that parcel, already delivered, and the return never tracked. One parcel may carry the
    returns of several cases of the same buyer and store, so those share a number."""
    outbound = await uow.tracking.shipment_of_order(case.order_id)
    if outbound is not None and outbound.tracking_number == number:
        raise InvalidInput("returns.tracking_is_outbound", number=number)
    for shipment in await uow.tracking.by_tracking_number(number):
        if shipment.return_case_id == case.id:
            continue  # this case's own parcel: the number typed again
        other = (
            await uow.returns.get(shipment.return_case_id)
            if shipment.return_case_id is not None
            else None
        )
        if (
            other is None
            or other.seller_id != case.seller_id
            or other.buyer_user_id != case.buyer_user_id
        ):
            raise InvalidInput("returns.tracking_in_use", number=number)


async def confirm_receipt(
    user_id: int,
    case_id: int,
    note: str | None,
    photos: Sequence[NewEvidence],
    uow: UnitOfWork,
    rules: DeadlineRules = DEFAULT_RULES,
) -> ReturnCase:
    async with _changing(user_id, case_id, Side.SELLER, uow, rules, "return_case.received") as case:
        now = uow.now()
        case.confirm_receipt(Side.SELLER, await _without_contacts(case, note, uow), now)
        for photo in photos:
            case.add_inspection_photo(Side.SELLER, photo, now)
    # An exchange's goods are back: the replacement goes out like any order.
    await return_parcels.replace(case, uow)
    return case


async def record_refund(
    user_id: int,
    case_id: int,
    amount: object,
    reference: str | None,
    uow: UnitOfWork,
    rules: DeadlineRules = DEFAULT_RULES,
) -> ReturnCase:
    async with _changing(user_id, case_id, Side.SELLER, uow, rules, "return_case.refunded") as case:
        # The buyer reads the reference in the refund notice and on the case card.
        case.record_refund(
            Side.SELLER, amount, await _without_contacts(case, reference, uow), uow.now()
        )
    return case


async def resolve(
    user_id: int,
    case_id: int,
    note: str | None,
    uow: UnitOfWork,
    rules: DeadlineRules = DEFAULT_RULES,
) -> ReturnCase:
    async with _changing(user_id, case_id, Side.SELLER, uow, rules, "return_case.resolved") as case:
        case.resolve(Side.SELLER, await _without_contacts(case, note, uow), uow.now())
    return case


# ----- messages -----


async def post_message(
    user_id: int,
    case_id: int,
    side: Side,
    kind: MessageKind,
    text: str | None,
    telegram_file_id: str | None,
    uow: UnitOfWork,
    *,
    reply_to_id: int | None = None,
    file_type: str | None = None,
) -> ReturnMessage:
    """What a side wrote, contact details masked, stored for relaying to the other side;
    `reply_to_id`: the case message it answers (one of this case's, else ignored);
    `file_type`: a document's format, as its content proved it (`domain.returns.files`)."""
    case = await _case_of(user_id, case_id, side, uow)
    masked = await _masked(case, text, uow)
    if reply_to_id is not None:
        answered = await uow.returns.message(reply_to_id)
        reply_to_id = answered.id if answered is not None and answered.case_id == case.id else None
    message = case.post_message(
        side,
        kind,
        text=masked.text if masked is not None else None,
        telegram_file_id=telegram_file_id,
        masked=[k.value for k in masked.found] if masked is not None else [],
        now=uow.now(),
        reply_to_id=reply_to_id,
        file_type=file_type,
    )
    uow.returns.add_message(message)
    await uow.returns.flush()
    return message


async def edit_message(
    user_id: int, message_id: int, side: Side, text: str | None, uow: UnitOfWork
) -> ReturnMessage:
    """The author changed what they wrote: masked again, stored, to be relayed as an edit."""
    message = await uow.returns.message(message_id)
    if message is None:
        raise NotFound(CASE_NOT_FOUND)
    case = await _case_of(user_id, message.case_id, side, uow)
    masked = await _masked(case, text, uow)
    case.edit_message(
        message,
        side,
        masked.text if masked is not None else None,
        [k.value for k in masked.found] if masked is not None else [],
        uow.now(),
    )
    return message


async def _masked(case: ReturnCase, text: str | None, uow: UnitOfWork) -> MaskedText | None:
    """`text` (None: nothing written) with contact details taken out, reading phone numbers as
    the buyer's and the seller's countries write them; the case's order number is not masked
    unless it is a contact itself."""
    if text is None:
        return None
    order = await uow.orders.get(case.order_id)
    if order is None:  # not while the case exists (it goes with its order); masked all the same
        return mask_contacts(text)
    return await _masked_for(order, text, uow)


async def _masked_for(order: Order, text: str, uow: UnitOfWork) -> MaskedText:
    contacts = await uow.tracking.seller_contacts([order.seller_id])
    home = contacts[order.seller_id].home_country if order.seller_id in contacts else None
    return mask_contacts(text, regions=[order.ship_to_country, home], keep=[order.number])


async def _without_contacts(case: ReturnCase, text: str | None, uow: UnitOfWork) -> str | None:
    """What one side writes on the case for the other to read (the request's comment, a
    decline reason, an inspection or closing note, a refund reference): contact details and
    format characters go, as in the thread."""
    masked = await _masked(case, text, uow)
    return None if masked is None else masked.text


async def messages_of(
    user_id: int, case_id: int, side: Side, uow: UnitOfWork
) -> list[ReturnMessage]:
    case = await _case_of(user_id, case_id, side, uow, lock=False)
    return await uow.returns.messages_of(case.id)


# ----- internals -----


@asynccontextmanager
async def _changing(
    user_id: int, case_id: int, side: Side, uow: UnitOfWork, rules: DeadlineRules, action: str
) -> AsyncIterator[ReturnCase]:
    """Every change a side makes: the case, locked and checked to be theirs; once the aggregate
    accepted the change (the body did not raise), the case's deadlines follow it, `action` goes
    on the audit trail and the other side hears of it. A refused change leaves none of these."""
    case = await _case_of(user_id, case_id, side, uow)
    yield case
    await return_deadlines.sync(case, uow, rules)
    order = await uow.orders.get(case.order_id)
    _audit(uow, user_id, side.value, action, order, case, status=case.status.value)
    await return_notices.announce(case, side, action, uow)


def _audit(
    uow: UnitOfWork,
    user_id: int,
    role: str,
    action: str,
    order: Order | None,
    case: ReturnCase,
    **facts: object,
) -> None:
    # Recorded about the order (an audit subject erasure already knows), with the case's id.
    details: dict[str, object] = {**facts, "case": case.id}
    if order is not None:
        details["number"] = order.number
    uow.audit.add(action, by=Actor(role, user_id), about=("order", case.order_id), details=details)
