"""What every PDF the bot prints shares: the fonts (built into every PDF reader, so no font
files) and the A4 page the content is laid out on."""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, SimpleDocTemplate

# Chinese, and Cyrillic too; Helvetica covers Latin-1 and a few signs.
CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


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
