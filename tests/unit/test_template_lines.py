"""No template glues two of its lines together.

The templates are rendered with `trim_blocks` (`templates/renderer.py`): the newline right after
a block tag (`{% endif %}`, `{% endtrans %}`, `{% endfor %}`, …) is dropped. A line that prints
something and ends with such a tag therefore runs into whatever the next line prints — "…back:"
and the tracking number, "…to your warehouse.Tracking number: …", a list on one line — unless
a blank line stands between them, or the next line begins with a space or punctuation that
joins on purpose ("{{ name }}{% if sku %} ({{ sku }}){% endif %}").

Rendering with sample data would see only the branches the samples take, so this reads the
compiled templates instead: it follows every way through each one (each branch of an `if`, a
loop run none, once or twice) and fails when printed text from one source line can be followed
directly by printed text from a later line with no whitespace between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest
from jinja2 import Environment, FileSystemLoader, nodes

from templates.renderer import MESSAGES_DIR

# The renderer's options (`templates/renderer.py`), with no catalog: what a template's text is.
ENVIRONMENT = Environment(
    loader=FileSystemLoader(MESSAGES_DIR),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
ENVIRONMENT.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Piece:
    """Printed output as far as joining goes: the line it comes from and whether it begins and
    ends with whitespace (an expression's value is taken to be a word)."""

    line: int  # where it begins
    end_line: int  # where it ends (text may run over several lines)
    starts_blank: bool
    ends_blank: bool
    text: str


def _pieces(output: nodes.Output) -> Iterable[Piece]:
    for child in output.nodes:
        if isinstance(child, nodes.TemplateData):
            if child.data:
                end = child.lineno + child.data.count("\n")
                blank = child.data[0].isspace(), child.data[-1].isspace()
                yield Piece(child.lineno, end, *blank, child.data)
        else:
            yield Piece(child.lineno, child.lineno, False, False, "{{…}}")


Glued = tuple[int, str, int, str]


class Walker:
    """Which printed pieces can follow which, over every path through a template body."""

    def __init__(self) -> None:
        self.glued: set[Glued] = set()

    def body(self, body: Iterable[nodes.Node], before: frozenset[Piece]) -> frozenset[Piece]:
        for node in body:
            before = self.node(node, before)
        return before

    def node(self, node: nodes.Node, before: frozenset[Piece]) -> frozenset[Piece]:
        if isinstance(node, nodes.Output):
            for piece in _pieces(node):
                for last in before:
                    if (
                        not last.ends_blank
                        and not piece.starts_blank
                        and piece.line > last.end_line
                    ):
                        self.glued.add(
                            (last.end_line, last.text[-30:], piece.line, piece.text[:30])
                        )
                before = frozenset({piece})
            return before
        if isinstance(node, nodes.If):
            after = self.body(node.body, before)
            for elif_ in node.elif_:
                after |= self.body(elif_.body, before)
            return after | self.body(node.else_, before)
        if isinstance(node, nodes.For):
            once = self.body(node.body, before)
            twice = self.body(node.body, once)
            return before | once | twice | self.body(node.else_, before)
        if isinstance(node, nodes.Include):
            if isinstance(node.template, nodes.Const):  # a partial: its own lines, in place
                return self.body(_parsed(node.template.value).body, before)
            return frozenset({Piece(node.lineno, node.lineno, False, False, "{% include %}")})
        if isinstance(node, nodes.Macro):
            self.body(node.body, frozenset())  # its own lines, checked where it is written
            return before
        if isinstance(node, (nodes.With, nodes.Scope, nodes.ScopedEvalContextModifier)):
            return self.body(node.body, before)
        return before  # {% set %} and the like print nothing


def _parsed(name: str) -> nodes.Template:
    return ENVIRONMENT.parse((MESSAGES_DIR / name).read_text("utf-8"))


def glued_lines(name: str) -> list[Glued]:
    walker = Walker()
    walker.body(_parsed(name).body, frozenset())
    return sorted(walker.glued)


TEMPLATES = sorted(str(p.relative_to(MESSAGES_DIR)) for p in MESSAGES_DIR.rglob("*.html"))


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_line_runs_into_the_next(name: str) -> None:
    assert glued_lines(name) == []


def test_the_check_sees_a_line_that_loses_its_break() -> None:
    # The shape of the old return-shipped notice: a line ending in a block tag, then the number.
    source = "{% if a %}\n{% trans %}back:{% endtrans %}\n{% endif %}\n<code>{{ n }}</code>\n"
    assert ENVIRONMENT.from_string(source).render(a=True, n="RB1") == "back:<code>RB1</code>"
    walker = Walker()
    walker.body(ENVIRONMENT.parse(source).body, frozenset())
    assert walker.glued == {(2, "{{…}}", 4, "<code>")}
    # A blank line between them, or a space that joins on purpose, is fine.
    for fine in (
        source.replace("{% endif %}\n", "{% endif %}\n\n"),
        "{{ a }}{% if b %} ({{ b }}){% endif %}\n",
    ):
        walker = Walker()
        walker.body(ENVIRONMENT.parse(fine).body, frozenset())
        assert walker.glued == set()
