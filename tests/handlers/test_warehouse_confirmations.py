"""Archiving a warehouse cannot be undone, so its "yes" counts only as the answer to the
latest question, within ten minutes, once; a forged or old yes archives nothing. Likewise a
change that sends a verified warehouse back to review is saved only by its own question's yes."""

from __future__ import annotations

from domain.model import WarehouseStatus
from tests.conftest import FixedClock
from tests.handlers.chat import BotMessage, Chat, HandlerBot
from tests.handlers.factories import make_seller, warehouse_status
from tests.reliability.test_shipping_service import make_warehouse

SELLER, OTHER_SELLER = 7801, 7802


def _button(message: BotMessage, label: str) -> str:
    found = {b.text: b.callback_data for row in message.keyboard for b in row}[label]
    assert found is not None
    return found


def _yes(question: BotMessage) -> str:
    return _button(question, "🗄 Yes, archive it")


async def test_only_the_latest_question_archives_within_ten_minutes(
    handler_bot: HandlerBot, clock: FixedClock
) -> None:
    await make_seller(handler_bot, SELLER)
    warehouse_id = await make_warehouse(handler_bot.app.uow_factory, SELLER, "Harbour Depot")
    other_id = await make_warehouse(handler_bot.app.uow_factory, SELLER, "Inland Depot")
    seller = Chat(handler_bot, SELLER)
    stale = handler_bot.plain("confirmation.stale")

    # A yes the bot never asked for: as drawn before yeses carried a token, or made up.
    for data in (f"whm:archok:{warehouse_id}:", f"whm:archok:{warehouse_id}::987654"):
        assert (await seller.press_data(1, data)).alert == stale

    await seller.send("/warehouses")
    card = (await seller.press("Harbour Depot")).last

    async def ask() -> BotMessage:
        # From the card (the question's own "Yes, archive it" would match "Archive" too).
        return (await seller.press_data(card.message_id, _button(card, "🗄 Archive"))).last

    older = await ask()
    newer = await ask()
    assert (await seller.press_data(older.message_id, _yes(older))).alert == stale
    # The question was about this warehouse: its token archives no other.
    other = _yes(newer).replace(f":{warehouse_id}:", f":{other_id}:")
    assert (await seller.press_data(newer.message_id, other)).alert == stale
    assert await warehouse_status(handler_bot, other_id) is WarehouseStatus.VERIFIED

    question = await ask()
    clock.advance(minutes=10)
    assert (await seller.press_data(question.message_id, _yes(question))).alert == stale
    # Cancel shows the card again and voids the question.
    question = await ask()
    shown = await seller.press("Cancel")
    shown.assert_says("Harbour Depot")
    assert (await seller.press_data(question.message_id, _yes(question))).alert == stale
    assert await warehouse_status(handler_bot, warehouse_id) is WarehouseStatus.VERIFIED

    question = await ask()
    archived = await seller.press_data(question.message_id, _yes(question))
    archived.assert_says("<b>Harbour Depot</b> is archived")
    assert await warehouse_status(handler_bot, warehouse_id) is WarehouseStatus.ARCHIVED


async def test_another_sellers_warehouse_is_not_found_whatever_the_token(
    handler_bot: HandlerBot,
) -> None:
    await make_seller(handler_bot, SELLER)
    await make_seller(handler_bot, OTHER_SELLER)
    warehouse_id = await make_warehouse(handler_bot.app.uow_factory, SELLER, "Harbour Depot")
    intruder = Chat(handler_bot, OTHER_SELLER)
    not_found = handler_bot.plain("warehouse.not_found")
    for data in (f"whm:arch:{warehouse_id}::0", f"whm:archok:{warehouse_id}::5", "whm:keep:1::0"):
        assert (await intruder.press_data(1, data)).alert == not_found
    assert await warehouse_status(handler_bot, warehouse_id) is WarehouseStatus.VERIFIED


async def test_saving_a_change_back_to_review_takes_only_the_latest_questions_yes(
    handler_bot: HandlerBot,
) -> None:
    """Each change that would send a verified warehouse back to review asks first; a yes on
    the question about an earlier change (of this warehouse or another) saves nothing."""
    await make_seller(handler_bot, SELLER)
    harbour = await make_warehouse(handler_bot.app.uow_factory, SELLER, "Harbour Depot")
    inland = await make_warehouse(handler_bot.app.uow_factory, SELLER, "Inland Depot")
    seller = Chat(handler_bot, SELLER)

    async def ask_to_change(name: str, field: str, value: str) -> BotMessage:
        await seller.send("/warehouses")
        await seller.press(name)
        await seller.press("Edit")
        await seller.press(field)
        return (await seller.send(value)).last

    first = await ask_to_change("Harbour Depot", "City", "Ningbo")
    other_warehouse = await ask_to_change("Inland Depot", "City", "Wuhan")
    save = "💾 Save and send to review"
    stale = handler_bot.plain("confirmation.stale")
    assert (await seller.press_data(first.message_id, _button(first, save))).alert == stale
    same_warehouse = await ask_to_change("Inland Depot", "Street address", "Hankou Road 8")
    refused = await seller.press_data(other_warehouse.message_id, _button(other_warehouse, save))
    assert refused.alert == stale
    # A question asked before the yes named it has no token: only a question still waiting
    # without one (none here) would take it.
    tokenless = f"whm:save:{inland}:"
    assert (await seller.press_data(same_warehouse.message_id, tokenless)).alert == stale
    for warehouse_id in (harbour, inland):
        assert await warehouse_status(handler_bot, warehouse_id) is WarehouseStatus.VERIFIED

    saved = await seller.press_data(same_warehouse.message_id, _button(same_warehouse, save))
    saved.assert_says("pending review again")
    async with handler_bot.uow() as uow:
        stored = await uow.warehouses.get(inland)
        assert stored is not None
        # The street of the question answered; the city of the one it replaced was never saved.
        assert (stored.street, stored.city, stored.status) == (
            "Hankou Road 8",
            "Shenzhen",
            WarehouseStatus.PENDING_REVIEW,
        )
