"""The renderer: Jinja2 (autoescaped for Telegram HTML, strict) + gettext catalogs per locale.

A message named ``seller.registered`` lives in ``messages/seller/registered.html``. Its
translatable text is wrapped in ``{% trans %}``; catalogs are ``locales/<locale>/LC_MESSAGES/
messages.po``, read at start-up (no compile step to forget). Button labels are the keys of
``templates.labels.LABELS`` and are translated through the same catalogs.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from babel import Locale
from babel.dates import (
    format_datetime,
    format_interval,
    format_skeleton,
    format_time,
    get_timezone_gmt,
    get_timezone_location,
)
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    UnknownCurrencyError,
    format_currency,
    format_decimal,
    format_percent,
)
from babel.support import NullTranslations, Translations
from babel.units import format_unit
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from domain.locales import SUPPORTED_LOCALES
from templates.html import html_to_plain
from templates.labels import LABELS
from templates.labels_base import Plural

TEMPLATES_DIR = Path(str(files("templates")))
MESSAGES_DIR = TEMPLATES_DIR / "messages"
LOCALES_DIR = TEMPLATES_DIR / "locales"
TEMPLATE_SUFFIX = ".html"
# The class below has a `datetime` method; annotations inside it use this name for the type.
Moment = datetime
_BLANK_RUNS = re.compile(r"\n{3,}")
# Chinese sets no space next to its full-width punctuation: a space that templates put between
# two sentences (each its own catalog entry) or after a label's colon is dropped there.
_SPACE_BY_FULL_WIDTH_PUNCTUATION = re.compile(
    r"(?<=[\u3001\u3002\uff0c\uff1b\uff1a\uff01\uff1f\uff09\u300d\u300f\u3011])[ \t]+"
    r"|[ \t]+(?=[\u3001\u3002\uff0c\uff1b\uff1a\uff01\uff1f\uff08\uff09\u300c\u300e\u3010])"
)
# How a list of items is written: Chinese enumerates with the ideographic comma.
_LIST_SEPARATORS = {"zh_Hans": "、"}
# "Lyon, FR" or a bare "FR": a place whose country a carrier gave as its ISO code.
_PLACE_WITH_COUNTRY = re.compile(r"(?:(.*\S)\s*,\s*)?([A-Z]{2})")


@cache
def load_catalog(locale: str) -> NullTranslations:
    """Read a locale's .po file into gettext translations (English is the source language).

    Once per process: the catalogs ship with the package and do not change while it runs, and
    parsing and compiling six of them costs about a second of CPU."""
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


@cache
def _babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


def template_file(name: str) -> str:
    return name.replace(".", "/") + TEMPLATE_SUFFIX


def all_template_names() -> list[str]:
    return sorted(
        str(path.relative_to(MESSAGES_DIR).with_suffix("")).replace("/", ".")
        for path in MESSAGES_DIR.rglob(f"*{TEMPLATE_SUFFIX}")
    )


@cache
def shared_renderer(default_locale: str = "en") -> Renderer:
    """The process's renderer for `default_locale`. A renderer holds no per-user state, and its
    Jinja environments keep the templates they compiled: an application rebuilt in the same
    process (a sandbox reset, a test) renders with warm caches."""
    return Renderer(default_locale)


class Renderer:
    """Renders named messages and button labels in a given locale; see `shared_renderer`."""

    def __init__(self, default_locale: str = "en") -> None:
        self.default_locale = default_locale
        self._catalogs = {locale: load_catalog(locale) for locale in SUPPORTED_LOCALES}
        self._environments = {locale: self._environment(locale) for locale in SUPPORTED_LOCALES}

    def _environment(self, locale: str) -> Environment:
        environment = Environment(
            loader=FileSystemLoader(MESSAGES_DIR),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
            # Every message stays compiled: Jinja's default keeps 400, fewer than the messages
            # there are, so a long-running process would compile some again and again. The set
            # is fixed by the files, so this stays bounded.
            cache_size=4096,
        )
        environment.install_gettext_translations(  # type: ignore[attr-defined]
            self._catalogs[locale], newstyle=True
        )
        environment.filters["money"] = lambda amount, currency: self.money(amount, currency, locale)
        environment.filters["money_text"] = lambda text: self.money_text(text, locale)
        environment.filters["number"] = lambda value: self.number(value, locale)
        environment.filters["percent"] = lambda value: self.percent(value, locale)
        environment.filters["datetime"] = lambda moment: self.datetime(moment, locale)
        environment.filters["country"] = lambda code: self.country_name(code, locale)
        environment.filters["duration"] = lambda value, unit: self.duration(value, unit, locale)
        environment.filters["language_name"] = lambda code: self.language_name(code)
        environment.filters["local_datetime"] = lambda moment, zone: self.local_datetime(
            moment, zone, locale
        )
        environment.filters["time_zone"] = lambda zone, moment=None: self.time_zone(
            zone, moment, locale
        )
        environment.filters["day"] = lambda day: self.day(day, locale)
        environment.filters["month"] = lambda moment: self.month(moment, locale)
        environment.filters["days_window"] = lambda first, last: self.days_window(
            first, last, locale
        )
        environment.filters["place"] = lambda text: self.place(text, locale)
        environment.filters["series"] = lambda items: self.series(items, locale)
        environment.globals["list_separator"] = _LIST_SEPARATORS.get(locale, ", ")
        environment.globals["label"] = lambda key, **params: self.label(key, locale, **params)
        environment.globals["tracking_label"] = lambda status, sub=None: self.tracking_label(
            status, sub, locale
        )
        # Another message inside this one (a report's reasons, kept as keys and parameters).
        environment.globals["message"] = lambda name, params: Markup(  # noqa: S704
            self.render(name, locale, **params)
        )
        return environment

    def _locale(self, locale: str | None) -> str:
        return locale if locale in self._environments else self.default_locale

    def render(self, name: str, locale: str | None, /, **params: Any) -> str:
        """The message `name` as Telegram HTML, with every parameter escaped."""
        environment = self._environments[self._locale(locale)]
        text = environment.get_template(template_file(name)).render(**params)
        text = self.punctuated(text, self._locale(locale))
        # Templates are written for readability; Telegram shows every newline.
        lines = [line.rstrip() for line in text.strip().splitlines()]
        return _BLANK_RUNS.sub("\n\n", "\n".join(lines))

    @staticmethod
    def punctuated(text: str, locale: str) -> str:
        """`text` spaced as the locale's typography wants it (Chinese: no space beside
        full-width punctuation, where sentences and labels were joined with one)."""
        if locale.startswith("zh"):
            return _SPACE_BY_FULL_WIDTH_PUNCTUATION.sub("", text)
        return text

    @staticmethod
    def series(items: Iterable[object], locale: str) -> Markup:
        """Items as a list in running text (`a, b, c`; Chinese `a、b、c`), each escaped. Text
        already joined (a parameter stored before it was a list) stays as it is."""
        if isinstance(items, str):
            return Markup.escape(items)
        # The separator is ours, the items are escaped one by one (join escapes plain text).
        separator = Markup(_LIST_SEPARATORS.get(locale, ", "))  # noqa: S704
        return separator.join(item if isinstance(item, Markup) else str(item) for item in items)

    def render_plain(self, name: str, locale: str | None, /, **params: Any) -> str:
        """The message `name` as plain text (for pop-ups, which Telegram shows as is)."""
        return html_to_plain(self.render(name, locale, **params))

    def label(self, key: str, locale: str | None, /, **params: Any) -> str:
        """A button label (plain text: Telegram shows button text as is).

        A label with a count (`Plural`) takes the form the count asks for in the locale's
        grammar, and shows the count with the locale's digit grouping.
        """
        source = LABELS[key]
        locale = self._locale(locale)
        catalog = self._catalogs[locale]
        if isinstance(source, Plural):
            count = params["count"]
            translated = catalog.ngettext(source.singular, source.plural, count)
            params = {**params, "count": self.number(count, locale)}
        else:
            translated = catalog.gettext(source)
        return translated.format(**params) if params else translated

    def tracking_label(self, status: str | None, sub_status: str | None, locale: str) -> str:
        """A parcel's state in words: the sub-status when it says more, else the status."""
        if sub_status and f"tracking_sub.{sub_status}" in LABELS:
            return self.label(f"tracking_sub.{sub_status}", locale)
        return self.label(f"tracking_status.{status or 'NotFound'}", locale)

    @staticmethod
    def money(amount: Decimal | str, currency: str, locale: str) -> str:
        return format_currency(Decimal(amount), currency, locale=_babel_locale(locale))

    @staticmethod
    def money_text(text: str, locale: str) -> str:
        """An amount kept as text ("1234.5 USD", as findings store it) in the reader's format."""
        amount, _, currency = str(text).partition(" ")
        try:
            return Renderer.money(Decimal(amount), currency, locale)
        except (InvalidOperation, UnknownCurrencyError, ValueError):
            return str(text)

    @staticmethod
    def number(value: Decimal | int | str, locale: str) -> str:
        """A count or measure with the locale's grouping and decimal mark (50,000 / 50 000 /
        12,5), and only the decimals it has: 12.50 kg is 12.5 kg."""
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        return format_decimal(number, locale=_babel_locale(locale), decimal_quantization=False)

    @staticmethod
    def percent(value: Decimal | int | str, locale: str) -> str:
        """A percentage (15 means 15 %) in the locale's style, without needless decimals:
        20.00 is "20%" (or "20 %"), 12.5 stays "12.5%"."""
        try:
            ratio = Decimal(str(value)).normalize() / 100
        except InvalidOperation:
            return str(value)
        return format_percent(ratio, locale=_babel_locale(locale), decimal_quantization=False)

    @staticmethod
    def datetime(moment: datetime | str, locale: str) -> str:
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return format_datetime(moment, format="medium", locale=_babel_locale(locale))

    @staticmethod
    def local_datetime(moment: Moment | str, zone: str, locale: str) -> str:
        """A moment as the reader's clock shows it in `zone`: ``Nov 25 10:30 PM``, ``25 нояб. 22:30``."""
        if isinstance(moment, str):
            moment = Moment.fromisoformat(moment)
        try:
            tz: tzinfo = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            tz = UTC
        day = format_skeleton("MMMd", moment, tzinfo=tz, locale=_babel_locale(locale))
        clock = format_time(moment, format="short", tzinfo=tz, locale=_babel_locale(locale))
        return f"{day} {clock}"

    @staticmethod
    def time_zone(zone: str, moment: Moment | str | None, locale: str) -> str:
        """A zone by its city in the reader's language, with its offset at `moment` if given:
        ``New York (GMT-05:00)``, ``Нью-Йорк``; a zone without a city by its name."""
        if isinstance(moment, str):
            moment = Moment.fromisoformat(moment)
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            return zone
        name = zone
        if "/" in zone and not zone.startswith("Etc/"):
            name = str(get_timezone_location(tz, locale=_babel_locale(locale), return_city=True))
        if moment is None:
            return name
        offset = get_timezone_gmt(moment.astimezone(tz), "long", locale=_babel_locale(locale))
        return f"{name} ({offset})"

    @staticmethod
    def day(value: date | str, locale: str) -> str:
        """A day with its weekday: ``Thu, Dec 3``, ``чт, 3 дек.``."""
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return format_skeleton("MMMEd", value, locale=_babel_locale(locale))

    @staticmethod
    def month(value: date | str, locale: str) -> str:
        """A calendar month with its year: ``November 2026``, ``2026年11月``."""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return format_skeleton("yMMMM", value, locale=_babel_locale(locale))

    @staticmethod
    def days_window(first: date | str, last: date | str, locale: str) -> str:
        """A range of days, written the locale's way: ``Dec 1 – 3``, ``12月1日至3日``."""
        start = date.fromisoformat(first) if isinstance(first, str) else first
        end = date.fromisoformat(last) if isinstance(last, str) else last
        return format_interval(start, end, "MMMd", locale=_babel_locale(locale))

    @classmethod
    def place(cls, text: str, locale: str) -> str:
        """A carrier's place with its country named in the reader's language (``Lyon, FR``
        -> ``Lyon, Frankreich``); anything else as the carrier wrote it."""
        match = _PLACE_WITH_COUNTRY.fullmatch(text.strip())
        if match is None:
            return text
        city, code = match.group(1), match.group(2)
        if pycountry.countries.get(alpha_2=code) is None:
            return text
        country = cls.country_name(code, locale)
        return f"{city}, {country}" if city else country

    @staticmethod
    def duration(value: int, unit: str, locale: str) -> str:
        """`30 days`, `48 heures`, `22 дня`: CLDR's words and plural forms for `day`, `hour`..."""
        return format_unit(value, f"duration-{unit}", locale=_babel_locale(locale))

    @staticmethod
    def country_name(code: str, locale: str) -> str:
        territory = _babel_locale(locale).territories.get(code.upper())
        if territory:
            return str(territory)
        country = pycountry.countries.get(alpha_2=code.upper())
        return str(country.name) if country else code

    @staticmethod
    def language_name(locale: str) -> str:
        """A language in its own words, so a user can find theirs in any interface language."""
        name = str(_babel_locale(locale).get_display_name(_babel_locale(locale)))
        return name[:1].upper() + name[1:]

    @staticmethod
    def language_in_sentence(locale: str) -> str:
        """A language in its own words, as a sentence in that language writes it: in lower case
        where the language writes language names so (español, français, русский), not
        capitalised like the button that names it (`language_name`)."""
        return str(_babel_locale(locale).get_display_name(_babel_locale(locale)))
