"""Crash recovery of `sellerbot worker`: SIGKILL at random points of a 1,000-notification run.

The outbox holds 1,000 notifications of mixed kinds, written by their producers
(`tests.reliability.mixed_outbox`): tracking notices to buyers, ship-by reminders to sellers,
return cases' threads and relayed messages. A worker process sends them to the emulator; it is
killed with SIGKILL after a random time (the seed is printed, and `SELLERBOT_CRASH_SEED`
replays it), restarted, killed again, twenty times, and a last one drains what is left.

The checker reads the emulator's record of every message the bot sent:
- lost: a notification not `sent`, or whose recorded message never reached its chat: 0;
- duplicates: every message sent beyond the recorded ones must repeat a notification that was
  inside the send window at one kill: sent by the process that was killed (Telegram took it)
  and still `sending` in the database once the process was dead (its outcome not committed).
  Those are counted per kill and printed; as sent messages are recorded at once, they are
  about one per kill on a quiet machine, a few under load (the median is bounded only far
  above that: by what a recording that lagged a whole life behind would repeat).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import database
from domain.model import Notification, NotificationStatus
from domain.services import return_threads
from sandbox.emulator import BotActivity, BotApiEmulator
from tests.e2e.cli import FAKE_TOKEN, cli_environment
from tests.reliability.mixed_outbox import seed_mixed_outbox
from tests.reliability.processes import Zygote, free_port, ready

KILLS = 20
# The longest a worker lives before its kill, after it answered /readyz (it starts sending a
# little before). Below the 40/s budget's 25 s over twenty kills: the last process has rows left.
MAX_LIFE = 1.2
# The median of the messages a kill repeats (see the assertion).
MOST_DUPLICATES_PER_KILL = 8
SEED = int(os.environ.get("SELLERBOT_CRASH_SEED") or random.SystemRandom().randrange(2**32))


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    # Telegram's per-chat gap, scaled down; paid broadcasts have their own 1,000/s.
    return {"tokens": FAKE_TOKEN, "per_chat_interval": 0.05}


@dataclass(frozen=True)
class Life:
    """One worker process between its start and its SIGKILL."""

    number: int
    started_in: float  # seconds from the fork to /readyz
    lived: float  # seconds from /readyz to the kill
    first_activity: int  # emulator activity index at the start
    # ... at the next start (exclusive): nothing else runs in between.
    last_activity: int
    # Ids of the rows still `sending` once it was dead: claimed, outcome not committed. Those
    # it had sent are the send window; the others go again without a duplicate.
    leased_at_death: frozenset[int]


@dataclass(frozen=True)
class Row:
    id: int
    chat_id: int
    template: str
    status: NotificationStatus
    telegram_message_id: int | None


async def _sending(url: str) -> frozenset[int]:
    engine = database.create_engine(url)
    try:
        async with engine.connect() as connection:
            ids = await connection.scalars(
                select(Notification.id).where(Notification.status == NotificationStatus.SENDING)
            )
            return frozenset(ids)
    finally:
        await engine.dispose()


async def _rows(url: str) -> list[Row]:
    engine = database.create_engine(url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                select(
                    Notification.id,
                    Notification.chat_id,
                    Notification.template,
                    Notification.status,
                    Notification.telegram_message_id,
                ).order_by(Notification.id)
            )
            return [
                Row(id_, chat, template, NotificationStatus(status), message_id)
                for id_, chat, template, status, message_id in result.tuples()
            ]
    finally:
        await engine.dispose()


async def _unfinished(url: str) -> int:
    engine = database.create_engine(url)
    try:
        async with engine.connect() as connection:
            return int(
                await connection.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(
                        Notification.status.in_(
                            [NotificationStatus.PENDING, NotificationStatus.SENDING]
                        )
                    )
                )
                or 0
            )
    finally:
        await engine.dispose()


@dataclass
class Verdict:
    lost: list[Row]
    duplicates_by_kill: Counter[int]
    duplicated_rows: Counter[int]
    unexplained: list[str]
    duplicate_topics: int
    rendered_differently: int = 0


def _check(rows: list[Row], lives: list[Life], activity: list[BotActivity]) -> Verdict:
    """Match every message the bot sent with the notification it delivered."""
    sent_messages = {
        (item.chat_id, item.message.message_id): (index, item.message)
        for index, item in enumerate(activity)
        if item.kind == "sent"
    }
    lost = [
        row
        for row in rows
        if row.status is not NotificationStatus.SENT
        or (row.chat_id, row.telegram_message_id) not in sent_messages
    ]
    recorded = {(row.chat_id, row.telegram_message_id): row for row in rows}
    # A repeated send shows the same content in the same chat as the row's recorded message.
    by_content: dict[tuple[int, str], list[Row]] = defaultdict(list)
    for key, row in recorded.items():
        if key in sent_messages:
            by_content[(row.chat_id, _content(sent_messages[key][1]))].append(row)
    verdict = Verdict(lost, Counter(), Counter(), [], 0)
    for key, (index, message) in sent_messages.items():
        if key in recorded:
            continue
        if message.service is not None:
            # A topic opened again: the kill came between createForumTopic and its record.
            verdict.duplicate_topics += message.service == "forum_topic_created"
            continue
        life = next((x for x in lives if x.first_activity <= index < x.last_activity), None)
        candidates = by_content.get((message.chat_id, _content(message)), [])
        owner = next(
            (row for row in candidates if life is not None and row.id in life.leased_at_death),
            None,
        )
        if owner is None and life is not None:
            # The same notification rendered differently the second time: a case message sent
            # in the main chat (with the case's header) by the killed process, and in the case's
            # topic once the next one had opened it. Still a row of that chat in the window.
            owner = next(
                (
                    row
                    for row in rows
                    if row.chat_id == message.chat_id
                    and row.id in life.leased_at_death
                    and row.template.startswith(return_threads.CASE_TEMPLATE_PREFIX)
                ),
                None,
            )
            verdict.rendered_differently += owner is not None
        if life is None or owner is None:
            verdict.unexplained.append(
                f"message {key} ({_content(message)[:60]!r}) sent by "
                f"{'the last process' if life is None else f'life {life.number}'} "
                f"repeats rows {[row.id for row in candidates]}"
            )
            continue
        verdict.duplicates_by_kill[life.number] += 1
        verdict.duplicated_rows[owner.id] += 1
    return verdict


def _content(message: Any) -> str:
    return str(message.text or message.caption or message.service or "")


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_worker_killed_at_twenty_random_points_loses_no_notification(
    tmp_path: Path, emulator: BotApiEmulator, database_url: str
) -> None:
    print(f"\ncrash recovery: SELLERBOT_CRASH_SEED={SEED}")
    rng = random.Random(SEED)
    began = time.monotonic()
    outbox = await seed_mixed_outbox(database_url)
    seeded = time.monotonic()
    assert outbox.total >= 1000, outbox.by_template
    for chat_id in outbox.chat_ids:
        emulator.user(chat_id)
    port = free_port()
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        DATABASE_URL=database_url,
        WORKER_HTTP_PORT=str(port),
        SEND_PAID_BROADCAST="true",
        SEND_PAID_BROADCAST_RATE_PER_SECOND="40",
        SEND_PRIVATE_CHAT_INTERVAL_SECONDS="0.06",
        # A restarted worker takes over a dead one's rows 3 s after its last renewal.
        OUTBOX_LEASE_SECONDS="3",
        SHUTDOWN_TIMEOUT_SECONDS="2",
        # No tracking pass during the test: the outbox is what it is about.
        TRACKING_POLL_SECONDS="3600",
        LOG_FORMAT="console",
    )
    lives: list[Life] = []
    async with Zygote("worker", env, tmp_path / "workers.log") as zygote:
        for number in range(1, KILLS + 1):
            first = len(emulator.activity)
            forked = time.monotonic()
            pid = await zygote.start()
            await ready(port)
            started_in = time.monotonic() - forked
            lived = rng.uniform(0.0, MAX_LIFE)
            await asyncio.sleep(lived)
            await zygote.kill(pid)
            # Nothing runs until the next start: the rows it left `sending` stay so.
            leased = await _sending(database_url)
            # Requests already on the wire reach the emulator all the same (Telegram takes
            # them, the answer finds nobody): let it read them before the next start.
            await asyncio.sleep(0.1)
            lives.append(Life(number, started_in, lived, first, len(emulator.activity), leased))
        killed = time.monotonic()
        pid = await zygote.start()
        await ready(port)
        deadline = time.monotonic() + 300
        while await _unfinished(database_url):
            assert time.monotonic() < deadline, zygote.log_tail()
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # a duplicate would have time to show
        await zygote.stop(pid)
    drained = time.monotonic()

    rows = await _rows(database_url)
    verdict = _check(rows, lives, emulator.activity)
    sent_before_last = sum(
        1 for item in emulator.activity[: lives[-1].last_activity] if item.kind == "sent"
    )
    duplicates = sum(verdict.duplicates_by_kill.values())
    print(
        f"crash recovery: {len(rows)} notifications "
        f"({', '.join(f'{t} {n}' for t, n in sorted(outbox.by_template.items()))}); "
        f"{KILLS} kills, {sent_before_last} messages sent before the last restart; "
        f"lost {len(verdict.lost)}, duplicates {duplicates} "
        f"(per kill: {[verdict.duplicates_by_kill[life.number] for life in lives]}), "
        f"rows leased at each kill: {[len(life.leased_at_death) for life in lives]}, "
        f"start to ready: {min(x.started_in for x in lives):.2f}-"
        f"{max(x.started_in for x in lives):.2f} s, "
        f"topics opened twice {verdict.duplicate_topics}, duplicates rendered differently "
        f"{verdict.rendered_differently}; "
        f"seed {SEED}; seeding {seeded - began:.1f} s, kills {killed - seeded:.1f} s, "
        f"drain {drained - killed:.1f} s"
    )
    assert verdict.lost == [], f"seed {SEED}: lost {verdict.lost[:5]}"
    assert verdict.unexplained == [], f"seed {SEED}: {verdict.unexplained[:5]}"
    # Sent messages are recorded at once (group commit): a kill repeats what was sent during
    # the last transaction. How many that is depends on how long a commit takes, so on the
    # machine's load: a median of 0-1 on a quiet machine, 3-6 on a shared one under the whole
    # suite (a figure, printed above, not a target: timing targets live in bench/). What is
    # asserted is what no load explains: a worker that recorded its sends only at the end of
    # its lease batch would repeat about all it sent in a life (median near 20 at 40/s).
    per_kill = sorted(verdict.duplicates_by_kill[life.number] for life in lives)
    assert statistics.median(per_kill) <= MOST_DUPLICATES_PER_KILL, (
        f"seed {SEED}: duplicates per kill {per_kill}"
    )
    assert len(rows) >= outbox.total
    # The kills fell while the worker was sending: most of the run was cut short.
    assert 0 < sent_before_last < len(rows)
