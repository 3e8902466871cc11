"""The reference topology under load: 2 webhook and 2 worker processes (`sandbox.cluster`, what
`scripts/cluster` starts) on PostgreSQL and Redis, the emulator as Telegram, behind the
round-robin proxy.

500 shipments are seeded due for a poll, and the simulated provider reports their journeys; 200
users chat meanwhile (newcomers, buyers opening their links, sellers in the middle of the
registration and the new-order wizards, whose consecutive updates the proxy hands to different
processes). Then, by the emulator's log, the provider's call log, the database and each
process's /metrics and logs:

- every outbox notification reached its chat exactly once (by its Telegram message id);
- every shipment was fetched once, by one worker (none twice within its lease);
- all processes together never sent more than the global cap in any one-second window;
- every conversation ended where it should, also those that moved between processes;
- /metrics of each process exposes the issue's series with real values;
- no process logged the token, the 17TRACK key, the webhook secret or anyone's personal data.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import socket
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot import database
from domain.model import BuyerSubscription, Notification, NotificationStatus, Order, Seller
from domain.unit_of_work import UnitOfWork
from sandbox.cluster import Cluster, ClusterConfig
from sandbox.emulator import BotApiEmulator
from sandbox.emulator.webhook import chat_key
from tests.e2e.cli import FAKE_TOKEN, TOKEN_SECRET, cli_environment
from tests.e2e.cluster_chats import ChatWatch, Talker
from tests.e2e.cluster_seed import SHIPMENTS, Seeded, seed
from tests.e2e.conftest import E2E_CHAT_INTERVAL

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SEND_CAP = 25  # SEND_GLOBAL_RATE_PER_SECOND for every process together
TELEGRAM_CAP = 30  # messages a second per bot
# A hold-up of the emulator's loop longer than this makes its timestamps useless for a rate.
STALL_SECONDS = 0.2
TRACKING_KEY = "fake17trackKEY-cluster-0123456789abcdef"
WEBHOOK_SECRET = "cluster-webhook-secret_0123456789abcdef"
# Who talks: newcomers (/start, /help, some /orders or a phone number), buyers opening their
# links, new sellers registering, and the seeded order sellers creating an order (10): 200.
NEWCOMERS, LINKERS, REGISTRANTS = 130, 50, 10
NEWCOMER_BASE, LINKER_BASE, REGISTRANT_BASE = 7_430_000_000, 7_440_000_000, 7_450_000_000
# Telegram's own methods that put a message in a chat, counted against the global cap.
SEND_METHODS = re.compile(r"^(send|edit|copy|forward)")


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {
        "tokens": FAKE_TOKEN,
        # One message a second per chat, scaled down like the rest of the e2e tier.
        "per_chat_interval": E2E_CHAT_INTERVAL,
        # No global refusals: the rate all processes sent at is measured from the log below.
        "global_per_second": 0,
        "local_webhooks": True,
        "webhook_retry_delays": (0.2, 0.5, 1.0),
    }


def _free_ports(count: int) -> list[int]:
    """`count` different free ports (each held until all are found)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


# ----- what the users do -----


def _newcomer_name(n: int) -> tuple[str, str, str]:
    return f"Zephyrine{n:03d}", f"Quillfeather{n:03d}", f"zephy_{n:03d}_cluster"


def _phone(n: int) -> str:
    return f"+33 6 48 27 {n:02d} 91"


async def _newcomer(talker: Talker, n: int) -> None:
    await talker.say("/start", expect="Who are you?")
    await talker.say("/help", expect="register your AliExpress store")
    if n % 5 == 0:
        await talker.say(f"call me on {_phone(n)}", expect="")
    if n % 3 == 0:
        await talker.say("/orders", expect="")


async def _linker(talker: Talker, token: str, number: str) -> None:
    await talker.say(f"/start {token}", expect="You are following this order now")
    await talker.say("/orders", expect=number)


def _store_name(n: int) -> str:
    return f"Quokka Marmalade Works {n}"


async def _registrant(talker: Talker, n: int) -> None:
    await talker.say("/start", expect="Who are you?")
    await talker.press("I sell on AliExpress", expect="What is your store called")
    await talker.say(_store_name(n), expect="Which country is your business based in?")
    await talker.press("China", expect="Which language should I use")
    await talker.press("English", expect="Please check your store details")
    await talker.press("Create my store", expect="is registered")


async def _order_seller(talker: Talker, n: int) -> None:
    await talker.say("/neworder", expect="marketplace order number")
    await talker.say(f"WZ-{n}")
    await talker.press("France", expect="postcode of the delivery address in France")
    await talker.say("75001")
    await talker.press("EUR", expect="Line 1")
    await talker.say("Lamp shade")
    await talker.press("Skip", expect="How many?")
    await talker.say("2", expect="unit price in EUR")
    await talker.say("12,50", expect="2 × €12.50")
    await talker.press("Done with lines", expect="By when must the order ship")
    await talker.press("+3 d", expect="Please check the order")
    await talker.press("Create the order", expect="is saved")


def _conversations(
    emulator: BotApiEmulator, watch: ChatWatch, seeded: Seeded
) -> tuple[list[Callable[[], Awaitable[None]]], dict[str, list[int]]]:
    """Every user's script, and the user ids of each kind (200 users)."""
    scripts: list[Callable[[], Awaitable[None]]] = []
    kinds: dict[str, list[int]] = defaultdict(list)

    def add(kind: str, user_id: int, script: Callable[[Talker], Awaitable[None]]) -> None:
        talker = Talker(emulator, watch, user_id)
        kinds[kind].append(user_id)
        scripts.append(lambda: script(talker))

    for n in range(1, NEWCOMERS + 1):
        first, last, username = _newcomer_name(n)
        emulator.user(NEWCOMER_BASE + n, first_name=first, last_name=last, username=username)
        add("newcomer", NEWCOMER_BASE + n, lambda t, n=n: _newcomer(t, n))
    for n, (token, number) in enumerate(
        zip(seeded.link_tokens, seeded.link_order_numbers, strict=True), start=1
    ):
        emulator.user(LINKER_BASE + n, first_name=f"Bartholomew{n:02d}", username=f"bart_{n:02d}_x")
        add(
            "linker",
            LINKER_BASE + n,
            lambda t, token=token, number=number: _linker(t, token, number),
        )
    for n in range(1, REGISTRANTS + 1):
        emulator.user(REGISTRANT_BASE + n, first_name=f"Ottoline{n:02d}")
        add("registrant", REGISTRANT_BASE + n, lambda t, n=n: _registrant(t, n))
    for n, seller in enumerate(seeded.order_sellers, start=1):
        emulator.user(seller, first_name=f"Wilhelmina{n:02d}")
        add("order_seller", seller, lambda t, n=n: _order_seller(t, n))
    # The seeded sellers' and buyers' chats exist before the outbox writes to them.
    for chat in seeded.outbox_chats:
        emulator.user(chat, first_name="Seeded")
    return scripts, kinds


async def _staggered(scripts: list[Callable[[], Awaitable[None]]], spread: float) -> None:
    """Every script, each starting at a random moment within `spread` seconds."""
    rng = random.Random(12)

    async def later(script: Callable[[], Awaitable[None]]) -> None:
        await asyncio.sleep(rng.uniform(0, spread))
        await script()

    await asyncio.gather(*(later(script) for script in scripts))


# ----- what the processes report -----


async def _metrics(
    http: aiohttp.ClientSession, base: str
) -> dict[tuple[str, frozenset[Any]], float]:
    async with http.get(base + "/metrics") as response:
        assert response.status == 200
        page = await response.text()
    samples: dict[tuple[str, frozenset[Any]], float] = {}
    for family in text_string_to_metric_families(page):
        samples[("family:" + family.name, frozenset())] = 1.0
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = float(sample.value)
    return samples


def _total(samples: dict[tuple[str, frozenset[Any]], float], name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, lbl), v in samples.items() if n == name and wanted <= set(lbl))


class OutboxWatch:
    """Scrapes a process's /metrics while the run goes on: the outbox gauges' peaks."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.peak_due = 0.0
        self.peak_oldest_age = 0.0

    async def run(self) -> None:
        async with aiohttp.ClientSession() as http:
            while True:
                samples = await _metrics(http, self.base)
                self.peak_due = max(self.peak_due, _total(samples, "sellerbot_outbox_due"))
                self.peak_oldest_age = max(
                    self.peak_oldest_age,
                    _total(samples, "sellerbot_outbox_oldest_due_age_seconds"),
                )
                await asyncio.sleep(1.0)


def _provider_fetches(call_log: Path) -> list[tuple[str, float, int]]:
    """Every number the simulated provider was asked to fetch: (number, when, which process)."""
    fetches: list[tuple[str, float, int]] = []
    if not call_log.exists():
        return fetches
    for line in call_log.read_text().splitlines():
        call = json.loads(line)
        if call["operation"] == "fetch":
            fetches += [(number, call["at"], call["pid"]) for number in call["numbers"]]
    return fetches


async def _outbox(url: str) -> list[Notification]:
    engine = database.create_engine(url)
    try:
        async with UnitOfWork(database.create_session_factory(engine)) as uow:
            rows = list(await uow.session.scalars(select(Notification)))
            uow.session.expunge_all()
            return rows
    finally:
        await engine.dispose()


async def _settled(url: str, call_log: Path, numbers: frozenset[str], timeout: float) -> None:  # noqa: ASYNC109
    """Until every shipment was fetched and the outbox has nothing left to send. One light
    query a second: this process is also the emulator, whose answers must not stall."""
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        deadline = time.monotonic() + timeout
        fetched: set[str] = set()
        statuses: dict[str, int] = {}
        while time.monotonic() < deadline:
            fetched = {n for n, _, _ in _provider_fetches(call_log)}
            rows = await connection.fetch(
                "SELECT status, count(*) AS n FROM notifications GROUP BY status"
            )
            statuses = {row["status"]: row["n"] for row in rows}
            waiting = statuses.get("pending", 0) + statuses.get("sending", 0)
            if numbers <= fetched and statuses and not waiting:
                return
            await asyncio.sleep(1.0)
    finally:
        await connection.close()
    raise AssertionError(
        f"the workers did not poll every shipment and empty the outbox in time: "
        f"{len(fetched & numbers)} of {len(numbers)} fetched, outbox {statuses}"
    )


class LoopLag:
    """When this process's event loop (the emulator's) was held up: a request that arrived
    meanwhile is stamped when the loop gets to it, so a stall packs spaced sends together."""

    TICK = 0.02

    def __init__(self) -> None:
        self.stalls: list[tuple[float, float]] = []  # (from, to), monotonic

    async def run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.TICK)
            after = time.monotonic()
            if after - before > self.TICK + STALL_SECONDS:
                self.stalls.append((before, after))

    def stalled_within(self, start: float, end: float) -> bool:
        return any(to >= start and since <= end for since, to in self.stalls)


def _busiest_seconds(times: list[float]) -> list[tuple[float, float, int]]:
    """Every window of one second (sliding) that ends on a send: (start, end, sends)."""
    times = sorted(times)
    windows, start = [], 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        windows.append((times[start], moment, end - start + 1))
    return windows


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_webhook_and_two_worker_processes_under_load(
    tmp_path: Path, emulator: BotApiEmulator, database_url: str, redis_url: str
) -> None:
    postgres_url = database_url
    started = time.monotonic()
    call_log = tmp_path / "provider-calls.jsonl"
    ports = _free_ports(5)
    config = ClusterConfig(
        database_url=postgres_url,
        redis_url=redis_url,
        webhook_ports=ports[0:2],
        worker_ports=ports[2:4],
        proxy_port=ports[4],
        log_dir=tmp_path / "logs",
        webhook_secret=WEBHOOK_SECRET,
        base_environment=cli_environment(tmp_path),
        settings={
            "LOG_FORMAT": "json",
            "SEND_GLOBAL_RATE_PER_SECOND": str(SEND_CAP),
            "SEND_PRIVATE_CHAT_INTERVAL_SECONDS": str(E2E_CHAT_INTERVAL * 1.5),
            "FLOOD_MAX_UPDATES": "500",
            "TRACKING_POLL_SECONDS": "10",
            "TRACKING_API_KEY": TRACKING_KEY,
            "TRACKING_SIMULATED_CALL_LOG": str(call_log),
            "SHUTDOWN_TIMEOUT_SECONDS": "10",
        },
    )
    cluster = Cluster(config, emulator=emulator)
    await cluster.start()
    ready = time.monotonic()
    outbox_watch = OutboxWatch(cluster.workers[0].spec.base_url)
    scraping = asyncio.create_task(outbox_watch.run())
    lag = LoopLag()
    lag_watch = asyncio.create_task(lag.run())
    try:
        # Seeded once the workers run: the shipments fall due over the next ticks of both.
        seeded = await seed(postgres_url, datetime.now(UTC))
        watch = ChatWatch(emulator)
        scripts, kinds = _conversations(emulator, watch, seeded)
        assert len(scripts) == 200
        await _staggered(scripts, spread=8.0)
        chatted = time.monotonic()
        await _settled(postgres_url, call_log, seeded.tracking_numbers, timeout=120)
        async with aiohttp.ClientSession() as http:
            metrics = {
                p.spec.name: await _metrics(http, p.spec.base_url) for p in cluster.processes
            }
    finally:
        scraping.cancel()
        lag_watch.cancel()
        codes = await cluster.stop()
    finished = time.monotonic()
    print(
        f"cluster: start {ready - started:.1f} s, chats {chatted - ready:.1f} s, "
        f"all {finished - started:.1f} s"
    )
    assert codes == dict.fromkeys(codes, 0), codes  # every process stopped gracefully

    # -- every notification exactly once ---------------------------------------------------
    rows = await _outbox(postgres_url)
    statuses = Counter(row.status for row in rows)
    assert statuses[NotificationStatus.SENT] >= SHIPMENTS * 0.8, statuses
    assert set(statuses) == {NotificationStatus.SENT}, statuses
    recorded = {(row.chat_id, row.telegram_message_id) for row in rows}
    assert len(recorded) == len(rows)
    delivered = {
        (chat, message.message_id): message.content
        for chat in seeded.outbox_chats
        for message in emulator.history(chat)
        if message.from_bot
    }
    # Nothing in the seeded chats that is not an outbox row, nor the other way round.
    assert set(delivered) == {key for key in recorded if key[0] in seeded.outbox_chats}
    assert all(chat in seeded.outbox_chats for chat, _ in recorded)
    per_chat_texts = Counter((chat, text) for (chat, _), text in delivered.items())
    assert [key for key, n in per_chat_texts.items() if n > 1] == []

    # -- every shipment fetched once, by one worker ------------------------------------------
    fetches = _provider_fetches(call_log)
    by_number: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for number, at, pid in fetches:
        by_number[number].append((at, pid))
    assert set(by_number) == set(seeded.tracking_numbers)
    twice = {number: calls for number, calls in by_number.items() if len(calls) > 1}
    assert twice == {}, f"{len(twice)} shipment(s) polled twice within their 5-minute lease"
    # Which worker polled how many: both usually, but a worker whose ticks fall just after the
    # other's may find nothing left, which is the lease doing its job too.
    print(
        f"cluster: shipments polled by each worker: {sorted(Counter(p for *_, p in fetches).values())}"
    )

    # -- conversations continued across processes ---------------------------------------------
    upstream_of = {f.update_id: f.upstream for f in cluster.proxy.forwarded if f.status == 200}
    chat_of = {u["update_id"]: chat_key(u)[1] for u in emulator.update_log}
    wizard_users = set(kinds["registrant"]) | set(kinds["order_seller"])
    routes: dict[int, list[str]] = defaultdict(list)
    for update_id in sorted(upstream_of):
        if chat_of.get(update_id) in wizard_users:
            routes[chat_of[update_id]].append(upstream_of[update_id])
    moved = [
        user for user, hops in routes.items() if any(a != b for a, b in itertools.pairwise(hops))
    ]
    print(f"cluster: {len(moved)} of {len(wizard_users)} wizards changed process mid-way")
    assert len(moved) >= len(wizard_users) * 3 // 4
    assert {f.upstream for f in cluster.proxy.forwarded} == {
        p.spec.base_url for p in cluster.webhooks
    }
    engine = database.create_engine(postgres_url)
    try:
        async with UnitOfWork(database.create_session_factory(engine)) as uow:
            stores = set(
                await uow.session.scalars(
                    select(Seller.store_name).where(
                        Seller.telegram_user_id.in_(kinds["registrant"])
                    )
                )
            )
            numbers = set(
                await uow.session.scalars(select(Order.number).where(Order.number.like("WZ-%")))
            )
            linked = await uow.session.scalar(
                select(func.count())
                .select_from(BuyerSubscription)
                .where(BuyerSubscription.buyer_user_id.in_(kinds["linker"]))
            )
    finally:
        await engine.dispose()
    assert stores == {_store_name(n) for n in range(1, REGISTRANTS + 1)}
    assert numbers == {f"WZ-{n}" for n in range(1, len(kinds["order_seller"]) + 1)}
    assert linked == LINKERS

    # -- /metrics -------------------------------------------------------------------------------
    for process in cluster.webhooks:
        samples = metrics[process.spec.name]
        assert _total(samples, "sellerbot_updates_total", type="message", outcome="processed") > 0
        assert (
            _total(samples, "sellerbot_updates_total", type="callback_query", outcome="processed")
            > 0
        )
        assert _total(samples, "sellerbot_update_handling_seconds_count") > 0
        assert _total(samples, "sellerbot_update_handling_seconds_sum") > 0
        assert _total(samples, "sellerbot_telegram_sends_total", result="ok") > 0
    for process in cluster.workers:
        samples = metrics[process.spec.name]
        assert _total(samples, "sellerbot_telegram_sends_total", result="ok") > 0
        assert _total(samples, "sellerbot_tracking_poll_pass_seconds_count") > 0
        assert _total(samples, "sellerbot_tracking_quota_remaining", provider="simulated") > 0
        assert ("family:sellerbot_tracking_provider_errors", frozenset()) in samples
    for samples in metrics.values():
        for gauge in ("sellerbot_outbox_due", "sellerbot_outbox_oldest_due_age_seconds"):
            assert (gauge, frozenset()) in samples
    assert outbox_watch.peak_due > 0
    assert outbox_watch.peak_oldest_age > 0

    # -- the logs of every process --------------------------------------------------------------
    logs = {path.name: path.read_text() for path in sorted(config.log_dir.glob("*.log"))}
    assert set(logs) >= {"webhook-1.log", "webhook-2.log", "worker-1.log", "worker-2.log"}
    needles = [TOKEN_SECRET, TRACKING_KEY, WEBHOOK_SECRET]
    for n in range(1, NEWCOMERS + 1):
        needles += _newcomer_name(n)
    needles += [_phone(n) for n in range(5, NEWCOMERS + 1, 5)]
    needles += [_phone(n).replace(" ", "") for n in range(5, NEWCOMERS + 1, 5)]
    needles += [_store_name(n) for n in range(1, REGISTRANTS + 1)]
    needles += [f"Bartholomew{n:02d}" for n in range(1, LINKERS + 1)]
    needles += [f"bart_{n:02d}_x" for n in range(1, LINKERS + 1)]
    needles += [f"Ottoline{n:02d}" for n in range(1, REGISTRANTS + 1)]
    needles += [f"Wilhelmina{n:02d}" for n in range(1, len(kinds["order_seller"]) + 1)]
    user_ids = [str(user) for users in kinds.values() for user in users]
    user_ids += [str(chat) for chat in seeded.outbox_chats]
    found = [
        (name, needle)
        for name, text in logs.items()
        for needle in needles + user_ids
        if needle.casefold() in text.casefold()
    ]
    assert found == []

    # -- the global send rate -----------------------------------------------------------------
    # Every attempt counts, refused or not: what Telegram would have seen arrive. The bot's
    # budget is SEND_CAP (25) for all processes together; Telegram's cap is 30, and the margin
    # absorbs the arrival jitter of a busy machine. A window in which the emulator's own loop
    # was held up says nothing about the bot (a stall packs spaced sends together): those are
    # counted and left out.
    attempts = [r.time for r in emulator.requests if SEND_METHODS.match(r.method)]
    windows = _busiest_seconds(attempts)
    measured = [w for w in windows if not lag.stalled_within(w[0] - 1.0, w[1])]
    over = [w for w in measured if w[2] > TELEGRAM_CAP]
    peak = max((n for _, _, n in measured), default=0)
    refused = sum(1 for r in emulator.requests if r.status == 429)
    print(
        f"cluster: {len(attempts)} sends, at most {peak} in one second "
        f"({len(windows) - len(measured)} of {len(windows)} windows left out: emulator stalled "
        f"{len(lag.stalls)} times), {refused} refused with 429"
    )
    assert len(measured) >= len(windows) // 2, "the emulator was stalled most of the run"
    assert over == [], f"{len(over)} one-second windows above {TELEGRAM_CAP} (peak {peak})"
