"""The filters every command of the bot is registered with.

People type /Start, /HELP or /Cancel (a phone capitalises the first letter by itself), and
aiogram's `Command` compares names case-sensitively unless told otherwise. Every router
registers its commands through these two functions, so no command can forget;
`tests/unit/test_routers.py` checks the built routers. Only the command's name is compared
without case: its arguments (a deep link's payload, an order number) reach the handler as typed.
"""

from __future__ import annotations

from aiogram.filters import Command, CommandStart


def any_case_command(*names: str) -> Command:
    """The filter of the commands `names` (without the slash), in any case."""
    return Command(*names, ignore_case=True)


def any_case_start(*, deep_link: bool | None = None) -> CommandStart:
    """The filter of /start in any case; `deep_link` True: only a /start with a payload."""
    return CommandStart(deep_link=deep_link, ignore_case=True)
