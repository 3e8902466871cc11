"""Recording how the platform decided a dispute, through the dispatcher: an operator picks the
case in /escalated, chooses the outcome with buttons (for the buyer: the amount typed, or all
that was paid with one press), confirms, and the case leaves the list for "Decided"; the buyer
and the store are told in their own languages, in their threads of the case; the card and the
transcript say it. A seller's, a buyer's or a stranger's press of the operator's buttons is
refused, and so is a stale or older confirmation; a double press records once, and an outcome
recorded meanwhile is refused politely."""

from __future__ import annotations

from decimal import Decimal

import pytest
from aiogram.methods import SendMessage
from sqlalchemy import select

from domain.model import AuditEntry, Notification
from domain.returns.rules import CaseStatus, DisputeOutcome, Side
from domain.services import return_disputes, returns
from handlers import button_stamps
from tests.conftest import FixedClock
from tests.e2e.conftest import OPERATOR_ID
from tests.handlers.chat import Answer, BotMessage, Chat, HandlerBot
from tests.handlers.test_returns_escalation import files
from tests.returns_fixtures import BoughtOrder, case_row, open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store, notifications_to

SELLER, BUYER, STRANGER = 9501, 9502, 9503
BUYER_THREAD, SELLER_THREAD = 41, 42
YES = "✅ Yes, record it"
FOR_BUYER, FOR_STORE, CLOSED = (
    "🙋 Decided for the buyer",
    "🏪 Decided for the store",
    "🤝 Closed without a decision",
)


@pytest.fixture
async def case_id(handler_bot: HandlerBot) -> int:
    """A damaged case (€7.00 paid for its items) the buyer took to a platform dispute; each
    side's thread of it is a topic; the store reads Spanish, the buyer French."""
    uow_factory = handler_bot.app.uow_factory
    store = await Store(uow_factory, SELLER, "Li's <Shop>").open()
    bought: BoughtOrder = await shipped_to_buyer(uow_factory, store, "AE-D1", BUYER, 37_000_001)
    case_id = await open_damaged(uow_factory, bought)
    async with uow_factory() as uow:
        await returns.escalate(BUYER, case_id, Side.BUYER, uow)
        case = await uow.returns.get(case_id)
        assert case is not None
        case.buyer_thread_id, case.seller_thread_id = BUYER_THREAD, SELLER_THREAD
        seller = await uow.users.get(SELLER)
        assert seller is not None
        seller.locale = "es"
        await uow.commit()
    return case_id


async def _ask(operator: Chat, case_id: int, outcome: str) -> Answer:
    """/escalated, the case's Outcome button, then `outcome`."""
    await operator.send("/escalated")
    await operator.press(f"⚖️ Outcome R-{case_id}")
    return await operator.press(outcome)


async def _notices(bot: HandlerBot) -> dict[int, Notification]:
    found = {}
    for chat_id in (BUYER, SELLER):
        rows = await notifications_to(bot.app.uow_factory, chat_id)
        (found[chat_id],) = [row for row in rows if row.template == "returns.outcome_notice"]
    return found


async def _recorded_entries(bot: HandlerBot) -> list[AuditEntry]:
    async with bot.uow() as uow:
        found = await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "return_case.outcome_recorded")
        )
        entries = list(found.scalars())
        uow.session.expunge_all()
        return entries


async def test_a_decision_for_the_buyer_with_a_typed_amount_is_recorded_and_told(
    handler_bot: HandlerBot, case_id: int, clock: FixedClock
) -> None:
    operator = Chat(handler_bot, OPERATOR_ID)
    number = f"R-{case_id}"
    listing = await operator.send("/escalated")
    listing.assert_says(
        f"<b>{number}</b> · order AE-D1 · Li&#39;s &lt;Shop&gt; · ", "(UTC) · buyer"
    )
    assert listing.labels == [
        "• ⏳ Awaiting the outcome •",
        "✅ Decided",
        f"📄 Transcript {number}",
        f"⚖️ Outcome {number}",
    ]
    asked = await operator.press(f"⚖️ Outcome {number}")
    asked.assert_says(f"The dispute about {number}</b> · order AE-D1", "paid €7.00")
    assert asked.labels == [FOR_BUYER, FOR_STORE, CLOSED, "✖️ Cancel"]
    amount = await operator.press(FOR_BUYER)
    amount.assert_says(f"refund the buyer in {number}? At most what was paid: €7.00")
    assert amount.labels == ["💶 All that was paid: €7.00", "⬅️ Back", "✖️ Cancel"]

    too_much = await operator.send("9")
    assert too_much.texts == [
        handler_bot.text("returns.amount_above_paid", paid="7.00", currency="EUR")
    ]
    await operator.assert_still_asks(amount.last)
    question = await operator.send("5,50")
    question.assert_says("decided for the buyer and refunded <b>€5.50</b>?", "cannot be changed")
    assert question.labels == [YES, "⬅️ Back", "✖️ Cancel"]
    assert (await case_row(handler_bot.app.uow_factory, case_id)).dispute_outcome is None

    recorded = await operator.press(YES)
    recorded.assert_says(f"Outcome of <b>{number}</b> recorded: decided for the buyer · €5.50")
    assert recorded.unbuttoned == [question.last.message_id]
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert (case.dispute_outcome, case.dispute_refund) == (
        DisputeOutcome.FOR_BUYER,
        Decimal("5.50"),
    )
    assert (case.outcome_recorded_at, case.outcome_recorded_by) == (clock.now, OPERATOR_ID)
    assert case.status is CaseStatus.ESCALATED
    [entry] = await _recorded_entries(handler_bot)
    assert (entry.actor_role, entry.actor_id, entry.subject_type) == (
        "operator",
        OPERATOR_ID,
        "order",
    )
    assert entry.details == {
        "case": case_id,
        "kind": "for_buyer",
        "amount": "5.50",
        "currency": "EUR",
        "number": "AE-D1",
    }

    # Both sides are told, each in their thread of the case and their own language.
    notices = await _notices(handler_bot)
    assert notices[BUYER].message_thread_id == BUYER_THREAD
    assert notices[SELLER].message_thread_id == SELLER_THREAD
    assert notices[BUYER].params["outcome"] == "for_buyer"
    assert notices[BUYER].params["amount"] == "5.50"
    await handler_bot.app.outbox.drain()
    sent = {
        int(method.chat_id): method
        for method, _ in handler_bot.session.exchanges
        if isinstance(method, SendMessage) and "⚖️" in method.text
    }
    assert "en votre faveur : <b>5,50\xa0€</b> remboursés" in sent[BUYER].text
    assert f"<b>{number}</b>" in sent[BUYER].text
    assert "a favor del comprador: <b>5,50\xa0€</b> reembolsados" in sent[SELLER].text
    assert (sent[BUYER].message_thread_id, sent[SELLER].message_thread_id) == (
        BUYER_THREAD,
        SELLER_THREAD,
    )

    # /escalated no longer lists it: it is under "Decided", with its transcript only.
    shrunk = await operator.send("/escalated")
    assert f"<b>{number}</b>" not in shrunk.text
    shrunk.assert_says("No dispute is awaiting its outcome.", "1 decided dispute is not listed")
    assert shrunk.labels == ["• ⏳ Awaiting the outcome •", "✅ Decided"]
    decided = await operator.press("✅ Decided")
    decided.assert_says(
        f"<b>{number}</b> · order AE-D1", "decided for the buyer · €5.50 · recorded"
    )
    assert decided.labels == [
        "⏳ Awaiting the outcome",
        "• ✅ Decided •",
        f"📄 Transcript {number}",
    ]
    text = files(await operator.press(f"📄 Transcript {number}"))[f"return-{number}.txt"].decode()
    assert "Platform decision: decided for the buyer · €5.50 · " in text
    assert "platform · ⚖️ Platform decided for the buyer" in text

    # The buyer's card says it too, on the case's timeline.
    buyer = Chat(handler_bot, BUYER, language="fr")
    await buyer.send("/orders")
    await buyer.press("AE-D1")
    card = await buyer.press(number)
    card.assert_says(
        "La plateforme a tranché le litige en faveur de l’acheteur : 5,50\xa0€ remboursés.",
        "⚖️ La plateforme a tranché en faveur de l’acheteur",
    )


@pytest.mark.parametrize(
    ("presses", "outcome", "refund", "says"),
    [
        ([FOR_BUYER, "All that was paid"], DisputeOutcome.FOR_BUYER, Decimal("7.00"), "€7.00"),
        ([FOR_STORE], DisputeOutcome.FOR_SELLER, None, "for the store, Li&#39;s &lt;Shop&gt;?"),
        ([CLOSED], DisputeOutcome.CLOSED, None, "closed without a decision (withdrawn"),
    ],
)
async def test_each_outcome_by_buttons(
    handler_bot: HandlerBot,
    case_id: int,
    presses: list[str],
    outcome: DisputeOutcome,
    refund: Decimal | None,
    says: str,
) -> None:
    operator = Chat(handler_bot, OPERATOR_ID)
    await operator.send("/escalated")
    await operator.press(f"⚖️ Outcome R-{case_id}")
    for label in presses:
        question = await operator.press(label)
    question.assert_says(says)
    await operator.press(YES)
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert (case.dispute_outcome, case.dispute_refund) == (outcome, refund)
    notices = await _notices(handler_bot)
    assert {n.params["outcome"] for n in notices.values()} == {outcome.value}


async def test_back_from_the_question_and_another_outcome(
    handler_bot: HandlerBot, case_id: int
) -> None:
    """Back from the confirmation goes to the amount, then to the outcomes; choosing another
    outcome drops the amount and asks none."""
    operator = Chat(handler_bot, OPERATOR_ID)
    await _ask(operator, case_id, FOR_BUYER)
    await operator.send("3")
    amount = await operator.press("⬅️ Back")
    amount.assert_says("How much did the platform refund the buyer")
    outcomes = await operator.press("⬅️ Back")
    assert outcomes.labels == [FOR_BUYER, FOR_STORE, CLOSED, "✖️ Cancel"]
    question = await operator.press(CLOSED)
    question.assert_says("closed without a decision")
    await operator.press(YES)
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert (case.dispute_outcome, case.dispute_refund) == (DisputeOutcome.CLOSED, None)


@pytest.mark.parametrize("intruder", [SELLER, BUYER, STRANGER])
async def test_a_forged_press_by_anyone_but_an_operator_records_nothing(
    handler_bot: HandlerBot, case_id: int, intruder: int
) -> None:
    operator = Chat(handler_bot, OPERATOR_ID)
    listing = (await operator.send("/escalated")).last
    question = (await _ask(operator, case_id, FOR_STORE)).last
    chat = Chat(handler_bot, intruder)
    locale = "es" if intruder == SELLER else "en"  # the store chose Spanish
    not_allowed = handler_bot.plain("errors.not_allowed", locale)
    listed = await chat.send("/escalated")
    assert listed.texts == [handler_bot.text("errors.not_allowed", locale)]
    start = await chat.press_data(listing.message_id, listing.data_of("Outcome"))
    assert start.alert == not_allowed and start.messages == []
    # The operator's "yes" (with its valid token) pressed by someone outside the form.
    forged_yes = await chat.press_data(question.message_id, question.data_of("Yes, record it"))
    assert forged_yes.alert == handler_bot.plain("errors.stale_button", locale)
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert (case.dispute_outcome, case.outcome_recorded_at) == (None, None)
    assert await _recorded_entries(handler_bot) == []
    told = await notifications_to(handler_bot.app.uow_factory, BUYER)
    assert "returns.outcome_notice" not in [notice.template for notice in told]


def _yes(question: BotMessage) -> str:
    return question.data_of("Yes, record it")


async def test_a_stale_or_older_confirmation_records_nothing(
    handler_bot: HandlerBot, case_id: int, clock: FixedClock
) -> None:
    operator = Chat(handler_bot, OPERATOR_ID)
    stale = handler_bot.plain("confirmation.stale")
    question = (await _ask(operator, case_id, FOR_STORE)).last
    clock.advance(minutes=11)
    expired = await operator.press_data(question.message_id, _yes(question))
    assert expired.alert == stale and expired.unbuttoned == [question.message_id]
    assert (await case_row(handler_bot.app.uow_factory, case_id)).dispute_outcome is None

    # Asked again (Back, then the outcome): the older question's yes no longer records. It is
    # not the form's current prompt: refused before its token is read, the question asked again.
    older = (await operator.send("/start")).last  # the form resumes: the question again
    await operator.press("⬅️ Back")
    await operator.press(CLOSED)
    refused = await operator.press_data(older.message_id, _yes(older))
    assert refused.alert == handler_bot.plain(
        "errors.stale_button_in_conversation", conversation="dispute_outcome"
    )
    newer = refused.last
    # A token the bot never issued, in the newer question's own button.
    data, stamp = button_stamps.split(_yes(newer))
    assert stamp is not None
    forged = button_stamps.stamped(data.rsplit(":", 1)[0] + ":424242", stamp)
    assert (await operator.press_data(newer.message_id, forged)).alert == stale
    assert (await case_row(handler_bot.app.uow_factory, case_id)).dispute_outcome is None
    # The forged press spent nothing: the newer question still records, and records what it said.
    await operator.press_data(newer.message_id, _yes(newer))
    case = await case_row(handler_bot.app.uow_factory, case_id)
    assert case.dispute_outcome is DisputeOutcome.CLOSED


async def test_a_double_press_records_once(handler_bot: HandlerBot, case_id: int) -> None:
    operator = Chat(handler_bot, OPERATOR_ID)
    question = (await _ask(operator, case_id, FOR_STORE)).last
    first = await operator.press_data(question.message_id, _yes(question))
    first.assert_says("recorded: decided for the store")
    second = await operator.press_data(question.message_id, _yes(question))
    assert second.alert == handler_bot.plain("errors.stale_button") and second.messages == []
    assert len(await _recorded_entries(handler_bot)) == 1
    assert set(await _notices(handler_bot)) == {BUYER, SELLER}  # one notice each


async def test_an_outcome_recorded_meanwhile_is_refused_politely(
    handler_bot: HandlerBot, case_id: int
) -> None:
    """Another operator (here, the service directly) records first; the form's yes is then
    refused with what was recorded, and the first record stands."""
    operator = Chat(handler_bot, OPERATOR_ID)
    question = (await _ask(operator, case_id, FOR_STORE)).last
    async with handler_bot.uow() as uow:
        await return_disputes.record_outcome(
            OPERATOR_ID,
            frozenset({OPERATOR_ID}),
            return_disputes.RecordOutcome(case_id, DisputeOutcome.CLOSED),
            uow,
        )
        await uow.commit()
    refused = await operator.press_data(question.message_id, _yes(question))
    assert refused.alert == handler_bot.plain("returns.outcome_recorded", outcome="closed")
    assert (await case_row(handler_bot.app.uow_factory, case_id)).dispute_outcome is (
        DisputeOutcome.CLOSED
    )
    # Starting the form again on the decided case is refused the same way.
    listing = (await operator.send("/escalated")).last
    assert "Outcome" not in " ".join(listing.labels)
    assert len(await _recorded_entries(handler_bot)) == 1


async def test_a_case_not_in_dispute_is_not_found_for_operators(
    handler_bot: HandlerBot, case_id: int
) -> None:
    """A press naming a case nobody escalated (or none at all) answers "not found"."""
    uow_factory = handler_bot.app.uow_factory
    store = await Store(uow_factory, SELLER + 50, "Other").open()
    bought = await shipped_to_buyer(uow_factory, store, "AE-D2", BUYER + 50, 37_000_002)
    open_case = await open_damaged(uow_factory, bought)
    operator = Chat(handler_bot, OPERATOR_ID)
    listing = (await operator.send("/escalated")).last
    data = listing.data_of("Outcome")
    for other in (open_case, 987_654):
        forged = data.replace(f":{case_id}:", f":{other}:")
        pressed = await operator.press_data(listing.message_id, forged)
        assert pressed.alert == handler_bot.plain("returns.case_not_found")


async def test_the_form_resumes_after_a_restart_and_cancels(
    handler_bot: HandlerBot, case_id: int
) -> None:
    operator = Chat(handler_bot, OPERATOR_ID)
    amount = (await _ask(operator, case_id, FOR_BUYER)).last
    await handler_bot.restart()
    await operator.assert_still_asks(amount)
    cancelled = await operator.press("✖️ Cancel")
    assert cancelled.texts == [handler_bot.text("cancel.done")]
    assert (await case_row(handler_bot.app.uow_factory, case_id)).dispute_outcome is None
