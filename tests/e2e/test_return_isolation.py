"""Cross-case isolation, as one story through the emulator. One store has two buyers, each with a
return case (orders A and B); a second store has a third buyer's case (order C). The cases'
threads are in the main chats (no topics), so replies and /case route the messages.

Buyer A forges, with B's and C's ids, every button a case, an offer, a return leg, the /case
picker, the buyer's order card and case list and the seller's /returns carry (built with the
real `CallbackData` classes and pressed through the emulator), types `/case` and `/transcript`
with their numbers, and answers messages by the ids of B's chat: each answer is exactly the
one a nonexistent id gets, no row of the database changes, and nothing of B's or C's reaches
A. Then, across the emulator's whole history, no bot message — text, caption, any revision,
button or topic — shows one side the other's Telegram id, username, first or last name, and
the phone, e-mail, handle and payment link each side wrote reach the other side masked."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from aiogram.filters.callback_data import CallbackData

from bot.settings import Settings
from domain.returns.rules import Side
from domain.services import buyers
from handlers.buyer.callbacks import BuyerAction, BuyerCase, BuyerCaseAction, BuyerOrder
from handlers.return_callbacks import (
    CaseAct,
    CaseButton,
    CasePick,
    LegForm,
    LegFormAction,
    OfferForm,
    OfferFormAction,
    ReturnAction,
    ReturnMenu,
)
from sandbox.emulator import BotApiEmulator, ChatMessage
from sandbox.users import EmulatedUser
from tests.conftest import FixedClock
from tests.e2e.conftest import BotRunner
from tests.handlers.tenant_world import snapshot
from tests.returns_fixtures import BoughtOrder, open_damaged, reply_target_recorded
from tests.tracking_fixtures import ScriptedProvider, Store, s10

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
MISSING_ID = 987_654


@dataclass(frozen=True)
class Person:
    user_id: int
    first_name: str
    last_name: str
    username: str

    @property
    def marks(self) -> tuple[str, ...]:
        """What would give this person away in someone else's chat."""
        return (str(self.user_id), self.first_name, self.last_name, self.username)


SELLER = Person(7_421_000_001, "Liang", "Wutanabe", "liang_wutan")
OTHER_SELLER = Person(7_421_000_002, "Marta", "Kowalczyk", "marta_kowal")
BUYER_A = Person(7_421_000_101, "Amelie", "Pontmercy", "amelie_pont")
BUYER_B = Person(7_421_000_102, "Bruno", "Rouxelin", "bruno_rouxel")
BUYER_C = Person(7_421_000_103, "Chloe", "Simonetti", "chloe_simon")

# What each side writes that must reach the other masked.
A_CONTACTS = ("+33 6 12 34 56 78", "amelie.p@example.org", "@amelie_pont")
SELLER_CONTACTS = ("wa.me/8613800138000", "paypal.me/quokkalane")
B_CONTACTS = ("bruno.r@example.net", "t.me/bruno_rouxel")


@pytest.fixture
async def runner(emulator: BotApiEmulator, bot_settings: Settings) -> AsyncIterator[BotRunner]:
    async with BotRunner(
        emulator, bot_settings, clock=FixedClock(START), tracking_provider=ScriptedProvider()
    ) as bot_runner:
        yield bot_runner


def _user(emulator: BotApiEmulator, person: Person) -> EmulatedUser:
    return emulator.user(
        person.user_id,
        person.first_name,
        "en",
        username=person.username,
        last_name=person.last_name,
    )


async def _case(runner: BotRunner, store: Store, number: str, product: str, buyer: int) -> int:
    """A shipped order of one `product`, its link opened by `buyer`, a damaged-goods case."""
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    shipped = await store.ship(
        number, s10("RB", 24_000_000 + buyer % 1000), products=((product, 2),)
    )
    async with uow_factory() as uow:
        await uow.users.touch(buyer, "en", uow.now())
        outcome = await buyers.open_link(shipped.token, buyer, uow)
        assert outcome.view is not None
        await uow.commit()
    async with uow_factory() as uow:
        order = await uow.orders.get(shipped.order_id)
        assert order is not None
        lines = tuple(line.id for line in order.lines)
    return await open_damaged(uow_factory, BoughtOrder(shipped.order_id, number, buyer, lines))


def _said(emulator: BotApiEmulator, chat_id: int) -> list[ChatMessage]:
    return [m for m in emulator.history(chat_id) if m.from_bot and m.service is None]


async def _expect(emulator: BotApiEmulator, chat_id: int, fragment: str) -> ChatMessage:
    def found() -> ChatMessage | None:
        return next((m for m in _said(emulator, chat_id) if fragment in m.content), None)

    # Generous: relays go through the outbox, which the parallel suite slows.
    await emulator.wait_until(lambda: found() is not None, 60)
    message = found()
    assert message is not None, (
        f"no {fragment!r} in chat {chat_id}: {[m.content[:80] for m in _said(emulator, chat_id)]}"
    )
    return message


def _shown(emulator: BotApiEmulator, chat_id: int) -> list[str]:
    """Everything the bot ever showed in a chat: every revision's text or caption, every
    button, every topic's name."""
    shown = []
    for message in emulator.history(chat_id):
        if not message.from_bot:
            continue
        for revision in message.revisions:
            shown.append(revision.text or revision.caption or "")
            shown += [b.text for row in revision.reply_markup or [] for b in row]
    shown += [topic.name for topic in emulator.topics(chat_id)]
    return shown


def _forgeries(case_id: int, order_id: int, warehouse_id: int) -> list[CallbackData]:
    """Every button about a case or an order, with these ids: the case card's actions for
    either side (offers and the return leg among them), the /case picker, the buyer's order
    card and case buttons, the seller's /returns, and the offer and leg forms' buttons whose
    value may name a warehouse."""
    presses: list[CallbackData] = [
        CaseAct(action=action, case_id=case_id, side=side, value=value)
        for action in CaseButton
        for side in Side
        for value in (0, warehouse_id)
    ]
    presses += [CasePick(case_id=case_id)]
    presses += [BuyerCase(action=action, case_id=case_id) for action in BuyerCaseAction]
    presses += [BuyerOrder(action=action, order_id=order_id) for action in BuyerAction]
    presses += [ReturnMenu(action=action, case_id=case_id) for action in ReturnAction]
    presses += [
        OfferForm(action=OfferFormAction.WAREHOUSE, value=str(warehouse_id)),
        LegForm(action=LegFormAction.SUBMIT, value=str(case_id)),
    ]
    return presses


def _with_missing(data: CallbackData, ids: set[int]) -> CallbackData:
    """The same button with every id of the target replaced by one that does not exist."""
    fields = data.model_dump()
    for name, value in fields.items():
        if isinstance(value, int) and not isinstance(value, bool) and value in ids:
            fields[name] = MISSING_ID
        elif isinstance(value, str) and value.isdecimal() and int(value) in ids:
            fields[name] = str(MISSING_ID)
    return type(data)(**fields)


async def _messages_of(
    runner: BotRunner, case_ids: tuple[int, ...]
) -> dict[int, list[tuple[int, str | None]]]:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        return {
            case_id: [(m.id, m.text) for m in await uow.returns.messages_of(case_id)]
            for case_id in case_ids
        }


async def _settle(emulator: BotApiEmulator, user: EmulatedUser) -> None:
    """Wait until every reply to what the user did so far has arrived: the answer to /cancel
    comes after them (one user's updates are handled in order, replies sent in commit order)."""
    before = len(_said(emulator, user.chat_id))
    await user.send("/cancel")

    def answered() -> bool:
        return any(
            "Cancelled." in m.content or "nothing to cancel" in m.content
            for m in _said(emulator, user.chat_id)[before:]
        )

    assert await emulator.wait_until(answered, 60)


async def _press(user: EmulatedUser, message_id: int, data: str) -> tuple[str | None, bool]:
    await user.press_data(message_id, data)
    answer = await user.wait_for_answer()
    return answer.text, answer.show_alert


async def test_one_buyer_cannot_reach_another_case_and_nobody_is_shown(
    runner: BotRunner, emulator: BotApiEmulator
) -> None:
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    emulator.topics_enabled = False
    seller, other_seller = _user(emulator, SELLER), _user(emulator, OTHER_SELLER)
    buyer_a, buyer_b = _user(emulator, BUYER_A), _user(emulator, BUYER_B)
    _user(emulator, BUYER_C)  # C only reads
    store = await Store(uow_factory, SELLER.user_id, "Quokka Lane Goods").open()
    other_store = await Store(uow_factory, OTHER_SELLER.user_id, "Badger Works").open()
    case_a = await _case(runner, store, "AE-A100", "Amber lamp", BUYER_A.user_id)
    case_b = await _case(runner, store, "AE-B200", "Brass kettle", BUYER_B.user_id)
    case_c = await _case(runner, other_store, "AE-C300", "Cedar box", BUYER_C.user_id)
    async with uow_factory() as uow:
        order_of = {}
        for case_id in (case_a, case_b, case_c):
            case = await uow.returns.get(case_id)
            assert case is not None
            order_of[case_id] = case.order_id

    # The sides talk: A answers their thread's opening, the seller names B's case with /case
    # and writes, B answers the seller's copy. Contact details go both ways.
    intro_a = await _expect(emulator, BUYER_A.user_id, f"R-{case_a}</b>")
    await reply_target_recorded(uow_factory, intro_a.chat_id, intro_a.message_id)
    await buyer_a.send(
        f"Lamp cracked. Call {A_CONTACTS[0]}, mail {A_CONTACTS[1]}, or {A_CONTACTS[2]}",
        reply_to=intro_a.message_id,
    )
    to_seller = await _expect(emulator, SELLER.user_id, "Lamp cracked.")
    await seller.send(f"/case R-{case_b}")
    await _expect(emulator, SELLER.user_id, "what you write now goes to the buyer of order")
    await seller.send(f"Kettle refund soon: {SELLER_CONTACTS[0]} or pay {SELLER_CONTACTS[1]}")
    to_b = await _expect(emulator, BUYER_B.user_id, "Kettle refund soon")
    await reply_target_recorded(uow_factory, to_b.chat_id, to_b.message_id)
    await buyer_b.send(
        f"Thanks, write to {B_CONTACTS[0]} or {B_CONTACTS[1]}", reply_to=to_b.message_id
    )
    from_b = await _expect(emulator, SELLER.user_id, "Thanks, write to")
    await other_seller.send(f"/case R-{case_c}")
    await _expect(emulator, OTHER_SELLER.user_id, "what you write now goes to the buyer")
    await other_seller.send("Cedar box: we will check it")
    to_c = await _expect(emulator, BUYER_C.user_id, "Cedar box: we will check it")
    # Everything queued so far is sent before the database is taken as it stands.
    await _expect(emulator, OTHER_SELLER.user_id, f"New return request R-{case_c}")
    for chat_id in (SELLER.user_id, BUYER_A.user_id, BUYER_B.user_id):
        await _expect(emulator, chat_id, "were hidden in what the other side sees")

    theirs = {
        case_b: ("AE-B200", "Brass kettle", "Kettle refund soon", "Thanks, write to"),
        case_c: ("AE-C300", "Cedar box", "Badger Works", "we will check it"),
    }
    owners = {
        "telegram_users": {p.user_id for p in (SELLER, OTHER_SELLER, BUYER_B, BUYER_C)},
        "conversation_states": {p.user_id for p in (SELLER, OTHER_SELLER, BUYER_B, BUYER_C)},
        "buyer_subscriptions": {BUYER_B.user_id, BUYER_C.user_id},
    }
    before = await snapshot(uow_factory, owners)
    messages_before = await _messages_of(runner, (case_b, case_c))
    assert len(messages_before[case_b]) == 2 and len(messages_before[case_c]) == 1
    mark = len(_said(emulator, BUYER_A.user_id))
    shown_to_b = len(_said(emulator, BUYER_B.user_id))

    # Buyer A forges every button with B's and C's ids: the same answer as for no such id.
    any_message = intro_a.message_id
    differ = []
    pressed = 0
    warehouses = {case_b: store.warehouse_id, case_c: other_store.warehouse_id}
    for case_id, order_id in ((case_b, order_of[case_b]), (case_c, order_of[case_c])):
        ids = {case_id, order_id, warehouses[case_id]}
        for button in _forgeries(case_id, order_id, warehouses[case_id]):
            forged = await _press(buyer_a, any_message, button.pack())
            missing = await _press(buyer_a, any_message, _with_missing(button, ids).pack())
            pressed += 1
            if forged != missing:
                differ.append(f"{button.pack()}: {forged} but for a missing id {missing}")
        await _settle(emulator, buyer_a)
        # The commands that take a case number.
        for command in ("/case", "/transcript"):
            await buyer_a.send(f"{command} R-{case_id}")
            await buyer_a.send(f"{command} R-{MISSING_ID}")
            replies = [m.content for m in await buyer_a.wait_for_bot(2, timeout=15)]
            forged_text = replies[0].replace(f"R-{case_id}", "R-…")
            missing_text = replies[1].replace(f"R-{MISSING_ID}", "R-…")
            if forged_text != missing_text:
                differ.append(f"{command} R-{case_id}: {replies}")
    assert pressed > 100, pressed
    # The answer they all share is "not found" for a case, not a stale button.
    case_card = CaseAct(action=CaseButton.OPEN, case_id=case_b, side=Side.BUYER).pack()
    not_found = runner.app.renderer.render_plain("returns.case_not_found", "en")
    assert await _press(buyer_a, any_message, case_card) == (not_found, True)
    assert not differ, "\n".join(differ)

    # Answers by the ids of B's chat (the copy B read, B's own message, the seller's copy):
    # in A's chat those ids are A's own messages or none, so nothing reaches B's case.
    for forged_reply in (to_b.message_id, from_b.message_id, to_c.message_id, MISSING_ID):
        await buyer_a.send(
            f"Forged answer {forged_reply}, call me at +44 7700 900123", reply_to=forged_reply
        )
        await buyer_a.wait_for_bot(1, timeout=15)
    await _settle(emulator, buyer_a)

    after = await snapshot(uow_factory, owners)
    own_case_rows = {"return_messages", "return_message_copies", "notifications"}
    changed = {t for t in before if before[t] != after.get(t) and t not in own_case_rows}
    assert not changed, {t: (before[t], after.get(t)) for t in changed}
    assert await _messages_of(runner, (case_b, case_c)) == messages_before
    assert len(_said(emulator, BUYER_B.user_id)) == shown_to_b
    assert not [m for m in _said(emulator, BUYER_C.user_id) if "Forged answer" in m.content]
    assert not [m for m in _said(emulator, BUYER_B.user_id) if "Forged answer" in m.content]

    # Nothing of B's or C's case reached A, in the forging or before it.
    shown_to_a = " ".join(_shown(emulator, BUYER_A.user_id))
    for case_id, secrets in theirs.items():
        assert not re.search(rf"R-{case_id}\b(?!…)", shown_to_a.replace(f"R-{case_id}", "R-…"))
        leaked = [s for s in secrets if s in shown_to_a]
        assert not leaked, leaked
    assert len(_said(emulator, BUYER_A.user_id)) > mark

    # Across the whole history: nobody is shown the other side (or another buyer).
    sides = {
        SELLER.user_id: (BUYER_A, BUYER_B, OTHER_SELLER, BUYER_C),
        OTHER_SELLER.user_id: (BUYER_A, BUYER_B, BUYER_C, SELLER),
        BUYER_A.user_id: (SELLER, OTHER_SELLER, BUYER_B, BUYER_C),
        BUYER_B.user_id: (SELLER, OTHER_SELLER, BUYER_A, BUYER_C),
        BUYER_C.user_id: (SELLER, OTHER_SELLER, BUYER_A, BUYER_B),
    }
    for chat_id, others in sides.items():
        shown = _shown(emulator, chat_id)
        assert shown, chat_id
        found = [
            (person.first_name, mark, text)
            for person in others
            for mark in person.marks
            for text in shown
            if mark in text
        ]
        assert not found, (chat_id, found)

    # The contact details each side wrote reached the other side masked, with a note.
    assert "[•••]" in to_seller.content
    assert "[•••]" in to_b.content and "[•••]" in from_b.content
    for chat_id, written in (
        (SELLER.user_id, (*A_CONTACTS, *B_CONTACTS)),
        (BUYER_A.user_id, SELLER_CONTACTS + B_CONTACTS),
        (BUYER_B.user_id, SELLER_CONTACTS + A_CONTACTS),
        (BUYER_C.user_id, SELLER_CONTACTS + A_CONTACTS + B_CONTACTS),
    ):
        shown = " ".join(_shown(emulator, chat_id))
        assert not [c for c in written if c in shown], chat_id
