"""A review decision's notice carries the buttons to act on it: a seller asked for more
documents (or suspended) adds them straight from the notice, and every notice opens the
warehouse's card. Each press goes through the warehouse menu's own checks, so the same button
pressed by another seller, or after the warehouse was archived, shows nothing of it."""

from __future__ import annotations

from bot.notice_keyboards import NoticeKeyboards
from domain.model import Notification, WarehouseAction, WarehouseStatus
from domain.services import warehouses
from tests.handlers.chat import Chat, HandlerBot
from tests.handlers.factories import make_seller, warehouse_status
from tests.handlers.test_return_notice_buttons import Notice
from tests.reliability.test_shipping_service import make_warehouse
from tests.tracking_fixtures import notifications_to

SELLER, OTHER_SELLER, OPERATOR = 7811, 7812, 7813
ADD, OPEN = "📎 Add documents", "🏭 Open the warehouse"


async def _decide(
    bot: HandlerBot, warehouse_id: int, decision: WarehouseAction, note: str | None = None
) -> Notification:
    """The operator's decision, and the notice it queued for the seller."""
    async with bot.uow() as uow:
        await warehouses.decide(OPERATOR, warehouse_id, decision, note, frozenset({OPERATOR}), uow)
        await uow.commit()
    rows = await notifications_to(bot.app.uow_factory, SELLER)
    return rows[-1]


async def test_a_suspended_warehouse_gets_its_documents_from_the_notice(
    handler_bot: HandlerBot,
) -> None:
    await make_seller(handler_bot, SELLER)
    warehouse_id = await make_warehouse(handler_bot.app.uow_factory, SELLER, "Harbour Depot")
    row = await _decide(
        handler_bot, warehouse_id, WarehouseAction.SUSPEND, "Shipping from an undeclared address"
    )
    assert row.template == "warehouse.decision_suspend"
    notice = Notice(handler_bot, row, 1)
    assert notice.labels == [ADD, OPEN]

    seller = Chat(handler_bot, SELLER)
    (await notice.press(seller, OPEN)).assert_says("Harbour Depot")
    asked = await notice.press(seller, ADD)
    asked.assert_says("Harbour Depot", "undeclared address")
    await seller.press("Send for review again")
    assert await warehouse_status(handler_bot, warehouse_id) is WarehouseStatus.PENDING_REVIEW

    # Once approved, the notice only opens the card: there is nothing to add. (At the same
    # instant as the first approval: each decision's notice is its own.)
    approved = await _decide(handler_bot, warehouse_id, WarehouseAction.APPROVE)
    assert approved.template == "warehouse.decision_approve"
    assert Notice(handler_bot, approved, 2).labels == [OPEN]
    # The older notice's "Add documents" is checked again when pressed: a verified warehouse
    # takes no documents this way, and the seller is told so before sending any.
    refused = await notice.press(seller, ADD)
    assert refused.alert == handler_bot.plain("warehouse.documents_not_requested")
    assert not refused.messages  # not asked for documents


async def test_a_notices_buttons_show_nothing_to_another_seller(handler_bot: HandlerBot) -> None:
    await make_seller(handler_bot, SELLER)
    await make_seller(handler_bot, OTHER_SELLER)
    warehouse_id = await make_warehouse(handler_bot.app.uow_factory, SELLER, "Harbour Depot")
    notice = Notice(
        handler_bot, await _decide(handler_bot, warehouse_id, WarehouseAction.SUSPEND, "Fix it"), 1
    )
    other = Chat(handler_bot, OTHER_SELLER)
    not_found = handler_bot.plain("warehouse.not_found")
    for label in (ADD, OPEN):
        answer = await other.press_data(notice.message_id, notice.buttons[label] or "")
        assert "Harbour Depot" not in answer.text
        assert not_found in (answer.alert or answer.text)


async def test_a_notice_queued_before_notices_had_buttons_has_none(
    handler_bot: HandlerBot,
) -> None:
    await make_seller(handler_bot, SELLER)
    warehouse_id = await make_warehouse(handler_bot.app.uow_factory, SELLER, "Harbour Depot")
    row = await _decide(handler_bot, warehouse_id, WarehouseAction.SUSPEND, "Fix it")
    params = {k: v for k, v in row.params.items() if k != warehouses.NOTICE_BUTTONS}
    assert NoticeKeyboards(handler_bot.app.renderer)(params, "en") is None
