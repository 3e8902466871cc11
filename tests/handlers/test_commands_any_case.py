"""Commands are recognised whatever their case (/HELP, /Start, /CANCEL: a phone capitalises the
first letter by itself), in a conversation too; only the name is folded, not the arguments."""

from __future__ import annotations

from tests.handlers.chat import Chat, HandlerBot
from tests.tracking_fixtures import Store, s10

SELLER, BUYER, NEWCOMER = 8901, 8902, 8903


async def test_help_and_start_in_any_case(handler_bot: HandlerBot) -> None:
    chat = Chat(handler_bot, NEWCOMER, first_name="Mei")
    lower = await chat.send("/help")
    assert lower.texts == [handler_bot.text("help.guest")]
    for typed in ("/HELP", "/Help", "/hElP"):
        assert (await chat.send(typed)).texts == lower.texts

    welcome = await chat.send("/Start")
    assert welcome.texts == [handler_bot.text("start.welcome_new", name="Mei")]
    assert welcome.labels == (await chat.send("/start")).labels


async def test_cancel_in_capitals_leaves_a_conversation(handler_bot: HandlerBot) -> None:
    chat = Chat(handler_bot, NEWCOMER)
    await chat.send("/START")
    await chat.press("I sell on AliExpress")
    # In the middle of registration, /Start resumes it and /CANCEL ends it.
    resumed = await chat.send("/Start")
    assert resumed.texts[0] == handler_bot.text("conversation.resumed")
    cancelled = await chat.send("/CANCEL")
    assert cancelled.texts == [handler_bot.text("cancel.done")]
    again = await chat.send("/Cancel")
    assert again.texts == [handler_bot.text("cancel.nothing")]


async def test_a_deep_link_in_capitals_keeps_its_payload(handler_bot: HandlerBot) -> None:
    store = await Store(handler_bot.app.uow_factory, SELLER).open()
    shipped = await store.ship("AE-CASE-1", s10("RB", 41_000_001))
    assert shipped.token != shipped.token.casefold(), "the payload must have capitals to keep"
    buyer = Chat(handler_bot, BUYER)
    card = await buyer.send(f"/START {shipped.token}")
    card.assert_says("AE-CASE-1")


async def test_a_command_in_capitals_keeps_its_arguments(handler_bot: HandlerBot) -> None:
    store = await Store(handler_bot.app.uow_factory, SELLER).open()
    shipped = await store.ship("AE-CASE-2", s10("RB", 41_000_002))
    buyer = Chat(handler_bot, BUYER)
    await buyer.send(f"/start {shipped.token}")
    changed = await buyer.send("/TimeZone Europe/Berlin")
    changed.assert_says("Berlin")
