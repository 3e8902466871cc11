"""The `sellerbot` command. Imports nothing heavy until a sub-command needs it, so `--help`,
`version` and `check-config` answer at once (aiogram alone takes seconds to import)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

EXIT_FAILURE = 1
# A setting must change (a bad value, or a token the Bot API refuses); restarting will not help.
EXIT_CONFIG_ERROR = 2


def _version() -> str:
    try:
        return version("sellerbot")
    except PackageNotFoundError:
        return "0+unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sellerbot",
        description="Telegram assistant for AliExpress semi-managed sellers and their buyers.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser(
        "run",
        help="run the bot (long polling); with no TELEGRAM_BOT_TOKEN it runs the local sandbox",
    )
    sub.add_parser(
        "webhook",
        help="receive updates by webhook (WEBHOOK_URL, WEBHOOK_SECRET) with health, readiness "
        "and metrics endpoints; see docs/deploy.md",
    )
    sub.add_parser(
        "worker",
        help="run only the scheduled work (outbox, tracking, reminders, return deadlines) with "
        "health, readiness and metrics on WORKER_HTTP_PORT; see docs/deploy.md",
    )
    sandbox = sub.add_parser("sandbox", help="run the bot against the built-in Telegram emulator")
    sandbox.add_argument("--port", type=int, default=None, help="web chat port (default 8080)")
    sub.add_parser("migrate", help="apply database migrations and exit")
    sub.add_parser("check-config", help="validate the configuration and exit")
    sub.add_parser("version", help="print the version")
    return parser


def _load_settings() -> Settings:
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings()
    except SettingsError as error:
        print(f"sellerbot: {error}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG_ERROR) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    if command == "version":
        print(f"sellerbot {_version()}")
        return 0
    settings = _load_settings()

    from bot.logging_setup import configure_logging

    # From here on no secret reaches a log line, stdout or stderr.
    configure_logging(settings)
    if command == "check-config":
        mode = "sandbox (no token)" if settings.sandbox_mode else "Telegram"
        print(
            f"configuration OK: {mode}, database {settings.effective_database_url.split('://')[0]}"
        )
        return 0
    if command == "webhook" and (problem := settings.webhook_mode_problem()) is not None:
        print(f"sellerbot: {problem}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    if command == "worker" and settings.sandbox_mode:
        print("sellerbot: sellerbot worker needs TELEGRAM_BOT_TOKEN", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    port = getattr(args, "port", None)
    try:
        _run(command, settings, port)
    except KeyboardInterrupt:
        logging.getLogger(__name__).info("stopped")
    except Exception as error:
        from bot.runner import explain_failure

        # One line, no traceback: the person at the terminal needs what to fix, not where.
        failure = explain_failure(error, settings, port=port)
        print(f"sellerbot: {failure.message}", file=sys.stderr)
        return EXIT_CONFIG_ERROR if failure.configuration else EXIT_FAILURE
    return 0


def _run(command: str, settings: Settings, port: int | None) -> None:
    if command == "migrate":
        from bot.runner import run_migrations

        run_migrations(settings)
        print("database is up to date")
        return
    from bot.runner import run_bot, run_sandbox, run_webhook

    if command == "webhook":
        asyncio.run(run_webhook(settings))
    elif command == "worker":
        from bot.worker import run_worker

        asyncio.run(run_worker(settings))
    elif command == "sandbox" or settings.sandbox_mode:
        asyncio.run(run_sandbox(settings, port=port))
    else:
        asyncio.run(run_bot(settings))


if __name__ == "__main__":
    raise SystemExit(main())
