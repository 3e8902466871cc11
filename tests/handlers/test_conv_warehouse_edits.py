"""Editing a warehouse from its summary: Back stays in the edit (and from where it started,
returns to the summary as it was), the kind chosen again asks nothing more, and an optional
answer already given is kept or emptied in plain sight, never dropped by Skip. A name another
warehouse has is refused at the name step."""

from __future__ import annotations

from tests.handlers.chat import Chat, HandlerBot, Press
from tests.handlers.factories import warehouses_of
from tests.handlers.test_conv_warehouse import SELLER, SUBMITTED_DOMESTIC, _walk, chat

__all__ = ["chat"]  # the fixture, shared with the registration's tests


async def test_back_during_an_edit_stays_in_it_then_returns_to_the_summary_unchanged(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat)
    await chat.press("Address")
    await chat.send("9 Binhai Avenue")
    # Back from the city: the street again, still in the edit.
    street = await chat.press("Back")
    assert street.last.text == handler_bot.text("warehouse.ask_street", country="CN")
    # Back from where the edit started: the summary as it was, not the country and the rest.
    summary = await chat.press("Back")
    summary.assert_says("1 Keji Road, Nanshan, Shenzhen, 518000")
    assert not summary.says("9 Binhai Avenue")
    await chat.press("Submit for review")
    assert await warehouses_of(handler_bot, SELLER) == [SUBMITTED_DOMESTIC]


async def test_the_kind_edited_offers_back_and_the_same_kind_asks_nothing_more(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat)
    kind = await chat.press("Kind")
    assert handler_bot.label("common.back") in kind.labels
    assert (await chat.press("Back")).says("Name: <b>Shenzhen main</b>")
    await chat.press("Kind")
    summary = await chat.press("Domestic warehouse")
    summary.assert_says("Kind: domestic", "Name: <b>Shenzhen main</b>")
    await chat.press("Submit for review")
    assert await warehouses_of(handler_bot, SELLER) == [SUBMITTED_DOMESTIC]


async def test_an_optional_answer_already_given_is_kept_or_emptied_in_sight(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat)
    street, city = "1 Keji Road, Nanshan", "Shenzhen"
    await chat.play(Press("Address"), street, city, "Guangdong", "518000")
    region = await chat.play(Press("Address"), street, city)
    assert region.labels[:2] == [
        handler_bot.label("warehouse.keep_answer", answer="Guangdong"),
        handler_bot.label("warehouse.leave_empty"),
    ]
    postcode = await chat.press("Keep Guangdong")
    # A postcode China requires: it can be kept, not emptied.
    assert handler_bot.label("warehouse.keep_answer", answer="518000") in postcode.labels
    assert handler_bot.label("warehouse.leave_empty") not in postcode.labels
    summary = await chat.press("Keep 518000")
    summary.assert_says("1 Keji Road, Nanshan, Shenzhen, Guangdong, 518000")
    # Emptied when asked to.
    summary = await chat.play(
        Press("Address"), street, city, Press("Leave it empty"), Press("Keep 518000")
    )
    summary.assert_says("1 Keji Road, Nanshan, Shenzhen, 518000")


async def test_a_name_another_warehouse_has_is_refused_at_the_name_step(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat)
    await chat.play(
        Press("Submit for review"), "/warehouses", Press("Add a warehouse"), Press("Domestic")
    )
    # The same name in other letter case: said at once, not after ten more steps.
    refused = await chat.send("SHENZHEN  main")
    assert refused.texts == [handler_bot.text("warehouse.name_taken", name="SHENZHEN main")]
    country = await chat.send("Shenzhen north")
    assert country.says("country")
