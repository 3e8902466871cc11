"""Webhook mode end to end: the emulator POSTs updates to the real `WebhookServer` over HTTP.

The server registers its webhook with the emulator on start (URL, secret, update types,
max_connections), so every user action in these tests reaches the bot the way Telegram would
deliver it in production, retries included.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import Message
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import database
from bot.app import create_application
from bot.health import Readiness
from bot.metrics import Metrics
from bot.settings import Settings
from bot.webhook import SECRET_HEADER, WebhookServer
from domain.model import ProcessedUpdate, TelegramUser
from domain.unit_of_work import UnitOfWork
from notifications.tracking.poller import PUSH_PATH
from notifications.tracking.provider import TrackingProvider
from sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator
from tests.e2e.conftest import E2E_CHAT_INTERVAL, chat_with, make_settings, put_first
from tests.fakes.seventeen_track import DEFAULT_KEY
from tests.fakes.seventeen_track_payloads import push_body, sign_body
from tests.fixtures.emulator import make_bot
from tests.tracking_fixtures import ScriptedProvider

SECRET = "e2e-webhook-secret_0123456789"
RETRY_DELAYS = (0.2, 0.4, 0.8)
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {
        "per_chat_interval": E2E_CHAT_INTERVAL,
        "local_webhooks": True,
        "webhook_retry_delays": RETRY_DELAYS,
        "webhook_timeout": 15.0,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_settings(
    emulator: BotApiEmulator, database_url: str, data_dir: Path, **overrides: Any
) -> Settings:
    port = _free_port()
    return make_settings(
        database_url,
        data_dir,
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_api_base=emulator.base_url,
        webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
        webhook_secret=SECRET,
        webhook_port=port,
        webhook_max_connections=8,
        **{"send_private_chat_interval_seconds": E2E_CHAT_INTERVAL * 1.5, **overrides},
    )


class WebhookHarness:
    def __init__(self, emulator: BotApiEmulator, settings: Settings) -> None:
        self.emulator = emulator
        self.settings = settings
        self.server: WebhookServer | None = None
        self.routers: list[Router] = []
        self.tracking_provider: TrackingProvider | None = None

    async def start(self) -> WebhookServer:
        extras: dict[str, Any] = {}
        if self.tracking_provider is not None:
            extras["tracking_provider"] = self.tracking_provider
        app = await create_application(self.settings, metrics=Metrics(), **extras)
        for router in self.routers:
            put_first(app.dispatcher, router)
        self.server = WebhookServer(app, self.settings, shutdown_timeout=2.0)
        await self.server.start()
        return self.server

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.settings.webhook_port}"

    @property
    def uow_factory(self) -> Callable[[], UnitOfWork]:
        assert self.server is not None
        return self.server.app.uow_factory

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as http, http.get(self.base + path) as response:
            return response.status, await response.text()

    async def counts(self) -> tuple[int, int]:
        """Processed updates and known users: what any accepted update changes."""
        async with self.uow_factory() as uow:
            processed = await uow.session.scalar(select(func.count()).select_from(ProcessedUpdate))
            users = await uow.session.scalar(select(func.count()).select_from(TelegramUser))
        return int(processed or 0), int(users or 0)


@pytest.fixture
async def harness(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> AsyncIterator[WebhookHarness]:
    rig = WebhookHarness(emulator, webhook_settings(emulator, database_url, tmp_path))
    try:
        yield rig
    finally:
        await rig.stop()


@SQLITE_ONLY
async def test_start_registers_the_webhook_and_stop_removes_it(
    emulator: BotApiEmulator, harness: WebhookHarness
) -> None:
    await harness.start()
    bot = make_bot(emulator)
    try:
        info = await bot.get_webhook_info()
        assert info.url == harness.settings.webhook_url
        assert info.max_connections == 8
        assert info.allowed_updates is not None
        assert set(info.allowed_updates) <= {"message", "edited_message", "callback_query"}
        assert "message" in info.allowed_updates
        assert "callback_query" in info.allowed_updates
        [set_call] = emulator.calls("setWebhook")
        assert set_call.params["secret_token"] == SECRET
        await harness.stop()
        assert (await bot.get_webhook_info()).url == ""
    finally:
        await bot.session.close()


@SQLITE_ONLY
async def test_a_wrong_or_missing_secret_gets_401_and_changes_nothing(
    emulator: BotApiEmulator, harness: WebhookHarness
) -> None:
    await harness.start()
    before = await harness.counts()
    bot = make_bot(emulator)
    url = harness.settings.webhook_url
    assert url is not None
    try:
        chat = chat_with(emulator, 4101)
        # Telegram posting with another secret, then with none: 401 each time, retried.
        await bot.set_webhook(url, secret_token="not-the-right-secret-at-all")
        await chat.send("/start")
        assert await emulator.wait_until(lambda: len(emulator.webhook_attempts) >= 2, 10)
        await bot.set_webhook(url)
        assert await emulator.wait_until(lambda: len(emulator.webhook_attempts) >= 4, 10)
        assert {attempt.status for attempt in emulator.webhook_attempts} == {401}
        assert await harness.counts() == before
        assert emulator.history(4101)[-1].text == "/start"  # the bot said nothing

        # Anyone else posting straight to the server: no header, or a wrong one.
        update = emulator.update_log[-1]
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {SECRET_HEADER: SECRET + "x"}, {SECRET_HEADER: SECRET[:-1]}):
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 401
        assert await harness.counts() == before

        # Counted: at least the four deliveries waited for above and the three posts.
        _, page = await harness.get("/metrics")
        refused = _samples(page)[("sellerbot_webhook_refused_total", (("reason", "unauthorized"),))]
        assert refused >= 4 + 3

        # With the right secret again the same update is delivered, once.
        await bot.set_webhook(url, secret_token=SECRET)
        await chat.expect("Who are you?")
        assert emulator.webhook_attempts[-1].status == 200
        assert await harness.counts() == (before[0] + 1, before[1] + 1)
    finally:
        await bot.session.close()


def _commit_fails_once_for(text_wanted: str, failed: list[int]) -> Router:
    """A router tried first: on the first delivery of a message with `text_wanted` it makes
    the update's commit fail (as when the database drops the connection at COMMIT), then lets
    the product's handlers run as usual."""
    router = Router(name="commit_fails_once")

    @router.message(F.text == text_wanted)
    async def arm(message: Message, uow: UnitOfWork) -> None:
        if not failed:
            failed.append(message.message_id)

            def refuse(_session: Any) -> None:
                raise OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))

            event.listen(uow.session.sync_session, "before_commit", refuse, once=True)
        raise SkipHandler

    return router


async def test_a_failed_update_gets_500_is_redelivered_and_applied_once(
    emulator: BotApiEmulator, harness: WebhookHarness
) -> None:
    failed: list[int] = []
    harness.routers.append(_commit_fails_once_for("/start", failed))
    await harness.start()
    chat = chat_with(emulator, 4201)
    await chat.send("/start")
    await chat.expect("Who are you?")
    update_id = emulator.update_log[-1]["update_id"]
    attempts = [(a.update_id, a.status) for a in emulator.webhook_attempts]
    assert attempts == [(update_id, 500), (update_id, 200)]
    assert failed  # the failure really happened on the first delivery

    welcomes = [m for m in emulator.history(4201) if m.from_bot and "Who are you?" in m.text]
    assert len(welcomes) == 1
    async with harness.uow_factory() as uow:
        rows = await uow.session.scalar(
            select(func.count()).where(ProcessedUpdate.update_id == update_id)
        )
        users = await uow.session.scalar(select(func.count()).where(TelegramUser.id == 4201))
    assert (rows, users) == (1, 1)
    # The conversation goes on from the redelivered update's state.
    await chat.press("I sell on AliExpress")
    await chat.expect("What is your store called")


def _broken_handler(text_wanted: str) -> Router:
    router = Router(name="broken")

    @router.message(F.text == text_wanted)
    async def broken(message: Message) -> None:
        raise RuntimeError("a bug in a handler")

    return router


def _samples(page: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@SQLITE_ONLY
async def test_metrics_show_real_values_after_some_updates(
    emulator: BotApiEmulator, harness: WebhookHarness
) -> None:
    failed: list[int] = []
    harness.routers.append(_commit_fails_once_for("/help", failed))
    harness.routers.append(_broken_handler("/boom"))
    # One process doing everything, so its /metrics carries the poll pass too.
    harness.settings = harness.settings.model_copy(update={"run_jobs_in_webhook": True})
    server = await harness.start()
    chat = chat_with(emulator, 4301)
    # One 429 on the first answer: the sender waits it out and sends again.
    emulator.inject_429(chat_id=4301, retry_after=1)
    await chat.send("/start")
    await chat.expect("Who are you?")
    await chat.send("/help")
    await chat.expect("register your AliExpress store")
    # A redelivered update that had committed already is skipped as a duplicate.
    emulator.redeliver(emulator.update_log[0])
    assert await emulator.wait_until(lambda: len(emulator.webhook_attempts) == 4, 10)
    await chat.press("I sell on AliExpress")
    await chat.expect("What is your store called")
    # A user who blocked the bot: the answer to their /start gets 403.
    blocked = chat_with(emulator, 4302)
    emulator.block_chat(4302)
    await blocked.send("/start")
    assert await emulator.wait_until(lambda: len(emulator.webhook_attempts) == 6, 10)

    def answered_403() -> bool:
        return any(call.status == 403 for call in emulator.calls("sendMessage"))

    assert await emulator.wait_until(answered_403, 10)
    # A handler that breaks: rolled back, an apology, and still 200 (no redelivery).
    await chat.send("/boom")
    await chat.expect("incident code")
    assert emulator.webhook_attempts[-1].status == 200
    # One pass of the tracking poller, as the scheduler runs it.
    job = server.app.scheduler.get_job("tracking_tick")
    assert job is not None
    await job.func()

    status, page = await harness.get("/metrics")
    assert status == 200
    values = _samples(page)

    def updates(outcome: str) -> float:
        key = ("sellerbot_updates_total", (("outcome", outcome), ("type", "message")))
        return values.get(key, 0.0)

    assert updates("processed") == 3  # /start, /help's redelivery, the blocked user's /start
    assert updates("failed") == 1  # /help's first delivery
    assert updates("duplicate") == 1
    assert updates("error") == 1  # /boom
    callbacks = ("sellerbot_updates_total", (("outcome", "processed"), ("type", "callback_query")))
    assert values[callbacks] == 1
    assert values[("sellerbot_update_handling_seconds_count", (("type", "message"),))] == 6
    sends = {
        labels: value
        for (name, labels), value in values.items()
        if name == "sellerbot_telegram_sends_total"
    }
    assert sends[(("method", "sendMessage"), ("result", "429"))] == 1
    assert sends[(("method", "sendMessage"), ("result", "403"))] >= 1
    assert sends[(("method", "sendMessage"), ("result", "ok"))] >= 3
    assert values[("sellerbot_tracking_poll_pass_seconds_count", ())] == 1
    assert values[("sellerbot_tracking_quota_remaining", (("provider", "simulated"),))] > 0
    for gauge in (
        "sellerbot_outbox_due",
        "sellerbot_outbox_oldest_due_age_seconds",
        "sellerbot_outbox_deferred",
        "sellerbot_outbox_dead",
    ):
        assert (gauge, ()) in values


@SQLITE_ONLY
async def test_metrics_report_the_outbox_backlog(
    emulator: BotApiEmulator, harness: WebhookHarness
) -> None:
    server = await harness.start()
    await server.app.outbox.stop()  # nothing is sent, so the rows below stay as they are
    now = server.app.clock()
    async with harness.uow_factory() as uow:
        for number, minutes in enumerate((-30, -5, 90)):
            await uow.notifications.add(
                dedupe_key=f"metrics-{number}",
                chat_id=4401,
                template="common.slow_down",
                params={},
                now=now + timedelta(minutes=minutes),
            )
        await uow.commit()
    status, page = await harness.get("/metrics")
    assert status == 200
    values = _samples(page)
    assert values[("sellerbot_outbox_due", ())] == 2
    assert values[("sellerbot_outbox_deferred", ())] == 1
    assert 30 * 60 <= values[("sellerbot_outbox_oldest_due_age_seconds", ())] < 31 * 60


@SQLITE_ONLY
async def test_health_and_readiness_and_migrations_behind(
    emulator: BotApiEmulator, harness: WebhookHarness
) -> None:
    server = await harness.start()
    assert await harness.get("/healthz") == (200, '{"status": "alive"}')
    status, body = await harness.get("/readyz")
    assert status == 200, body
    # A release ahead of the schema (migrations not applied yet) is not ready.
    async with server.app.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    status, body = await harness.get("/readyz")
    assert status == 503
    assert "migrations at 0005" in body
    async with server.app.engine.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = :head"),
            {"head": next(iter(server.readiness.expected))},
        )
    assert (await harness.get("/readyz"))[0] == 200


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_readiness_fails_while_the_database_is_unreachable_and_recovers(
    emulator: BotApiEmulator, harness: WebhookHarness, database_url: str
) -> None:
    import asyncpg

    from tests.conftest import POSTGRES_ADMIN_URL

    await harness.start()
    assert (await harness.get("/readyz"))[0] == 200
    name = database_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(
        POSTGRES_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    )
    try:
        # As good as stopped for this bot: no new connections, the open ones cut.
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        status, body = await harness.get("/readyz")
        assert status == 503
        assert '"database": {"ok": false' in body
        assert "unreachable" in body
        assert (await harness.get("/healthz"))[0] == 200  # alive all the same
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
    status, body = await harness.get("/readyz")
    assert status == 200, body


@SQLITE_ONLY
async def test_the_17track_push_is_served_with_its_signature_check(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> None:
    settings = webhook_settings(
        emulator, database_url, tmp_path, tracking_provider="17track", tracking_api_key=DEFAULT_KEY
    )
    rig = WebhookHarness(emulator, settings)
    rig.tracking_provider = ScriptedProvider()
    await rig.start()
    try:
        body = push_body("TRACKING_STOPPED", "RB550000015CN", 3011)
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"sign": sign_body(body, DEFAULT_KEY + "x")}):
                async with http.post(rig.base + PUSH_PATH, data=body, headers=headers) as answer:
                    assert answer.status == 401
            signed = {"sign": sign_body(body, DEFAULT_KEY)}
            async with http.post(rig.base + PUSH_PATH, data=body, headers=signed) as answer:
                assert (answer.status, await answer.text()) == (200, "ok")
    finally:
        await rig.stop()


@SQLITE_ONLY
async def test_without_17track_there_is_no_push_route(harness: WebhookHarness) -> None:
    await harness.start()
    async with aiohttp.ClientSession() as http, http.post(harness.base + PUSH_PATH) as answer:
        assert answer.status == 404


@pytest.mark.redis
@SQLITE_ONLY
async def test_readiness_checks_redis_when_it_is_configured(
    engine: AsyncEngine, redis_url: str
) -> None:
    reachable = Redis.from_url(redis_url)
    gone = Redis.from_url("redis://127.0.0.1:1/0")
    try:
        checks = await Readiness(engine, reachable).check()
        assert [(c.name, c.ok) for c in checks] == [("database", True), ("redis", True)]
        checks = await Readiness(engine, gone, timeout=1.0).check()
        assert [(c.name, c.ok) for c in checks] == [("database", True), ("redis", False)]
        assert checks[1].detail.startswith("unreachable")
        assert [c.name for c in await Readiness(engine).check()] == ["database"]
    finally:
        await reachable.aclose()
        await gone.aclose()


@SQLITE_ONLY
async def test_stopping_lets_an_update_in_flight_commit_and_answer(
    emulator: BotApiEmulator, harness: WebhookHarness
) -> None:
    started = asyncio.Event()
    router = Router(name="slow")

    @router.message(F.text == "/start")
    async def slow(message: Message) -> None:
        started.set()
        await asyncio.sleep(1.0)
        raise SkipHandler  # then the product's /start, in the same transaction

    harness.routers.append(router)
    await harness.start()
    chat = chat_with(emulator, 4501)
    await chat.send("/start")
    await asyncio.wait_for(started.wait(), 10)
    await harness.stop()  # SIGTERM's path: the webhook goes, the request in flight finishes

    assert emulator.webhook_url is None
    assert [attempt.status for attempt in emulator.webhook_attempts] == [200]
    assert any(m.from_bot and "Who are you?" in m.text for m in emulator.history(4501))
    assert harness.settings.database_url is not None
    engine = database.create_engine(harness.settings.database_url)
    try:
        async with engine.connect() as connection:
            processed = await connection.scalar(select(func.count()).select_from(ProcessedUpdate))
    finally:
        await engine.dispose()
    assert processed == 1
