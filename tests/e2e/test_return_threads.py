"""Return case threads end to end, through the Bot API emulator: a seller with three open cases
talks with three buyers — in private-chat topics, in the main chat when the bot has no topics,
and when topic creation starts failing mid-case (and a topic the seller deleted cannot be made
again) — and every message reaches the right case. Across the emulator's whole history, no
message shows one side the other's Telegram id, username or name, and contact details one side
wrote never reach the other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest

from bot.settings import Settings
from handlers.return_callbacks import CasePick
from sandbox.emulator import BotApiEmulator, ChatMessage
from tests.conftest import FixedClock
from tests.e2e.conftest import BotRunner
from tests.returns_fixtures import open_damaged, reply_target_recorded, shipped_to_buyer
from tests.tracking_fixtures import ScriptedProvider, Store

SELLER_ID = 7_411_000_001
BUYER_IDS = (7_411_000_101, 7_411_000_102, 7_411_000_103)
BUYER_NAMES = (("Amelie", "amelie_p"), ("Bruno", "bruno_r"), ("Chloe", "chloe_s"))
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
REFUSED = "Bad Request: not enough rights to create a topic"
# What a buyer writes that must never reach the seller as is, and the other way round.
BUYER_CONTACTS = ("+33 6 12 34 56 78", "amelie.p@example.org")
SELLER_CONTACTS = ("wa.me/8613800138000", "paypal.me/quokkalane")


@pytest.fixture
async def runner(emulator: BotApiEmulator, bot_settings: Settings) -> AsyncIterator[BotRunner]:
    async with BotRunner(
        emulator, bot_settings, clock=FixedClock(START), tracking_provider=ScriptedProvider()
    ) as bot_runner:
        yield bot_runner


class Cases:
    """A store with three shipped orders, one buyer each, and a damaged-goods case on each."""

    def __init__(self, runner: BotRunner, emulator: BotApiEmulator) -> None:
        self.runner = runner
        self.emulator = emulator
        self.seller = emulator.user(SELLER_ID, "Liang", username="liang_wu", last_name="Wu")
        self.buyers = [
            emulator.user(user_id, first, "fr", username=username)
            for user_id, (first, username) in zip(BUYER_IDS, BUYER_NAMES, strict=True)
        ]
        self.ids: list[int] = []

    async def open(self, index: int, store: Store) -> int:
        assert self.runner.app is not None
        uow_factory = self.runner.app.uow_factory
        bought = await shipped_to_buyer(
            uow_factory, store, f"AE-{index + 1}", BUYER_IDS[index], 23_000_001 + index
        )
        case_id = await open_damaged(uow_factory, bought)
        self.ids.append(case_id)
        return case_id

    async def store(self) -> Store:
        assert self.runner.app is not None
        return await Store(self.runner.app.uow_factory, SELLER_ID, "Quokka Lane Goods").open()

    def said(self, chat_id: int) -> list[ChatMessage]:
        return [
            m
            for m in self.emulator.history(chat_id)
            if m.from_bot and not m.deleted and m.service is None
        ]

    async def expect(
        self, chat_id: int, fragment: str, thread: int | str | None = "any"
    ) -> ChatMessage:
        """The bot's message in `chat_id` containing `fragment` (in `thread`, None: the main
        chat), waiting for it."""

        def found() -> ChatMessage | None:
            return next(
                (
                    m
                    for m in self.said(chat_id)
                    if fragment in m.content and (thread == "any" or m.message_thread_id == thread)
                ),
                None,
            )

        # Generous: relays go through the outbox, which a loaded machine (the suite runs in
        # parallel) slows; the wait ends as soon as the message is there.
        await self.emulator.wait_until(lambda: found() is not None, 60)
        message = found()
        assert message is not None, (
            f"no {fragment!r} in chat {chat_id} thread {thread}: "
            f"{[(m.message_thread_id, m.content[:80]) for m in self.said(chat_id)]}"
        )
        return message

    def topic_of(self, chat_id: int, case_id: int) -> int | None:
        live = [
            t.message_thread_id
            for t in self.emulator.topics(chat_id)
            if not t.deleted and t.name.endswith(f"R-{case_id} · Phone case")
        ]
        assert len(live) <= 1
        return live[0] if live else None

    async def recorded(self, message: ChatMessage) -> None:
        """Wait until the bot recorded its message (a reply to it then routes to the case)."""
        assert self.runner.app is not None
        await reply_target_recorded(
            self.runner.app.uow_factory, message.chat_id, message.message_id
        )

    async def until(self, predicate: Callable[[], bool]) -> None:
        assert await self.emulator.wait_until(predicate, 60)

    def assert_nobody_is_shown(self) -> None:
        """No bot message, in any of its revisions, shows the other side's Telegram identity;
        no contact detail one side wrote reaches the other."""
        seller_marks = [str(SELLER_ID), "liang_wu", "Liang", "Wu ", *SELLER_CONTACTS]
        for buyer, (first, username) in zip(self.buyers, BUYER_NAMES, strict=True):
            buyer_marks = [str(buyer.user_id), username, first, *BUYER_CONTACTS]
            for revision in self._revisions(buyer.user_id):
                assert not [mark for mark in seller_marks if mark in revision], revision
            for revision in self._revisions(SELLER_ID):
                assert not [mark for mark in buyer_marks if mark in revision], revision
            # Nor does one buyer learn of another.
            for other in self.buyers:
                if other is not buyer:
                    for revision in self._revisions(other.user_id):
                        assert not [m for m in buyer_marks if m in revision], revision

    def _revisions(self, chat_id: int) -> list[str]:
        return [
            r.text or r.caption or ""
            for m in self.emulator.history(chat_id)
            if m.from_bot
            for r in m.revisions
        ]


async def test_three_cases_in_topics(runner: BotRunner, emulator: BotApiEmulator) -> None:
    cases = Cases(runner, emulator)
    store = await cases.store()
    ids = [await cases.open(index, store) for index in range(3)]

    def topics_ready() -> bool:
        return all(cases.topic_of(SELLER_ID, c) for c in ids) and all(
            cases.topic_of(b, c) for b, c in zip(BUYER_IDS, ids, strict=True)
        )

    await cases.until(topics_ready)
    # Each side's thread opens in its topic, in its language, saying what it is.
    for chat, case_id in [*((SELLER_ID, c) for c in ids), *zip(BUYER_IDS, ids, strict=True)]:
        opening = await cases.expect(chat, f"R-{case_id}</b> · Phone case")
        assert opening.message_thread_id == cases.topic_of(chat, case_id)
    seller_topics = {c: cases.topic_of(SELLER_ID, c) for c in ids}
    buyer_topics = {c: cases.topic_of(b, c) for b, c in zip(BUYER_IDS, ids, strict=True)}

    # The seller writes in each case's topic: each buyer gets their own case's message.
    for case_id in ids:
        await cases.seller.send(
            f"Sorry about case {case_id}. WhatsApp: {SELLER_CONTACTS[0]}",
            thread_id=seller_topics[case_id],
        )
    for buyer, case_id in zip(cases.buyers, ids, strict=True):
        copy = await cases.expect(buyer.user_id, f"case {case_id}.", buyer_topics[case_id])
        assert "Quokka Lane Goods" in copy.content and "[•••]" in copy.content
        assert f"R-{case_id}" not in copy.content  # the topic names the case: no header
        others = [c for c in ids if c != case_id]
        assert not [
            m for m in cases.said(buyer.user_id) if any(f"case {o}." in m.content for o in others)
        ]

    # Each buyer answers in their topic; each answer lands in that case's topic of the seller.
    written = []
    for index, (buyer, case_id) in enumerate(zip(cases.buyers, ids, strict=True)):
        written.append(
            await buyer.send(
                f"Answer {index} for {case_id}: call {BUYER_CONTACTS[0]}",
                thread_id=buyer_topics[case_id],
            )
        )
    for index, case_id in enumerate(ids):
        copy = await cases.expect(
            SELLER_ID, f"Answer {index} for {case_id}", seller_topics[case_id]
        )
        assert f"Buyer of order AE-{index + 1}" in copy.content and "[•••]" in copy.content

    # An edit reaches the copy as an edit.
    await cases.buyers[1].edit(written[1].message_id, f"Answer 1 for {ids[1]}: no, thanks")
    copy = await cases.expect(SELLER_ID, f"Answer 1 for {ids[1]}", seller_topics[ids[1]])
    await cases.until(lambda: "no, thanks" in emulator.message(SELLER_ID, copy.message_id).content)

    # The seller deletes the first case's topic; the buyer writes again: a new topic carries it.
    await cases.seller.delete_topic(seller_topics[ids[0]] or 0)
    await cases.buyers[0].send("Still there?", thread_id=buyer_topics[ids[0]])
    await cases.until(
        lambda: (cases.topic_of(SELLER_ID, ids[0]) or 0) > (seller_topics[ids[0]] or 0)
    )
    await cases.expect(SELLER_ID, "Still there?", cases.topic_of(SELLER_ID, ids[0]))
    cases.assert_nobody_is_shown()


@pytest.mark.parametrize("topics", ["disabled", "failing mid-case"])
async def test_three_cases_without_topics(
    runner: BotRunner, emulator: BotApiEmulator, topics: str
) -> None:
    cases = Cases(runner, emulator)
    emulator.topics_enabled = topics != "disabled"
    store = await cases.store()
    first = await cases.open(0, store)
    if topics == "failing mid-case":
        await cases.until(
            lambda: bool(cases.topic_of(SELLER_ID, first) and cases.topic_of(BUYER_IDS[0], first))
        )
        # Telegram starts refusing topics: the next two cases open in the main chats.
        emulator.refuse_next("createForumTopic", REFUSED, count=4)
    ids = [first, await cases.open(1, store), await cases.open(2, store)]
    intros = {}
    for case_id in ids[1:] if topics != "disabled" else ids:
        intros[case_id] = await cases.expect(SELLER_ID, f"Return R-{case_id}</b>", None)
    if topics == "failing mid-case":
        # The seller deleted the first case's topic and Telegram will not make another:
        # the buyer's next message still arrives, in the main chat, with the case header.
        await cases.seller.delete_topic(cases.topic_of(SELLER_ID, first) or 0)
        emulator.refuse_next("createForumTopic", REFUSED)
        await cases.buyers[0].send("Any news?", thread_id=cases.topic_of(BUYER_IDS[0], first))
        copy = await cases.expect(SELLER_ID, "Any news?", None)
        assert f"Return R-{first}</b>" in copy.content
        intros[first] = copy
    assert not [c for c in ids if cases.topic_of(SELLER_ID, c)]  # all three in the main chat

    # Each buyer writes by answering the thread's opening in their chat (or in their topic).
    for index, (buyer, case_id) in enumerate(zip(cases.buyers, ids, strict=True)):
        topic = cases.topic_of(buyer.user_id, case_id)
        if topic is None:
            intro = await cases.expect(buyer.user_id, f"R-{case_id}</b>", None)
            await cases.recorded(intro)
            await buyer.send(
                f"Photo {index} is attached, mail {BUYER_CONTACTS[1]}", reply_to=intro.message_id
            )
        else:
            await buyer.send(
                f"Photo {index} is attached, mail {BUYER_CONTACTS[1]}", thread_id=topic
            )
    copies = {}
    for index, case_id in enumerate(ids):
        copies[case_id] = await cases.expect(SELLER_ID, f"Photo {index} is attached", None)
        await cases.recorded(copies[case_id])
        assert f"Return R-{case_id}</b>" in copies[case_id].content
        assert f"Buyer of order AE-{index + 1}" in copies[case_id].content

    # The seller answers each copy by replying to it, in reverse order: each reaches its buyer.
    for case_id in reversed(ids):
        await cases.seller.send(
            f"Refund for {case_id} is coming, pay here {SELLER_CONTACTS[1]}",
            reply_to=copies[case_id].message_id,
        )
        await cases.expect(SELLER_ID, f"R-{case_id}</b>.", None)  # "Sent in return R-…"
    for buyer, case_id in zip(cases.buyers, ids, strict=True):
        answer = await cases.expect(buyer.user_id, f"Refund for {case_id} is coming")
        assert "[•••]" in answer.content
        assert not [
            m
            for m in cases.said(buyer.user_id)
            if any(f"Refund for {o} " in m.content for o in ids if o != case_id)
        ]

    # A message that answers nothing: the picker holds it until the seller says which case.
    await cases.seller.send("One more thing: keep the original box.")
    await cases.expect(SELLER_ID, "Which return is this message for?", None)
    await cases.seller.press(f"R-{ids[2]} · Phone case")
    await cases.expect(BUYER_IDS[2], "keep the original box")
    assert not [m for b in BUYER_IDS[:2] for m in cases.said(b) if "original box" in m.content]

    # The first buyer names the third case, or forges the picker's button for it: "not found",
    # as for a case that does not exist, and nothing they write reaches that case.
    assert runner.app is not None
    renderer = runner.app.renderer
    intruder = cases.buyers[0]
    await intruder.send(f"/case R-{ids[2]}")
    await cases.expect(intruder.user_id, renderer.render("returns.case_not_found", "fr"))
    shown = cases.said(intruder.user_id)[-1]  # any message of theirs carries forged data
    await intruder.press_data(shown.message_id, CasePick(case_id=ids[2]).pack())
    answer = await intruder.wait_for_answer()
    assert answer.text == renderer.render_plain("returns.case_not_found", "fr")
    await intruder.send("Give me the seller's number for the other order")
    # Held for their own cases in the main chat, if any (their case kept its topic when topic
    # creation failed later): the picker offers theirs only; else it is not about a case.
    if cases.topic_of(intruder.user_id, ids[0]) is None:
        picker = await cases.expect(
            intruder.user_id, renderer.render("returns.pick_case", "fr", holding=True)
        )
        assert picker.button_texts == [f"R-{ids[0]} · Phone case · commande AE-1"]
    else:
        await cases.expect(intruder.user_id, renderer.render("common.not_understood", "fr"))
    await asyncio.sleep(0.5)  # the outbox would have relayed it by now
    assert not [m for m in cases.said(SELLER_ID) if "seller's number" in m.content]
    assert not [m for m in cases.said(BUYER_IDS[2]) if "seller's number" in m.content]
    cases.assert_nobody_is_shown()
