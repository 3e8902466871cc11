"""Which process sends the outbox: a webhook process leaves it to the workers, unless
RUN_JOBS_IN_WEBHOOK says it is the only process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from domain.model import NotificationStatus
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import E2E_CHAT_INTERVAL
from tests.e2e.test_webhook import RETRY_DELAYS, WebhookHarness, webhook_settings

CHAT = 4801


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {
        "per_chat_interval": E2E_CHAT_INTERVAL,
        "local_webhooks": True,
        "webhook_retry_delays": RETRY_DELAYS,
    }


async def _queue_and_wait(harness: WebhookHarness) -> NotificationStatus:
    """Queue one notification, give the process time to send it; its status then."""
    async with harness.uow_factory() as uow:
        await uow.notifications.add(
            dedupe_key="roles:1",
            chat_id=CHAT,
            template="tests.ping",
            params={"n": 1},
            now=uow.now(),
        )
        await uow.commit()
    await asyncio.sleep(1.5)
    async with harness.uow_factory() as uow:
        rows = [
            row
            for status in NotificationStatus
            for row in await uow.notifications.by_status(status)
        ]
        return rows[0].status


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("jobs_here", [False, True], ids=["workers-elsewhere", "single-process"])
async def test_the_webhook_process_runs_the_scheduled_work_only_when_told(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path, jobs_here: bool
) -> None:
    emulator.user(CHAT)
    settings = webhook_settings(emulator, database_url, tmp_path, run_jobs_in_webhook=jobs_here)
    harness = WebhookHarness(emulator, settings)
    server = await harness.start()
    try:
        scheduled = {job.id for job in server.app.scheduler.get_jobs()}
        status = await _queue_and_wait(harness)
    finally:
        await harness.stop()

    assert "order_import_sweep" in scheduled  # the updates' side is always this process's
    if jobs_here:
        assert {"tracking_tick", "return_deadlines", "order_reminders"} <= scheduled
        assert status is NotificationStatus.SENT
        assert [m.text for m in emulator.history(CHAT) if m.from_bot] == ["Ping 1"]
    else:
        assert not {"tracking_tick", "return_deadlines", "order_reminders"} & scheduled
        assert status is NotificationStatus.PENDING  # a worker's to send
        assert not any(m.from_bot for m in emulator.history(CHAT))
