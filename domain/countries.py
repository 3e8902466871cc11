"""Countries by ISO 3166-1 alpha-2 code, and finding one from what a user typed."""

from __future__ import annotations

import functools
import pickle
import re
import threading
import unicodedata
from collections.abc import Callable
from typing import Generic, TypeVar

import pycountry
from babel import Locale, localedata
from babel.languages import get_official_languages

from domain.locales import SUPPORTED_LOCALES

# Where most AliExpress semi-managed sellers are based; offered as buttons first.
COMMON_SELLER_COUNTRIES: tuple[str, ...] = ("CN", "HK", "TR", "KR", "RU", "US", "ES", "FR", "BR")

# Codes people type that ISO reserves for a country without assigning them ("UK" would
# otherwise begin "Ukraine").
_RESERVED_CODES = {"UK": "GB"}
# Names people write that no catalogue lists: short forms ("США" would otherwise be part of
# the names of the US islands only), former names the catalogues replaced (Turkey is
# "Türkiye" in ISO and in babel's English), and the parts of a country taken for it. "Congo"
# is ISO's short name of one of two countries: it gets the other too, so the user chooses.
_OTHER_NAMES = {
    "сша": "US",
    "uae": "AE",
    "оаэ": "AE",
    "turkey": "TR",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "holland": "NL",
    "ivory coast": "CI",
    "swaziland": "SZ",
    "cape verde": "CV",
    "east timor": "TL",
    "congo": "CD",
    "dr congo": "CD",
    "drc": "CD",
}

_NOT_A_LETTER_OR_DIGIT = re.compile(r"[\W_]+")

_Built = TypeVar("_Built")


class _BuiltOnce(Generic[_Built]):
    """The value of `build`, built on first use and once: a caller that asks while another
    thread builds it waits for that build (`functools.cache` would let each build its own, a
    second of CPU each). The application builds the name index in a thread at start
    (`warm_up`); an update that needs it sooner waits for that thread instead of racing it."""

    def __init__(self, build: Callable[[], _Built]) -> None:
        functools.update_wrapper(self, build)
        self._build = build
        self._lock = threading.Lock()
        self._value: _Built | None = None

    def __call__(self) -> _Built:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
                value = self._value
        return value

    def cache_clear(self) -> None:
        """Forget the value (tests); the next call builds it again."""
        with self._lock:
            self._value = None


def _fold(text: str) -> str:
    """A name as it is compared: without accents, case or punctuation ("Côte d’Ivoire" and
    "cote d'ivoire" are the same, so are "Гвинея-Бисау" and "гвинея бисау")."""
    normalized = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in normalized if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_A_LETTER_OR_DIGIT.sub(" ", bare).split())


def is_country_code(code: str) -> bool:
    """Two ASCII letters naming a country: 德国 is two letters too, but a name."""
    if len(code) != 2 or not code.isascii():
        return False
    return pycountry.countries.get(alpha_2=code.upper()) is not None


def _territory_names(language: str) -> dict[str, str]:
    """babel's names of the territories in `language`, read from its own data file only.

    `Locale.parse` would merge each language with the root data (seconds for the hundred-odd
    official languages) and keep them all cached; this reads the one table and drops the rest.
    """
    if not localedata.exists(language):
        return {}
    with open(localedata.resolve_locale_filename(language), "rb") as data_file:
        # babel's own data file in its installed package, read the way babel reads it.
        data = pickle.load(data_file)  # noqa: S301
    return dict(data.get("territories", {}))


@_BuiltOnce
def _names_by_country() -> tuple[tuple[str, str], ...]:
    """Every country the project accepts (an ISO alpha-2 code: babel's regions such as "150"
    Europe, and codes like "EU" or "XK", are not countries here) with the names it may be
    typed by: ISO's, its name in each language the bot speaks, and its name in its own
    official languages (Deutschland, 日本). Folded and kept one a line after a new line, so
    "begins with" and "contains" are one search each. Built once, on first use."""
    names: dict[str, set[str]] = {}
    for country in pycountry.countries:
        iso_names = (
            country.name,
            getattr(country, "official_name", ""),
            getattr(country, "common_name", ""),
        )
        names[str(country.alpha_2)] = {name for name in iso_names if name}
    for locale in SUPPORTED_LOCALES:
        for code, name in Locale.parse(locale).territories.items():
            if code in names:
                names[code].add(str(name))
    own_languages: dict[str, set[str]] = {}
    for code in names:
        for language in get_official_languages(code, de_facto=True):
            own_languages.setdefault(language, set()).add(code)
    for language, codes in own_languages.items():
        territories = _territory_names(language)
        for code in codes:
            if territories.get(code):
                names[code].add(territories[code])
    return tuple(
        (code, "".join(sorted(f"\n{folded}" for folded in set(map(_fold, found)) if folded)))
        for code, found in names.items()
    )


@_BuiltOnce
def _countries_by_name() -> dict[str, tuple[str, ...]]:
    """Each folded name and the countries it names: one, unless two languages give the same
    name to different countries (then the user chooses between them)."""
    by_name: dict[str, list[str]] = {}
    for code, lines in _names_by_country():
        for name in lines.split("\n")[1:]:
            by_name.setdefault(name, []).append(code)
    for name, code in _OTHER_NAMES.items():
        by_name.setdefault(name, []).append(code)
    return {name: tuple(dict.fromkeys(codes)) for name, codes in by_name.items()}


def warm_up() -> None:
    """Build the name index now: about a second of CPU that would otherwise fall on the first
    update in which someone types a country's name, holding up every user meanwhile. The
    application calls it in a worker thread at start."""
    _countries_by_name()


def _long_enough_to_be_inside_a_name(text: str) -> bool:
    """Three letters, or two wide characters (a Chinese word: 香港 is inside 中国香港特别行政区)."""
    wide = all(unicodedata.east_asian_width(c) in ("W", "F") for c in text)
    return len(text) >= 3 or (len(text) == 2 and wide)


def find_countries(query: str, limit: int = 8) -> list[str]:
    """Alpha-2 codes matching a typed code (alpha-2/alpha-3) or a name, its beginning or a part
    of it, in any language the bot speaks or the country's own; accents and case aside.

    One code: the country is known. Several: the user chooses (a name two countries share is
    never decided for them). A two-letter code that is no country's matches nothing, rather
    than every name it begins."""
    text = _fold(query)
    if not text or len(text) > 60:
        return []
    if len(text) in (2, 3) and text.isascii() and text.isalpha():
        code = text.upper()
        if len(code) == 2:
            exact = pycountry.countries.get(alpha_2=_RESERVED_CODES.get(code, code))
        else:
            exact = pycountry.countries.get(alpha_3=code)
        if exact is not None:
            return [str(exact.alpha_2)]
        if len(code) == 2:
            return []
    named = _countries_by_name().get(text)
    if named:
        return list(named[:limit])
    starts: list[str] = []
    contains: list[str] = []
    inside = _long_enough_to_be_inside_a_name(text)
    for code, lines in _names_by_country():
        if f"\n{text}" in lines:
            starts.append(code)
        elif inside and text in lines:
            contains.append(code)
    return (starts + contains)[:limit]
