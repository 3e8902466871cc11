"""The deadline notices of return cases say the right thing to each side, in every language."""

from __future__ import annotations

import pytest

from domain.locales import SUPPORTED_LOCALES
from domain.returns.deadlines import DeadlineKind
from templates import Renderer
from templates.html import telegram_html_problems
from tests.template_samples_returns import DEADLINE

KINDS = [kind.value for kind in DeadlineKind]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_branch_renders_differently_and_escapes_the_order_number(
    renderer: Renderer, locale: str
) -> None:
    seen = set()
    for template in ("returns.deadline_reminder", "returns.deadline_lapsed"):
        for kind in KINDS:
            for recipient in ("seller", "buyer"):
                params = {**DEADLINE, "kind": kind, "recipient": recipient}
                text = renderer.render(template, locale, **params)
                assert "R-1042" in text and "8123&lt;45&gt;" in text, (template, kind, text)
                assert telegram_html_problems(text) == []
                seen.add(text)
    # 4 reminders (to the side that acts) and 7 lapse notices (offer lapses read the same).
    assert len(seen) == 11


def test_what_a_lapse_means_is_said_to_each_side(renderer: Renderer) -> None:
    def lapse(kind: str, recipient: str) -> str:
        return renderer.render(
            "returns.deadline_lapsed", "en", **{**DEADLINE, "kind": kind, "recipient": recipient}
        )

    assert "refunds the buyer automatically" in lapse("seller_first_answer", "seller")
    assert "refunds you automatically" in lapse("seller_first_answer", "buyer")
    assert "new offer" in lapse("offer_answer", "buyer")
    assert "nothing is owed" in lapse("return_shipment", "seller")
    assert "may take it to the platform" in lapse("refund", "seller")
    assert "If you have not been refunded, take it to the platform" in lapse("refund", "buyer")
    reminder = renderer.render("returns.deadline_reminder", "ru", **DEADLINE)
    assert "ждёт вашего ответа" in reminder


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_refund_reminder_names_the_agreed_amount(renderer: Renderer, locale: str) -> None:
    params = {**DEADLINE, "kind": "refund", "recipient": "seller"}
    text = renderer.render("returns.deadline_reminder", locale, **params)
    assert "3" in text and ("€" in text or "EUR" in text), text
    assert telegram_html_problems(text) == []
