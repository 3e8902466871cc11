"""Escalation and the transcript through the dispatcher: either side escalates after a
confirmation (the case freezes, the other side is told), the transcript comes as a PDF and a
text file to the case's sides, and to operators only once the case is escalated; operators list
escalated cases."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from aiogram.types import BufferedInputFile
from pypdf import PdfReader

from domain.returns.offers import OfferTerms
from domain.returns.rules import CaseStatus, Resolution, Side
from domain.services import returns
from tests.conftest import FixedClock
from tests.e2e.conftest import OPERATOR_ID
from tests.handlers.chat import Answer, BotMessage, Chat, HandlerBot
from tests.returns_fixtures import BoughtOrder, case_row, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store, notifications_to

SELLER, BUYER, OTHER_BUYER = 9001, 9002, 9003


@pytest.fixture
async def store(handler_bot: HandlerBot) -> Store:
    return await Store(handler_bot.app.uow_factory, SELLER, "Li's <Shop>").open()


@pytest.fixture
async def case_id(handler_bot: HandlerBot, store: Store) -> int:
    """A damaged case whose first offer the seller countered with €2.10."""
    uow_factory = handler_bot.app.uow_factory
    bought: BoughtOrder = await shipped_to_buyer(uow_factory, store, "AE-E1", BUYER, 35_000_001)
    case_id = await open_damaged(uow_factory, bought)
    async with uow_factory() as uow:
        await returns.counter_offer(
            SELLER,
            case_id,
            Side.SELLER,
            OfferTerms(Resolution.REFUND_PARTIAL, Decimal("2.10")),
            uow,
        )
        await uow.commit()
    return case_id


def files(answer: Answer) -> dict[str, bytes]:
    found = {}
    for document in answer.documents:
        assert isinstance(document.document, BufferedInputFile)
        found[document.document.filename] = document.document.data
    return found


async def test_the_buyer_escalates_and_both_sides_get_the_transcript(
    handler_bot: HandlerBot, case_id: int
) -> None:
    buyer, seller = Chat(handler_bot, BUYER), Chat(handler_bot, SELLER)
    await buyer.send("/orders")
    await buyer.press("AE-E1")
    await buyer.press(f"Return R-{case_id}")
    asked = await buyer.press("Open a platform dispute")
    asked.assert_says("The case freezes as it stands")
    kept = await buyer.press("No, go on here")
    assert kept.texts == [handler_bot.text("returns.escalate_kept")]
    assert (await case_row(handler_bot.app.uow_factory, case_id)).status is CaseStatus.NEGOTIATING

    await buyer.press("Open a platform dispute")
    escalated = await buyer.press("Yes, open a dispute")
    escalated.assert_says(f"<b>R-{case_id}</b> is now a platform dispute")
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert case.status is CaseStatus.ESCALATED and case.escalated_by is Side.BUYER
    told = [n.template for n in await notifications_to(handler_bot.app.uow_factory, SELLER)]
    assert "returns.escalated_notice" in told

    sent = files(await buyer.press("Transcript"))
    name = f"return-R-{case_id}"
    assert set(sent) == {f"{name}.pdf", f"{name}.txt"}
    text = sent[f"{name}.txt"].decode()
    first, second = text.index("#1 "), text.index("#2 ")
    assert first < second
    assert "buyer: Partial refund · €3.50 → countered" in text
    # The offer on the table when the buyer escalated is frozen with the case, not "open".
    assert "store: Partial refund · €2.10 → open when the dispute began" in text
    assert "counters #1" in text and "Closed:" not in text
    assert "Li's <Shop>" in text and "UTC" in text and str(BUYER) not in text
    assert "Escalated to the platform" in text
    pdf = "".join(page.extract_text() for page in PdfReader(io.BytesIO(sent[f"{name}.pdf"])).pages)
    assert pdf.index("€3.50") < pdf.index("€2.10")

    # The seller's card is frozen: only the record is left to read.
    await seller.send("/returns")
    await seller.press("Closed")
    card = await seller.press(f"R-{case_id}")
    assert card.labels == ["📄 Transcript", "📎 2 photos and videos", "⬅️ All returns"]
    assert set(files(await seller.send(f"/transcript R-{case_id}"))) == set(sent)


async def test_strangers_get_no_transcript_and_no_list(
    handler_bot: HandlerBot, case_id: int, store: Store
) -> None:
    await shipped_to_buyer(handler_bot.app.uow_factory, store, "AE-E2", OTHER_BUYER, 35_000_002)
    intruder = Chat(handler_bot, OTHER_BUYER)
    by_command = await intruder.send(f"/transcript R-{case_id}")
    assert by_command.documents == []
    assert by_command.texts == [handler_bot.text("returns.case_not_found")]
    forged = await intruder.press_data(1, f"rca:tx:{case_id}:seller:0")
    assert forged.documents == [] and forged.alert == handler_bot.plain("returns.case_not_found")
    listing = await intruder.send("/escalated")
    assert listing.texts == [handler_bot.text("errors.not_allowed")]
    usage = await intruder.send("/transcript")
    assert usage.texts == [handler_bot.text("returns.transcript_usage")]


async def test_operators_list_escalated_cases_and_read_their_transcripts(
    handler_bot: HandlerBot, case_id: int
) -> None:
    operator = Chat(handler_bot, OPERATOR_ID)
    (nothing,) = (await operator.send("/escalated")).texts
    assert "Platform disputes</b> — ⏳ Awaiting the outcome: 0" in nothing
    assert "No dispute is awaiting its outcome." in nothing
    # Before the dispute, the case is the two sides' business: "not found", as for none.
    not_found = handler_bot.text("returns.case_not_found")
    for number in (case_id, 987_654):
        early = await operator.send(f"/transcript R-{number}")
        assert early.documents == [] and early.texts == [not_found]
    forged = await operator.press_data(1, f"rca:tx:{case_id}:seller:0")
    assert forged.documents == [] and forged.alert == handler_bot.plain("returns.case_not_found")
    async with handler_bot.uow() as uow:
        await returns.escalate(SELLER, case_id, Side.SELLER, uow)
        await uow.commit()
    listing = await operator.send("/escalated")
    listing.assert_says(f"<b>R-{case_id}</b> · order AE-E1 · Li&#39;s &lt;Shop&gt; · ")
    sent = files(await operator.press(f"Transcript R-{case_id}"))
    assert f"return-R-{case_id}.txt" in sent
    by_command = files(await operator.send(f"/transcript R-{case_id}"))
    assert set(by_command) == {f"return-R-{case_id}.pdf", f"return-R-{case_id}.txt"}


async def test_transcript_in_the_cases_topic_needs_no_number(
    handler_bot: HandlerBot, case_id: int
) -> None:
    async with handler_bot.uow() as uow:
        case = await uow.returns.get(case_id)
        assert case is not None
        case.seller_thread_id = 77  # the topic the outbox would have opened
        await uow.commit()
    seller = Chat(handler_bot, SELLER)
    sent = files(await seller.send("/transcript", thread_id=77))
    assert set(sent) == {f"return-R-{case_id}.pdf", f"return-R-{case_id}.txt"}
    elsewhere = await seller.send("/transcript", thread_id=78)
    assert elsewhere.documents == []
    assert elsewhere.texts == [handler_bot.text("returns.transcript_usage")]
    # The buyer's topic with the same number is theirs only: not the seller's case.
    buyer = Chat(handler_bot, BUYER)
    assert (await buyer.send("/transcript", thread_id=77)).documents == []


async def test_only_the_latest_escalation_question_escalates_within_ten_minutes(
    handler_bot: HandlerBot, case_id: int, clock: FixedClock
) -> None:
    buyer = Chat(handler_bot, BUYER)
    stale = handler_bot.plain("confirmation.stale")
    await buyer.send("/orders")
    await buyer.press("AE-E1")
    await buyer.press(f"Return R-{case_id}")

    def yes(question: BotMessage) -> str:
        data = {b.text: b.callback_data for row in question.keyboard for b in row}
        found = data["⚖️ Yes, open a dispute"]
        assert found is not None
        return found

    # A yes the bot never asked for: no token (as drawn before tokens), or a made-up one.
    for token in (0, 424242):
        forged = await buyer.press_data(1, f"rca:escy:{case_id}:buyer:{token}:0")
        assert forged.alert == stale
    older = (await buyer.press("Open a platform dispute")).last
    newer = (await buyer.press("Open a platform dispute")).last
    assert (await buyer.press_data(older.message_id, yes(older))).alert == stale
    clock.advance(minutes=10)
    assert (await buyer.press_data(newer.message_id, yes(newer))).alert == stale
    # "No, go on here" voids its question too.
    question = (await buyer.press("Open a platform dispute")).last
    await buyer.press("No, go on here")
    assert (await buyer.press_data(question.message_id, yes(question))).alert == stale
    # The pressed stale prompt loses its buttons, as the refusal says it is no longer valid.
    refused = await buyer.press_data(question.message_id, yes(question))
    assert refused.unbuttoned == [question.message_id]
    # The buyer's token does not escalate for the seller's side either.
    question = (await buyer.press("Open a platform dispute")).last
    as_seller = yes(question).replace(":buyer:", ":seller:")
    assert (await buyer.press_data(question.message_id, as_seller)).alert == handler_bot.plain(
        "returns.case_not_found"
    )
    assert (await case_row(handler_bot.app.uow_factory, case_id)).status is CaseStatus.NEGOTIATING

    escalated = await buyer.press_data(question.message_id, yes(question))
    escalated.assert_says(f"<b>R-{case_id}</b> is now a platform dispute")
    # Answered, the question is used up.
    assert (await buyer.press_data(question.message_id, yes(question))).alert == stale


async def test_an_older_prompts_no_leaves_the_newer_prompt_valid(
    handler_bot: HandlerBot, case_id: int
) -> None:
    """Two prompts in the chat: "No" on the older one answers only that one; the newer one's
    "yes" still escalates."""
    buyer = Chat(handler_bot, BUYER)
    await buyer.send("/orders")
    await buyer.press("AE-E1")
    await buyer.press(f"Return R-{case_id}")

    def data(question: BotMessage, label: str) -> str:
        found = {b.text: b.callback_data for row in question.keyboard for b in row}[label]
        assert found is not None
        return found

    older = (await buyer.press("Open a platform dispute")).last
    newer = (await buyer.press("Open a platform dispute")).last
    kept = await buyer.press_data(older.message_id, data(older, "No, go on here"))
    assert kept.texts == [handler_bot.text("returns.escalate_kept")]
    assert kept.unbuttoned == [older.message_id] and kept.alert is None
    escalated = await buyer.press_data(newer.message_id, data(newer, "⚖️ Yes, open a dispute"))
    escalated.assert_says(f"<b>R-{case_id}</b> is now a platform dispute")
    assert (await case_row(handler_bot.app.uow_factory, case_id)).status is CaseStatus.ESCALATED


async def test_a_buyer_whose_return_was_refused_can_still_take_it_to_the_platform(
    handler_bot: HandlerBot, case_id: int
) -> None:
    uow_factory = handler_bot.app.uow_factory
    buyer, seller = Chat(handler_bot, BUYER), Chat(handler_bot, SELLER)
    await seller.send("/returns")
    await seller.press("Waiting for the buyer")  # the store countered
    await seller.press(f"R-{case_id}")
    asked = await seller.press("Refuse the return")
    asked.assert_says("The buyer can still take it to the platform")
    await seller.send("Used, not damaged")
    assert (await case_row(uow_factory, case_id)).status is CaseStatus.DECLINED
    told = await notifications_to(uow_factory, BUYER)
    notice = next(n for n in told if n.template == "returns.case_declined_notice")
    assert "Open a platform dispute" in handler_bot.text(notice.template, **notice.params)

    await buyer.send("/orders")
    await buyer.press("AE-E1")
    card = await buyer.press(f"Return R-{case_id}")
    assert any("Open a platform dispute" in label for label in card.labels)
    await buyer.press("Open a platform dispute")
    escalated = await buyer.press("Yes, open a dispute")
    escalated.assert_says(f"<b>R-{case_id}</b> is now a platform dispute")
    case = await case_row(uow_factory, case_id)
    assert (case.status, case.status_before_escalation, case.escalated_by) == (
        CaseStatus.ESCALATED,
        CaseStatus.DECLINED,
        Side.BUYER,
    )
    assert all(line.active for line in case.lines)  # the items are in dispute again
    to_seller = [n.template for n in await notifications_to(uow_factory, SELLER)]
    assert "returns.escalated_notice" in to_seller
