"""The transcript files render in every language: the text file lists every offer in order
with UTC times (the buyer's copy on their clock), and the PDF holds the same offers, every
character (Latin, Cyrillic, Chinese) set in a font that draws it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.locales import SUPPORTED_LOCALES
from domain.returns.rules import Side
from domain.services import return_transcript
from templates import Renderer
from templates.return_transcript import render_transcript_pdf, render_transcript_text, stamp
from tests.pdf_fonts import pdf_text, runs_not_drawn

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def offer(number: int, side: Side, amount: str, status: str) -> return_transcript.TranscriptOffer:
    return return_transcript.TranscriptOffer(
        number=number,
        at=AT + timedelta(hours=number),
        side=side,
        resolution="refund_partial",
        amount=Decimal(amount),
        postage_payer=None,
        warehouse=None,
        days=None,
        status=status,
        answered_at=None,
        replaces=number - 1 or None,
    )


TRANSCRIPT = return_transcript.Transcript(
    case_number="R-1042",
    order_number="8123<45>",
    store_name="Квокка 商店 & <Co>",
    status="resolved",
    reason="damaged",
    comment="Коробка смята 📦",
    wanted="refund_partial",
    currency="EUR",
    paid=Decimal("7.00"),
    out_of_policy=(),
    opened_at=AT,
    closed_at=AT + timedelta(days=2),
    items=(return_transcript.TranscriptItem("Phone case", "PC-1", 2, Decimal("3.50")),),
    timeline=(
        return_transcript.TranscriptStep(AT, Side.BUYER, "opened"),
        return_transcript.TranscriptStep(AT, None, "offer_lapsed"),
    ),
    offers=(
        offer(1, Side.BUYER, "3.50", "countered"),
        offer(2, Side.SELLER, "2.10", "countered"),
        offer(3, Side.BUYER, "3.25", "accepted"),
    ),
    messages=(
        return_transcript.TranscriptMessage(
            AT, Side.BUYER, "text", "call me at [phone]", ("phone",), None
        ),
    ),
    evidence=(return_transcript.TranscriptEvidence(AT, Side.BUYER, "photo", "uniq-1"),),
    agreed=None,
    return_tracking_number=None,
    inspection_note=None,
    refund_amount=Decimal("3.25"),
    refund_reference="PAY-1",
    decline_reason=None,
    escalated_at=None,
    escalated_by=None,
    generated_at=AT + timedelta(days=3),
)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_both_files_hold_every_offer_in_order(renderer: Renderer, locale: str) -> None:
    text = render_transcript_text(TRANSCRIPT, renderer, locale).decode()
    positions = [text.index(f"#{n} ") for n in (1, 2, 3)]
    assert positions == sorted(positions)
    assert "2026-11-25 13:00:00 UTC" in text and "uniq-1" in text and "PAY-1" in text
    pdf = render_transcript_pdf(TRANSCRIPT, renderer, locale)
    assert runs_not_drawn(pdf) == []
    extracted = pdf_text(pdf)
    assert extracted.index("#1") < extracted.index("#2") < extracted.index("#3")
    # Cyrillic and Chinese side by side, in every language; the emoji alone is left out.
    assert "Квокка 商店 & <Co>" in extracted and "Коробка смята" in extracted
    assert "📦" not in extracted and "→" in extracted


def test_a_buyer_reads_the_transcript_on_their_clock(renderer: Renderer) -> None:
    """Every time in the buyer's zone, each with the offset it had then; the store's copy in UTC."""
    buyers = dataclasses.replace(TRANSCRIPT, time_zone="Asia/Shanghai")
    text = render_transcript_text(buyers, renderer, "en").decode()
    assert "#1 2026-11-25 21:00:00 UTC+08:00" in text
    assert "2026-11-28 20:00:00 UTC+08:00" in text  # generated
    assert " UTC\n" not in text and "13:00:00 UTC " not in text
    assert stamp(AT, "America/New_York") == "2026-11-25 07:00:00 UTC-05:00"
    assert stamp(AT, "Asia/Kolkata") == "2026-11-25 17:30:00 UTC+05:30"
    assert stamp(AT, "UTC") == "2026-11-25 12:00:00 UTC"
    assert stamp(None, "Asia/Shanghai") == ""


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_an_escalated_case_reads_as_escalated_not_closed(renderer: Renderer, locale: str) -> None:
    """Escalating closes nothing: the case is frozen as it stood, its open offer with it. The
    transcript says when it was escalated, and that the offer was open when the dispute began
    (nobody can answer it any more), not "Closed" and "open"."""
    escalated = dataclasses.replace(
        TRANSCRIPT,
        status="escalated",
        offers=(offer(1, Side.BUYER, "3.50", "countered"), offer(2, Side.SELLER, "2.10", "open")),
        refund_amount=None,
        refund_reference=None,
        escalated_at=AT + timedelta(days=2),
        escalated_by=Side.BUYER,
    )
    text = render_transcript_text(escalated, renderer, locale).decode()
    lines = text.splitlines()

    def words(key: str) -> str:
        return renderer.label(f"transcript.{key}", locale)

    assert f"{words('escalated')}: 2026-11-27 12:00:00 UTC" in lines
    assert not [line for line in lines if line.startswith(f"{words('closed')}: ")]
    [frozen] = [line for line in lines if line.startswith("#2 ")]
    assert f"→ {words('offer_frozen')} · " in frozen
    # A case still open lists its open offer as open.
    negotiating = dataclasses.replace(escalated, status="negotiating", closed_at=None)
    text = render_transcript_text(negotiating, renderer, locale).decode()
    [still_open] = [line for line in text.splitlines() if line.startswith("#2 ")]
    assert f"→ {words('offer_open')} · " in still_open


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_caption_names_the_clock_the_transcript_is_on(locale: str) -> None:
    """A buyer's transcript is on their zone: its caption says so, never "UTC"."""
    renderer = Renderer()
    utc = renderer.render("returns.transcript_caption", locale, case="R-1", zone="UTC")
    paris = renderer.render("returns.transcript_caption", locale, case="R-1", zone="Europe/Paris")
    assert "UTC" in utc and "UTC" not in paris
    assert renderer.time_zone("Europe/Paris", None, locale) in paris
