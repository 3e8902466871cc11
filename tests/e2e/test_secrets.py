"""The bot runs with a recognisable fake token through normal work and every failure it can be
driven into; the token appears nowhere in what it logs or prints.

The in-process test reads every log record (as pytest's handler formats it) and both output
streams; the subprocess tests read all that `sellerbot run` writes."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.app import create_application
from bot.logging_setup import MASK, Redactor, protect_output, secrets_of
from sandbox.emulator import BotApiEmulator
from tests.e2e.cli import FAKE_TOKEN, TOKEN_SECRET, cli_environment, finish, start_cli
from tests.e2e.conftest import E2E_CHAT_INTERVAL, chat_with, make_settings, put_first

TRACKING_KEY = "trk-FAKE-KEY-0123456789"
SECRETS = (TOKEN_SECRET, TRACKING_KEY)

log = logging.getLogger(__name__)


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"tokens": FAKE_TOKEN, "per_chat_interval": E2E_CHAT_INTERVAL}


def failing_router() -> Router:
    """Handlers that fail the ways real code does, with the token in the error text."""
    router = Router(name="failing")

    @router.message(Command("boom"))
    async def boom(message: Message, bot: Bot) -> None:
        url = bot.session.api.api_url(bot.token, "getMe")
        log.warning("about to call %s", url)
        raise RuntimeError(f"cannot call {url}")

    @router.message(Command("download"))
    async def download(message: Message, bot: Bot) -> None:
        # aiohttp raises ClientResponseError(404, url=".../file/bot<token>/...").
        await bot.download_file("documents/missing.csv")

    return router


async def test_a_running_bot_logs_and_prints_no_secret_whatever_fails(
    emulator: BotApiEmulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        tmp_path,
        telegram_bot_token=FAKE_TOKEN,
        telegram_api_base=emulator.base_url,
        tracking_api_key=TRACKING_KEY,
        send_private_chat_interval_seconds=E2E_CHAT_INTERVAL * 1.5,
    )
    caplog.set_level(logging.INFO)
    undo = protect_output(Redactor(secrets_of(settings)))  # what the CLI installs
    app = None
    try:
        # The token and base URL come from the settings, as in production.
        app = await create_application(settings)
        put_first(app.dispatcher, failing_router())
        await app.start()

        chat = chat_with(emulator, 6001)
        await chat.send("/start")
        await chat.expect("")
        await chat.send("/boom")  # a handler crash
        await chat.expect("something went wrong")
        await chat.send("/download")  # an aiohttp error carrying the file URL
        await chat.expect("something went wrong")
        emulator.fail_next("sendMessage", 500)  # the answer's first send fails
        await chat.send("/help")
        await chat.expect("What I can do")
        emulator.inject_429(chat_id=chat.user.chat_id)
        await chat.send("/help")
        await chat.expect("What I can do")
        emulator.fail_next("getUpdates", 502)  # polling fails once
        await chat.send("/help")
        await chat.expect("What I can do")
    finally:
        if app is not None:
            await app.stop()
        undo()

    streams = capfd.readouterr()
    records = "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}" for r in caplog.records)
    everything = "\n".join([caplog.text, records, streams.out, streams.err])
    assert [secret for secret in SECRETS if secret in everything] == []
    # The failures were logged, with their tracebacks, only masked.
    assert "RuntimeError: cannot call" in caplog.text
    assert "ClientResponseError" in caplog.text
    assert "Traceback" in caplog.text
    assert f"bot987654321:{MASK}/getMe" in caplog.text


async def start_bot_process(emulator: BotApiEmulator, tmp_path: Path) -> Any:
    env = cli_environment(
        tmp_path,
        TELEGRAM_BOT_TOKEN=FAKE_TOKEN,
        TELEGRAM_API_BASE=emulator.base_url,
        TRACKING_API_KEY=TRACKING_KEY,
    )
    process = await start_cli("run", cwd=tmp_path, env=env)
    polling = await emulator.wait_until(
        lambda: emulator.waiting_polls > 0 or process.returncode is not None, 60
    )
    if not polling or process.returncode is not None:
        result = await finish(process, timeout=10)
        pytest.fail(f"sellerbot run did not start polling:\n{result.output}")
    return process


async def test_the_bot_process_prints_no_secret_through_work_and_failures(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    process = await start_bot_process(emulator, tmp_path)
    try:
        chat = chat_with(emulator, 6101)
        await chat.send("/start")
        await chat.expect("")
        emulator.fail_next("getUpdates", 502)
        emulator.fail_next("sendMessage", 500)
        await chat.send("/help")
        await chat.expect("What I can do", timeout=20)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    result = await finish(process)

    assert result.returncode == 0, result.output
    assert "running as @" in result.stderr
    assert "getUpdates failed" in result.stderr  # the failure was reported...
    assert [secret for secret in SECRETS if secret in result.output] == []  # ...masked
    assert "Traceback" not in result.output


async def test_a_token_revoked_while_running_stops_the_process_with_one_line(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    process = await start_bot_process(emulator, tmp_path)
    chat = chat_with(emulator, 6201)
    try:
        await chat.send("/start")
        await chat.expect("")
        emulator.tokens.clear()  # from now on every call is answered 401 Unauthorized
        await chat.send("/help")  # ends the long poll; the next one is refused
        result = await finish(process)
    finally:
        if process.returncode is None:
            process.kill()

    assert result.returncode == 2, result.output
    assert result.stderr.splitlines()[-1] == (
        "sellerbot: the Bot API refused TELEGRAM_BOT_TOKEN (401 Unauthorized): "
        "check the token with @BotFather"
    )
    assert [secret for secret in SECRETS if secret in result.output] == []
