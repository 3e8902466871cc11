"""A return case on the tracking pipeline, on SQLite and PostgreSQL: the buyer's return parcel
is claimed once by concurrent pollers, both sides hear it move (never the outbound notices),
a corrected number is a new parcel, and an exchange's received goods create a replacement
order that ships and is tracked to the same buyer."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.errors import InvalidInput
from domain.model import Order, OrderSource, OrderStatus, ReturnCase, Shipment
from domain.returns.offers import OfferTerms
from domain.returns.rules import CaseStatus, ReturnReason, Side
from domain.returns.rules import Resolution as R
from domain.services import buyers, erasure, returns, tracking_notices
from domain.tracking import SubStatus
from notifications.tracking.poller import CircuitBreaker, TrackingPoller
from tests.conftest import FixedClock
from tests.returns_fixtures import (
    UowFactory,
    case_row,
    open_damaged,
    photo,
    shipped_to_buyer,
)
from tests.tracking_fixtures import (
    ScriptedProvider,
    Store,
    event,
    notifications_to,
    params_of,
    s10,
    update,
)

SELLER, BUYER = 7501, 7601
S = SubStatus
PARCEL = "returns.parcel_moved"


async def _agreed_return(
    uow_factory: UowFactory, wanted: R, number: str = "AE-RP"
) -> tuple[Store, int, int]:
    """A case whose return the seller accepted: (store, order id, case id)."""
    store = await Store(uow_factory, SELLER).open()
    bought = await shipped_to_buyer(uow_factory, store, number, BUYER, 20_100_001)
    case_id = await open_damaged(uow_factory, bought, OfferTerms(wanted))
    async with uow_factory() as uow:
        await returns.accept_offer(
            SELLER, case_id, Side.SELLER, uow, warehouse_id=store.warehouse_id
        )
        await uow.commit()
    return store, bought.order_id, case_id


async def _record_number(uow_factory: UowFactory, case_id: int, number: str) -> None:
    async with uow_factory() as uow:
        await returns.record_return_tracking(BUYER, case_id, number, None, uow)
        await uow.commit()


async def _return_parcel(uow_factory: UowFactory, case_id: int) -> Shipment | None:
    async with uow_factory() as uow:
        parcel = await uow.shipments.return_parcel_of(case_id)
        uow.session.expunge_all()
        return parcel


async def _delivered_back(
    provider: ScriptedProvider, poller: TrackingPoller, clock: FixedClock, number: str
) -> None:
    """The parcel picked up 13 hours ago is delivered; polled twice (reported again, and
    stopped with the provider)."""
    provider.updates[number] = update(
        number,
        [
            event(clock.now - timedelta(hours=13), S.IN_TRANSIT_PICKED_UP),
            event(clock.now, S.DELIVERED_OTHER),
        ],
    )
    clock.advance(hours=13)
    await poller.tick()
    clock.advance(hours=13)
    await poller.tick()


async def test_the_return_parcel_tells_both_sides_once_and_never_the_outbound_notices(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    _, order_id, case_id = await _agreed_return(uow_factory, R.RETURN_AND_REFUND)
    number = s10("RR", 30_100_001, "FR")
    await _record_number(uow_factory, case_id, number)
    parcel = await _return_parcel(uow_factory, case_id)
    assert parcel is not None and parcel.order_id == order_id
    assert parcel.tracking_number == number and parcel.confirmed_at is not None

    provider = ScriptedProvider()
    poller = TrackingPoller(uow_factory, provider, clock=clock)
    await poller.tick()
    assert number in provider.endpoint_calls("register")[0]
    before_buyer = len(await notifications_to(uow_factory, BUYER))
    before_seller = len(await notifications_to(uow_factory, SELLER))

    provider.updates[number] = update(number, [event(clock.now, S.IN_TRANSIT_PICKED_UP)])
    clock.advance(hours=13)
    await poller.tick()
    buyer_rows = (await notifications_to(uow_factory, BUYER))[before_buyer:]
    seller_rows = (await notifications_to(uow_factory, SELLER))[before_seller:]
    assert [(p["news"], p["side"]) for p in params_of(buyer_rows, PARCEL)] == [
        ("in_transit", "buyer")
    ]
    assert [(p["news"], p["side"]) for p in params_of(seller_rows, PARCEL)] == [
        ("in_transit", "seller")
    ]
    assert params_of(buyer_rows, tracking_notices.BUYER_TEMPLATE) == []  # no "your order" notice

    await _delivered_back(provider, poller, clock, number)  # nothing new for anyone the 2nd time
    buyer_rows = (await notifications_to(uow_factory, BUYER))[before_buyer:]
    seller_rows = (await notifications_to(uow_factory, SELLER))[before_seller:]
    assert [p["news"] for p in params_of(buyer_rows, PARCEL)] == ["in_transit", "delivered"]
    seller_news = params_of(seller_rows, PARCEL)
    assert [(p["news"], p["confirm"]) for p in seller_news] == [
        ("in_transit", False),
        ("delivered", True),
    ]
    assert params_of(buyer_rows, tracking_notices.BUYER_TEMPLATE) == []
    assert all(row.template == PARCEL for row in buyer_rows)
    # The parcel goes back to the store: the order it came with does not move.
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None and order.status is OrderStatus.SHIPPED
        # The seller's lists of their own parcels leave the buyer's out.
        outbound = await uow.tracking.shipment_of_order(order_id)
        assert outbound is not None and outbound.return_case_id is None
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.RETURN_IN_TRANSIT  # the seller confirms receipt


async def test_a_number_that_names_another_parcel_is_refused(uow_factory: UowFactory) -> None:
    """The order's own outbound number, or another store's shipment's, is not the return
    parcel's: refused with its reason, nothing recorded, nothing followed. Another case of the
    same buyer and store may travel in the same parcel."""
    store, order_id, case_id = await _agreed_return(uow_factory, R.RETURN_AND_REFUND)
    other_store = await Store(uow_factory, SELLER + 1, "Another Shop").open()
    await other_store.ship("AE-OTHER", s10("RB", 20_100_077))
    for number, key in (
        (s10("RB", 20_100_001), "returns.tracking_is_outbound"),  # the parcel the buyer got
        (s10("RB", 20_100_077), "returns.tracking_in_use"),  # another store's shipment
    ):
        async with uow_factory() as uow:
            with pytest.raises(InvalidInput) as refused:
                await returns.record_return_tracking(BUYER, case_id, number, None, uow)
        assert (refused.value.key, refused.value.params) == (key, {"number": number})
        case = await case_row(uow_factory, case_id)
        assert (case.status, case.return_tracking_number) == (
            CaseStatus.AWAITING_RETURN_SHIPMENT,
            None,
        )
        assert await _return_parcel(uow_factory, case_id) is None

    shared = s10("RR", 20_100_500, "FR")
    await _record_number(uow_factory, case_id, shared)
    await _record_number(uow_factory, case_id, shared)  # the same number again: a no-op
    async with uow_factory() as uow:
        second = await returns.open_case(
            returns.OpenCase(
                user_id=BUYER,
                order_id=order_id,
                items=[(await _second_line(uow_factory, order_id), 1)],
                reason=ReturnReason.DAMAGED,
                wanted=OfferTerms(R.RETURN_AND_REFUND),
                evidence=[photo(40)],
            ),
            uow,
        )
        await uow.commit()
    async with uow_factory() as uow:
        await returns.accept_offer(
            SELLER, second.id, Side.SELLER, uow, warehouse_id=store.warehouse_id
        )
        await uow.commit()
    await _record_number(uow_factory, second.id, shared)
    assert (await case_row(uow_factory, second.id)).return_tracking_number == shared


async def _second_line(uow_factory: UowFactory, order_id: int) -> int:
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        return order.lines[1].id


async def test_two_pollers_claim_a_return_parcel_once(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    _, _, case_id = await _agreed_return(uow_factory, R.RETURN_AND_REFUND)
    await _record_number(uow_factory, case_id, s10("RR", 30_100_002, "FR"))
    parcel = await _return_parcel(uow_factory, case_id)
    assert parcel is not None

    async def claim() -> list[int]:
        async with uow_factory() as uow:
            claimed = await uow.tracking.claim_due(clock.now, timedelta(minutes=5), 10)
            await asyncio.sleep(0.05)  # hold the transaction while the other worker claims
            await uow.commit()
            return [due.id for due in claimed]

    first, second = await asyncio.gather(claim(), claim())
    assert (first + second).count(parcel.id) == 1
    assert parcel.id not in await claim()  # leased


async def test_the_return_parcel_is_played_from_the_buyer_to_the_warehouse(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    _, _, case_id = await _agreed_return(uow_factory, R.RETURN_AND_REFUND)
    await _record_number(uow_factory, case_id, s10("RR", 30_100_003, "FR"))
    parcel = await _return_parcel(uow_factory, case_id)
    assert parcel is not None
    async with uow_factory() as uow:
        claimed = {d.id: d for d in await uow.tracking.claim_due(clock.now, timedelta(1), 10)}
    due = claimed[parcel.id]
    assert (due.origin_country, due.destination_country) == ("FR", "CN")


async def test_a_corrected_number_is_a_new_parcel(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    _, _, case_id = await _agreed_return(uow_factory, R.RETURN_AND_REFUND)
    first = s10("RR", 30_100_004, "FR")
    await _record_number(uow_factory, case_id, first)
    old = await _return_parcel(uow_factory, case_id)
    await _record_number(uow_factory, case_id, first)  # the same again: the same parcel
    same = await _return_parcel(uow_factory, case_id)
    assert old is not None and same is not None and same.id == old.id
    second = s10("RR", 30_100_005, "FR")
    await _record_number(uow_factory, case_id, second)
    new = await _return_parcel(uow_factory, case_id)
    assert new is not None and new.tracking_number == second
    async with uow_factory() as uow:
        numbers = await uow.session.execute(
            select(Shipment.tracking_number).where(Shipment.return_case_id == case_id)
        )
        assert list(numbers.scalars()) == [second]  # the old parcel went with its events


async def test_the_provider_stops_following_a_corrected_number(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    """The old number of a corrected return parcel was registered with the provider: the next
    tick tells it to stop (its quota), once, and keeps on trying while the provider is down.
    A number that is back in use (the buyer typed the first one again) is not stopped."""
    _, _, case_id = await _agreed_return(uow_factory, R.RETURN_AND_REFUND, "AE-FIX")
    first, second = s10("RR", 30_100_008, "FR"), s10("RR", 30_100_009, "FR")
    provider = ScriptedProvider()
    poller = TrackingPoller(uow_factory, provider, clock=clock)
    await _record_number(uow_factory, case_id, first)
    await poller.tick()  # registers the first number
    await _record_number(uow_factory, case_id, second)

    provider.outage = True
    clock.advance(hours=13)
    await poller.tick()
    assert first not in [n for call in provider.endpoint_calls("stop") for n in call]
    async with uow_factory() as uow:
        assert [n.tracking_number for n in await uow.numbers_to_stop.oldest(10)] == [first]

    provider.outage = False
    poller.breaker = CircuitBreaker()  # the outage is over: no cool-down to sit out here
    clock.advance(hours=13)
    await poller.tick()
    clock.advance(hours=13)
    await poller.tick()
    stopped = [n for call in provider.endpoint_calls("stop") for n in call]
    assert stopped.count(first) == 1 and second not in stopped
    async with uow_factory() as uow:
        assert await uow.numbers_to_stop.oldest(10) == []

    # A slip corrected at once: the second (registered) is replaced by the first, then typed
    # again before the poller ran. It is in use again, so it is not stopped.
    await _record_number(uow_factory, case_id, first)
    await _record_number(uow_factory, case_id, second)
    clock.advance(hours=13)
    await poller.tick()
    stopped = [n for call in provider.endpoint_calls("stop") for n in call]
    assert stopped == [first]
    async with uow_factory() as uow:
        assert await uow.numbers_to_stop.oldest(10) == []


async def test_an_exchange_ships_a_replacement_tracked_to_the_same_buyer(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    store, _, case_id = await _agreed_return(uow_factory, R.EXCHANGE, "AE-EX")
    await _record_number(uow_factory, case_id, s10("RR", 30_100_006, "FR"))
    async with uow_factory() as uow:
        await returns.confirm_receipt(SELLER, case_id, None, [], uow)
        await uow.commit()
    case = await case_row(uow_factory, case_id)
    assert case.replacement_order_id is not None
    async with uow_factory() as uow:
        replacement = await uow.orders.get(case.replacement_order_id)
        assert replacement is not None
        assert (replacement.number, replacement.status, replacement.source) == (
            "AE-EX-X1",
            OrderStatus.CONFIRMED,
            OrderSource.EXCHANGE,
        )
        assert [(ln.product_name, ln.quantity) for ln in replacement.lines] == [("Phone case", 2)]
        subscription = await uow.buyers.for_order(replacement.id)
        assert subscription is not None and subscription.buyer_user_id == BUYER
        count = len(
            (await uow.session.execute(select(Order.id).where(Order.seller_id == store.seller_id)))
            .scalars()
            .all()
        )
        assert count == 2
    for chat, side in ((BUYER, "buyer"), (SELLER, "seller")):
        (told,) = params_of(
            await notifications_to(uow_factory, chat), "returns.replacement_created"
        )
        assert (told["replacement"], told["side"]) == ("AE-EX-X1", side)

    tracking = s10("RB", 20_100_099)
    shipped = await store.ship_order(case.replacement_order_id, "AE-EX-X1", tracking)
    assert shipped.token == ""  # the buyer follows it already: no link to pass on
    provider = ScriptedProvider()
    poller = TrackingPoller(uow_factory, provider, clock=clock)
    await poller.tick()
    before = len(await notifications_to(uow_factory, BUYER))
    provider.updates[shipped.tracking_number] = update(
        shipped.tracking_number, [event(clock.now, S.IN_TRANSIT_PICKED_UP)]
    )
    clock.advance(hours=13)
    await poller.tick()
    told = params_of(
        (await notifications_to(uow_factory, BUYER))[before:], tracking_notices.BUYER_TEMPLATE
    )
    assert [p["order_number"] for p in told] == ["AE-EX-X1"]


async def test_a_seller_erasing_their_data_takes_return_parcels_and_replacements_along(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    """Every parcel goes with the store; those the provider follows are stopped by the next
    tick (it would follow them for weeks), and then nothing of them is left."""
    store, _, case_id = await _agreed_return(uow_factory, R.EXCHANGE, "AE-ER")
    returned = s10("RR", 30_100_007, "FR")
    await _record_number(uow_factory, case_id, returned)
    provider = ScriptedProvider()
    poller = TrackingPoller(uow_factory, provider, clock=clock)
    await poller.tick()  # registers the outbound parcel and the return parcel
    async with uow_factory() as uow:
        await returns.confirm_receipt(SELLER, case_id, None, [], uow)
        await uow.commit()
    replacement_id = (await case_row(uow_factory, case_id)).replacement_order_id
    assert replacement_id is not None
    await store.ship_order(replacement_id, "AE-ER-X1", s10("RB", 20_100_098))  # not registered
    registered = {n for call in provider.endpoint_calls("register") for n in call}
    assert returned in registered and len(registered) == 2
    async with uow_factory() as uow:
        # The exchange is still open (received, not resolved): it holds the erasure.
        [held] = await erasure.erase_user_data(SELLER, uow)
        assert held.key == "erasure.store_returns_open"
        await returns.resolve(SELLER, case_id, None, uow)
        assert await erasure.erase_user_data(SELLER, uow) == []
        await uow.commit()
    async with uow_factory() as uow:
        for table in (Order, Shipment, ReturnCase):
            left = await uow.session.execute(select(table.id))
            assert list(left.scalars()) == [], table.__tablename__

    clock.advance(hours=13)
    await poller.tick()
    assert {n for call in provider.endpoint_calls("stop") for n in call} == registered
    async with uow_factory() as uow:
        assert await uow.numbers_to_stop.oldest(10) == []


async def test_an_escalated_cases_parcel_is_followed_silently_and_stopped_when_delivered(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    """Escalation freezes the case: nobody is told of its parcel any more, but the parcel is
    still followed (where the goods are is evidence for the dispute) until it is delivered,
    then stopped with the provider like any parcel."""
    _, _, case_id = await _agreed_return(uow_factory, R.RETURN_AND_REFUND, "AE-ESC")
    number = s10("RR", 30_100_007, "FR")
    await _record_number(uow_factory, case_id, number)
    provider = ScriptedProvider()
    poller = TrackingPoller(uow_factory, provider, clock=clock)
    await poller.tick()
    async with uow_factory() as uow:
        await returns.escalate(BUYER, case_id, Side.BUYER, uow)
        await uow.commit()
    before = {chat: len(await notifications_to(uow_factory, chat)) for chat in (BUYER, SELLER)}

    provider.updates[number] = update(number, [event(clock.now, S.IN_TRANSIT_PICKED_UP)])
    clock.advance(hours=13)
    await poller.tick()
    await _delivered_back(provider, poller, clock, number)

    for chat in (BUYER, SELLER):
        rows = (await notifications_to(uow_factory, chat))[before[chat] :]
        assert params_of(rows, PARCEL) == [], chat
    parcel = await _return_parcel(uow_factory, case_id)
    assert parcel is not None and parcel.tracking_status == "Delivered"
    assert number in [n for call in provider.endpoint_calls("stop") for n in call]
    assert (await case_row(uow_factory, case_id)).status is CaseStatus.ESCALATED


async def test_after_a_new_link_the_case_and_its_replacement_stay_with_the_cases_buyer(
    uow_factory: UowFactory,
) -> None:
    """The seller issues a new link while an exchange is under way and another account opens
    it: the case's buyer still records the return number, hears the case's news and follows
    the replacement order; the new holder follows the original order only and hears nothing
    of the case."""
    holder = 7602
    _, order_id, case_id = await _agreed_return(uow_factory, R.EXCHANGE, "AE-RL")
    async with uow_factory() as uow:
        token = await buyers.reissue_link(SELLER, order_id, uow)
        await uow.commit()
    async with uow_factory() as uow:
        await uow.users.touch(holder, "en", uow.now())
        assert (await buyers.open_link(token, holder, uow)).view is not None
        await uow.commit()
    await _record_number(uow_factory, case_id, s10("RR", 30_100_016, "FR"))
    async with uow_factory() as uow:
        await returns.confirm_receipt(SELLER, case_id, None, [], uow)
        await uow.commit()
    case = await case_row(uow_factory, case_id)
    assert case.replacement_order_id is not None and case.buyer_user_id == BUYER
    async with uow_factory() as uow:
        original = await uow.buyers.for_order(order_id)
        assert original is not None and original.buyer_user_id == holder
        replacement = await uow.buyers.for_order(case.replacement_order_id)
        assert replacement is not None and replacement.buyer_user_id == BUYER
    (told,) = params_of(await notifications_to(uow_factory, BUYER), "returns.replacement_created")
    assert told["side"] == "buyer"
    assert not [
        n for n in await notifications_to(uow_factory, holder) if n.template.startswith("returns.")
    ]
