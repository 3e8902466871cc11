"""Return cases on a real database (SQLite and PostgreSQL): the negotiation end to end, who may
act on which case, one open case per order line, the return shipment, the seller's policy,
messages with contacts masked, the seller's lists, escalation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.errors import ConflictError, InvalidInput, NotFound
from domain.model import AuditEntry, ReturnMessageCopy
from domain.returns.deadlines import Firing
from domain.returns.offers import OfferTerms
from domain.returns.policy import ReturnPolicy
from domain.returns.rules import (
    CaseStatus,
    MessageKind,
    OfferStatus,
    OutOfPolicy,
    PostagePayer,
    Side,
)
from domain.returns.rules import Resolution as R
from domain.services import return_views, returns
from tests.conftest import FixedClock
from tests.returns_fixtures import (
    UowFactory,
    case_row,
    firings,
    open_damaged,
    photo,
    shipped_to_buyer,
)
from tests.tracking_fixtures import Store, notifications_to, s10

SELLER, OTHER_SELLER = 7101, 7102
BUYER, OTHER_BUYER, STRANGER = 7201, 7202, 7203


async def _store(uow_factory: UowFactory, user_id: int = SELLER) -> Store:
    return await Store(uow_factory, user_id, f"Store {user_id}").open()


async def test_a_negotiation_from_request_to_resolution(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    store = await _store(uow_factory)
    bought = await shipped_to_buyer(uow_factory, store, "AE-9001", BUYER, 20_000_001)
    case_id = await open_damaged(uow_factory, bought)  # 2 x 3.50 EUR, asks 3.50 back
    sent = await notifications_to(uow_factory, SELLER)
    (alert,) = [row for row in sent if row.template == "returns.new_case"]
    # The case's thread on the seller's side is opened through the outbox too.
    (thread,) = [row for row in sent if row.template == "returns.thread"]
    assert thread.params == {"case_id": case_id, "side": "seller"}
    assert (alert.template, alert.params["case_id"], alert.params["reason"]) == (
        "returns.new_case",
        case_id,
        "damaged",
    )
    assert alert.params["answer_by"] == (clock.now + timedelta(days=5)).isoformat()

    async with uow_factory() as uow:
        await returns.counter_offer(
            SELLER, case_id, Side.SELLER, OfferTerms(R.REFUND_PARTIAL, Decimal("2.10")), uow
        )
        await uow.commit()
    clock.advance(hours=1)
    async with uow_factory() as uow:
        await returns.counter_offer(
            BUYER, case_id, Side.BUYER, OfferTerms(R.REFUND_PARTIAL, Decimal("3.50")), uow
        )
        await uow.commit()
    clock.advance(hours=1)
    async with uow_factory() as uow:
        await returns.accept_offer(SELLER, case_id, Side.SELLER, uow)
        await uow.commit()
    async with uow_factory() as uow:
        await returns.record_refund(SELLER, case_id, "3.50", "SEPA-77", uow)
        await uow.commit()

    case = await case_row(uow_factory, case_id)
    assert (case.status, case.paid, case.currency) == (
        CaseStatus.RESOLVED,
        Decimal("7.00"),
        "EUR",
    )
    assert (case.agreed_amount, case.refund_amount, case.refund_reference) == (
        Decimal("3.50"),
        Decimal("3.50"),
        "SEPA-77",
    )
    assert [(o.side, o.amount, o.status) for o in case.offers] == [
        (Side.BUYER, Decimal("3.50"), OfferStatus.COUNTERED),
        (Side.SELLER, Decimal("2.10"), OfferStatus.COUNTERED),
        (Side.BUYER, Decimal("3.50"), OfferStatus.ACCEPTED),
    ]
    assert case.offers[2].replaces_id == case.offers[1].id
    assert [e.action for e in case.events] == [
        "opened",
        "offer_countered",
        "offer_countered",
        "offer_accepted",
        "refund_recorded",
    ]
    assert len(case.evidence) == 2
    assert [line.active for line in case.lines] == [False]
    # Every deadline ended with the case: nothing left to fire.
    assert all(f.fired_at is not None or f.cancelled_at is not None for f in await firings(
        uow_factory, case_id
    ))  # fmt: skip
    async with uow_factory() as uow:
        actions = list(
            (
                await uow.session.execute(
                    select(AuditEntry.action).where(AuditEntry.action.like("return_case.%"))
                )
            ).scalars()
        )
    assert actions == [
        "return_case.opened",
        "return_case.offer_countered",
        "return_case.offer_countered",
        "return_case.offer_accepted",
        "return_case.refunded",
    ]


async def test_nobody_acts_on_a_case_that_is_not_theirs(uow_factory: UowFactory) -> None:
    store = await _store(uow_factory)
    other_store = await _store(uow_factory, OTHER_SELLER)
    order_a = await shipped_to_buyer(uow_factory, store, "AE-A", BUYER, 20_000_011)
    order_b = await shipped_to_buyer(uow_factory, store, "AE-B", OTHER_BUYER, 20_000_012)
    await shipped_to_buyer(uow_factory, other_store, "AE-C", STRANGER, 20_000_013)
    case_b = await open_damaged(uow_factory, order_b)
    missing = case_b + 1000

    attempts = [
        # The buyer of order A, on order B's case: read, post, offer, withdraw, escalate.
        lambda uow, case: returns.case_for(BUYER, case, Side.BUYER, uow),
        lambda uow, case: returns.post_message(
            BUYER, case, Side.BUYER, MessageKind.TEXT, "hi", None, uow
        ),
        lambda uow, case: returns.withdraw(BUYER, case, uow),
        lambda uow, case: returns.escalate(BUYER, case, Side.BUYER, uow),
        # Another store's seller.
        lambda uow, case: returns.accept_offer(OTHER_SELLER, case, Side.SELLER, uow),
        lambda uow, case: returns.decline_case(OTHER_SELLER, case, "No way", uow),
        # The right buyer claiming to be the seller, and the seller claiming to be the buyer.
        lambda uow, case: returns.accept_offer(OTHER_BUYER, case, Side.SELLER, uow),
        lambda uow, case: returns.withdraw(SELLER, case, uow),
    ]
    for attempt in attempts:
        for target in (case_b, missing):
            async with uow_factory() as uow:
                with pytest.raises(NotFound) as refused:
                    await attempt(uow, target)
            # Not yours and does not exist look exactly the same.
            assert (refused.value.key, refused.value.params) == ("returns.case_not_found", {})
    # Nor can anyone open a case on an order their account is not linked to.
    for user in (BUYER, SELLER, STRANGER):
        async with uow_factory() as uow:
            with pytest.raises(NotFound) as refused:
                await returns.open_case(
                    returns.OpenCase(
                        user, order_b.order_id, [(order_b.line_ids[1], 1)], "changed_mind",
                        OfferTerms(R.REFUND_FULL),
                    ),
                    uow,
                )  # fmt: skip
            assert refused.value.key == "returns.order_not_found"
    assert (await case_row(uow_factory, case_b)).status == CaseStatus.REQUESTED
    # The rightful sides can.
    async with uow_factory() as uow:
        await returns.case_for(OTHER_BUYER, case_b, Side.BUYER, uow)
        await returns.case_for(SELLER, case_b, Side.SELLER, uow)
    assert order_a.order_id != order_b.order_id


async def test_one_open_case_per_order_line(uow_factory: UowFactory) -> None:
    store = await _store(uow_factory)
    bought = await shipped_to_buyer(uow_factory, store, "AE-L", BUYER, 20_000_021)
    first = await open_damaged(uow_factory, bought, quantity=1)
    with pytest.raises(ConflictError) as refused:
        await open_damaged(uow_factory, bought, quantity=1)
    assert refused.value.key == "returns.line_has_open_case"
    # Another line of the same order is free.
    async with uow_factory() as uow:
        await returns.open_case(
            returns.OpenCase(
                BUYER, bought.order_id, [(bought.line_ids[1], 1)], "changed_mind",
                OfferTerms(R.REFUND_FULL),
            ),
            uow,
        )  # fmt: skip
        await uow.commit()
    # Withdrawn, the line is free again; once settled, what was settled cannot be asked twice.
    async with uow_factory() as uow:
        await returns.withdraw(BUYER, first, uow)
        await uow.commit()
    again = await open_damaged(uow_factory, bought, quantity=1)
    async with uow_factory() as uow:
        await returns.accept_offer(SELLER, again, Side.SELLER, uow)
        await returns.record_refund(SELLER, again, "3.50", None, uow)
        await uow.commit()
    with pytest.raises(InvalidInput) as too_many:
        await open_damaged(uow_factory, bought, quantity=2)
    assert (too_many.value.key, too_many.value.params["max"]) == ("returns.quantity_invalid", 1)
    await open_damaged(uow_factory, bought, quantity=1)


async def test_a_return_for_refund_ships_back_and_is_received(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    store = await _store(uow_factory)
    other_store = await _store(uow_factory, OTHER_SELLER)
    bought = await shipped_to_buyer(uow_factory, store, "AE-R", BUYER, 20_000_031)
    case_id = await open_damaged(uow_factory, bought, OfferTerms(R.RETURN_AND_REFUND))
    async with uow_factory() as uow:
        with pytest.raises(InvalidInput) as refused:
            await returns.accept_offer(SELLER, case_id, Side.SELLER, uow)
        assert refused.value.key == "returns.warehouse_required"
    # Only one of the seller's own verified warehouses takes returns.
    async with uow_factory() as uow:
        with pytest.raises(InvalidInput) as refused:
            await returns.accept_offer(
                SELLER, case_id, Side.SELLER, uow, warehouse_id=other_store.warehouse_id
            )
        assert refused.value.key == "returns.warehouse_invalid"
    async with uow_factory() as uow:
        await returns.accept_offer(
            SELLER, case_id, Side.SELLER, uow, warehouse_id=store.warehouse_id
        )
        await uow.commit()
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.postage_payer, case.agreed_amount) == (
        CaseStatus.AWAITING_RETURN_SHIPMENT,
        PostagePayer.STORE,  # damaged in transit: the store pays, by default
        Decimal("7.00"),
    )
    pending = [f for f in await firings(uow_factory, case_id) if f.cancelled_at is None]
    assert {(f.key, f.firing) for f in pending} == {
        ("return_shipment", Firing.HALF_TIME),
        ("return_shipment", Firing.DAY_BEFORE),
        ("return_shipment", Firing.LAPSE),
    }
    assert max(f.due_at for f in pending) == clock.now + timedelta(days=10)

    bad_check_digit = s10("RR", 30_000_001)[:-3] + "0CN"
    async with uow_factory() as uow:
        with pytest.raises(InvalidInput):
            await returns.record_return_tracking(BUYER, case_id, bad_check_digit, None, uow)
    async with uow_factory() as uow:
        await returns.record_return_tracking(
            BUYER, case_id, s10("RR", 30_000_001, "FR").lower(), None, uow
        )
        await uow.commit()
    async with uow_factory() as uow:
        await returns.confirm_receipt(SELLER, case_id, "Box dented, item fine", [photo(9)], uow)
        await returns.record_refund(SELLER, case_id, "7.00", None, uow)
        await uow.commit()
    case = await case_row(uow_factory, case_id)
    assert case.status == CaseStatus.RESOLVED
    assert case.return_tracking_number == s10("RR", 30_000_001, "FR")
    assert [(e.side, e.file_unique_id) for e in case.evidence][-1] == (Side.SELLER, "photo-uniq-9")
    assert all(f.cancelled_at is not None for f in await firings(uow_factory, case_id))


async def test_the_sellers_policy_decides_window_and_postage(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    store = await _store(uow_factory)
    bought = await shipped_to_buyer(uow_factory, store, "AE-P", BUYER, 20_000_041)
    async with uow_factory() as uow:
        await returns.save_policy(SELLER, ReturnPolicy(window_days=7), uow)
        order = await uow.orders.get(bought.order_id)
        assert order is not None
        order.mark_delivered(clock.now)
        await uow.commit()
    async with uow_factory() as uow:
        assert (await returns.policy_of(store.seller_id, uow)).window_days == 7
    clock.advance(days=8)
    case_id = await open_damaged(uow_factory, bought, OfferTerms(R.RETURN_AND_REFUND))
    assert (await case_row(uow_factory, case_id)).out_of_policy == [OutOfPolicy.WINDOW.value]
    # Still the seller's call: the case is open like any other.
    assert (await case_row(uow_factory, case_id)).status == CaseStatus.REQUESTED


async def test_messages_are_masked_and_found_by_their_copies(uow_factory: UowFactory) -> None:
    store = await _store(uow_factory)
    bought = await shipped_to_buyer(uow_factory, store, "AE-612345678", BUYER, 20_000_051)
    case_id = await open_damaged(uow_factory, bought)
    async with uow_factory() as uow:
        message = await returns.post_message(
            BUYER,
            case_id,
            Side.BUYER,
            MessageKind.TEXT,
            "Order AE-612345678: call me on 06 12 34 56 78 or kate@gmail.com",
            None,
            uow,
        )
        message.copies.append(
            ReturnMessageCopy(side=Side.SELLER, chat_id=SELLER, telegram_message_id=55)
        )
        await uow.commit()
        message_id = message.id
    async with uow_factory() as uow:
        found = await uow.returns.message_by_copy(SELLER, 55)
        assert found is not None and found.id == message_id
        assert found.text == "Order AE-612345678: call me on [•••] or [•••]"
        assert found.masked == ["phone", "email"]
        assert await uow.returns.message_by_copy(BUYER, 55) is None
        listed = await returns.messages_of(SELLER, case_id, Side.SELLER, uow)
        assert [m.id for m in listed] == [message_id]


async def test_what_one_side_writes_on_the_case_is_masked_like_the_thread(
    uow_factory: UowFactory,
) -> None:
    """The request's comment and the seller's decline reason are read by the other side on
    the case card and in the transcript: contact details go, as in the thread."""
    store = await _store(uow_factory)
    bought = await shipped_to_buyer(uow_factory, store, "AE-612345679", BUYER, 20_000_052)
    case_id = await open_damaged(
        uow_factory,
        bought,
        comment="Crushed (AE-612345679). Call +49 170 1234567, hans@example.com",
    )
    assert (await case_row(uow_factory, case_id)).comment == (
        "Crushed (AE-612345679). Call [•••], [•••]"
    )
    async with uow_factory() as uow:
        await returns.decline_case(SELLER, case_id, "Not damaged; write to shop@example.com", uow)
        await uow.commit()
    assert (await case_row(uow_factory, case_id)).decline_reason == "Not damaged; write to [•••]"


async def test_the_sellers_lists(uow_factory: UowFactory, clock: FixedClock) -> None:
    store = await _store(uow_factory)
    await _store(uow_factory, OTHER_SELLER)
    cases = []
    for index in range(3):
        bought = await shipped_to_buyer(
            uow_factory, store, f"AE-S{index}", BUYER + 10 + index, 20_000_060 + index
        )
        cases.append(await open_damaged(uow_factory, bought))
        clock.advance(minutes=1)
    async with uow_factory() as uow:
        await returns.counter_offer(
            SELLER, cases[1], Side.SELLER, OfferTerms(R.REFUND_PARTIAL, Decimal("1")), uow
        )
        await returns.accept_offer(SELLER, cases[2], Side.SELLER, uow)
        await returns.record_refund(SELLER, cases[2], "3.50", None, uow)
        await uow.commit()

    async def ids(which: return_views.CaseFilter) -> tuple[list[int], int]:
        async with uow_factory() as uow:
            page, total = await return_views.cases_for_seller(SELLER, which, uow)
            return [c.case_id for c in page], total

    F = return_views.CaseFilter
    assert await ids(F.OPEN) == ([cases[1], cases[0]], 2)
    assert await ids(F.WAITING_FOR_ME) == ([cases[0]], 1)
    assert await ids(F.WAITING_FOR_BUYER) == ([cases[1]], 1)
    assert await ids(F.CLOSED) == ([cases[2]], 1)
    async with uow_factory() as uow:
        page, total = await return_views.cases_for_seller(OTHER_SELLER, F.OPEN, uow)
        assert (page, total) == ([], 0)
        card = await return_views.seller_card(SELLER, cases[1], uow)
        assert (card.order_number, card.items, card.waiting_on) == (
            "AE-S1",
            (("Phone case", 2),),
            Side.BUYER,
        )
        assert card.open_offer is not None and card.open_offer.amount == Decimal("1.00")
        assert [step.action for step in card.timeline] == ["opened", "offer_countered"]
        with pytest.raises(NotFound):
            await return_views.seller_card(OTHER_SELLER, cases[1], uow)


async def test_escalation_freezes_the_case_and_its_deadlines(uow_factory: UowFactory) -> None:
    store = await _store(uow_factory)
    bought = await shipped_to_buyer(uow_factory, store, "AE-E", BUYER, 20_000_071)
    case_id = await open_damaged(uow_factory, bought)
    async with uow_factory() as uow:
        await returns.escalate(BUYER, case_id, Side.BUYER, uow)
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(ConflictError):
            await returns.accept_offer(SELLER, case_id, Side.SELLER, uow)
        awaiting, total = await uow.returns.in_dispute(decided=False, limit=10)
        assert ([c.id for c in awaiting], total) == ([case_id], 1)
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.escalated_by, case.status_before_escalation) == (
        CaseStatus.ESCALATED,
        Side.BUYER,
        CaseStatus.REQUESTED,
    )
    assert all(f.cancelled_at is not None for f in await firings(uow_factory, case_id))


async def test_a_buyer_who_erases_their_data_leaves_no_trace_in_return_cases(
    uow_factory: UowFactory, engine: AsyncEngine
) -> None:
    from domain.services import erasure
    from tests.personal_data_search import search_tables

    store = await _store(uow_factory)
    bought = await shipped_to_buyer(uow_factory, store, "AE-X", BUYER, 20_000_081)
    case_id = await open_damaged(uow_factory, bought)
    async with uow_factory() as uow:
        message = await returns.post_message(
            BUYER, case_id, Side.BUYER, MessageKind.TEXT, "Quokka-sighting at my door", None, uow
        )
        message.copies.append(
            ReturnMessageCopy(side=Side.BUYER, chat_id=BUYER, telegram_message_id=9, original=True)
        )
        await returns.counter_offer(
            SELLER, case_id, Side.SELLER, OfferTerms(R.REFUND_PARTIAL, Decimal("1")), uow
        )
        await uow.commit()
    async with uow_factory() as uow:
        # Open, the case holds the erasure (the store is answering it); nothing is deleted.
        [held] = await erasure.erase_user_data(BUYER, uow)
        assert (held.key, held.count) == ("erasure.returns_to_withdraw", 1)
        await uow.commit()
    assert (await case_row(uow_factory, case_id)).buyer_user_id == BUYER
    async with uow_factory() as uow:
        await returns.withdraw(BUYER, case_id, uow)
        assert await erasure.erase_user_data(BUYER, uow) == []
        await uow.commit()

    traces, rows_read = await search_tables(
        engine, ["Quokka-sighting", "The box arrived crushed", "photo-file-1"], BUYER
    )
    assert rows_read > 0
    assert traces == []
    # The store keeps its account of the case.
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.buyer_user_id, case.comment) == (CaseStatus.WITHDRAWN, None, None)
    assert [o.amount for o in case.offers] == [Decimal("3.50"), Decimal("1.00")]


async def test_two_cases_racing_for_one_line_leave_exactly_one(uow_factory: UowFactory) -> None:
    """The check in the service and, under a race, the partial unique index behind it."""
    import asyncio

    from domain.returns.rules import ReturnReason

    store = await _store(uow_factory)
    bought = await shipped_to_buyer(uow_factory, store, "AE-RACE", BUYER, 20_000_091)

    async def open_one() -> str:
        async with uow_factory() as uow:
            try:
                await returns.open_case(
                    returns.OpenCase(
                        BUYER, bought.order_id, [(bought.line_ids[1], 1)],
                        ReturnReason.CHANGED_MIND, OfferTerms(R.REFUND_FULL),
                    ),
                    uow,
                )  # fmt: skip
                await asyncio.sleep(0.05)  # hold the transaction while the other one tries
                await uow.commit()
            except ConflictError as refused:
                return refused.key
            return "opened"

    results = sorted(await asyncio.gather(open_one(), open_one()))
    assert results == ["opened", "returns.line_has_open_case"]
    async with uow_factory() as uow:
        assert len(await uow.returns.for_order(bought.order_id)) == 1


async def test_two_sides_ending_a_case_at_once_exactly_one_wins(
    uow_factory: UowFactory,
) -> None:
    """The seller refuses while the buyer withdraws: the case row lock puts one first, and the
    other finds the case closed."""
    import asyncio

    store = await _store(uow_factory)
    bought = await shipped_to_buyer(uow_factory, store, "AE-BOTH", BUYER, 20_000_101)
    case_id = await open_damaged(uow_factory, bought)

    async def act(side: Side) -> str:
        async with uow_factory() as uow:
            try:
                if side is Side.SELLER:
                    await returns.decline_case(SELLER, case_id, "Worn and washed", uow)
                else:
                    await returns.withdraw(BUYER, case_id, uow)
                await asyncio.sleep(0.05)  # hold the lock while the other side tries
                await uow.commit()
            except ConflictError as refused:
                return refused.key
            return "done"

    results = await asyncio.gather(act(Side.SELLER), act(Side.BUYER))
    assert sorted(results) == ["done", "returns.action_refused"]
    case = await case_row(uow_factory, case_id)
    winner = CaseStatus.DECLINED if results[0] == "done" else CaseStatus.WITHDRAWN
    assert case.status == winner
    assert [e.action for e in case.events][-1] in {"case_declined", "withdrawn"}
    assert len(case.events) == 2  # opened, and the one that won


async def test_an_answer_to_an_offer_no_longer_open_is_refused(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    """Accept and decline name the offer the caller saw: once the other side countered, an
    answer naming the old offer (or another case's offer) is refused and changes nothing."""
    store = await _store(uow_factory)
    bought = await shipped_to_buyer(uow_factory, store, "AE-STALE", BUYER, 20_000_071)
    case_id = await open_damaged(uow_factory, bought, OfferTerms(R.REFUND_PARTIAL, Decimal("2.50")))
    other_bought = await shipped_to_buyer(uow_factory, store, "AE-STALE2", BUYER, 20_000_072)
    other_case = await open_damaged(uow_factory, other_bought)
    shown = (await case_row(uow_factory, case_id)).open_offer
    assert shown is not None and shown.amount == Decimal("2.50")
    async with uow_factory() as uow:
        await returns.counter_offer(
            SELLER, case_id, Side.SELLER, OfferTerms(R.REFUND_PARTIAL, Decimal("2.00")), uow
        )
        await uow.commit()
    clock.advance(hours=1)
    async with uow_factory() as uow:
        await returns.counter_offer(
            BUYER, case_id, Side.BUYER, OfferTerms(R.REFUND_PARTIAL, Decimal("3.00")), uow
        )
        await uow.commit()
    current = (await case_row(uow_factory, case_id)).open_offer
    elsewhere = (await case_row(uow_factory, other_case)).open_offer
    assert current is not None and elsewhere is not None

    for offer_id in (shown.id, elsewhere.id, 0):
        async with uow_factory() as uow:
            with pytest.raises(ConflictError) as accepting:
                await returns.accept_offer(SELLER, case_id, Side.SELLER, uow, offer_id=offer_id)
            with pytest.raises(ConflictError) as declining:
                await returns.decline_offer(SELLER, case_id, Side.SELLER, uow, offer_id=offer_id)
        assert accepting.value.key == declining.value.key == "returns.offer_changed"
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.NEGOTIATING and case.agreed_amount is None
    assert [(o.side, o.amount, o.status) for o in case.offers] == [
        (Side.BUYER, Decimal("2.50"), OfferStatus.COUNTERED),
        (Side.SELLER, Decimal("2.00"), OfferStatus.COUNTERED),
        (Side.BUYER, Decimal("3.00"), OfferStatus.OPEN),
    ]
    # The other case's offer is untouched too; the offer on the table can still be accepted.
    still = (await case_row(uow_factory, other_case)).open_offer
    assert still is not None and (still.id, still.status) == (elsewhere.id, OfferStatus.OPEN)
    async with uow_factory() as uow:
        await returns.accept_offer(SELLER, case_id, Side.SELLER, uow, offer_id=current.id)
        await uow.commit()
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.agreed_amount) == (CaseStatus.AGREED, Decimal("3.00"))
