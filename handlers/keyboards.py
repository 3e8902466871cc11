"""Keyboards shared by several handlers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from aiogram.filters.callback_data import CallbackData

from domain import embargo
from domain.countries import find_countries
from domain.errors import InvalidInput
from domain.locales import SUPPORTED_LOCALES
from handlers.callbacks import CountryChoice, LanguageChoice, LanguagePurpose
from handlers.responder import Button, Keyboard, Responder
from templates import Renderer


def flag(code: str) -> str:
    """The flag emoji of an ISO 3166-1 alpha-2 country code."""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in code.upper())


def single_button(label: str, callback: CallbackData, **params: Any) -> list[list[Button]]:
    """A keyboard of one button: `label` (with `params`) pressing `callback`."""
    return [[Button(label=label, params=params, callback=callback)]]


Answer = TypeVar("Answer")


def yes_or_no(
    callback: Callable[[Answer], CallbackData], yes: tuple[str, Answer], no: tuple[str, Answer]
) -> Keyboard:
    """The two buttons of a question asked before something that cannot be undone, on one row.

    `yes` and `no` are each a label and the answer it stands for; `callback` turns an answer into
    the button's callback data (which also names the question, e.g. by its one-time token).
    """
    return [[Button(label=label, callback=callback(answer)) for label, answer in (yes, no)]]


def rows_of(buttons: list[Button], per_row: int) -> Keyboard:
    """`buttons` laid out `per_row` to a row."""
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def language_keyboard(renderer: Renderer, purpose: LanguagePurpose) -> Keyboard:
    buttons = [
        Button(
            text=renderer.language_name(locale),
            callback=LanguageChoice(locale=locale, purpose=purpose),
        )
        for locale in SUPPORTED_LOCALES
    ]
    return rows_of(buttons, 2)


def country_buttons(
    renderer: Renderer, locale: str, codes: Iterable[str], per_row: int = 3
) -> Keyboard:
    buttons = [
        Button(
            text=f"{flag(code)} {renderer.country_name(code, locale)}",
            callback=CountryChoice(code=code),
        )
        for code in codes
    ]
    return rows_of(buttons, per_row)


def navigation_row(cancel: CallbackData, back: CallbackData | None = None) -> list[Button]:
    """The "Back" and "Cancel" buttons every conversation step shows (no Back on the first)."""
    buttons = [Button(label="common.cancel", callback=cancel)]
    if back is not None:
        buttons.insert(0, Button(label="common.back", callback=back))
    return buttons


def choose_country(
    matches: list[str], responder: Responder, navigation: list[Button], *, served_only: bool
) -> str | None:
    """The one country among `matches` (what a typed name matched), or None once several are
    offered as buttons (the answer then comes as a button press).

    `served_only`: the country is where goods travel to or from, so one under embargo is not
    offered (`domain.embargo`) and the choices say which were left out. When nothing else
    matched, it is returned, and the draft refuses it saying why.
    """
    offered = embargo.served(matches) if served_only else matches
    if len(matches) == 1 or not offered:
        return matches[0]
    unserved = [country for country in matches if country not in offered]
    keyboard = country_buttons(responder.renderer, responder.locale, offered, per_row=2)
    responder.reply("countries.choices", unserved=unserved, keyboard=[*keyboard, navigation])
    return None


def country_from_text(
    text: str, responder: Responder, navigation: list[Button], *, served_only: bool = False
) -> str | None:
    """The one country a user typed, by name or ISO code (see `choose_country`). No match: the
    user is told how to write it."""
    matches = find_countries(text)
    if not matches:
        raise InvalidInput("countries.not_found", query=text[:60])
    return choose_country(matches, responder, navigation, served_only=served_only)
