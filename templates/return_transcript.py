"""The transcript of a return case as a plain-text file and as a PDF: the same sections, in the
reader's language, with every time on the reader's clock (`Transcript.time_zone`: the buyer's own
zone for the buyer, UTC for the store and operators), each with its offset.

Both are built from `domain.services.return_transcript.Transcript`; the words are labels from
the gettext catalogs (`transcript.*` and the case's own labels). What people wrote is printed
as it was stored (contact details already masked), escaped for the PDF's markup. The PDF's
fonts are `templates.pdf`'s: every script drawn, character by character; emoji, which none of
them has, are left out of the PDF only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable

from domain.model.return_disputes import OUTCOME_EVENTS
from domain.returns.rules import Side
from domain.services import return_transcript
from templates.pdf import a4_pdf, paragraph, text_style
from templates.renderer import Renderer

Section = tuple[str, list[str]]


def stamp(moment: datetime | None, zone: str) -> str:
    """A moment as a record of evidence writes it: to the second, on the reader's clock, with
    the offset that clock had then (``2026-11-25 22:30:00 UTC+08:00``), or ``... UTC``."""
    if moment is None:
        return ""
    try:
        local = moment.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        local = moment.astimezone(UTC)
    offset = local.utcoffset()
    if zone == "UTC" or offset is None:
        return local.strftime("%Y-%m-%d %H:%M:%S UTC")
    sign = "-" if offset < timedelta(0) else "+"
    hours, minutes = divmod(abs(offset) // timedelta(minutes=1), 60)
    return f"{local:%Y-%m-%d %H:%M:%S} UTC{sign}{hours:02d}:{minutes:02d}"


class _Words:
    def __init__(self, renderer: Renderer, locale: str) -> None:
        self.renderer, self.locale = renderer, locale

    def __call__(self, key: str, **params: object) -> str:
        return self.renderer.label(key, self.locale, **params)

    def money(self, amount: Decimal, currency: str) -> str:
        return self.renderer.money(amount, currency, self.locale)

    def side(self, side: Side | None) -> str:
        return self(f"transcript.side_{side.value if side else 'bot'}")

    def actor(self, step: return_transcript.TranscriptStep) -> str:
        """Who took a step of the timeline: a side, the platform (its decision, as an operator
        recorded it), or else the bot (a deadline)."""
        if step.side is None and step.action in OUTCOME_EVENTS.values():
            return self("transcript.side_platform")
        return self.side(step.side)


def _terms(words: _Words, offer: return_transcript.TranscriptOffer, currency: str) -> str:
    parts = [words(f"return_resolution.{offer.resolution}")]
    if offer.amount is not None:
        parts.append(words.money(offer.amount, currency))
    if offer.postage_payer:
        parts.append(words(f"return_postage.{offer.postage_payer}"))
    if offer.warehouse:
        parts.append(words("transcript.warehouse", name=offer.warehouse))
    if offer.days:
        parts.append(words("return_offer.days", count=offer.days))
    return " · ".join(parts)


def sections(
    t: return_transcript.Transcript, renderer: Renderer, locale: str
) -> tuple[str, list[Section]]:
    """The title and the sections, each a heading and its lines."""
    words = _Words(renderer, locale)

    def when(moment: datetime | None) -> str:
        return stamp(moment, t.time_zone)

    facts = [
        f"{words('transcript.case')}: {t.case_number}",
        f"{words('transcript.order')}: {t.order_number}",
        f"{words('transcript.store')}: {t.store_name}",
        f"{words('transcript.status')}: {words(f'return_status.{t.status}')}",
        f"{words('transcript.reason')}: {words(f'return_reason.{t.reason}')}",
        f"{words('transcript.wanted')}: {words(f'return_resolution.{t.wanted}')}",
        f"{words('transcript.paid')}: {words.money(t.paid, t.currency)}",
        f"{words('transcript.opened')}: {when(t.opened_at)}",
    ]
    if t.comment:
        facts.append(f"{words('transcript.comment')}: {t.comment}")
    if t.out_of_policy:
        facts.append(words("transcript.out_of_policy"))
    # An escalated case is not closed: it is frozen where it stood, for the platform to decide.
    escalated = t.status == "escalated"
    if t.closed_at:
        ended = "transcript.escalated" if escalated else "transcript.closed"
        facts.append(f"{words(ended)}: {when(t.closed_at)}")
    items = [
        f"{item.product_name}{f' ({item.sku})' if item.sku else ''} × {item.quantity} · "
        f"{words.money(item.unit_price, t.currency)}"
        for item in t.items
    ]
    timeline = [
        f"{when(step.at)} · {words.actor(step)} · {words(f'return_event.{step.action}')}"
        for step in t.timeline
    ]
    offers = []
    for offer in t.offers:
        # Escalating freezes the open offer as it was (`ReturnCase._close`): still "open" in the
        # case, but nobody can answer it any more, so it is not written as open.
        status = "frozen" if escalated and offer.status == "open" else offer.status
        line = (
            f"#{offer.number} {when(offer.at)} · {words.side(offer.side)}: "
            f"{_terms(words, offer, t.currency)} → {words(f'transcript.offer_{status}')}"
        )
        if offer.answered_at:
            line += f" ({when(offer.answered_at)})"
        if offer.replaces:
            line += " · " + words("transcript.replaces", number=offer.replaces)
        offers.append(line)
    messages = []
    for message in t.messages:
        line = f"{when(message.at)} · {words.side(message.side)}"
        if message.kind != "text":
            line += f" [{words(f'transcript.kind_{message.kind}')}]"
        line += f": {message.text or ''}"
        if message.masked:
            line += " " + words("transcript.masked")
        if message.edited_at:
            line += " " + words("transcript.edited", at=when(message.edited_at))
        messages.append(line)
    evidence = [
        f"{when(e.at)} · {words.side(e.side)} · {words(f'transcript.kind_{e.kind}')} · "
        f"{e.file_unique_id}"
        for e in t.evidence
    ]
    outcome = []
    if t.agreed is not None:
        outcome.append(f"{words('transcript.agreed')}: #{t.agreed.number}")
    if t.return_tracking_number:
        outcome.append(f"{words('transcript.return_tracking')}: {t.return_tracking_number}")
    if t.inspection_note:
        outcome.append(f"{words('transcript.inspection')}: {t.inspection_note}")
    if t.refund_amount is not None:
        reference = f" · {t.refund_reference}" if t.refund_reference else ""
        refund = words.money(t.refund_amount, t.currency)
        outcome.append(f"{words('transcript.refund')}: {refund}{reference}")
    if t.decline_reason:
        outcome.append(f"{words('transcript.declined')}: {t.decline_reason}")
    if t.escalated_at:
        outcome.append(
            f"{words('transcript.escalated')}: {when(t.escalated_at)} · {words.side(t.escalated_by)}"
        )
    if t.dispute_outcome:
        decided = [words(f"dispute_outcome.{t.dispute_outcome}")]
        if t.dispute_refund is not None:
            decided.append(words.money(t.dispute_refund, t.currency))
        decided.append(when(t.outcome_recorded_at))
        outcome.append(f"{words('transcript.dispute_outcome')}: {' · '.join(decided)}")
    none = [words("transcript.none")]
    title = f"{words('transcript.title')} {t.case_number}"
    return title, [
        ("", [*facts, words("transcript.generated", at=when(t.generated_at))]),
        (words("transcript.items"), items or none),
        (words("transcript.timeline"), timeline or none),
        (words("transcript.offers"), offers or none),
        (words("transcript.messages"), messages or none),
        (words("transcript.evidence"), evidence or none),
        (words("transcript.outcome"), outcome or none),
    ]


def render_transcript_text(
    t: return_transcript.Transcript, renderer: Renderer, locale: str
) -> bytes:
    """The transcript as UTF-8 text."""
    title, parts = sections(t, renderer, locale)
    out = [title, "=" * len(title)]
    for heading, lines in parts:
        out.append("")
        if heading:
            out += [heading, "-" * len(heading)]
        out += lines
    return ("\n".join(out) + "\n").encode("utf-8")


def render_transcript_pdf(
    t: return_transcript.Transcript, renderer: Renderer, locale: str
) -> bytes:
    """The transcript as a PDF (A4)."""
    title, parts = sections(t, renderer, locale)
    text = text_style("text", 9, 12, spaceAfter=2)
    heading = ParagraphStyle("heading", parent=text, fontSize=11, leading=14, spaceBefore=8)
    big = ParagraphStyle("title", parent=text, fontSize=15, leading=19, spaceAfter=6)
    story: list[Flowable] = [paragraph(title, big)]
    for name, lines in parts:
        if name:
            story.append(paragraph(name, heading))
        story += [paragraph(line, text) for line in lines]
    return a4_pdf(story, title=title, margins_mm=(18, 16))
