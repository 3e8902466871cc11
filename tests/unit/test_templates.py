"""Every template renders in every locale, is fully translated, and is valid Telegram HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from domain.locales import SUPPORTED_LOCALES
from templates import Renderer
from templates.html import split_html, telegram_html_problems, visible_length
from templates.labels import LABELS
from templates.renderer import LOCALES_DIR, all_template_names
from tests.template_samples import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
TAG = re.compile(r"</?[a-z-]+")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def _source_messages() -> set[str]:
    """What the code and templates ask to translate right now (not what the .pot says)."""
    method_map = [
        ("templates/labels.py", "python"),
        ("templates/labels_orders.py", "python"),
        ("templates/labels_shipping.py", "python"),
        ("templates/labels_tracking.py", "python"),
        ("templates/messages/**.html", "jinja2"),
    ]
    options = {
        "templates/messages/**.html": {
            "extensions": "jinja2.ext.i18n",
            "trim_blocks": "True",
            "lstrip_blocks": "True",
        }
    }
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options, keywords={"N_": None, "_": None, "gettext": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_template_has_sample_data() -> None:
    assert sorted(set(all_template_names()) - set(SAMPLES)) == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_template_renders_as_telegram_html(renderer: Renderer, locale: str) -> None:
    for name in all_template_names():
        text = renderer.render(name, locale, **SAMPLES[name])
        assert text.strip(), name
        assert telegram_html_problems(text) == [], (name, locale, text)
        assert "<script>" not in text and "<Gadgets>" not in text, "user text must be escaped"


@pytest.mark.parametrize("locale", [loc for loc in SUPPORTED_LOCALES if loc != "en"])
def test_catalog_translates_every_message(locale: str) -> None:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    problems = []
    for msgid in sorted(_source_messages()):
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            problems.append(f"untranslated: {msgid!r}")
            continue
        if set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(message.string)):
            problems.append(f"placeholders differ: {msgid!r}")
        if sorted(TAG.findall(msgid)) != sorted(TAG.findall(message.string)):
            problems.append(f"tags differ: {msgid!r}")
    assert problems == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_label_fits_a_button(renderer: Renderer, locale: str) -> None:
    for key in LABELS:
        label = renderer.label(key, locale)
        assert 0 < len(label) <= 64, (key, locale, label)


def test_long_text_is_split_without_breaking_tags() -> None:
    text = "<b>" + "word &amp; more " * 700 + "</b>\n\n<i>" + "x" * 5000 + "</i>"
    parts = split_html(text)
    assert len(parts) >= 3
    for part in parts:
        assert visible_length(part) <= 4096
        assert telegram_html_problems(part) == []


def test_caption_limit() -> None:
    parts = split_html("<b>" + "caption " * 300 + "</b>", 1024)
    assert all(visible_length(part) <= 1024 for part in parts)
    assert all(telegram_html_problems(part) == [] for part in parts)


def test_user_text_is_escaped(renderer: Renderer) -> None:
    text = renderer.render("registration.done", "en", store_name="<b>evil</b> & co")
    assert "&lt;b&gt;evil&lt;/b&gt; &amp; co" in text
