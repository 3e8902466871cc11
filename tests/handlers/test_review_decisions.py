"""An operator's decision counts only for the warehouse as their card showed it: changed since
(the seller edited it, added documents, resubmitted it), the decision is refused and the card
shown as the warehouse is now, to decide on what it really is. The clock never moves in these
tests: a card names the warehouse's revision, which every change counts, not a time."""

from __future__ import annotations

from domain.model import WarehouseStatus
from domain.services import warehouses
from tests.e2e.conftest import OPERATOR_ID
from tests.handlers.chat import BotMessage, Chat, HandlerBot
from tests.handlers.factories import make_seller
from tests.reliability.test_shipping_service import make_warehouse

SELLER = 7901


def _button(card: BotMessage, label: str) -> str:
    found = {b.text: b.callback_data for row in card.keyboard for b in row}[label]
    assert found is not None
    return found


async def _pending_warehouse(bot: HandlerBot) -> int:
    await make_seller(bot, SELLER)
    return await make_warehouse(bot.app.uow_factory, SELLER, "Harbour Depot", approve=False)


async def _seller_edits_street(bot: HandlerBot, warehouse_id: int, street: str) -> None:
    async with bot.uow() as uow:
        await warehouses.edit_warehouse(
            SELLER,
            warehouse_id,
            warehouses.EditableField.STREET,
            street,
            frozenset({OPERATOR_ID}),
            uow,
        )
        await uow.commit()


async def _state(bot: HandlerBot, warehouse_id: int) -> tuple[WarehouseStatus, str | None]:
    async with bot.uow() as uow:
        warehouse = await uow.warehouses.get(warehouse_id)
        assert warehouse is not None
        return warehouse.status, warehouse.review_note


async def _open_card(operator: Chat, warehouse_id: int) -> BotMessage:
    await operator.send("/review")
    return (await operator.press(f"#{warehouse_id} Harbour Depot")).last


async def test_approve_on_a_card_older_than_the_sellers_edit_is_refused(
    handler_bot: HandlerBot,
) -> None:
    warehouse_id = await _pending_warehouse(handler_bot)
    operator = Chat(handler_bot, OPERATOR_ID)
    old_card = await _open_card(operator, warehouse_id)
    async with handler_bot.uow() as uow:
        shown = await uow.warehouses.get(warehouse_id)
        assert shown is not None
        # The button names the revision: a few digits of the 64 bytes, not a time's sixteen.
        approve = f"rv:decide:{warehouse_id}:approve:0:{shown.revision}"
    assert _button(old_card, "✅ Approve") == approve
    await _seller_edits_street(handler_bot, warehouse_id, "Kade 99")

    refused = await operator.press_data(old_card.message_id, _button(old_card, "✅ Approve"))
    assert refused.alert == handler_bot.plain("review.warehouse_changed")
    refused.assert_says("Kade 99")
    assert await _state(handler_bot, warehouse_id) == (WarehouseStatus.PENDING_REVIEW, None)
    # A decision button drawn before buttons named the card's state is refused the same way.
    tokenless = await operator.press_data(1, f"rv:decide:{warehouse_id}:approve:0")
    assert tokenless.alert == handler_bot.plain("review.warehouse_changed")
    assert await _state(handler_bot, warehouse_id) == (WarehouseStatus.PENDING_REVIEW, None)

    approved = await operator.press_data(
        refused.last.message_id, _button(refused.last, "✅ Approve")
    )
    approved.assert_says("The seller has been notified")
    assert (await _state(handler_bot, warehouse_id))[0] is WarehouseStatus.VERIFIED


async def test_a_reason_typed_after_the_warehouse_changed_decides_nothing(
    handler_bot: HandlerBot,
) -> None:
    warehouse_id = await _pending_warehouse(handler_bot)
    operator = Chat(handler_bot, OPERATOR_ID)
    card = await _open_card(operator, warehouse_id)
    await operator.press_data(card.message_id, _button(card, "❌ Reject"))
    await _seller_edits_street(handler_bot, warehouse_id, "Kade 99")

    refused = await operator.send("The address does not exist")
    assert refused.texts[0] == handler_bot.text("review.warehouse_changed")
    refused.assert_says("Kade 99")
    assert await _state(handler_bot, warehouse_id) == (WarehouseStatus.PENDING_REVIEW, None)
    # The reason is no longer asked for: the next text is not taken as one.
    await operator.send("The address does not exist")
    assert await _state(handler_bot, warehouse_id) == (WarehouseStatus.PENDING_REVIEW, None)

    # Unchanged while the reason is written, the card's decision goes through.
    await operator.press_data(refused.last.message_id, _button(refused.last, "❌ Reject"))
    rejected = await operator.send("The address does not exist")
    rejected.assert_says("The seller has been notified")
    assert await _state(handler_bot, warehouse_id) == (
        WarehouseStatus.REJECTED,
        "The address does not exist",
    )
