"""A rolling upgrade (docs/deploy.md): once a newer release ran `sellerbot migrate`, the
processes of the release being replaced stay ready, and one that restarts runs on the newer
schema without trying to migrate it (it could not: it does not know the newer revisions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot import database
from bot.app import create_application
from bot.runner import check_services
from sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator
from tests.e2e.conftest import E2E_CHAT_INTERVAL
from tests.e2e.test_webhook import RETRY_DELAYS, WebhookHarness, webhook_settings

NEWER = "9999_a_newer_release"
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {
        "per_chat_interval": E2E_CHAT_INTERVAL,
        "local_webhooks": True,
        "webhook_retry_delays": RETRY_DELAYS,
    }


@SQLITE_ONLY
async def test_an_older_release_keeps_serving_on_a_schema_a_newer_one_migrated(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> None:
    settings = webhook_settings(emulator, database_url, tmp_path)
    harness = WebhookHarness(emulator, settings)
    server = await harness.start()
    try:
        async with server.app.engine.begin() as connection:
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :newer"), {"newer": NEWER}
            )
        status, body = await harness.get("/readyz")
        assert status == 200, body
        assert "migrated by a newer release" in body
    finally:
        await harness.stop()

    # Restarted (Restart=on-failure) before its turn to be upgraded: it starts, unmigrated.
    app = await create_application(
        settings, token=DEFAULT_TOKEN, api_base=emulator.base_url, migrate=False
    )
    try:
        assert await check_services(app, settings)
        assert await database.newer_revisions(app.engine) == {NEWER}
    finally:
        await app.stop()
