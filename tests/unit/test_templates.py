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
from templates.labels_base import Plural
from templates.renderer import LOCALES_DIR, MESSAGES_DIR, all_template_names
from tests.template_samples import SAMPLES
from tests.unit.test_template_lines import ENVIRONMENT as TEMPLATES_AS_RENDERED

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|{(\w+)}")
TAG = re.compile(r"</?[a-z-]+")
PLURAL_FORM = re.compile(r"^msgstr\[(\d+)\]", re.MULTILINE)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def _source_messages() -> dict[str, str | None]:
    """What the code and templates ask to translate right now (not what the .pot says):
    each message id with its plural id, or None when it has no plural. Template ids are read
    as the renderer looks them up, not as babel's extractor writes them: with new-style
    gettext a `{% trans %}` block keeps `%%` for a literal % even without variables, where the
    extractor writes `%`; a catalog written from the extraction misses at run time, and the
    message shows in English in every language."""
    label_files = [
        ("templates/labels.py", "python"),
        ("templates/labels_orders.py", "python"),
        ("templates/labels_returns.py", "python"),
        ("templates/labels_shipping.py", "python"),
        ("templates/labels_tracking.py", "python"),
    ]
    keywords = {"N_": None, "NP_": (1, 2)}
    found: dict[str, str | None] = {}
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), label_files, keywords=keywords
    ):
        if isinstance(message, str):
            found.setdefault(message, None)
        else:
            found[message[0]] = message[1]
    environment = TEMPLATES_AS_RENDERED
    for path in sorted(MESSAGES_DIR.rglob("*.html")):
        source = path.read_text("utf-8")
        for _line, _function, asked in environment.extract_translations(source):
            if isinstance(asked, str):
                found.setdefault(asked, None)
            else:
                found[str(asked[0])] = None if asked[1] is None else str(asked[1])
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
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    problems = []
    # read_po drops forms beyond the header's count with only a log line: look at the text.
    forms_written = {int(index) for index in PLURAL_FORM.findall(po_path.read_text("utf-8"))}
    if forms_written and max(forms_written) >= catalog.num_plurals:
        problems.append(f"msgstr[{max(forms_written)}] in a {catalog.num_plurals}-form locale")
    for msgid, plural in sorted(_source_messages().items()):
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            problems.append(f"untranslated: {msgid!r}")
            continue
        source = plural if plural is not None else msgid
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if plural is not None and len(forms) != catalog.num_plurals:
            problems.append(f"needs {catalog.num_plurals} plural forms: {msgid!r}")
        if plural is None and isinstance(message.string, tuple):
            problems.append(f"plural forms for a message without a plural: {msgid!r}")
        for form in forms:
            if not form:
                problems.append(f"untranslated plural form: {msgid!r}")
            elif set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(form)):
                problems.append(f"placeholders differ: {msgid!r}")
            elif sorted(TAG.findall(source)) != sorted(TAG.findall(form)):
                problems.append(f"tags differ: {msgid!r}")
    assert problems == []


def test_the_template_catalog_has_every_message_asked_for() -> None:
    with (LOCALES_DIR / "messages.pot").open("rb") as pot:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot)}
    assert sorted(set(_source_messages()) - known) == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_label_fits_a_button(renderer: Renderer, locale: str) -> None:
    for key, source in LABELS.items():
        label = renderer.label(
            key, locale, **({"count": 1000} if isinstance(source, Plural) else {})
        )
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


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_catalog_has_no_duplicate_entries(locale: str) -> None:
    """Babel keeps the last of two equal msgids silently; a merge can leave such a pair."""
    text = (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    seen: set[str] = set()
    duplicates = []
    for entry in re.split(r"\n\s*\n", text):
        lines = [line for line in entry.splitlines() if not line.startswith("#")]
        key_lines: list[str] = []
        for line in lines:
            if line.startswith(("msgstr", "msgid_plural")):
                break
            key_lines.append(line)
        key = "\n".join(key_lines)
        if not key.strip() or key.strip() == 'msgid ""':
            continue
        if key in seen:
            duplicates.append(key)
        seen.add(key)
    assert duplicates == []


def test_every_message_stays_compiled_in_a_long_running_process() -> None:
    from templates.renderer import all_template_names

    renderer = Renderer()
    for locale in SUPPORTED_LOCALES:
        cache = renderer._environments[locale].cache
        assert cache is not None
        assert cache.capacity >= len(all_template_names()), "raise the renderer's cache_size"


def test_a_language_is_named_in_a_sentence_as_that_language_writes_it() -> None:
    """Buttons name languages capitalised ("Español"); a sentence of that language names it in
    lower case where the language does so, and English keeps its capital."""
    names = {loc: Renderer.language_in_sentence(loc) for loc in ("en", "es", "fr", "pt_BR", "ru")}
    assert names == {
        "en": "English",
        "es": "español",
        "fr": "français",
        "pt_BR": "português (Brasil)",
        "ru": "русский",
    }
    assert Renderer.language_name("es") == "Español"
