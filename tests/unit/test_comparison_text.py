"""The logistics comparison as the seller reads it: no method heading stands empty (without a
lane one line says so; a method the lane has no rate for says it on its own line), and the
bot's example card is named in the reader's language, never by its file's English label."""

from __future__ import annotations

from typing import Any

import pytest

from templates import Renderer
from tests.template_samples import SAMPLES

EXAMPLE_LABEL = "EXAMPLE RATES — replace with your own"


def _option(name: str, method: str, **changes: Any) -> dict[str, Any]:
    option = dict(SAMPLES["shipping.comparison"]["options"][0])
    option.update(name=name, method=method, **changes)
    return option


def _params(**changes: Any) -> dict[str, Any]:
    params = dict(SAMPLES["shipping.comparison"])
    params.update(
        card_label=EXAMPLE_LABEL,
        example_rates=True,
        all_blocked=False,
        origin="VN",
        destination="FR",
        options=[
            _option("International express", "express", cost=None, reasons=["logistics.no_lane"]),
            _option("Sea freight", "sea", cost=None, reasons=["logistics.no_lane"]),
        ],
    )
    params.update(changes)
    return params


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def test_without_a_lane_no_method_gets_a_heading(renderer: Renderer) -> None:
    text = renderer.render("shipping.comparison", "en", **_params(lane=None))
    assert "The rate card has no lane from Vietnam to France" in text
    assert "<b>International express</b>" not in text and "<b>Sea freight</b>" not in text


def test_a_method_without_a_rate_on_the_lane_says_so_on_its_line(renderer: Renderer) -> None:
    lane = {"from_kind": "country", "from_name": "VN", "to_kind": "zone", "to_name": "europe"}
    options = [
        dict(SAMPLES["shipping.comparison"]["options"][0]),  # priced
        _option(
            "Sea freight", "sea", cost=None, reasons=["logistics.not_on_lane_sea"], budget="none"
        ),
    ]
    text = renderer.render("shipping.comparison", "en", **_params(lane=lane, options=options))
    lines = text.splitlines()
    assert (
        "<b>Sea freight</b> · 🚫 Not available: no sea freight from Vietnam to France on the "
        "rate card."
    ) in lines
    # The next line is another method's or the closing text, never this one's leftovers.
    after = lines[
        lines.index(
            "<b>Sea freight</b> · 🚫 Not available: no sea freight from "
            "Vietnam to France on the rate card."
        )
        + 1
    ]
    assert after == ""


@pytest.mark.parametrize("locale", ["en", "es", "fr", "pt_BR", "ru", "zh_Hans"])
def test_the_example_card_is_named_in_the_readers_language(renderer: Renderer, locale: str) -> None:
    comparison = renderer.render("shipping.comparison", locale, **_params(lane=None))
    rates = renderer.render(
        "logistics.rates_show",
        locale,
        **{**SAMPLES["logistics.rates_show"], "label": EXAMPLE_LABEL, "example": True},
    )
    for text in (comparison, rates):
        assert EXAMPLE_LABEL not in text
    expected = {
        "en": "example rate card",
        "es": "tarifa de ejemplo",
        "fr": "grille d’exemple",
        "pt_BR": "tabela de exemplo",
        "ru": "примерной тарифной сетки",
        "zh_Hans": "示例运费表",
    }
    assert expected[locale] in comparison
