"""The command menu, set per language with setMyCommands."""

from __future__ import annotations

from aiogram.methods import SetMyCommands
from aiogram.types import BotCommand, BotCommandScopeDefault

from domain.locales import SUPPORTED_LOCALES
from templates import Renderer

MENU_COMMANDS = (
    "start",
    "orders",
    "track",
    "return",
    "shipments",
    "returns",
    "returnpolicy",
    "transcript",
    "case",
    "neworder",
    "import",
    "ship",
    "costs",
    "budget",
    "rates",
    "fx",
    "warehouses",
    "help",
    "language",
    "timezone",
    "stop",
    "cancel",
    "privacy",
    "delete_my_data",
)


def telegram_language_code(locale: str) -> str:
    """Telegram matches menus by two-letter ISO 639-1 code: zh_Hans -> zh, pt_BR -> pt."""
    return locale.split("_", 1)[0]


def command_menus(renderer: Renderer, default_locale: str) -> list[SetMyCommands]:
    """One menu for each supported language, plus the default for everyone else."""
    menus = []
    for locale in (None, *SUPPORTED_LOCALES):
        commands = [
            BotCommand(
                command=name,
                description=renderer.label(f"command.{name}", locale or default_locale),
            )
            for name in MENU_COMMANDS
        ]
        menus.append(
            SetMyCommands(
                commands=commands,
                scope=BotCommandScopeDefault(),
                language_code=telegram_language_code(locale) if locale else None,
            )
        )
    return menus
