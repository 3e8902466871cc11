"""/compliance: operators read the compliance findings of shipping documents, newest first."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message, User
from markupsafe import Markup

from domain.services import compliance_review
from domain.unit_of_work import UnitOfWork
from handlers.callbacks import ReviewAction, ReviewStep
from handlers.config import HandlerConfig
from handlers.lists import page_count, paging_row
from handlers.responder import Responder


async def _show(
    user_id: int, page: int, config: HandlerConfig, uow: UnitOfWork, responder: Responder
) -> None:
    findings, total = await compliance_review.recent_findings(
        user_id, config.operator_ids, page, uow
    )
    entries = [
        {
            "finding": finding,
            # Rendered by its own template, whose parameters are escaped there.
            "text": Markup(responder.text(finding.message_key, **finding.params)),  # noqa: S704
        }
        for finding in findings
    ]
    paging = paging_row(
        page,
        page_count(total, compliance_review.PAGE_SIZE),
        lambda to: ReviewAction(step=ReviewStep.FINDINGS, page=to),
    )
    responder.reply(
        "review.findings", entries=entries, total=total, page=page + 1, keyboard=[paging]
    )


async def compliance_command(
    message: Message,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    await _show(event_from_user.id, 0, config, uow, responder)


async def findings_page(
    query: CallbackQuery,
    callback_data: ReviewAction,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
    config: HandlerConfig,
) -> None:
    await _show(event_from_user.id, max(callback_data.page, 0), config, uow, responder)


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(compliance_command, Command("compliance"))
    router.callback_query.register(
        findings_page, ReviewAction.filter(F.step == ReviewStep.FINDINGS)
    )
    return router
