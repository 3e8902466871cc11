"""Chinese texts set no space beside full-width punctuation and no ASCII punctuation between
Chinese characters; lists are enumerated with the ideographic comma. Checked on what the seller
reads: the messages of the import, rate card and costs features rendered in zh_Hans."""

from __future__ import annotations

import re

import pytest

from templates import Renderer
from templates.renderer import all_template_names
from tests.template_samples import SAMPLES

FEATURES = ("import.", "rates.", "logistics.", "budget.", "files.")
FULL_WIDTH = "，。；：！？、（）「」『』【】"
CJK = "\u3400-\u9fff"
PROBLEMS = {
    "space beside full-width punctuation": re.compile(rf"[ \t][{FULL_WIDTH}]|[{FULL_WIDTH}][ \t]"),
    # `&lt;` and the like are escaped user text, not punctuation.
    "ASCII punctuation beside a Chinese character": re.compile(
        rf"[{CJK}][,;:!?]|(?<!&[a-z]{{2}})(?<!&[a-z]{{3}})[,;:!?][{CJK}]"
    ),
}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.mark.parametrize(
    "name", [name for name in all_template_names() if name.startswith(FEATURES)]
)
def test_chinese_punctuation_is_set_the_chinese_way(renderer: Renderer, name: str) -> None:
    text = renderer.render(name, "zh_Hans", **SAMPLES[name])
    found = [
        f"{problem}: {line!r}"
        for line in text.splitlines()
        for problem, pattern in PROBLEMS.items()
        if pattern.search(line)
    ]
    assert found == []


def test_the_import_help_joins_its_sentences_without_spaces(renderer: Renderer) -> None:
    text = renderer.render("import.help", "zh_Hans", **SAMPLES["import.help"])
    assert "行）。第一行为列名；其余每行是一个订单行。同一订单" in text
    assert "order_number、currency" in text
    # Every other language keeps its spaces and commas.
    english = renderer.render("import.help", "en", **SAMPLES["import.help"])
    assert "rows). The first row" in english and "order_number, currency" in english


def test_lists_are_escaped_item_by_item(renderer: Renderer) -> None:
    assert str(Renderer.series(["a<b>", "c"], "zh_Hans")) == "a&lt;b&gt;、c"
    assert str(Renderer.series(["a", "c&d"], "fr")) == "a, c&amp;d"
    # A parameter stored as one text before it was a list stays that text.
    assert str(Renderer.series("colour, size", "en")) == "colour, size"


def test_spaces_stay_where_chinese_keeps_them() -> None:
    # Between Chinese and Latin letters or digits a space is usual; only the one beside
    # full-width punctuation goes.
    assert Renderer.punctuated("最大 20 MB。 第一行：  A", "zh_Hans") == "最大 20 MB。第一行：A"
    assert Renderer.punctuated("Done. Next", "zh_Hans") == "Done. Next"
    assert Renderer.punctuated("最大。 第一行", "en") == "最大。 第一行"
