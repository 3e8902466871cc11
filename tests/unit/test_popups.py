"""Pop-up answers to a button press are plain text that fits, or the answer goes to the chat.

Telegram shows `answerCallbackQuery` text as is (no HTML) and takes at most 200 characters.
Any domain error raised while handling a button press becomes such a pop-up, so every error
key the code can raise is rendered here in every locale with parameters at their realistic
longest (64-character names with "&", the longest country name, every status...).
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path
from typing import Any

import pycountry
import pytest
from aiogram.fsm.state import StatesGroup
from aiogram.methods import AnswerCallbackQuery, SendMessage

from domain.locales import SUPPORTED_LOCALES
from domain.logistics import ShippingMethod, method_name_key
from domain.model import OrderStatus, WarehouseStatus
from domain.model.orders import ORDER_NUMBER_MAX
from domain.order_import import REQUIRED_COLUMNS
from domain.returns.rules import CaseStatus
from domain.tracking_numbers import MAX_LENGTH as TRACKING_MAX
from domain.typed_text import HIDDEN_CHARACTERS_KEY
from handlers import get_routers
from handlers.fallback import CONVERSATIONS, conversation_of
from handlers.responder import DETAILS_IN_CHAT, Responder
from templates import Renderer
from templates.html import POPUP_LIMIT, html_to_plain, utf16_length
from tests.template_samples import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
ERRORS = {"InvalidInput", "NotFound", "NotAllowed", "ConflictError", "DomainError"}

# Answers long on purpose: when a button press raises them, they go to the chat in full.
GOES_TO_CHAT = {
    # Every reason the method refuses the parcel (up to four at once).
    "shipping.method_refused",
    # A refused rate card names the problem and where it is (raised by a file, never a button).
    "rates.invalid",
    # What is wrong with a certificate's content, and what to send instead (read from a file
    # in the file worker, never on a button press).
    "warehouse.document_not_type",
    "warehouse.document_damaged",
    "warehouse.document_too_many_pixels",
    "warehouse.document_active_content",
    # A file sent in a return case that the case does not take, and what to send instead (a
    # document is never held for the case picker, so no button press relays one).
    "returns.file_type",
    "returns.file_disguised",
    # What /costs takes, after the month it could not read (typed, never a button press).
    "logistics.costs_bad_month",
}

LONGEST_NAME = "Castilla & León Hub — Centro Logístico de Valladolid y Palencia 01"[:64]
REFUSAL_REASONS = [
    "logistics.express_battery",
    "logistics.express_flammable",
    "logistics.oversize_express",
    "logistics.overweight_express",
]


def _raised_keys() -> set[str]:
    """Every literal message key passed to a domain error in domain/ and handlers/."""
    keys = {"errors.generic", "errors.not_found", "errors.not_allowed", "errors.conflict"}
    keys |= {"errors.invalid_input", "errors.stale_button", "errors.stale_button_in_conversation"}
    keys |= {HIDDEN_CHARACTERS_KEY}
    keys |= {"money.invalid_amount", "tracking.s10_check_digit", "tracking.carrier_check_digit"}
    for path in itertools.chain((ROOT / "domain").rglob("*.py"), (ROOT / "handlers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ERRORS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                keys.add(node.args[0].value)
    return keys


def _longest_country(renderer: Renderer, locale: str) -> str:
    codes = [str(country.alpha_2) for country in pycountry.countries]
    return max(codes, key=lambda code: len(renderer.country_name(code, locale)))


def _candidates(renderer: Renderer, locale: str, name: str, sample: Any) -> list[Any]:
    """The values a parameter can take at its longest (several where it is a choice)."""
    longest: dict[str, list[Any]] = {
        "name": [LONGEST_NAME],
        "store_name": [LONGEST_NAME],
        "number": ["8" * ORDER_NUMBER_MAX],
        "order_number": ["8" * ORDER_NUMBER_MAX],
        "tracking": ["R" * TRACKING_MAX],
        "file_name": ["Certificado de registro mercantil & licencia — copia 2026.pdf"],
        "filename": ["Tarifas de transporte marítimo & terrestre — 2026 (final).pdf"],
        "country": [_longest_country(renderer, locale)],
        "home": [_longest_country(renderer, locale)],
        "query": ["República Democrática de São Tomé & Príncipe do Norte"],
        "value": ["1234567890.123456789 EUR"],
        "missing": [[column.value for column in REQUIRED_COLUMNS]],
        "found": [["Order No.", "Product & model", "数量", "Ship by", "Currency code"]],
        "columns": [["order_number", "product_name", "quantity"]],
        "reasons": [REFUSAL_REASONS]
        if isinstance(sample, list) and sample and str(sample[0]).startswith("logistics.")
        else [sample],
        "method": ["express", "sea", "land"],
        "method_name": [
            method_name_key(method, origin, "DE")
            for method in ShippingMethod
            for origin in (None, "DE", "CN")
        ],
        "current": [s.value for s in WarehouseStatus] + [s.value for s in OrderStatus],
        "wanted": [s.value for s in WarehouseStatus] + [s.value for s in OrderStatus],
        "status": [s.value for s in WarehouseStatus]
        + [s.value for s in OrderStatus]
        + [s.value for s in CaseStatus],
        "cost": ["12,345.67 USD"],
        "path": ["rates.zones.europe_and_mediterranean.sea_freight.per_wm"],
        "reason": ["must be a number greater than zero"],
        "conversation": list(CONVERSATIONS),
    }
    return longest.get(name, [sample])


def _longest_plain(renderer: Renderer, key: str, locale: str) -> str:
    sample = SAMPLES[key]
    choices = [_candidates(renderer, locale, name, value) for name, value in sample.items()]
    texts = []
    for values in itertools.product(*choices):
        params = dict(zip(sample, values, strict=True))
        try:
            texts.append(renderer.render_plain(key, locale, **params))
        except KeyError:
            continue  # a status of the other kind (order vs warehouse) has no label here
    assert texts, key
    return max(texts, key=utf16_length)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def test_every_raised_key_has_a_template() -> None:
    assert sorted(key for key in _raised_keys() if key not in SAMPLES) == []


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_popup_fits_in_plain_text_or_is_sent_to_the_chat(
    renderer: Renderer, locale: str
) -> None:
    too_long = {}
    # An order file's problems reach the seller in the import's report, never on a button.
    for key in sorted(k for k in _raised_keys() - GOES_TO_CHAT if not k.startswith("import.")):
        text = _longest_plain(renderer, key, locale)
        assert "&amp;" not in text and "<b>" not in text, (key, text)
        if utf16_length(text) > POPUP_LIMIT:
            too_long[key] = (utf16_length(text), text)
    assert too_long == {}


@pytest.mark.parametrize("key", sorted(GOES_TO_CHAT))
def test_long_answers_are_really_long(renderer: Renderer, key: str) -> None:
    lengths = [utf16_length(_longest_plain(renderer, key, locale)) for locale in SUPPORTED_LOCALES]
    assert max(lengths) > POPUP_LIMIT, "it fits now: take it off GOES_TO_CHAT"


def test_html_to_plain_decodes_entities_and_drops_tags() -> None:
    html = "⛔ <b>Castilla &amp; León Hub</b> &lt;B&gt; <a href='x'>link</a> <code>&quot;1&quot;</code>"
    assert html_to_plain(html) == '⛔ Castilla & León Hub <B> link "1"'


def test_a_popup_shows_the_name_as_typed(renderer: Renderer) -> None:
    responder = Responder(renderer, "en", chat_id=7)
    responder.answer_callback(
        "q1",
        "shipping.warehouse_not_verified",
        alert=True,
        name="Castilla & León Hub",
        status="suspended",
    )
    [answer] = responder.pending
    assert isinstance(answer, AnswerCallbackQuery)
    assert answer.text is not None and "Castilla & León Hub" in answer.text
    assert "&amp;" not in answer.text and answer.show_alert


def test_a_long_answer_is_sent_whole_to_the_chat_and_the_popup_points_there(
    renderer: Renderer,
) -> None:
    responder = Responder(renderer, "en", chat_id=7)
    responder.answer_callback(
        "q1",
        "shipping.method_refused",
        alert=True,
        method="express",
        method_name="shipping.method_express_international",
        reasons=REFUSAL_REASONS,
    )
    answer, message = responder.pending
    assert isinstance(answer, AnswerCallbackQuery) and isinstance(message, SendMessage)
    assert answer.text == renderer.render_plain(DETAILS_IN_CHAT, "en")
    assert not answer.show_alert
    # Nothing cut: every reason is there, the last one to its last word.
    assert message.text.count("Use sea freight or land transport.") == 2
    assert message.text.rstrip().endswith("the parcel is heavier than this method accepts.")


# ----- a stale button in the middle of a conversation -----


def _conversation_groups() -> set[type[StatesGroup]]:
    get_routers()  # imports every handler module, so every conversation is declared
    return {
        group for group in StatesGroup.__subclasses__() if group.__module__.startswith("handlers.")
    }


def test_every_conversation_is_known_to_the_stale_button_answer() -> None:
    assert _conversation_groups() == set(CONVERSATIONS.values())
    for name, group in CONVERSATIONS.items():
        for state in group.__all_states_names__:
            assert conversation_of(state) == name
    assert conversation_of(None) is None
    assert conversation_of("SomethingElse:step") is None


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_a_stale_button_says_how_to_go_on_in_each_conversation(
    renderer: Renderer, locale: str
) -> None:
    generic = renderer.render_plain("errors.stale_button_in_conversation", locale, conversation="")
    texts = {
        name: renderer.render_plain(
            "errors.stale_button_in_conversation", locale, conversation=name
        )
        for name in CONVERSATIONS
    }
    assert generic not in texts.values()
    assert len(set(texts.values())) == len(texts)  # each names its own conversation
    for text in texts.values():
        assert "/cancel" in text and "/start" not in text
        assert utf16_length(text) <= POPUP_LIMIT
