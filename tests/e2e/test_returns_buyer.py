"""Returns from the buyer's side, end to end through the emulator: a buyer opens a "damaged in
transit" case with two photos from the order card, the seller is alerted at once and finds it
in /returns; the buyer withdraws another case from /orders and the seller is told."""

from __future__ import annotations

from domain.returns.rules import CaseStatus, EvidenceKind, ReturnReason
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import BotRunner, chat_with
from tests.e2e.test_logistics_settings import png
from tests.returns_fixtures import BoughtOrder, case_row, open_damaged
from tests.tracking_fixtures import Store, s10

SELLER_ID = 7_346_000_001
BUYER_ID = 7_346_012_001


async def test_a_buyer_opens_a_damaged_case_and_withdraws_another(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    seller = chat_with(emulator, SELLER_ID, name="Seller")
    buyer = chat_with(emulator, BUYER_ID, language="en", name="Amélie")
    store = await Store(uow_factory, SELLER_ID, "Quokka <Lane>").open()
    first = await store.ship("QR-1", s10("RB", 45_000_001))
    second = await store.ship("QR-2", s10("RB", 45_000_002))
    for shipped in (first, second):
        await buyer.send(f"/start {shipped.token}")
        await buyer.expect(f"Order <b>{shipped.number}</b>")

    # From the order card: two phone cases damaged in transit, two photos, a partial refund.
    await buyer.send("/orders")
    await buyer.press("QR-1")
    await buyer.press("Return or exchange")
    await buyer.expect("Which items is it about?")
    await buyer.press("Phone case")
    await buyer.expect("How many of <b>Phone case</b>?")
    await buyer.send("2")
    await buyer.press("Continue")
    await buyer.press("Damaged in transit")
    await buyer.expect("Anything to add for the store?")
    await buyer.send("The box arrived crushed")
    await buyer.expect("at least one, up to 10")
    await buyer.user.upload_photo(png(800, 600))
    await buyer.expect("Attached: 1 of 10")
    await buyer.user.upload_photo(png(640, 480))
    await buyer.expect("Attached: 2 of 10")
    await buyer.press("Done")
    await buyer.press("Refund only: part of it")
    await buyer.expect("below €7.00")
    await buyer.send("3.50")
    summary = await buyer.expect("Your request</b> for order <b>QR-1</b>")
    assert "Photos and videos: 2" in summary.content
    assert "Partial refund · €3.50" in summary.content
    await buyer.press("Send the request")
    opened = await buyer.expect("sent</b> for order <b>QR-1</b>")

    async with uow_factory() as uow:
        (case,) = await uow.returns.for_order(first.order_id)
        case_id = case.id
        assert case.reason is ReturnReason.DAMAGED
        assert [e.kind for e in case.evidence] == [EvidenceKind.PHOTO, EvidenceKind.PHOTO]
    assert f"R-{case_id}" in opened.content

    # The seller is alerted through the outbox and finds the case in /returns.
    alert = await seller.expect(f"New return request R-{case_id}", timeout=20)
    assert "QR-1" in alert.content and "Damaged in transit" in alert.content
    assert str(BUYER_ID) not in alert.content and "Amélie" not in alert.content
    await seller.send("/returns")
    await seller.expect("Your returns")
    await seller.press(f"R-{case_id}")
    card = await seller.expect(f"Return R-{case_id}</b> · order")
    assert "Partial refund · €3.50" in card.content and "Amélie" not in card.content

    # Another case, on the second order: the buyer withdraws it from the order card.
    other = BoughtOrder(second.order_id, "QR-2", BUYER_ID, await _line_ids(runner, second.order_id))
    other_id = await open_damaged(uow_factory, other, quantity=1)
    await seller.expect(f"New return request R-{other_id}", timeout=20)
    await buyer.send("/orders")
    await buyer.press("QR-2")
    await buyer.expect(f"R-{other_id} · Phone case")
    await buyer.press(f"Withdraw request R-{other_id}")
    await buyer.expect("this cannot be undone")
    await buyer.press("Yes, withdraw it")
    await buyer.expect(f"Request <b>R-{other_id}</b> is withdrawn")
    told = await seller.expect(f"withdrew return request <b>R-{other_id}</b>", timeout=20)
    assert "QR-2" in told.content
    assert (await case_row(uow_factory, other_id)).status is CaseStatus.WITHDRAWN
    assert (await case_row(uow_factory, case_id)).status is CaseStatus.REQUESTED


async def _line_ids(runner: BotRunner, order_id: int) -> tuple[int, ...]:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        return tuple(line.id for line in order.lines)
