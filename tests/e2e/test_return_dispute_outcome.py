"""A platform dispute end to end through the emulator (private-chat topics on): the buyer (in
French) takes their return case to a platform dispute from its card; the operator finds it in
/escalated, records that the platform decided for the buyer with the refund typed, and
confirms; the buyer reads it in French in their topic of the case and the store in its own,
/escalated no longer lists the case, and the buyer may delete their data at once."""

from __future__ import annotations

from decimal import Decimal

from domain.returns.rules import CaseStatus, DisputeOutcome
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import OPERATOR_ID, BotRunner, chat_with, labels_in
from tests.returns_fixtures import case_row, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store

SELLER_ID = 7_348_000_001
BUYER_ID = 7_348_012_001


async def test_a_dispute_from_its_escalation_to_the_outcome_and_the_buyers_notice(
    emulator: BotApiEmulator, daytime_runner: BotRunner
) -> None:
    runner = daytime_runner
    assert runner.app is not None
    uow_factory, fr = runner.app.uow_factory, labels_in(runner.app.renderer, "fr")

    seller = chat_with(emulator, SELLER_ID, name="Seller")
    buyer = chat_with(emulator, BUYER_ID, language="fr", name="Amélie")
    operator = chat_with(emulator, OPERATOR_ID, name="Olga")
    store = await Store(uow_factory, SELLER_ID, "Quokka <Lane>").open()
    await seller.send("/start")
    await seller.expect("")
    bought = await shipped_to_buyer(uow_factory, store, "QD-1", BUYER_ID, 46_100_001)
    case_id = await open_damaged(uow_factory, bought)  # two phone cases, €7.00 paid
    number = f"R-{case_id}"

    # The buyer takes the case to a platform dispute from its card.
    await buyer.send("/orders")
    await buyer.press("QD-1")
    await buyer.press(fr("buyer.open_case", case=number))
    await buyer.press(fr("return_action.escalate"))
    await buyer.press(fr("returns.escalate_yes"))
    await buyer.expect(f"<b>{number}</b>")
    await seller.expect(f"The buyer took return <b>{number}</b>", timeout=20)

    # The operator finds it awaiting its outcome and records the platform's decision.
    await operator.send("/escalated")
    listed = await operator.expect(f"<b>{number}</b> · order QD-1")
    assert "Quokka &lt;Lane&gt;" in listed.content
    await operator.press(f"⚖️ Outcome {number}")
    await operator.press("🙋 Decided for the buyer")
    await operator.expect("How much did the platform refund the buyer")
    await operator.send("5")
    await operator.expect("decided for the buyer and refunded <b>€5.00</b>?")
    await operator.press("✅ Yes, record it")
    await operator.expect(f"Outcome of <b>{number}</b> recorded: decided for the buyer · €5.00")
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.dispute_outcome, case.dispute_refund) == (
        CaseStatus.ESCALATED,
        DisputeOutcome.FOR_BUYER,
        Decimal("5.00"),
    )
    assert case.outcome_recorded_by == OPERATOR_ID

    # Each side reads it in its own language, in its topic of the case.
    told = await buyer.expect("en votre faveur", timeout=20)
    assert f"<b>{number}</b>" in told.content and "5,00" in told.content
    assert "Olga" not in told.content and str(OPERATOR_ID) not in told.content
    assert case.buyer_thread_id is not None
    assert told.message_thread_id == case.buyer_thread_id
    store_told = await seller.expect("for the buyer: <b>€5.00</b> refunded", timeout=20)
    assert store_told.message_thread_id == case.seller_thread_id is not None

    # Decided, the case leaves /escalated, and the dispute no longer holds the buyer's data.
    await operator.send("/escalated")
    shrunk = await operator.expect("No dispute is awaiting its outcome.")
    assert f"<b>{number}</b>" not in shrunk.content
    await buyer.send("/delete_my_data")
    await buyer.press(fr("erasure.confirm"))
    await buyer.expect("Vos données ont été supprimées")
    assert (await case_row(uow_factory, case_id)).buyer_user_id is None
