"""The transcript of a return case: `/transcript R-1042`, `/transcript` in a case's thread, or
the case's Transcript button (on its card, and in the operators' `/escalated`,
`handlers.operator.disputes`) gives the case's two sides (and operators, once it is in a
platform dispute) a PDF and a plain-text file of the whole case.

Who may read is the service's (`domain.services.return_transcript`): anyone else reads "not
found". The files are rendered off the event loop (`asyncio.to_thread`): a long case must not
stall every other chat.
"""

from __future__ import annotations

import asyncio

from aiogram import F, Router
from aiogram.filters import CommandObject
from aiogram.types import CallbackQuery, Message

from domain.returns.rules import EvidenceKind, MessageKind
from domain.returns.threads import RouteKind, parse_case_number
from domain.services import return_relay, return_transcript
from handlers import returns_relay
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.return_callbacks import CaseAct, CaseButton
from templates.return_transcript import render_transcript_pdf, render_transcript_text


async def send_transcript(ctx: UpdateContext, case_id: int) -> None:
    transcript = await return_transcript.transcript(
        ctx.user_id, case_id, ctx.config.operator_ids, ctx.uow
    )
    renderer, locale = ctx.responder.renderer, ctx.responder.locale
    pdf, text = await asyncio.gather(
        asyncio.to_thread(render_transcript_pdf, transcript, renderer, locale),
        asyncio.to_thread(render_transcript_text, transcript, renderer, locale),
    )
    name = f"return-{transcript.case_number}"
    ctx.responder.document(
        f"{name}.pdf",
        pdf,
        "returns.transcript_caption",
        case=transcript.case_number,
        zone=transcript.time_zone,  # the caption names the clock the transcript is on
    )
    ctx.responder.document(f"{name}.txt", text)


async def _case_of_thread(message: Message, ctx: UpdateContext) -> int | None:
    """The case `/transcript` was sent about without naming it: the case's topic it was sent
    in, the case message it answers, or the case chosen with /case (the relay's own routing,
    every candidate checked against the caller)."""
    reply = message.reply_to_message
    incoming = return_relay.Incoming(
        chat_id=message.chat.id,
        telegram_message_id=message.message_id,
        kind=MessageKind.TEXT,
        text=None,
        telegram_file_id=None,
        thread_id=message.message_thread_id if message.is_topic_message else None,
        # In a topic, Telegram marks the topic's creation as the message replied to.
        reply_to_telegram_id=(
            reply.message_id if reply is not None and reply.forum_topic_created is None else None
        ),
    )
    chosen = (await ctx.state.get_data()).get(returns_relay.CHOSEN_KEY)
    route = await return_relay.find_route(
        ctx.user_id, incoming, chosen if isinstance(chosen, int) else None, ctx.uow
    )
    return route.case_id if route.kind is RouteKind.RELAY else None


async def transcript_command(message: Message, command: CommandObject, ctx: UpdateContext) -> None:
    """`/transcript R-1042`, or `/transcript` in a case's thread."""
    if command.args and command.args.strip():
        case_id = parse_case_number(command.args)
    else:
        case_id = await _case_of_thread(message, ctx)
    if case_id is None:
        ctx.responder.reply("returns.transcript_usage")
        return
    await send_transcript(ctx, case_id)


async def transcript_pressed(
    query: CallbackQuery, callback_data: CaseAct, ctx: UpdateContext
) -> None:
    # The side in the button is not trusted: the service looks the caller up on both sides.
    await send_transcript(ctx, callback_data.case_id)


async def evidence_pressed(
    query: CallbackQuery, callback_data: CaseAct, ctx: UpdateContext
) -> None:
    """Each photo and video of the case, captioned with whose it is and when it came; who may
    see them is the transcript's rule (the service checks the caller, not the button)."""
    evidence = await return_transcript.evidence(
        ctx.user_id, callback_data.case_id, ctx.config.operator_ids, ctx.uow
    )
    if not evidence.files:
        ctx.responder.answer_callback(query.id, "returns.no_evidence")
        return
    for number, item in enumerate(evidence.files, start=1):
        caption = ctx.responder.text(
            "returns.evidence_caption",
            case=evidence.case_number,
            side=item.side.value,
            number=number,
            total=len(evidence.files),
            at=item.added_at,
            time_zone=evidence.time_zone,
        )
        ctx.responder.resend_file(
            item.telegram_file_id,
            is_photo=item.kind is EvidenceKind.PHOTO,
            is_video=item.kind is EvidenceKind.VIDEO,
            caption=caption,
        )


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(transcript_command, any_case_command("transcript"))
    router.callback_query.register(
        transcript_pressed, CaseAct.filter(F.action == CaseButton.TRANSCRIPT)
    )
    router.callback_query.register(
        evidence_pressed, CaseAct.filter(F.action == CaseButton.EVIDENCE)
    )
    return router
