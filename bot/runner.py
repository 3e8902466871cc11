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
    me = await app.bot.me()
    log.info("running as @%s (long polling)", me.username)
    await _serve(app)


async def run_sandbox(settings: Settings, port: int | None = None) -> None:
    """The bot against the built-in emulator, with the web chat, until SIGINT/SIGTERM."""
    from bot.sandbox.webchat import open_sandbox

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_sandbox(settings, token=SANDBOX_TOKEN, port=port) as web_chat:
        database = (
            "DATABASE_URL"
            if settings.database_url
            else str((settings.data_dir / "sandbox.sqlite3").resolve())
        )
        # Printed, not logged: this line is what the person who started the sandbox needs.
        print(
            "\n"
            "  sellerbot sandbox — no Telegram needed\n"
            f"  open the web chat:  {web_chat.url}\n"
            f"  database:           {database}\n"
            "  stop with Ctrl+C\n",
            flush=True,
        )
        await stop.wait()
