"""The renderer: Jinja2 (autoescaped for Telegram HTML, strict) + gettext catalogs per locale.

A message named ``seller.registered`` lives in ``messages/seller/registered.html``. Its
translatable text is wrapped in ``{% trans %}``; catalogs are ``locales/<locale>/LC_MESSAGES/
messages.po``, read at start-up (no compile step to forget). Button labels are the keys of
``templates.labels.LABELS`` and are translated through the same catalogs.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pycountry
from babel import Locale
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from domain.locales import SUPPORTED_LOCALES
from templates.labels import LABELS

TEMPLATES_DIR = Path(str(files("templates")))
MESSAGES_DIR = TEMPLATES_DIR / "messages"
LOCALES_DIR = TEMPLATES_DIR / "locales"
TEMPLATE_SUFFIX = ".html"
_BLANK_RUNS = re.compile(r"\n{3,}")


def load_catalog(locale: str) -> NullTranslations:
    """Read a locale's .po file into gettext translations (English is the source language)."""
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


class Renderer:
    """Renders named messages and button labels in a given locale. Build one per process."""

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
        )
        environment.install_gettext_translations(  # type: ignore[attr-defined]
            self._catalogs[locale], newstyle=True
        )
        environment.filters["money"] = lambda amount, currency: self.money(amount, currency, locale)
        environment.filters["datetime"] = lambda moment: self.datetime(moment, locale)
        environment.filters["country"] = lambda code: self.country_name(code, locale)
        environment.filters["language_name"] = lambda code: self.language_name(code)
        environment.globals["label"] = lambda key, **params: self.label(key, locale, **params)
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
        # Templates are written for readability; Telegram shows every newline.
        lines = [line.rstrip() for line in text.strip().splitlines()]
        return _BLANK_RUNS.sub("\n\n", "\n".join(lines))

    def label(self, key: str, locale: str | None, /, **params: Any) -> str:
        """A button label (plain text: Telegram shows button text as is)."""
        source = LABELS[key]
        translated = self._catalogs[self._locale(locale)].gettext(source)
        return translated.format(**params) if params else translated

    def labels_for(self, key: str) -> set[str]:
        """The label in every locale, to recognise a reply-keyboard press whatever the language."""
        return {self.label(key, locale) for locale in SUPPORTED_LOCALES}

    def has_template(self, name: str) -> bool:
        return (MESSAGES_DIR / template_file(name)).exists()

    @staticmethod
    def money(amount: Decimal | str, currency: str, locale: str) -> str:
        return format_currency(Decimal(amount), currency, locale=_babel_locale(locale))

    @staticmethod
    def datetime(moment: datetime | str, locale: str) -> str:
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return format_datetime(moment, format="medium", locale=_babel_locale(locale))

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
