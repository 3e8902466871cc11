"""Starting a form about a return case once the caller is checked to be the case's side and the
case to allow the action now: an offer (a new one, or a counter to the other side's) with what
the form needs — what was paid, the warehouses the goods may go back to (the suggested one
first), the policy's defaults — and the return leg's steps (`case_allowing`). Finishing them
is `domain.services.returns` (`propose_offer`, `counter_offer`, `record_return_tracking`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.errors import ConflictError
from domain.model import Capability, ReturnCase, WarehouseStatus
from domain.returns.addresses import ReturnAddress, ordered_addresses
from domain.returns.deadlines import DeadlineRules
from domain.returns.rules import Action, PostagePayer, Side
from domain.services import returns
from domain.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class OfferStart:
    case_id: int
    side: Side
    counter: bool
    currency: str
    paid: Decimal
    addresses: tuple[ReturnAddress, ...]
    default_payer: PostagePayer
    default_days: int


def require(case: ReturnCase, side: Side, action: Action) -> None:
    """Refuse, with the case's own words, an action the case does not allow `side` now."""
    if action not in case.allowed_actions(side):
        raise ConflictError("returns.action_refused", action=action.value, status=case.status.value)


async def start(
    user_id: int,
    case_id: int,
    side: Side,
    counter: bool,
    uow: UnitOfWork,
    rules: DeadlineRules = returns.DEFAULT_RULES,
) -> OfferStart:
    case = await returns.case_for(user_id, case_id, side, uow)
    require(case, side, Action.COUNTER_OFFER if counter else Action.PROPOSE_OFFER)
    policy = await returns.policy_of(case.seller_id, uow)
    return OfferStart(
        case_id=case.id,
        side=Side(side),
        counter=counter,
        currency=case.currency,
        paid=case.paid,
        addresses=await return_addresses(case, uow),
        default_payer=policy.postage_payer(case.reason),
        default_days=rules.return_shipment.days,
    )


async def return_addresses(case: ReturnCase, uow: UnitOfWork) -> tuple[ReturnAddress, ...]:
    """The seller's verified warehouses, the one to suggest for this buyer first."""
    order = await uow.orders.get(case.order_id)
    contacts = await uow.tracking.seller_contacts([case.seller_id])
    home = contacts[case.seller_id].home_country if case.seller_id in contacts else ""
    verified = [
        ReturnAddress(
            warehouse_id=w.id,
            name=w.name,
            country=w.country,
            city=w.city,
            local_returns=Capability.LOCAL_RETURNS in w.capabilities,
        )
        for w in await uow.warehouses.for_seller(case.seller_id)
        if w.status == WarehouseStatus.VERIFIED
    ]
    return ordered_addresses(
        verified, buyer_country=order.ship_to_country if order else home, home_country=home
    )


async def warehouses_to_name(
    user_id: int, case_id: int, side: Side, uow: UnitOfWork, *, offer_id: int | None = None
) -> tuple[ReturnAddress, ...] | None:
    """The warehouses the seller chooses from to accept a buyer's return that left it to the
    store; None when accepting needs no choice. Refused like `returns.accept_offer` when the
    open offer is not `offer_id`, the one the pressed card showed."""
    case = await returns.case_for(user_id, case_id, side, uow)
    offer = case.offer_to_answer(side, Action.ACCEPT_OFFER, offer_id)
    if side is not Side.SELLER or not offer.resolution.needs_return:
        return None
    if offer.warehouse_id is not None:
        return None
    return await return_addresses(case, uow)


async def case_allowing(
    user_id: int, case_id: int, side: Side, action: Action, uow: UnitOfWork
) -> ReturnCase:
    """The case, if the caller is its `side` and the case allows `action` now (a form about
    it starts only then; the service that finishes the form checks again)."""
    case = await returns.case_for(user_id, case_id, side, uow)
    require(case, side, action)
    return case
