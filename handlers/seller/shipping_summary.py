"""The shipping document's summary: the review with compliance findings, and confirming it
into a shipment, its printable PDF and the buyer's link."""

from __future__ import annotations

from aiogram import Bot
from aiogram.utils.deep_linking import create_start_link
from markupsafe import Markup

from domain.compliance import Finding
from domain.drafts import ShippingDraft
from domain.services.shipping import confirming
from handlers.responder import Keyboard, Responder
from handlers.seller.shipping_comparison import plain
from handlers.seller.shipping_pdf import shipping_document
from handlers.seller.shipping_steps import CONTROLS, ShippingTurn, photo_threshold
from handlers.shipping_callbacks import ShippingForm, ShippingFormAction


def _findings(responder: Responder, findings: list[Finding]) -> list[Markup]:
    # Each finding's text comes from its own template (already escaped HTML).
    return [Markup(responder.text(f.message_key, **f.params)) for f in findings]  # noqa: S704


async def ask_summary(turn: ShippingTurn, draft: ShippingDraft) -> None:
    responder = turn.ctx.responder
    review = await confirming.review_document(
        turn.ctx.user_id, draft, photo_threshold(turn), turn.ctx.uow
    )
    order, quote = review.order, review.option.quote
    await turn.save(draft, shown_warnings=review.warning_rules)
    if review.blockers:
        confirm: Keyboard = []
    elif review.warnings:
        confirm = CONTROLS.single_button(
            "shipping.ack_and_confirm", ShippingFormAction.ACK_WARNINGS
        )
    else:
        confirm = CONTROLS.single_button("shipping.confirm", ShippingFormAction.CONFIRM)
    responder.reply(
        "shipping.summary",
        order_number=order.number,
        lines=[
            {
                "name": line.product_name,
                "sku": line.sku,
                "quantity": draft.quantities.get(line.id, 0),
            }
            for line in order.lines
            if draft.quantities.get(line.id, 0) > 0
        ],
        partial=draft.is_partial({line.id: line.quantity for line in order.lines}),
        declared_value=draft.declared_value,
        currency=draft.currency,
        weight=plain(draft.weight_kg),
        dimensions=[plain(side) for side in draft.dimensions_cm or ()],
        goods=[responder.label(f"shipping.goods_{g}") for g in draft.goods],
        warehouse=review.warehouse.name,
        method=responder.label(quote.name_key),
        cost=None if quote.cost is None else quote.cost.amount,
        cost_currency=None if quote.cost is None else quote.cost.currency,
        carrier=draft.carrier,
        tracking=review.tracking.value,
        photo=draft.photo_file_id is not None,
        blockers=_findings(responder, review.blockers),
        warnings=_findings(responder, review.warnings),
        keyboard=[*confirm, turn.navigation],
    )


async def confirm(turn: ShippingTurn, draft: ShippingDraft, callback_data: ShippingForm) -> None:
    responder = turn.ctx.responder
    acknowledged = []
    if callback_data.action == ShippingFormAction.ACK_WARNINGS:
        acknowledged = list(turn.scratch("shown_warnings") or [])
    confirmation = await confirming.confirm_document(
        turn.ctx.user_id, draft, acknowledged, photo_threshold(turn), turn.ctx.uow
    )
    if turn.message_id is not None:
        responder.remove_buttons(turn.message_id)
    if confirmation.status == "blocked":
        responder.reply(
            "shipping.blocked",
            blockers=_findings(responder, confirmation.review.blockers),
            keyboard=[turn.navigation],
        )
        return
    if confirmation.status == "needs_acknowledgement":
        responder.reply("shipping.warnings_changed")
        await ask_summary(turn, draft)
        return
    await turn.ctx.state.clear()
    filename, pdf = await shipping_document(confirmation, responder)
    order = confirmation.review.order
    responder.document(
        filename,
        pdf,
        "shipping.document_caption",
        order_number=order.number,
        tracking=confirmation.shipment.tracking_number,
    )
    # The link needs the bot's username: aiogram's cached getMe (filled at start-up), so no
    # request to Telegram while the transaction is open. None: the buyer follows it already.
    bot: Bot = turn.extra["bot"]
    token = confirmation.buyer_token
    link = await create_start_link(bot, token) if token is not None else None
    responder.reply(
        "shipping.done",
        order_number=order.number,
        link=link,
        partial=confirmation.shipment.is_partial,
    )
