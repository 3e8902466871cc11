"""What every PDF the bot prints shares: the fonts, how text is set in them, and the A4 page.

Two fonts, so that every script the six locales and the users' own text can hold is drawn:
- DejaVu Sans (`templates/fonts`, embedded as a subset of the characters used): Latin with
  every accent (Polish, Vietnamese...), Cyrillic, Greek and most signs (→, ✓, ₽, ₫). Helvetica,
  built into readers, has only Latin-1, and STSong-Light sets Cyrillic in full-width cells.
- STSong-Light, the Chinese font PDF readers provide (not embedded: megabytes), for the Chinese
  and Japanese characters and the full-width forms DejaVu lacks.
Each character is set in the first of the two that has it (`markup`), run by run, so a Russian
address and a Chinese product share a line. Emoji, which neither has, are left out (they
decorate names; a label needs none); any other character neither has prints as "�", so the
reader sees that something is missing rather than a gap or a black square.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate

TEXT_FONT = "DejaVuSans"
CJK_FONT = "STSong-Light"
pdfmetrics.registerFont(
    TTFont(TEXT_FONT, str(Path(__file__).with_name("fonts") / "DejaVuSans.ttf"))
)
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))

_TEXT_CHARS = frozenset(pdfmetrics.getFont(TEXT_FONT).face.charToGlyph)
# What STSong-Light's collection (Adobe-GB1, made for GB 18030) surely draws, beyond what DejaVu
# has: CJK punctuation, kana, bopomofo, the ideographs of GB 18030 (URO and Extension A) and
# the full-width forms. Blocks it covers only in part are left out, so they print as "�".
_CJK = re.compile("[\u3000-\u312f\u3400-\u4db5\u4e00-\u9fa5\uff01-\uff5e\uffe0-\uffe5]")
MISSING = "\ufffd"
_BREAKS = re.compile("[ \t\n]+")


def font_for(char: str) -> str | None:
    """The font that draws `char`, DejaVu first; None when neither does."""
    if ord(char) in _TEXT_CHARS:
        return TEXT_FONT
    if _CJK.match(char):
        return CJK_FONT
    return None


def _placed(char: str) -> tuple[str, str] | None:
    """(font, character to set) for one character of a text; ("", "\n") for a line break."""
    if char == "\n":
        return "", char
    if unicodedata.category(char) == "Cc":
        return TEXT_FONT, " "
    font = font_for(char)
    if font is not None:
        return font, char
    # Pictographs and skin tones (So, Sk), and the joiners, selectors and tags between them.
    if unicodedata.category(char) in ("So", "Sk", "Mn", "Me", "Cf"):
        return None
    return TEXT_FONT, MISSING


def runs(text: str) -> Iterator[tuple[str, str]]:
    """`text` as (font, text) runs, each character in a font that draws it; line breaks are
    runs with font ""."""
    placed = (found for found in map(_placed, text) if found is not None)
    for font, group in groupby(placed, key=itemgetter(0)):
        yield font, "".join(char for _, char in group)


def markup(text: str) -> str:
    """`text` as Paragraph markup for a style in TEXT_FONT: escaped, CJK runs in their font."""
    out = []
    for font, chunk in runs(text):
        if font == "":
            out.append("<br/>" * len(chunk))
        elif font == TEXT_FONT:
            out.append(escape(chunk))
        else:
            out.append(f'<font name="{font}">{escape(chunk)}</font>')
    return "".join(out)


def paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """`text` (what a user or a catalog wrote) as a Paragraph: nothing in it is markup."""
    return Paragraph(markup(text), style)


def text_style(name: str, size: float, leading: float, **more: object) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=TEXT_FONT, fontSize=size, leading=leading, **more)


def widest_word(text: str, size: float) -> float:
    """The width in points of the widest word of `text` at `size`: the narrowest a column can
    be without a line breaking inside that word."""
    widest = 0.0
    # Only ordinary spaces break a line: Babel joins an amount and its currency with no-break ones.
    for word in _BREAKS.split(text):
        width = sum(
            pdfmetrics.stringWidth(chunk, font or TEXT_FONT, size) for font, chunk in runs(word)
        )
        widest = max(widest, width)
    return widest


def column_widths(
    total: float,
    wanted: Sequence[float],
    unbroken: Sequence[Sequence[str]],
    size: float,
    *,
    grow: int,
) -> list[float]:
    """A table's column widths in points, adding up to `total`: each column as `wanted`, widened
    so that no word of its `unbroken` texts (its header, its amounts) breaks inside, at `size`;
    column `grow` takes what the others leave. A label's length differs in every language
    ("Оплачиваемый" is much wider than "Chargeable"), so fixed widths would cut some of them."""
    # A Table pads each cell by 6 points on the left and on the right.
    least = [max([0.0] + [widest_word(text, size) + 12 for text in texts]) for texts in unbroken]
    widths = [max(width, fitted) for width, fitted in zip(wanted, least, strict=True)]
    widths[grow] = max(least[grow], total - (sum(widths) - widths[grow]))
    return widths


def a4_pdf(story: Sequence[Flowable], *, title: str, margins_mm: tuple[int, int]) -> bytes:
    """`story` laid out on A4 pages, as PDF bytes; `margins_mm`: (left and right, top and
    bottom)."""
    side, top = margins_mm
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=side * mm,
        rightMargin=side * mm,
        topMargin=top * mm,
        bottomMargin=top * mm,
        title=title,
        author="sellerbot",
    ).build(list(story))
    return buffer.getvalue()
