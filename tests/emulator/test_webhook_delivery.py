"""The emulator's webhook delivery: setWebhook makes it POST updates to a receiver on loopback.

The receiver here is a bare aiohttp server whose answers each test scripts; the bot side is a
real aiogram Bot calling setWebhook / deleteWebhook / getWebhookInfo over HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiohttp import web

from sandbox.emulator import BotApiEmulator
from tests.fixtures.emulator import emulator, emulator_bot, make_bot

__all__ = ["emulator", "emulator_bot"]

SECRET = "s3cret_Token-1"
RETRY_DELAYS = (0.05, 0.1, 0.2)


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {
        "per_chat_interval": 0.0,
        "local_webhooks": True,
        "webhook_retry_delays": RETRY_DELAYS,
        "webhook_timeout": 2.0,
    }


class Receiver:
    """A webhook endpoint that records what it got and answers as `answer` says."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], dict[str, str]]] = []
        self.answer: Callable[[dict[str, Any], int], int] = lambda update, seen: 200
        self.hold = 0.0  # seconds each request takes
        self.concurrent = 0
        self.peak = 0
        self.url = ""

    def update_ids(self) -> list[int]:
        return [update["update_id"] for update, _ in self.received]

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        self.received.append((update, dict(request.headers)))
        self.concurrent += 1
        self.peak = max(self.peak, self.concurrent)
        try:
            await asyncio.sleep(self.hold)
        finally:
            self.concurrent -= 1
        seen = sum(1 for u, _ in self.received if u["update_id"] == update["update_id"])
        return web.Response(status=self.answer(update, seen))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    hook.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield hook
    finally:
        await runner.cleanup()


async def test_updates_are_posted_with_the_secret_header(
    emulator_bot: Bot, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    assert await emulator_bot.set_webhook(receiver.url, secret_token=SECRET)
    user = emulator.user(501)
    await user.send("hello")
    assert await emulator.wait_until(lambda: len(receiver.received) == 1, 5)
    update, headers = receiver.received[0]
    assert update["message"]["text"] == "hello"
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == SECRET
    assert headers["Content-Type"].startswith("application/json")
    assert await emulator.wait_until(lambda: not emulator.pending_updates, 5)
    info = await emulator_bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.pending_update_count == 0
    assert info.max_connections == 40
    assert info.last_error_date is None


async def test_a_failed_delivery_is_retried_until_the_webhook_answers_2xx(
    emulator_bot: Bot, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    receiver.answer = lambda update, seen: 500 if seen <= 2 else 200
    await emulator_bot.set_webhook(receiver.url, secret_token=SECRET)
    await emulator.user(502).send("retry me")
    assert await emulator.wait_until(lambda: len(receiver.received) == 3, 5)
    assert await emulator.wait_until(lambda: not emulator.pending_updates, 5)
    attempts = emulator.webhook_attempts
    assert [(a.attempt, a.status, a.delivered) for a in attempts] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    # The schedule grows: the second wait is longer than the first.
    first_gap, second_gap = attempts[1].at - attempts[0].at, attempts[2].at - attempts[1].at
    assert first_gap >= RETRY_DELAYS[0] * 0.9
    assert second_gap >= RETRY_DELAYS[1] * 0.9
    info = await emulator_bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.last_error_date is not None


async def test_an_unreachable_webhook_keeps_the_update_queued(
    emulator_bot: Bot, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    await emulator_bot.set_webhook("http://127.0.0.1:1/hook")
    await emulator.user(503).send("anyone there?")
    assert await emulator.wait_until(lambda: len(emulator.webhook_attempts) >= 2, 5)
    info = await emulator_bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Connection refused"
    # Pointed at a working endpoint, the same update arrives.
    await emulator_bot.set_webhook(receiver.url)
    assert await emulator.wait_until(lambda: receiver.update_ids() == [1], 5)


async def test_concurrency_stays_within_max_connections_and_a_chat_stays_in_order(
    emulator_bot: Bot, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    receiver.hold = 0.3
    await emulator_bot.set_webhook(receiver.url, max_connections=3)
    users = [emulator.user(600 + n) for n in range(6)]
    for round_number in range(2):
        for user in users:
            await user.send(f"round {round_number}")
    assert await emulator.wait_until(lambda: len(receiver.received) == 12, 10)
    assert receiver.peak <= 3
    assert emulator.webhook_peak_connections == 3
    for user in users:
        texts = [
            u["message"]["text"]
            for u, _ in receiver.received
            if u["message"]["chat"]["id"] == user.user_id
        ]
        assert texts == ["round 0", "round 1"]


async def test_a_failing_update_holds_back_only_its_own_chat(
    emulator_bot: Bot, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    receiver.answer = lambda update, seen: (
        500 if update["message"]["text"] == "first" and seen <= 2 else 200
    )
    await emulator_bot.set_webhook(receiver.url)
    stuck, other = emulator.user(701), emulator.user(702)
    await stuck.send("first")
    await stuck.send("second")
    await other.send("unrelated")
    assert await emulator.wait_until(lambda: len(receiver.received) == 5, 5)
    order = [u["message"]["text"] for u, _ in receiver.received]
    assert order.index("unrelated") < order.index("second")
    assert order[-1] == "second"  # only after "first" finally got through


async def test_get_updates_is_refused_while_a_webhook_is_set_and_works_after_delete(
    emulator_bot: Bot, emulator: BotApiEmulator
) -> None:
    await emulator_bot.set_webhook("http://127.0.0.1:1/hook")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await emulator_bot.get_updates()
    assert await emulator_bot.delete_webhook()
    assert (await emulator_bot.get_webhook_info()).url == ""
    await emulator.user(801).send("after")
    assert [u.message.text for u in await emulator_bot.get_updates() if u.message] == ["after"]


async def test_set_webhook_ends_a_waiting_long_poll(
    emulator_bot: Bot, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    poll = asyncio.create_task(emulator_bot.get_updates(timeout=5))
    assert await emulator.wait_until(lambda: emulator.waiting_polls == 1, 2)
    await emulator_bot.set_webhook(receiver.url)
    with pytest.raises(TelegramConflictError):
        await poll


async def test_allowed_updates_are_shared_with_get_updates(
    emulator_bot: Bot, emulator: BotApiEmulator, receiver: Receiver
) -> None:
    await emulator_bot.set_webhook(receiver.url, allowed_updates=["callback_query"])
    user = emulator.user(901)
    message = await user.send("ignored")
    await user.press_data(message.message_id, "pressed")
    assert await emulator.wait_until(lambda: len(receiver.received) == 1, 5)
    assert "callback_query" in receiver.received[0][0]
    info = await emulator_bot.get_webhook_info()
    assert info.allowed_updates == ["callback_query"]


@pytest.mark.parametrize(
    ("url", "options", "error"),
    [
        ("ftp://example.test/hook", {}, "HTTPS URL must be provided"),
        ("https://example.test/hook", {"secret_token": "no spaces"}, "unallowed characters"),
        ("https://example.test/hook", {"max_connections": 101}, "max_connections"),
    ],
)
async def test_bad_webhooks_are_refused(
    emulator_bot: Bot, url: str, options: dict[str, Any], error: str
) -> None:
    with pytest.raises(TelegramBadRequest, match=error):
        await emulator_bot.set_webhook(url, **options)
    assert (await emulator_bot.get_webhook_info()).url == ""


async def test_telegram_refuses_plain_http_and_odd_ports() -> None:
    async with BotApiEmulator() as strict:
        bot = make_bot(strict)
        try:
            with pytest.raises(TelegramBadRequest, match="HTTPS URL"):
                await bot.set_webhook("http://127.0.0.1:8080/hook")
            with pytest.raises(TelegramBadRequest, match="ports 80, 88, 443 or 8443"):
                await bot.set_webhook("https://example.test:9000/hook")
            assert await bot.set_webhook("https://example.test:8443/hook")
        finally:
            await bot.session.close()


async def test_an_update_older_than_the_give_up_age_is_dropped(receiver: Receiver) -> None:
    async with BotApiEmulator(
        local_webhooks=True, webhook_retry_delays=(0.05,), webhook_give_up_after=0.2
    ) as short_lived:
        bot = make_bot(short_lived)
        try:
            receiver.answer = lambda update, seen: 503
            await bot.set_webhook(receiver.url)
            await short_lived.user(1001).send("doomed")
            assert await short_lived.wait_until(lambda: not short_lived.pending_updates, 5)
            attempts = short_lived.webhook_attempts
            assert len(attempts) >= 2 and not any(a.delivered for a in attempts)
            count = len(receiver.received)
            await asyncio.sleep(0.2)
            assert len(receiver.received) == count  # no more tries once dropped
        finally:
            await bot.session.close()


async def test_nothing_is_posted_off_the_machine(
    emulator_bot: Bot, emulator: BotApiEmulator
) -> None:
    await emulator_bot.set_webhook("https://bot.example.org/hook")
    await emulator.user(1101).send("stays here")
    assert await emulator.wait_until(lambda: len(emulator.webhook_attempts) >= 1, 5)
    assert emulator.webhook_attempts[0].error == "Failed to resolve host: Name or service not known"
    assert (await emulator_bot.get_webhook_info()).pending_update_count == 1
