"""Changing a registered warehouse (a field, its confirmation, more documents): every command
works in these modes as it does anywhere else (/cancel leaves them), and each prompt has a way
out — Cancel, or for the documents mode "Send later" (documents kept) beside "Send for review
again" (its Done)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from domain.model import WarehouseAction, WarehouseStatus
from domain.services import warehouses
from tests.handlers.chat import Answer, Chat, HandlerBot
from tests.handlers.factories import make_seller, warehouses_of
from tests.reliability.test_shipping_service import OPERATOR, OPERATORS, make_warehouse

SELLER = 8801
VERIFIED, NEEDS_DOCUMENTS = "Dongguan", "Foshan"


@pytest.fixture
async def chat(handler_bot: HandlerBot) -> Chat:
    """A seller with a verified warehouse and one the reviewer asked documents for."""
    await make_seller(handler_bot, SELLER)
    await make_warehouse(handler_bot.uow, SELLER, VERIFIED)
    asked = await make_warehouse(handler_bot.uow, SELLER, NEEDS_DOCUMENTS, approve=False)
    async with handler_bot.uow() as uow:
        await warehouses.decide(
            OPERATOR, asked, WarehouseAction.REQUEST_DOCUMENTS, "Fire permit", OPERATORS, uow
        )
        await uow.commit()
    return Chat(handler_bot, SELLER)


async def _new_value_asked(chat: Chat) -> Answer:
    await chat.send("/warehouses")
    await chat.press(VERIFIED)
    await chat.press("Edit")
    return await chat.press("City")


async def _confirmation_asked(chat: Chat) -> Answer:
    await _new_value_asked(chat)
    return await chat.send("Huizhou")


async def _documents_asked(chat: Chat) -> Answer:
    await chat.send("/warehouses")
    await chat.press(NEEDS_DOCUMENTS)
    return await chat.press("Add documents")


MODES: dict[str, Callable[[Chat], Awaitable[Answer]]] = {
    "new value": _new_value_asked,
    "confirmation": _confirmation_asked,
    "documents": _documents_asked,
}


async def _city(bot: HandlerBot) -> str:
    (verified,) = [w for w in await warehouses_of(bot, SELLER) if w["name"] == VERIFIED]
    return str(verified["address"][1])


async def _needing_documents(bot: HandlerBot) -> dict[str, Any]:
    (asked,) = [w for w in await warehouses_of(bot, SELLER) if w["name"] == NEEDS_DOCUMENTS]
    return asked


async def _assert_mode_left(chat: Chat) -> None:
    """Nothing the seller sends now is taken as an answer of the mode."""
    assert (await chat.send("Huizhou")).texts == [chat.bot.text("common.not_understood")]


@pytest.mark.parametrize("mode", MODES)
async def test_commands_do_what_they_say_in_each_mode(
    handler_bot: HandlerBot, chat: Chat, mode: str
) -> None:
    commands = ("/help", "/start", "/orders", "/shipments", "/warehouses")
    anywhere = {command: (await chat.send(command)).texts for command in commands}
    for command in commands:
        await MODES[mode](chat)
        assert (await chat.send(command)).texts == anywhere[command], command

    await MODES[mode](chat)
    assert (await chat.send("/cancel")).texts == [handler_bot.text("cancel.done")]
    await _assert_mode_left(chat)
    assert await _city(handler_bot) == "Shenzhen"
    assert len((await _needing_documents(handler_bot))["documents"]) == 1


async def test_a_command_between_answers_keeps_the_mode(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    """Like in a conversation, a command that does not leave (/help) keeps the question open."""
    await _new_value_asked(chat)
    await chat.send("/HELP")
    asked = await chat.send("Huizhou")
    asked.assert_says("goes back to review")
    await chat.press("Save and send to review")
    assert await _city(handler_bot) == "Huizhou"


async def test_cancel_button_of_the_new_value(handler_bot: HandlerBot, chat: Chat) -> None:
    asked = await _new_value_asked(chat)
    assert asked.labels == [handler_bot.label("common.cancel")]
    cancelled = await chat.press("Cancel")
    assert cancelled.texts[0] == handler_bot.text("cancel.done")
    cancelled.assert_says(f"<b>{VERIFIED}</b>")  # back on its card
    await _assert_mode_left(chat)


async def test_cancel_button_of_the_confirmation_saves_nothing(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    asked = await _confirmation_asked(chat)
    assert asked.labels == [
        handler_bot.label("warehouse.save_and_review"),
        handler_bot.label("common.cancel"),
    ]
    # Typing at the confirmation points at its buttons.
    typed = await chat.send("yes")
    assert typed.texts == [handler_bot.text("conversation.use_buttons")]
    cancelled = await chat.press("Cancel")
    assert cancelled.texts[0] == handler_bot.text("cancel.done")
    await _assert_mode_left(chat)
    assert await _city(handler_bot) == "Shenzhen"
    statuses = {w["name"]: w["status"] for w in await warehouses_of(handler_bot, SELLER)}
    assert statuses[VERIFIED] == WarehouseStatus.VERIFIED.value


async def test_cancel_button_of_the_documents_prompt(handler_bot: HandlerBot, chat: Chat) -> None:
    asked = await _documents_asked(chat)
    assert asked.labels == [
        handler_bot.label("warehouse.resubmit"),
        handler_bot.label("common.cancel"),
    ]
    cancelled = await chat.press("Cancel")
    assert cancelled.texts[0] == handler_bot.text("cancel.done")
    refused = await chat.send_document("late.pdf", "application/pdf")
    assert refused.texts == [handler_bot.text("common.file_not_expected", seller=True)]
    assert (await _needing_documents(handler_bot))[
        "status"
    ] == WarehouseStatus.NEEDS_DOCUMENTS.value


async def test_send_later_keeps_the_documents_without_sending_for_review(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _documents_asked(chat)
    received = await chat.send_certificate("fire.pdf")
    assert received.labels == [
        handler_bot.label("warehouse.resubmit"),
        handler_bot.label("warehouse.send_later"),
    ]
    later = await chat.press("Send later")
    assert later.texts[0] == handler_bot.text("warehouse.documents_kept", name=NEEDS_DOCUMENTS)
    card = later.last
    assert "fire.pdf" in card.text
    assert handler_bot.label("warehouse.add_documents") in card.labels
    await _assert_mode_left(chat)
    asked = await _needing_documents(handler_bot)
    assert asked["status"] == WarehouseStatus.NEEDS_DOCUMENTS.value
    assert [name for _, name in asked["documents"]] == ["doc.pdf", "fire.pdf"]


async def test_no_review_again_before_a_document_asked_for_is_added(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _documents_asked(chat)
    refused = await chat.press("Send for review again")
    assert refused.alert == handler_bot.plain("warehouse.no_new_documents")
    assert (await _needing_documents(handler_bot))["status"] == (
        WarehouseStatus.NEEDS_DOCUMENTS.value
    )
    await chat.send_certificate("fire.pdf")
    sent = await chat.press("Send for review again")
    assert sent.texts == [handler_bot.text("warehouse.submitted", name=NEEDS_DOCUMENTS)]


async def test_send_for_review_again_is_the_done_of_the_documents_mode(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _documents_asked(chat)
    await chat.send_certificate("fire.pdf")
    await chat.send_photo()
    sent = await chat.press("Send for review again")
    assert sent.texts == [handler_bot.text("warehouse.submitted", name=NEEDS_DOCUMENTS)]
    await _assert_mode_left(chat)
    asked = await _needing_documents(handler_bot)
    assert asked["status"] == WarehouseStatus.PENDING_REVIEW.value
    assert len(asked["documents"]) == 3


async def test_a_cancel_button_of_another_change_is_stale(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    documents_prompt = (await _documents_asked(chat)).last
    await _new_value_asked(chat)
    # The documents prompt's Cancel names the other warehouse: the change going on stays.
    (cancel,) = documents_prompt.keyboard[1]
    pressed = await chat.press_data(documents_prompt.message_id, cancel.callback_data or "")
    assert pressed.alert == handler_bot.plain(
        "errors.stale_button_in_conversation", conversation="warehouse_change"
    )
    asked = await chat.send("Huizhou")
    asked.assert_says("goes back to review")


async def test_an_old_resubmit_button_leaves_another_conversation_alone(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    prompt = (await _documents_asked(chat)).last
    resubmit = prompt.keyboard[0][0]
    await chat.send_certificate("fire.pdf")  # what the operator asked for: it may go back
    await chat.send("/cancel")
    name_asked = await chat.send("/neworder")
    await chat.press_data(prompt.message_id, resubmit.callback_data or "")
    assert (await _needing_documents(handler_bot))["status"] == (
        WarehouseStatus.PENDING_REVIEW.value
    )
    await chat.assert_still_asks(name_asked.last)
