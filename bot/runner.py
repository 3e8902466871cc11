"""Running the bot for real (Telegram) or in the sandbox (the built-in emulator)."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.app import Application, create_application
from bot.settings import Settings

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "123456:SANDBOX-TOKEN"  # noqa: S105 (the local emulator's token, not a secret)


async def _serve(app: Application) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.start()
    try:
        waiter = asyncio.ensure_future(app.wait())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
    finally:
        await app.stop()


async def run_bot(settings: Settings) -> None:
    app = await create_application(settings)
    me = await app.bot.get_me()
    log.info("running as @%s (long polling)", me.username)
    await _serve(app)


async def run_sandbox(settings: Settings, port: int | None = None) -> None:
    from bot.sandbox.emulator import BotApiEmulator

    emulator = BotApiEmulator(
        tokens=SANDBOX_TOKEN,
        host=settings.sandbox_host,
        port=port if port is not None else settings.sandbox_port,
    )
    await emulator.start()
    log.warning(
        "No TELEGRAM_BOT_TOKEN set: running in the sandbox against the built-in Telegram emulator at %s",
        emulator.base_url,
    )
    try:
        app = await create_application(settings, token=SANDBOX_TOKEN, api_base=emulator.base_url)
        await _serve(app)
    finally:
        await emulator.stop()
