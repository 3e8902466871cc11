"""Returns negotiated end to end through the emulator (private-chat topics on): a buyer (in
French) opens a "damaged in transit" case with two photos; the seller counters with a 30% partial refund, the buyer counters
with 50%, the seller accepts; both are told of the agreement in their own language; the seller
records the refund and the case is resolved; the transcript PDF lists every offer in order."""

from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader

from domain.returns.rules import CaseStatus, OfferStatus, Side
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import BotRunner, chat_with, labels_in
from tests.e2e.test_logistics_settings import png
from tests.returns_fixtures import case_row
from tests.tracking_fixtures import Store, s10

SELLER_ID = 7_347_000_001
BUYER_ID = 7_347_012_001


async def test_a_damaged_case_is_negotiated_agreed_refunded_and_transcribed(
    emulator: BotApiEmulator, daytime_runner: BotRunner
) -> None:
    runner = daytime_runner
    assert runner.app is not None
    uow_factory, fr = runner.app.uow_factory, labels_in(runner.app.renderer, "fr")

    seller = chat_with(emulator, SELLER_ID, name="Seller")
    buyer = chat_with(emulator, BUYER_ID, language="fr", name="Amélie")
    store = await Store(uow_factory, SELLER_ID, "Quokka <Lane>").open()
    # The seller's chat exists before the first alert; awaited, so the bot's record of the
    # user is not written while the store registers them.
    await seller.send("/start")
    await seller.expect("")
    shipped = await store.ship("QO-1", s10("RB", 46_000_001))
    await buyer.send(f"/start {shipped.token}")
    await buyer.expect("QO-1")

    # The buyer asks for a full refund of two damaged phone cases, with two photos.
    await buyer.send("/orders")
    await buyer.press("QO-1")
    await buyer.press(fr("buyer.return"))
    await buyer.press("Phone case")
    await buyer.send("2")
    await buyer.press(fr("return_request.items_done"))
    await buyer.press(fr("return_reason.damaged"))
    await buyer.press(fr("return_request.skip_comment"))
    await buyer.expect("au moins une, jusqu")
    await buyer.user.upload_photo(png(800, 600))
    await buyer.expect("Joints : 1 sur 10")
    await buyer.user.upload_photo(png(640, 480))
    await buyer.expect("Joints : 2 sur 10")
    await buyer.press(fr("return_request.evidence_done"))
    await buyer.press(fr("return_request.want_refund_full"))
    await buyer.press(fr("return_request.submit"))
    opened = await buyer.expect("<b>QO-1</b>")
    async with uow_factory() as uow:
        (case,) = await uow.returns.for_order(shipped.order_id)
        case_id = case.id
    assert f"R-{case_id}" in opened.content

    # The seller counters with 30% of the €7.00 paid.
    await seller.expect(f"New return request R-{case_id}", timeout=20)
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")
    await seller.press("Counter-offer")
    await seller.press("Partial refund")
    await seller.expect("How much is refunded?")
    await seller.send("30%")
    summary = await seller.expect("Your counter-offer")
    assert "Partial refund · €2.10" in summary.content
    await seller.press("Send the offer")
    await seller.expect("Offer sent")

    # The buyer hears of it in French and counters with 50%.
    told = await buyer.expect("Quokka &lt;Lane&gt; a fait une contre-offre", timeout=20)
    assert "2,10" in told.content and "Seller" not in told.content
    await buyer.send("/orders")
    await buyer.press("QO-1")
    await buyer.press(fr("buyer.open_case", case=f"R-{case_id}"))
    await buyer.press(fr("return_action.counter_offer"))
    await buyer.press(fr("return_resolution.refund_partial"))
    await buyer.send("50%")
    await buyer.press(fr("return_offer.submit"))
    await buyer.expect(f"R-{case_id}")

    # The seller accepts the buyer's counter: both sides get the agreement.
    countered = await seller.expect("The buyer countered your offer", timeout=20)
    assert "Partial refund · €3.50" in countered.content and "Amélie" not in countered.content
    await seller.send("/returns")
    await seller.press(f"R-{case_id}")
    await seller.press("Accept")
    await seller.expect_alert("Accepted")
    agreed = await seller.expect("Agreed</b> in return", timeout=20)
    assert "€3.50" in agreed.content
    buyer_agreed = await buyer.expect("<b>Accord</b> dans le retour", timeout=20)
    assert "3,50" in buyer_agreed.content
    # Topics are on in the emulator: each side's notices land in their thread of the case.
    threads = await case_row(uow_factory, case_id)
    assert threads.buyer_thread_id is not None and threads.seller_thread_id is not None
    assert buyer_agreed.message_thread_id == threads.buyer_thread_id
    assert agreed.message_thread_id == threads.seller_thread_id

    # The seller records the refund: resolved, and the buyer is told.
    await seller.press("Record the refund")
    await seller.press("The agreed")
    await seller.send("PAY-7781")
    await seller.press("Record the refund")
    await seller.expect("is resolved")
    await buyer.expect("a enregistré un remboursement", timeout=20)
    case = await case_row(uow_factory, case_id)
    assert case.status is CaseStatus.RESOLVED
    assert (case.refund_amount, case.refund_reference) == (Decimal("3.50"), "PAY-7781")
    assert [(o.side, o.amount, o.status) for o in case.offers] == [
        (Side.BUYER, Decimal("7.00"), OfferStatus.COUNTERED),
        (Side.SELLER, Decimal("2.10"), OfferStatus.COUNTERED),
        (Side.BUYER, Decimal("3.50"), OfferStatus.ACCEPTED),
    ]

    # The transcript: every offer in order, in the PDF the seller receives.
    await seller.send(f"/transcript R-{case_id}")
    await seller.expect("transcript of", timeout=20)
    await emulator.wait_until(
        lambda: sum(1 for m in seller.user.bot_messages() if m.document is not None) >= 2, 20
    )
    documents = [m.document for m in seller.user.bot_messages() if m.document is not None]
    pdf = next(d for d in documents if d.file_name and d.file_name.endswith(".pdf"))
    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(emulator.file(pdf.file_id).content)).pages
    )
    offers = [text.index(f"#{n} ") for n in (1, 2, 3)]
    assert offers == sorted(offers)
    assert (
        text.index("€7.00", offers[0])
        < text.index("€2.10", offers[1])
        < text.index("€3.50", offers[2])
    )
    assert "PAY-7781" in text and str(BUYER_ID) not in text and "Amélie" not in text
