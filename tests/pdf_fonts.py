"""Reading back a PDF the bot printed: its text, and a check that each run of text is set in a
font that has a glyph for every character of it (a character a font lacks still extracts as
text, but prints as a box or nothing)."""

from __future__ import annotations

import io
import re
from pathlib import Path

from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFontFile

import templates

_DEJAVU = frozenset(
    TTFontFile(str(Path(templates.__file__).with_name("fonts") / "DejaVuSans.ttf")).charToGlyph
)
# What STSong-Light (Adobe-GB1) is known to draw that DejaVu does not: CJK punctuation, the
# ideographs and the full-width forms.
_CJK = re.compile("[\u3000-\u303f\u4e00-\u9fa5\uff01-\uff5e\uffe0-\uffe5]*")
_SPACES = re.compile("[\u00a0\u202f]")


def pdf_text(pdf: bytes) -> str:
    """The text of every page, no-break spaces read as spaces."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return _SPACES.sub(" ", "\n".join(page.extract_text() for page in pages))


def runs_not_drawn(pdf: bytes) -> list[tuple[str, str]]:
    """Each (font, text) run whose font lacks a character of it; [] when every glyph prints.
    Only the barcode's digits may be set in a PDF's standard fonts (ASCII)."""
    runs: list[tuple[str, str]] = []

    def visit(text: str, cm: object, tm: object, font: dict | None, size: float) -> None:
        if text.strip():
            runs.append((str(font["/BaseFont"]) if font else "", text.strip()))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    assert runs, "no text in the PDF"
    bad = []
    for font, text in runs:
        chars = text.replace("\n", "")
        if font.endswith("+DejaVuSans"):
            drawn = all(ord(char) in _DEJAVU for char in chars)
        elif font == "/STSong-Light":
            drawn = _CJK.fullmatch(chars) is not None
        else:
            drawn = font in ("/Courier", "/Helvetica") and chars.isascii()
        if not drawn:
            bad.append((font, text))
    return bad
