"""SIGTERM end to end: `sellerbot worker` stopped in the middle of a fan-out, and a webhook
process stopped in the middle of an update.

The worker runs as a real process (`python -m bot.cli worker`) against the emulator and
PostgreSQL, and gets a real SIGTERM while it sends a few hundred notifications; restarted, it
sends the rest. By the emulator's chat log every notification reaches its chat exactly once:
none is lost, and a duplicate could only come from a row left leased at the exit (the send
window), of which a graceful stop leaves none.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import Message
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot import database
from bot.webhook import SECRET_HEADER
from domain.model import Notification, NotificationStatus, ProcessedUpdate
from domain.unit_of_work import UnitOfWork
from sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator
from tests.conftest import _drop_postgres_database, _postgres_database, _service_missing
from tests.e2e.cli import FAKE_TOKEN, cli_environment, finish, run_cli, start_cli
from tests.e2e.conftest import BotRunner, chat_with, make_settings
from tests.e2e.test_webhook import RETRY_DELAYS, SECRET, WebhookHarness, webhook_settings

# More chats than a claim's batch (100): two workers claiming at once take different chats.
CHATS = 150
PER_CHAT = 2  # 300 notifications
FIRST_BATCH_SEEN = 80  # SIGTERM once this many reached their chats


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {
        "tokens": (FAKE_TOKEN, DEFAULT_TOKEN),
        "per_chat_interval": 0.05,
        "local_webhooks": True,
        "webhook_retry_delays": RETRY_DELAYS,
    }


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    try:
        url = await _postgres_database()
    except Exception as error:
        _service_missing("PostgreSQL at 127.0.0.1:5432", error)
    try:
        yield url
    finally:
        await _drop_postgres_database(url)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _text(chat_id: int, index: int) -> str:
    return f"c{chat_id}-{index}"


async def _queue_fan_out(url: str) -> set[str]:
    """Migrate, then queue PER_CHAT pings to each of CHATS chats; their texts."""
    engine = database.create_engine(url)
    try:
        await database.upgrade(engine)
        sessions = database.create_session_factory(engine)
        async with UnitOfWork(sessions) as uow:
            for chat_id in range(1, CHATS + 1):
                for index in range(PER_CHAT):
                    await uow.notifications.add(
                        dedupe_key=f"fan-out:{chat_id}:{index}",
                        chat_id=700_000 + chat_id,
                        template="tests.ping",
                        params={"n": _text(chat_id, index)},
                        now=uow.now(),
                    )
            await uow.commit()
    finally:
        await engine.dispose()
    return {f"Ping {_text(c, i)}" for c in range(1, CHATS + 1) for i in range(PER_CHAT)}


async def _outbox_counts(url: str) -> Counter[NotificationStatus]:
    engine = database.create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(Notification.status, func.count()).group_by(Notification.status)
            )
            return Counter({NotificationStatus(status): int(n) for status, n in rows.tuples()})
    finally:
        await engine.dispose()


def _delivered(emulator: BotApiEmulator) -> Counter[str]:
    """Every ping text the chats received, with how many times."""
    return Counter(
        message.text or ""
        for chat_id in range(1, CHATS + 1)
        for message in emulator.history(700_000 + chat_id)
        if message.from_bot
    )


def _out_of_order(emulator: BotApiEmulator) -> dict[int, list[str]]:
    """The chats whose pings arrived in another order than queued: their texts as received."""
    received = {
        chat_id: [
            message.text or ""
            for message in emulator.history(700_000 + chat_id)
            if message.from_bot
        ]
        for chat_id in range(1, CHATS + 1)
    }
    return {chat_id: texts for chat_id, texts in received.items() if texts != sorted(texts)}


async def _ready(port: int, timeout: float = 240) -> None:  # noqa: ASYNC109
    # Start-up imports aiogram and checks the database: slow on a shared machine.
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as http:
        while asyncio.get_running_loop().time() < deadline:
            # Not listening yet: ask again shortly.
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise AssertionError("sellerbot worker did not become ready")


async def _sent_by(port: int) -> float:
    """How many messages the worker listening on `port` has sent, by its /metrics."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        page = await response.text()
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            if sample.name == "sellerbot_telegram_sends_total" and sample.labels == {
                "method": "sendMessage",
                "result": "ok",
            }:
                return float(sample.value)
    return 0.0


@pytest.mark.postgres
async def test_a_worker_stopped_mid_fan_out_sends_every_notification_exactly_once(
    tmp_path: Path, emulator: BotApiEmulator, postgres_url: str
) -> None:
    for chat_id in range(1, CHATS + 1):
        emulator.user(700_000 + chat_id)
    expected = await _queue_fan_out(postgres_url)
    port = _free_port()
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        DATABASE_URL=postgres_url,
        WORKER_HTTP_PORT=str(port),
        SEND_PRIVATE_CHAT_INTERVAL_SECONDS="0.08",
        SEND_GLOBAL_RATE_PER_SECOND="25",
        SHUTDOWN_TIMEOUT_SECONDS="15",
    )

    first = await start_cli("worker", cwd=tmp_path, env=env)
    try:
        await _ready(port)
        await emulator.wait_until(
            lambda: sum(_delivered(emulator).values()) >= FIRST_BATCH_SEEN, 120
        )
        # The worker's own monitoring server counts its sends.
        assert await _sent_by(port) > 0
    finally:
        if first.returncode is None:
            first.send_signal(signal.SIGTERM)
    stopped = await finish(first, timeout=60)
    assert stopped.returncode == 0, stopped.stderr

    after_stop = await _outbox_counts(postgres_url)
    sent_before_restart = sum(_delivered(emulator).values())
    # Stopped in the middle: some sent, the rest pending again, none left leased.
    assert after_stop[NotificationStatus.SENDING] == 0
    assert after_stop[NotificationStatus.SENT] == sent_before_restart
    assert after_stop[NotificationStatus.PENDING] == len(expected) - sent_before_restart > 0

    second = await start_cli("worker", cwd=tmp_path, env=env)
    try:
        await _ready(port)
        await emulator.wait_until(lambda: sum(_delivered(emulator).values()) >= len(expected), 120)
        # A moment more, so a duplicate would have time to show.
        await asyncio.sleep(1.0)
    finally:
        if second.returncode is None:
            second.send_signal(signal.SIGTERM)
    restarted = await finish(second, timeout=60)
    assert restarted.returncode == 0, restarted.stderr

    delivered = _delivered(emulator)
    duplicates = {text: n for text, n in delivered.items() if n > 1}
    # The send window at the stop held no row (none was left `sending`), so no duplicate.
    assert duplicates == {}, f"{len(duplicates)} notification(s) sent twice"
    assert set(delivered) == expected  # nothing lost, nothing else sent
    assert _out_of_order(emulator) == {}
    final = await _outbox_counts(postgres_url)
    assert final == Counter({NotificationStatus.SENT: len(expected)})
    assert "(worker: scheduled work)" in stopped.output


@pytest.mark.postgres
async def test_two_workers_share_the_outbox_and_one_stops_while_the_other_goes_on(
    tmp_path: Path, emulator: BotApiEmulator, postgres_url: str
) -> None:
    for chat_id in range(1, CHATS + 1):
        emulator.user(700_000 + chat_id)
    expected = await _queue_fan_out(postgres_url)
    ports = (_free_port(), _free_port())
    common = {
        "TELEGRAM_BOT_TOKEN": FAKE_TOKEN,
        "TELEGRAM_API_BASE": emulator.base_url,
        "DATABASE_URL": postgres_url,
        "SEND_PRIVATE_CHAT_INTERVAL_SECONDS": "0.08",
        # Two processes without Redis: each keeps its own budget, half of the emulator's.
        "SEND_GLOBAL_RATE_PER_SECOND": "12",
        "SHUTDOWN_TIMEOUT_SECONDS": "15",
    }
    workers = [
        await start_cli(
            "worker",
            cwd=tmp_path,
            env=cli_environment(tmp_path, WORKER_HTTP_PORT=str(port), **common),
        )
        for port in ports
    ]
    try:
        for port in ports:
            await _ready(port)
        await emulator.wait_until(
            lambda: sum(_delivered(emulator).values()) >= FIRST_BATCH_SEEN, 120
        )
        # Both take part: each has sent some of the rows by its own metrics.
        sent = [await _sent_by(port) for port in ports]
        assert all(count > 0 for count in sent), sent
        workers[0].send_signal(signal.SIGTERM)
        first = await finish(workers[0], timeout=60)
        assert first.returncode == 0, first.stderr
        # The other worker takes what the first handed back, at once.
        await emulator.wait_until(lambda: sum(_delivered(emulator).values()) >= len(expected), 120)
        await asyncio.sleep(1.0)
    finally:
        for process in workers:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
    second = await finish(workers[1], timeout=60)
    assert second.returncode == 0, second.stderr

    delivered = _delivered(emulator)
    assert {text: n for text, n in delivered.items() if n > 1} == {}
    assert set(delivered) == expected
    # Never two workers on one chat: each chat got its rows in the order they were queued.
    assert _out_of_order(emulator) == {}
    assert await _outbox_counts(postgres_url) == Counter({NotificationStatus.SENT: len(expected)})


async def test_the_worker_needs_a_token(tmp_path: Path) -> None:
    finished = await run_cli("worker", cwd=tmp_path, env=cli_environment(tmp_path))
    assert finished.returncode == 2
    assert "sellerbot worker needs TELEGRAM_BOT_TOKEN" in finished.stderr


@pytest.fixture
async def harness(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> AsyncIterator[WebhookHarness]:
    # Several processes behind one URL keep the webhook when one stops: Telegram goes on
    # posting, and the stopping process must turn new updates away itself.
    settings = webhook_settings(emulator, database_url, tmp_path, webhook_delete_on_stop=False)
    rig = WebhookHarness(emulator, settings)
    try:
        yield rig
    finally:
        await rig.stop()


async def _processed(url: str) -> int:
    engine = database.create_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(ProcessedUpdate)))
    finally:
        await engine.dispose()


async def test_a_stopping_webhook_commits_the_update_in_flight_and_turns_new_ones_away(
    emulator: BotApiEmulator, harness: WebhookHarness
) -> None:
    started, finish_it = asyncio.Event(), asyncio.Event()
    router = Router(name="slow")

    @router.message(F.text == "/start", F.from_user.id == 4601)
    async def slow(message: Message) -> None:
        started.set()
        await finish_it.wait()
        raise SkipHandler  # then the product's /start, in the same transaction

    harness.routers.append(router)
    await harness.start()
    first, second = chat_with(emulator, 4601), chat_with(emulator, 4602)
    await first.send("/start")
    await asyncio.wait_for(started.wait(), 10)

    stopping = asyncio.create_task(harness.stop())  # what SIGTERM runs
    await asyncio.sleep(0.05)
    await second.send("/start")  # arrives during the stop

    def turned_away() -> bool:
        # 503 while the webhook is being removed, "connection refused" once the server
        # stopped listening: either way Telegram keeps the update and tries again.
        return any(not attempt.delivered for attempt in emulator.webhook_attempts)

    assert await emulator.wait_until(turned_away, 10)
    finish_it.set()
    await asyncio.wait_for(stopping, 30)

    # The update in flight committed and was answered; the one turned away was not applied.
    await first.expect("Who are you?")
    assert harness.settings.database_url is not None
    assert await _processed(harness.settings.database_url) == 1
    assert not any(m.from_bot for m in emulator.history(4602))

    # The next process (here: the same one restarted) gets it from Telegram's retries.
    harness.routers.clear()
    await harness.start()
    await second.expect("Who are you?", timeout=30)
    assert await _processed(harness.settings.database_url) == 2
    answers = [m for m in emulator.history(4602) if m.from_bot and "Who are you?" in m.text]
    assert len(answers) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_update_arriving_once_the_stop_began_gets_503_and_changes_nothing(
    emulator: BotApiEmulator, harness: WebhookHarness
) -> None:
    server = await harness.start()
    # The first thing stop() does; the window lasts while the webhook is being removed.
    server._stopping = True
    update = {
        "update_id": 990_001,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": 4603, "type": "private"},
            "from": {"id": 4603, "is_bot": False, "first_name": "Li"},
            "text": "/start",
        },
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            harness.base + harness.settings.webhook_path,
            json=update,
            headers={SECRET_HEADER: SECRET},
        ) as response,
    ):
        assert response.status == 503
    assert harness.settings.database_url is not None
    assert await _processed(harness.settings.database_url) == 0


async def test_a_stopping_polling_process_finishes_its_batch_and_confirms_it(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> None:
    started, finish_it = asyncio.Event(), asyncio.Event()
    router = Router(name="slow")

    @router.message(F.text == "/start")
    async def slow(message: Message) -> None:
        started.set()
        await finish_it.wait()
        raise SkipHandler  # then the product's /start, in the same transaction

    settings = make_settings(database_url, tmp_path, send_private_chat_interval_seconds=0.08)
    runner = BotRunner(emulator, settings)
    await runner.start_with(router)
    chat = chat_with(emulator, 4701)
    await chat.send("/start")
    await asyncio.wait_for(started.wait(), 10)

    stopping = asyncio.create_task(runner.stop())  # what SIGTERM runs in `sellerbot run`
    await asyncio.sleep(0.1)
    assert not stopping.done()  # the batch in flight is awaited
    finish_it.set()
    await asyncio.wait_for(stopping, 30)

    await chat.expect("Who are you?")
    assert await _processed(database_url) == 1
    # The batch's offset was confirmed on the way out: a restart is not given it again.
    await runner.start()
    try:
        await chat.send("/help")
        await chat.expect("register your AliExpress store")
    finally:
        await runner.stop()
    answers = [m for m in emulator.history(4701) if m.from_bot and "Who are you?" in m.text]
    assert len(answers) == 1
    assert await _processed(database_url) == 2


@pytest.mark.postgres
async def test_sigterm_lets_a_webhook_process_commit_the_update_in_flight(
    tmp_path: Path, emulator: BotApiEmulator, postgres_url: str
) -> None:
    import asyncpg

    engine = database.create_engine(postgres_url)
    try:
        await database.upgrade(engine)
    finally:
        await engine.dispose()
    port = _free_port()
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        DATABASE_URL=postgres_url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_PORT=str(port),
        SHUTDOWN_TIMEOUT_SECONDS="20",
    )
    process = await start_cli("webhook", cwd=tmp_path, env=env)
    holder = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await _ready(port)
        # The update's transaction will wait on this lock: a handler in the middle of its work.
        held = holder.transaction()
        await held.start()
        await holder.execute("LOCK TABLE processed_updates IN ACCESS EXCLUSIVE MODE")
        chat = chat_with(emulator, 4901)
        await chat.send("/start")
        for _ in range(200):
            waiting = await holder.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting, "the update never reached its transaction"

        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(1.0)
        assert process.returncode is None  # waits for the update in flight ...
        await held.rollback()  # ... which now goes on and commits
        finished = await finish(process, timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await holder.close()

    assert finished.returncode == 0, finished.stderr
    await chat.expect("Who are you?", timeout=10)
    assert [attempt.status for attempt in emulator.webhook_attempts] == [200]
    assert await _processed(postgres_url) == 1
