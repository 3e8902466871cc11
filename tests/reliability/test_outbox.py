"""The sender and the outbox dispatcher against a fake Bot, a real database and the emulator."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import AnswerCallbackQuery, SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import database
from bot.settings import Settings
from domain.model import BlockedRecipient, Notification, NotificationStatus
from domain.services import confirmations
from domain.unit_of_work import UnitOfWork
from notifications.outbox import DrainResult, OutboxDispatcher, resume_chat
from notifications.rate_limits import InProcessRateLimiter, RateLimits
from notifications.sender import RecipientBlocked, Sender
from templates.html import visible_length
from templates.renderer import Renderer
from tests.conftest import FixedClock
from tests.fixtures.emulator import make_bot
from tests.reliability.conftest import (
    FAKE_TOKEN,
    FakeBot,
    SleepRecorder,
    add_ping,
    bad_request,
    network_error,
    retry_after,
    server_error,
)

UowFactory = Callable[[], UnitOfWork]


def fake_time_sender(
    bot: FakeBot, chat_interval: float = 0.0, **kwargs: Any
) -> tuple[Sender, SleepRecorder]:
    """A sender whose limiter and backoff run on fake time, so waits cost nothing."""
    recorder = SleepRecorder()
    limiter = InProcessRateLimiter(
        RateLimits(global_per_second=1000, chat_interval=chat_interval),
        clock=recorder.monotonic,
        sleep=recorder.sleep,
    )
    sender = Sender(bot, limiter, sleep=recorder.sleep, monotonic=recorder.monotonic, **kwargs)
    return sender, recorder


def ping(chat_id: int = 1) -> SendMessage:
    return SendMessage(chat_id=chat_id, text="hi")


# -- Sender ---------------------------------------------------------------------------------


async def test_sender_waits_out_a_429_for_that_chat_and_retries(fake_bot: FakeBot) -> None:
    sender, recorder = fake_time_sender(fake_bot, chat_interval=1.0)
    fake_bot.fail(7, retry_after(3))

    message = await sender.call(ping(7), chat_id=7)
    other = await sender.call(ping(8), chat_id=8)

    assert message.text == "hi"
    assert len(fake_bot.calls) == 3
    assert recorder.now >= 3  # the retry came after retry_after ...
    assert other.chat.id == 8  # ... and the pause was that chat's only
    assert sender.limiter._chats[8].paused_until == 0  # type: ignore[attr-defined]


async def test_sender_pauses_everything_for_a_429_without_a_chat(fake_bot: FakeBot) -> None:
    sender, recorder = fake_time_sender(fake_bot)
    fake_bot.fail(None, retry_after(2))

    assert await sender.call(AnswerCallbackQuery(callback_query_id="1"), chat_id=None) is True

    assert sender.limiter._global_paused_until == pytest.approx(2)  # type: ignore[attr-defined]
    assert recorder.now >= 2


async def test_sender_gives_up_on_a_429_longer_than_its_patience(fake_bot: FakeBot) -> None:
    sender, _ = fake_time_sender(fake_bot, max_total_wait=30)
    fake_bot.fail(7, retry_after(45))

    with pytest.raises(TelegramRetryAfter):
        await sender.call(ping(7), chat_id=7)

    assert len(fake_bot.calls) == 1
    # The bucket stays paused, so nobody else runs into the same flood wait.
    assert sender.limiter._chats[7].paused_until >= 45  # type: ignore[attr-defined]


async def test_sender_retries_server_errors_with_growing_backoff(fake_bot: FakeBot) -> None:
    sender, recorder = fake_time_sender(fake_bot, max_attempts=4, base_backoff=0.5)
    fake_bot.fail(7, server_error, network_error)

    await sender.call(ping(7), chat_id=7)

    assert len(fake_bot.calls) == 3
    backoffs = [s for s in recorder.sleeps if s > 0.01]  # not the 1 ms global spacing
    assert len(backoffs) == 2
    assert 0.25 <= backoffs[0] <= 0.5
    assert 0.5 <= backoffs[1] <= 1.0


async def test_sender_stops_retrying_after_max_attempts(fake_bot: FakeBot) -> None:
    sender, _ = fake_time_sender(fake_bot, max_attempts=3)
    fake_bot.always_fail[7] = server_error

    with pytest.raises(TelegramServerError):
        await sender.call(ping(7), chat_id=7)

    assert len(fake_bot.calls) == 3


async def test_sender_keeps_interactive_calls_within_the_wait_budget(fake_bot: FakeBot) -> None:
    sender, recorder = fake_time_sender(fake_bot, max_attempts=50, max_total_wait=30)
    fake_bot.always_fail[7] = network_error

    with pytest.raises(TelegramNetworkError):
        await sender.call(ping(7), chat_id=7)

    assert recorder.now <= 30
    assert len(fake_bot.calls) < 50


async def test_sender_raises_recipient_blocked_on_403_without_retrying(fake_bot: FakeBot) -> None:
    sender, _ = fake_time_sender(fake_bot)
    fake_bot.blocked.add(7)

    with pytest.raises(RecipientBlocked) as caught:
        await sender.call(ping(7), chat_id=7)

    assert caught.value.chat_id == 7
    assert "blocked" in caught.value.description
    assert len(fake_bot.calls) == 1


async def test_sender_lets_bad_requests_through(fake_bot: FakeBot) -> None:
    sender, _ = fake_time_sender(fake_bot)
    fake_bot.fail(7, bad_request)

    with pytest.raises(TelegramBadRequest):
        await sender.call(ping(7), chat_id=7)

    assert len(fake_bot.calls) == 1


async def test_send_text_splits_long_html_and_puts_the_keyboard_last(fake_bot: FakeBot) -> None:
    sender, _ = fake_time_sender(fake_bot)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]]
    )
    paragraph = "<b>Parcel</b> moved &amp; arrived. " * 60
    text = "\n\n".join([paragraph] * 7)  # about 10,000 visible characters

    messages = await sender.send_text(5, text, reply_markup=keyboard, message_thread_id=9)

    calls = [call for call in fake_bot.calls if isinstance(call, SendMessage)]
    assert len(messages) == len(calls) == 3
    assert all(visible_length(call.text) <= 4096 for call in calls)  # tags do not count
    assert [call.reply_markup for call in calls] == [None, None, keyboard]
    for call in calls:
        assert call.parse_mode == "HTML"
        assert call.message_thread_id == 9
        assert isinstance(call.link_preview_options, LinkPreviewOptions)
        assert call.link_preview_options.is_disabled is True
        assert not {"disable_web_page_preview", "reply_to_message_id"} & call.model_fields_set
    assert "".join(call.text for call in calls).count("Parcel") == 420


def test_describe_never_shows_the_token(fake_bot: FakeBot) -> None:
    sender, _ = fake_time_sender(fake_bot)

    description = sender.describe(network_error(ping()))

    assert FAKE_TOKEN not in description
    assert "<token>" in description


# -- Outbox, fake bot -------------------------------------------------------------------------


def make_dispatcher(
    uow_factory: UowFactory,
    bot: FakeBot,
    limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
    **kwargs: Any,
) -> OutboxDispatcher:
    sender = Sender(bot, limiter, max_attempts=kwargs.pop("sender_attempts", 1))
    return OutboxDispatcher(
        uow_factory, sender, renderer, default_locale="en", clock=clock, **kwargs
    )


@pytest.fixture
def dispatcher(
    uow_factory: UowFactory,
    fake_bot: FakeBot,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
) -> OutboxDispatcher:
    return make_dispatcher(uow_factory, fake_bot, fast_limiter, renderer, clock, max_attempts=3)


async def rows(uow_factory: UowFactory, chat_id: int | None = None) -> list[Notification]:
    async with uow_factory() as uow:
        found: list[Notification] = []
        for status in NotificationStatus:
            found += await uow.notifications.by_status(status)
        uow.session.expunge_all()  # keep them readable after the unit of work rolls back
        return sorted(
            (row for row in found if chat_id is None or row.chat_id == chat_id),
            key=lambda row: row.id,
        )


async def test_drain_sends_each_chat_in_order_and_records_it(
    uow_factory: UowFactory, dispatcher: OutboxDispatcher, fake_bot: FakeBot, clock: FixedClock
) -> None:
    for n in range(3):
        for chat in (1, 2):
            await add_ping(uow_factory, chat, n)

    result = await dispatcher.drain()

    assert result == DrainResult(sent=6)
    assert fake_bot.delivered == {
        1: ["Ping 0", "Ping 1", "Ping 2"],
        2: ["Ping 0", "Ping 1", "Ping 2"],
    }
    stored = await rows(uow_factory)
    assert {row.status for row in stored} == {NotificationStatus.SENT}
    assert all(row.sent_at == clock.now and row.lease_until is None for row in stored)
    assert len({row.telegram_message_id for row in stored}) == 6
    assert await dispatcher.drain() == DrainResult()


async def test_a_row_goes_with_the_buttons_its_params_describe(
    uow_factory: UowFactory,
    fake_bot: FakeBot,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
) -> None:
    """The outbox asks its keyboard for each row (in the row's language) and sends what it
    draws with the text; a row it draws nothing for goes as plain text."""
    drawn: list[tuple[object, str]] = []

    def keyboard(params: Any, locale: str) -> InlineKeyboardMarkup | None:
        drawn.append((params["n"], locale))
        if params["n"] != 1:
            return None
        press = InlineKeyboardButton(text=f"Press ({locale})", callback_data="press:1")
        return InlineKeyboardMarkup(inline_keyboard=[[press]])

    await add_ping(uow_factory, 7001, 1, locale="fr")
    await add_ping(uow_factory, 7001, 2)
    dispatcher = make_dispatcher(
        uow_factory, fake_bot, fast_limiter, renderer, clock, keyboard=keyboard
    )
    assert await dispatcher.drain() == DrainResult(sent=2)

    sends = [call for call in fake_bot.calls if isinstance(call, SendMessage)]
    markups = [call.reply_markup for call in sends]
    assert drawn == [(1, "fr"), (2, "en")]
    assert isinstance(markups[0], InlineKeyboardMarkup)
    assert [[b.text for b in row] for row in markups[0].inline_keyboard] == [["Press (fr)"]]
    assert markups[1] is None


async def test_each_notification_is_rendered_in_its_recipients_locale(
    uow_factory: UowFactory,
    fake_bot: FakeBot,
    fast_limiter: InProcessRateLimiter,
    clock: FixedClock,
) -> None:
    class RecordingRenderer(Renderer):
        seen: ClassVar[list[tuple[str, str | None]]] = []

        def render(self, name: str, locale: str | None, /, **params: Any) -> str:
            self.seen.append((f"{name}:{params['n']}", locale))
            return super().render(name, locale, **params)

    async with uow_factory() as uow:
        chose_russian = await uow.users.touch(1, "en", clock.now)
        chose_russian.locale = "ru"
        await uow.users.touch(2, "pt-br", clock.now)  # follows Telegram's language
        await uow.users.touch(3, "tlh", clock.now)  # a language we do not speak
        await uow.commit()
    for chat in (1, 2, 3, 4, -1001):
        await add_ping(uow_factory, chat, chat)
    await add_ping(uow_factory, 1, "explicit", locale="fr")
    renderer = RecordingRenderer("en")
    dispatcher = make_dispatcher(uow_factory, fake_bot, fast_limiter, renderer, clock)

    await dispatcher.drain()

    assert sorted(renderer.seen) == sorted(
        [
            ("tests.ping:1", "ru"),
            ("tests.ping:2", "pt_BR"),
            ("tests.ping:3", "en"),
            ("tests.ping:4", "en"),  # never talked to us: the default
            ("tests.ping:-1001", "en"),  # a group
            ("tests.ping:explicit", "fr"),
        ]
    )


async def test_a_403_pauses_the_chat_blocks_it_and_never_retries(
    uow_factory: UowFactory, dispatcher: OutboxDispatcher, fake_bot: FakeBot
) -> None:
    for n in range(3):
        await add_ping(uow_factory, 1, n)
        await add_ping(uow_factory, 2, n)
    fake_bot.blocked.add(2)

    result = await dispatcher.drain()

    assert result == DrainResult(sent=3, paused=3)
    assert [call.chat_id for call in fake_bot.calls].count(2) == 1  # type: ignore[attr-defined]
    blocked_rows = await rows(uow_factory, 2)
    assert [row.status for row in blocked_rows] == [NotificationStatus.PAUSED] * 3
    assert blocked_rows[0].attempts == 0
    assert "blocked" in (blocked_rows[0].last_error or "")
    async with uow_factory() as uow:
        assert await uow.blocked_recipients.is_blocked(2)

    # Later notifications to the blocked chat are paused when claimed, without a send.
    await add_ping(uow_factory, 2, "later")
    calls_before = len(fake_bot.calls)
    assert await dispatcher.drain() == DrainResult(paused=1)
    assert len(fake_bot.calls) == calls_before
    assert (await rows(uow_factory, 2))[-1].status == NotificationStatus.PAUSED


async def test_resume_chat_unblocks_and_delivers_the_paused_rows_in_order(
    uow_factory: UowFactory, dispatcher: OutboxDispatcher, fake_bot: FakeBot
) -> None:
    fake_bot.blocked.add(2)
    for n in range(3):
        await add_ping(uow_factory, 2, n)
    await dispatcher.drain()
    fake_bot.blocked.clear()
    woken: list[bool] = []

    async with uow_factory() as uow:  # what the /start handler does
        assert await resume_chat(uow, 2, wake=lambda: woken.append(True)) == 3
        assert woken == []  # only once the commit is durable
        await uow.commit()
    assert woken == [True]

    assert await dispatcher.drain() == DrainResult(sent=3)
    assert fake_bot.delivered[2] == ["Ping 0", "Ping 1", "Ping 2"]
    async with uow_factory() as uow:
        assert not await uow.blocked_recipients.is_blocked(2)
        assert await uow.session.get(BlockedRecipient, 2) is None
    # The dispatcher's own variant commits by itself; nothing is left to resume.
    assert await dispatcher.resume_chat(2) == 0


async def test_failures_back_off_exponentially_then_go_dead(
    uow_factory: UowFactory, dispatcher: OutboxDispatcher, fake_bot: FakeBot, clock: FixedClock
) -> None:
    fake_bot.always_fail[3] = bad_request
    await add_ping(uow_factory, 3, 1)
    started = clock.now

    assert await dispatcher.drain() == DrainResult(retried=1)
    (row,) = await rows(uow_factory, 3)
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1)
    assert (
        started + timedelta(seconds=1.5) <= row.next_attempt_at <= started + timedelta(seconds=2.5)
    )
    assert "Bad Request" in (row.last_error or "")

    assert await dispatcher.drain() == DrainResult()  # not due yet
    clock.advance(seconds=3)
    assert await dispatcher.drain() == DrainResult(retried=1)
    (row,) = await rows(uow_factory, 3)
    assert row.attempts == 2
    assert (
        clock.now + timedelta(seconds=3) <= row.next_attempt_at <= clock.now + timedelta(seconds=5)
    )

    clock.advance(seconds=10)
    assert await dispatcher.drain() == DrainResult(dead=1)
    (row,) = await rows(uow_factory, 3)
    assert (row.status, row.attempts, row.lease_until) == (NotificationStatus.DEAD, 3, None)
    clock.advance(hours=1)
    assert await dispatcher.drain() == DrainResult()
    assert len(fake_bot.calls) == 3


async def test_later_rows_of_a_chat_wait_behind_a_failed_one(
    uow_factory: UowFactory, dispatcher: OutboxDispatcher, fake_bot: FakeBot, clock: FixedClock
) -> None:
    for n in range(3):
        await add_ping(uow_factory, 4, n)
    fake_bot.fail(4, server_error)

    assert await dispatcher.drain() == DrainResult(retried=1)
    first, *later = await rows(uow_factory, 4)
    assert first.attempts == 1
    assert all(row.status == NotificationStatus.PENDING and row.attempts == 0 for row in later)
    assert all(row.next_attempt_at >= first.next_attempt_at for row in later)

    clock.advance(seconds=5)
    assert await dispatcher.drain() == DrainResult(sent=3)
    assert fake_bot.delivered[4] == ["Ping 0", "Ping 1", "Ping 2"]


async def test_a_long_429_reschedules_without_counting_an_attempt(
    uow_factory: UowFactory, dispatcher: OutboxDispatcher, fake_bot: FakeBot, clock: FixedClock
) -> None:
    await add_ping(uow_factory, 5, 1)
    fake_bot.fail(5, retry_after(120))

    assert await dispatcher.drain() == DrainResult(retried=1)
    (row,) = await rows(uow_factory, 5)
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 0)
    assert row.next_attempt_at == clock.now + timedelta(seconds=120)


class ProcessDied(BaseException):
    """Stands for the process dying between Telegram's answer and the outcome's commit."""


async def test_crash_between_claim_and_send_resends_once_after_the_lease(
    uow_factory: UowFactory,
    fake_bot: FakeBot,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
) -> None:
    await add_ping(uow_factory, 6, "claimed-then-crashed")
    await add_ping(uow_factory, 7, "sent-then-crashed")
    # Process A claims chat 6's row and dies before sending anything.
    async with uow_factory() as uow:
        claimed = await uow.notifications.claim_due(clock.now, timedelta(seconds=60), limit=1)
        assert [row.chat_id for row in claimed] == [6]
        await uow.commit()
    # Process B sends chat 7's row, and dies before recording it.
    crashing = make_dispatcher(uow_factory, fake_bot, fast_limiter, renderer, clock)

    def die(_: SendMessage) -> None:
        raise ProcessDied

    fake_bot.after_delivery = die
    await crashing.drain()
    fake_bot.after_delivery = None
    assert fake_bot.delivered == {7: ["Ping sent-then-crashed"]}

    # Process C, restarted: the leases still hold, so nothing goes out twice yet.
    restarted = make_dispatcher(uow_factory, fake_bot, fast_limiter, renderer, clock)
    assert await restarted.drain() == DrainResult()
    clock.advance(seconds=61)
    assert await restarted.drain() == DrainResult(sent=2)
    assert await restarted.drain() == DrainResult()

    assert fake_bot.delivered[6] == ["Ping claimed-then-crashed"]  # exactly once
    # The one duplicate window the architecture accepts: sent, but not recorded as sent.
    assert fake_bot.delivered[7] == ["Ping sent-then-crashed"] * 2
    assert {row.status for row in await rows(uow_factory)} == {NotificationStatus.SENT}


async def test_a_crash_before_the_ledger_writes_resends_each_row_once(
    uow_factory: UowFactory,
    fake_bot: FakeBot,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
) -> None:
    """Batching widens the window between send and record to a batch, not more: the process
    dies with a whole batch sent and nothing recorded, and after the lease each of those
    rows goes out once more, none is lost, and then all are recorded."""
    for chat in range(11, 16):
        await add_ping(uow_factory, chat, "a")
    await add_ping(uow_factory, 11, "b")
    crashing = make_dispatcher(uow_factory, fake_bot, fast_limiter, renderer, clock)

    async def die(*_: Any) -> Any:
        raise ProcessDied

    crashing._record = die  # type: ignore[method-assign]
    assert await crashing.drain() == DrainResult()  # sent, never recorded
    assert sum(len(texts) for texts in fake_bot.delivered.values()) == 6
    assert {row.status for row in await rows(uow_factory)} == {NotificationStatus.SENDING}

    restarted = make_dispatcher(uow_factory, fake_bot, fast_limiter, renderer, clock)
    assert await restarted.drain() == DrainResult()  # the leases still hold
    clock.advance(seconds=61)
    assert await restarted.drain() == DrainResult(sent=6)

    assert fake_bot.delivered[11] == ["Ping a", "Ping b", "Ping a", "Ping b"]
    assert all(fake_bot.delivered[chat] == ["Ping a"] * 2 for chat in range(12, 16))
    assert {row.status for row in await rows(uow_factory)} == {NotificationStatus.SENT}


async def test_a_failed_ledger_write_is_tried_again_with_the_same_outcomes(
    uow_factory: UowFactory,
    fake_bot: FakeBot,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
) -> None:
    for chat in range(21, 24):
        await add_ping(uow_factory, chat, 0)
    fake_bot.fail(23, bad_request)
    dispatcher = make_dispatcher(uow_factory, fake_bot, fast_limiter, renderer, clock)
    record = dispatcher._record
    calls = 0

    async def flaky(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("connection reset by the database")
        return await record(*args)

    dispatcher._record = flaky  # type: ignore[method-assign]

    assert await dispatcher.drain() == DrainResult(sent=2, retried=1)

    assert calls >= 2
    assert sum(len(texts) for texts in fake_bot.delivered.values()) == 2  # none twice
    stored = {row.chat_id: row for row in await rows(uow_factory)}
    assert stored[21].status == stored[22].status == NotificationStatus.SENT
    assert (stored[23].status, stored[23].attempts) == (NotificationStatus.PENDING, 1)


async def test_rows_whose_lease_runs_low_are_renewed_before_they_are_sent(
    uow_factory: UowFactory, fake_bot: FakeBot, renderer: Renderer, clock: FixedClock
) -> None:
    # A chat with a queue longer than the lease covers: each send moves the clock 20 s. The
    # ledger's own timer never fires here (an hour); the write that records each send renews.
    limiter = InProcessRateLimiter(RateLimits(global_per_second=10_000, chat_interval=0.0))
    dispatcher = make_dispatcher(
        uow_factory,
        fake_bot,
        limiter,
        renderer,
        clock,
        lease=timedelta(seconds=60),
        record_interval=3600,
    )
    leases_at_send: list[timedelta] = []

    def sent(_: SendMessage) -> None:
        leases_at_send.append(min(c.lease_until for c in renewals_seen[-1]) - clock.now)
        clock.advance(seconds=20)

    fake_bot.after_delivery = sent
    for n in range(4):
        await add_ping(uow_factory, 8, n)
    renewals_seen: list[list[Any]] = []
    renewed: list[list[Any]] = []
    record = dispatcher._record

    async def spy(outcomes: Any, renewing: list[Any]) -> Any:
        if renewing:
            renewed.append(sorted(claim.params["n"] for claim in renewing))
        recorded = await record(outcomes, renewing)
        if renewing:
            renewals_seen.append(renewing)
        return recorded

    dispatcher._record = spy  # type: ignore[method-assign]
    claim_due = dispatcher._claim

    async def first_claim(limit: int, result: DrainResult) -> Any:
        claims, claimed = await claim_due(limit, result)
        renewals_seen.append(claims)
        return claims, claimed

    dispatcher._claim = first_claim  # type: ignore[method-assign]

    result = await dispatcher.drain()

    # Each send is recorded at once, and that transaction renews the rows still queued once a
    # quarter of their lease is gone (here after every 20 s send), in one statement with
    # nothing handed back; they are then sent on the fresh lease.
    assert renewed == [[1, 2, 3], [2, 3], [3]]
    assert result == DrainResult(sent=4)
    assert fake_bot.delivered[8] == ["Ping 0", "Ping 1", "Ping 2", "Ping 3"]
    # Every send started with at least half of its lease ahead of it.
    assert all(left >= timedelta(seconds=30) for left in leases_at_send), leases_at_send
    stored = await rows(uow_factory, 8)
    assert [(row.status, row.lease_until) for row in stored] == [
        (NotificationStatus.SENT, None)
    ] * 4


async def test_rows_another_worker_took_over_are_not_sent(
    uow_factory: UowFactory, renderer: Renderer, clock: FixedClock
) -> None:
    """This process stalls past the lease while it sends chat 8's first row; another process
    claims the rest meanwhile. The renewal finds them gone, and this process sends nothing
    more: no row goes out twice."""
    taken: list[int] = []

    class StalledBot(FakeBot):
        async def __call__(self, method: Any, request_timeout: int | None = None) -> Any:
            answer = await super().__call__(method, request_timeout)
            if not taken:
                clock.advance(seconds=61)
                async with uow_factory() as uow:  # the other process
                    rows_taken = await uow.notifications.claim_due(
                        clock.now, timedelta(seconds=60), limit=10
                    )
                    taken.extend(row.id for row in rows_taken)
                    await uow.commit()
            return answer

    bot = StalledBot()
    limiter = InProcessRateLimiter(RateLimits(global_per_second=10_000, chat_interval=0.0))
    dispatcher = make_dispatcher(
        uow_factory, bot, limiter, renderer, clock, lease=timedelta(seconds=60)
    )
    for n in range(3):
        await add_ping(uow_factory, 8, n)

    assert await dispatcher.drain() == DrainResult(sent=1)

    assert bot.delivered[8] == ["Ping 0"]
    first, *rest = await rows(uow_factory, 8)
    assert first.status == NotificationStatus.SENT  # recorded: the message did go out
    assert [row.id for row in rest] == taken[1:]
    assert all(row.status == NotificationStatus.SENDING for row in rest)  # the other's


async def test_outcomes_are_recorded_in_batches_on_one_connection(
    engine: AsyncEngine,
    fake_bot: FakeBot,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
) -> None:
    """Sixty chats served at once: their outcomes take a few transactions, not sixty, and the
    outbox never holds more than one database connection however many workers there are."""
    session_factory = database.create_session_factory(engine)
    open_now = 0
    most_open = 0
    transactions = 0

    class CountingUnitOfWork(UnitOfWork):
        async def __aenter__(self) -> CountingUnitOfWork:
            nonlocal open_now, most_open, transactions
            open_now += 1
            transactions += 1
            most_open = max(most_open, open_now)
            return await super().__aenter__()

        async def __aexit__(self, *exc: Any) -> None:
            nonlocal open_now
            open_now -= 1
            await super().__aexit__(*exc)

    def counting_factory() -> UnitOfWork:
        return CountingUnitOfWork(session_factory, clock=clock)

    for chat in range(9001, 9061):
        await add_ping(counting_factory, chat, 0)
    fake_bot.fail(9005, bad_request)
    transactions = 0
    dispatcher = make_dispatcher(
        counting_factory, fake_bot, fast_limiter, renderer, clock, record_batch=25
    )

    assert await dispatcher.drain() == DrainResult(sent=59, retried=1)

    assert most_open == 1
    # One claim, a few ledger writes, and the last, empty claim: far below one transaction per
    # row. A write takes what came in while the one before it ran (at most 25), so how many
    # there are depends on the machine's speed: 4-6 on a quiet one, 9 seen under load.
    assert transactions <= 15, transactions
    stored = await rows(uow_factory=counting_factory)
    assert sum(row.status == NotificationStatus.SENT for row in stored) == 59
    assert len({row.telegram_message_id for row in stored if row.telegram_message_id}) == 59


async def test_run_wakes_on_commit_and_stops_cleanly(
    engine: AsyncEngine,
    fake_bot: FakeBot,
    fast_limiter: InProcessRateLimiter,
    renderer: Renderer,
    clock: FixedClock,
) -> None:
    session_factory = database.create_session_factory(engine)
    dispatcher: OutboxDispatcher | None = None

    def wake() -> None:
        assert dispatcher is not None
        dispatcher.wake()

    def uow_factory() -> UnitOfWork:
        return UnitOfWork(session_factory, clock=clock, on_notifications_added=wake)

    dispatcher = make_dispatcher(uow_factory, fake_bot, fast_limiter, renderer, clock)
    runner = asyncio.create_task(dispatcher.run(poll_interval=60))
    await asyncio.sleep(0.05)  # the first, empty drain

    delivered = asyncio.Event()
    fake_bot.after_delivery = lambda _: delivered.set()
    started = time.monotonic()
    await add_ping(uow_factory, 9, "woken")
    await asyncio.wait_for(delivered.wait(), timeout=2)

    assert fake_bot.delivered[9] == ["Ping woken"]
    assert time.monotonic() - started < 1  # well before the 60 s poll
    await asyncio.wait_for(dispatcher.stop(), timeout=2)
    assert runner.done()
    assert runner.exception() is None


async def test_stop_hands_queued_rows_back_at_once(
    uow_factory: UowFactory, dispatcher: OutboxDispatcher, fake_bot: FakeBot
) -> None:
    for n in range(3):
        await add_ping(uow_factory, 10, n)
    stopping: list[asyncio.Task[None]] = []
    fake_bot.after_delivery = lambda _: stopping.append(asyncio.create_task(dispatcher.stop()))

    runner = asyncio.create_task(dispatcher.run(poll_interval=60))
    await asyncio.wait_for(runner, timeout=2)
    await stopping[0]

    assert fake_bot.delivered[10] == ["Ping 0"]
    first, *rest = await rows(uow_factory, 10)
    assert first.status == NotificationStatus.SENT
    # Not left leased until expiry: another process (or the next start) can send them now.
    assert [(row.status, row.lease_until) for row in rest] == [
        (NotificationStatus.PENDING, None)
    ] * 2


async def test_prune_processed_updates_keeps_two_days(
    uow_factory: UowFactory, dispatcher: OutboxDispatcher, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        for update_id, age in (
            (1, timedelta(hours=72)),
            (2, timedelta(hours=49)),
            (3, timedelta(hours=1)),
        ):
            await uow.processed_updates.claim(update_id, clock.now - age)
        await uow.commit()

    assert await dispatcher.prune_processed_updates() == 2
    async with uow_factory() as uow:
        assert not await uow.processed_updates.claim(3, clock.now)
        assert await uow.processed_updates.claim(1, clock.now)


async def test_the_same_job_forgets_confirmations_that_expired_unanswered(
    uow_factory: UowFactory, dispatcher: OutboxDispatcher, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        for user_id in (31, 32):
            await uow.users.touch(user_id, None, clock.now)
        await confirmations.ask(31, confirmations.Purpose.ERASURE, uow)
        await uow.commit()
    clock.advance(minutes=10)
    async with uow_factory() as uow:
        await confirmations.ask(32, confirmations.Purpose.ERASURE, uow)
        await uow.commit()

    await dispatcher.prune_processed_updates()
    async with uow_factory() as uow:
        assert await uow.confirmations.latest(31, confirmations.Purpose.ERASURE) is None
        assert await uow.confirmations.latest(32, confirmations.Purpose.ERASURE) is not None


# -- Outbox against the Bot API emulator ------------------------------------------------------


# Telegram's global limit (30/s, 25/s configured) would make this an 8 s test of the global
# bucket alone, which the unit tests cover; here the per-chat limit, 429s and 403s matter.
@pytest.mark.parametrize("emulator_options", [{"global_per_second": 60}])
async def test_two_hundred_notifications_reach_fifty_chats_despite_429s_and_a_block(
    uow_factory: UowFactory, emulator: Any, renderer: Renderer, clock: FixedClock
) -> None:
    settings = Settings(_env_file=None)
    limits = RateLimits(
        global_per_second=50,
        chat_interval=settings.send_private_chat_interval_seconds,
        group_per_window=settings.send_group_per_minute,
    )
    chats = list(range(5001, 5051))
    blocked = chats[17]
    for chat in chats:
        emulator.user(chat, language_code="en")
    emulator.block_chat(blocked)
    emulator.inject_429(count=5, retry_after=1)  # whichever sends come first
    emulator.inject_429(chat_id=chats[30], count=1, retry_after=1)
    async with uow_factory() as uow:
        for n in range(4):  # interleaved, as notifications arrive in real life
            for chat in chats:
                await uow.notifications.add(
                    dedupe_key=f"ping:{chat}:{n}",
                    chat_id=chat,
                    template="tests.ping",
                    params={"n": n},
                    now=uow.now(),
                )
        await uow.commit()
    pauses: list[tuple[int | None, float]] = []

    class RecordingLimiter(InProcessRateLimiter):
        async def pause_chat(self, chat_id: int, seconds: float) -> None:
            pauses.append((chat_id, seconds))
            await super().pause_chat(chat_id, seconds)

        async def pause_global(self, seconds: float) -> None:
            pauses.append((None, seconds))
            await super().pause_global(seconds)

    bot = make_bot(emulator)
    try:
        sender = Sender(bot, RecordingLimiter(limits), max_attempts=4)
        dispatcher = OutboxDispatcher(
            uow_factory, sender, renderer, default_locale="en", clock=clock, max_attempts=8
        )

        started = time.monotonic()
        result = await dispatcher.drain()
        elapsed = time.monotonic() - started
    finally:
        await bot.session.close()

    assert result == DrainResult(sent=196, paused=4)
    for chat in chats:
        texts = [message.text for message in emulator.history(chat)]
        expected = [] if chat == blocked else ["Ping 0", "Ping 1", "Ping 2", "Ping 3"]
        assert texts == expected, chat  # everything, in order, none twice
    sends = [r for r in emulator.requests if r.method == "sendMessage" and r.status == 200]
    assert len(sends) == 196
    for chat in chats:
        times = [r.time for r in sends if r.chat_id == chat]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(gap >= 1.0 for gap in gaps), (chat, gaps)
    # Only the injected 429s: the limiter kept the bot inside the limits on its own. Exact
    # even on a loaded machine: a chat's interval is counted from Telegram's answer, so a
    # request slow to arrive cannot have the next one land within the interval.
    refused = [r for r in emulator.requests if r.status == 429]
    assert len(refused) == emulator.stats.too_many_requests == 6, [
        (r.chat_id, r.time) for r in refused
    ]
    # Each 429 paused only its chat, for its retry_after: no global stall, no long waits.
    assert len(pauses) == 6
    assert all(chat is not None and seconds == 1 for chat, seconds in pauses), pauses
    assert emulator.stats.forbidden == 1

    stored = await rows(uow_factory)
    by_chat: dict[int, list[Notification]] = {}
    for row in stored:
        by_chat.setdefault(row.chat_id, []).append(row)
    assert {row.status for row in by_chat.pop(blocked)} == {NotificationStatus.PAUSED}
    assert all(
        row.status == NotificationStatus.SENT and row.attempts == 0
        for chat_rows in by_chat.values()
        for row in chat_rows
    )
    async with uow_factory() as uow:
        assert await uow.blocked_recipients.is_blocked(blocked)
    # Four messages a chat at one a second at least. No upper bound in seconds: a loaded
    # machine stretches it; that nothing waited long is what the pauses and the attempts
    # above show (a row backed off for a retry would not have been sent by this drain).
    assert elapsed >= 3.0, elapsed


@pytest.mark.parametrize("emulator_options", [{"per_chat_interval": 0.0}])
async def test_a_long_notification_arrives_split_in_parts(
    uow_factory: UowFactory, emulator: Any, renderer: Renderer, clock: FixedClock
) -> None:
    emulator.user(6001)
    await add_ping(uow_factory, 6001, "x " * 5000, key="long")  # 10,000 characters
    bot = make_bot(emulator)
    try:
        sender = Sender(bot, InProcessRateLimiter(RateLimits(chat_interval=0.0)))
        dispatcher = OutboxDispatcher(
            uow_factory, sender, renderer, default_locale="en", clock=clock
        )
        assert await dispatcher.drain() == DrainResult(sent=1)
    finally:
        await bot.session.close()

    parts = [message.text or "" for message in emulator.history(6001)]
    assert len(parts) == 3
    assert all(len(part) <= 4096 for part in parts)
    assert " ".join(parts).split() == ["Ping", *(["x"] * 5000)]
    (row,) = await rows(uow_factory, 6001)
    assert row.telegram_message_id == emulator.history(6001)[0].message_id


async def test_a_notice_for_a_deleted_topic_arrives_in_the_main_chat(
    uow_factory: UowFactory, emulator: Any, renderer: Renderer, clock: FixedClock
) -> None:
    user = emulator.user(6101)
    bot = make_bot(emulator)
    try:
        topic = await bot.create_forum_topic(6101, "Return R-1 · Mug")
        await user.delete_topic(topic.message_thread_id)
        async with uow_factory() as uow:
            await uow.notifications.add(
                dedupe_key="topic-gone",
                chat_id=6101,
                template="tests.ping",
                params={"n": 1},
                now=uow.now(),
                message_thread_id=topic.message_thread_id,
            )
            await uow.commit()
        sender = Sender(bot, InProcessRateLimiter(RateLimits(chat_interval=0.0)))
        dispatcher = OutboxDispatcher(
            uow_factory, sender, renderer, default_locale="en", clock=clock
        )
        assert await dispatcher.drain() == DrainResult(sent=1)
    finally:
        await bot.session.close()

    # Not lost to "message thread not found": sent again without the topic.
    (delivered,) = [m for m in emulator.history(6101) if not m.deleted and m.service is None]
    assert (delivered.text, delivered.message_thread_id) == ("Ping 1", None)


async def test_paid_broadcasts_go_above_the_free_cap_without_a_429(
    uow_factory: UowFactory, emulator: Any, renderer: Renderer, clock: FixedClock
) -> None:
    """SEND_PAID_BROADCAST: the outbox's sends carry `allow_paid_broadcast` and use a budget of
    their own (here 200/s), which the emulator counts apart from the free 30 a second."""
    chats = list(range(6001, 6121))
    for chat in chats:
        emulator.user(chat, language_code="en")
    async with uow_factory() as uow:
        for chat in chats:
            await uow.notifications.add(
                dedupe_key=f"ping:{chat}",
                chat_id=chat,
                template="tests.ping",
                params={"n": 1},
                now=uow.now(),
            )
        await uow.commit()
    limits = RateLimits(global_per_second=25, chat_interval=1.0, paid_broadcast_per_second=200)
    bot = make_bot(emulator)
    try:
        sender = Sender(bot, InProcessRateLimiter(limits), paid_broadcast=True)
        dispatcher = OutboxDispatcher(
            uow_factory, sender, renderer, default_locale="en", clock=clock
        )
        result = await dispatcher.drain()
    finally:
        await bot.session.close()

    assert result.sent == len(chats)
    sends = [r for r in emulator.requests if r.method == "sendMessage"]
    assert len(sends) == len(chats)
    assert all(r.status == 200 for r in sends)
    assert all(str(r.params.get("allow_paid_broadcast")).lower() == "true" for r in sends)
    # 120 sends at 200 a second: in the free budget the emulator's 30 a second would have
    # refused most of them.
    assert emulator.stats.too_many_requests == 0
