"""/compliance: operators read the compliance findings of shipping documents, newest first."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from markupsafe import Markup

from domain.services import compliance_review
from handlers.callbacks import ReviewAction, ReviewStep
from handlers.command_filters import any_case_command
from handlers.context import UpdateContext
from handlers.lists import page_count, paging_row


async def _show(ctx: UpdateContext, page: int) -> None:
    findings, total = await compliance_review.recent_findings(
        ctx.user_id, ctx.config.operator_ids, page, ctx.uow
    )
    entries = [
        {
            "finding": finding,
            # Rendered by its own template, whose parameters are escaped there.
            "text": Markup(ctx.responder.text(finding.message_key, **finding.params)),  # noqa: S704
        }
        for finding in findings
    ]
    paging = paging_row(
        page,
        page_count(total, compliance_review.PAGE_SIZE),
        lambda to: ReviewAction(step=ReviewStep.FINDINGS, page=to),
    )
    ctx.responder.reply(
        "review.findings", entries=entries, total=total, page=page + 1, keyboard=[paging]
    )


async def compliance_command(message: Message, ctx: UpdateContext) -> None:
    await _show(ctx, 0)


async def findings_page(
    query: CallbackQuery, callback_data: ReviewAction, ctx: UpdateContext
) -> None:
    await _show(ctx, max(callback_data.page, 0))


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(compliance_command, any_case_command("compliance"))
    router.callback_query.register(
        findings_page, ReviewAction.filter(F.step == ReviewStep.FINDINGS)
    )
    return router
