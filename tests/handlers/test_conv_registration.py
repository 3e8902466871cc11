"""Seller registration through the dispatcher: store name -> home country -> language ->
summary -> the store exists. Forward, back, edit from the summary, cancel, resume after a
restart, and a refused answer at every step (the step is asked again, nothing advances)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.model.sellers import STORE_NAME_MAX, STORE_NAME_MIN
from tests.handlers.chat import Answer, Chat, HandlerBot

USER = 8101
ChatOf = Callable[..., Chat]


@pytest.fixture
def chat(chat_of: ChatOf) -> Chat:
    return chat_of(USER, first_name="Mei")


async def _begin(chat: Chat) -> Answer:
    await chat.send("/start")
    return await chat.press("I sell on AliExpress")


async def _to_summary(chat: Chat, name: str = "Aurora Gadgets") -> Answer:
    await _begin(chat)
    await chat.send(name)
    await chat.press("China")
    return await chat.press("English")


async def _seller(bot: HandlerBot) -> tuple[str, str, str] | None:
    """The stored store name, home country and language, if the store exists."""
    async with bot.uow() as uow:
        seller = await uow.sellers.by_telegram_user(USER)
        return None if seller is None else (seller.store_name, seller.home_country, seller.locale)


def _asks_store_name(bot: HandlerBot, answer: Answer, current: str | None = None) -> None:
    assert answer.last.text == bot.text("registration.ask_store_name", current=current)


def _asks_country(bot: HandlerBot, answer: Answer) -> None:
    assert answer.last.text == bot.text("registration.ask_country")
    assert "🇨🇳 China" in answer.labels


def _asks_language(bot: HandlerBot, answer: Answer) -> None:
    assert answer.last.text == bot.text("registration.ask_language")
    assert {"English", "Русский", "Português (Brasil)"} <= set(answer.labels)


# ----- forward -----


async def test_a_new_seller_registers_the_store(handler_bot: HandlerBot, chat: Chat) -> None:
    answer = await _begin(chat)
    _asks_store_name(handler_bot, answer)
    # The first step has no Back: there is nothing before it.
    assert answer.labels == [handler_bot.label("common.cancel")]

    _asks_country(handler_bot, await chat.send("  Aurora   Gadgets "))
    _asks_language(handler_bot, await chat.press("China"))
    summary = await chat.press("English")
    assert summary.says("Store: <b>Aurora Gadgets</b>")
    assert summary.says("Home country: <b>China</b>")
    assert summary.says("Language: <b>English</b>")
    assert handler_bot.label("registration.confirm") in summary.labels
    assert await _seller(handler_bot) is None  # nothing is stored before the confirmation

    done = await chat.press("Create my store")
    assert done.texts == [handler_bot.text("registration.done", store_name="Aurora Gadgets")]
    assert await _seller(handler_bot) == ("Aurora Gadgets", "CN", "en")
    # Registered: /start now greets the seller instead of asking again.
    welcome = await chat.send("/start")
    assert welcome.texts == [handler_bot.text("start.welcome_seller", store_name="Aurora Gadgets")]


async def test_a_typed_country_and_another_language_are_kept(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _begin(chat)
    await chat.send("Loja da Mei")
    _asks_language(handler_bot, await chat.send("vn"))
    summary = await chat.press("Português (Brasil)")
    # From the language step on, the seller reads the bot in the language they chose.
    assert summary.says("Vietnã")
    done = await chat.press(handler_bot.label("registration.confirm", "pt_BR"))
    assert done.texts == [handler_bot.text("registration.done", "pt_BR", store_name="Loja da Mei")]
    assert await _seller(handler_bot) == ("Loja da Mei", "VN", "pt_BR")


async def test_a_registered_seller_cannot_register_twice(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _to_summary(chat)
    await chat.press("Create my store")
    # The role buttons of the first /start are still in the chat.
    again = await chat.press("I sell on AliExpress")
    assert again.texts == [handler_bot.text("registration.already_registered")]


# ----- back -----


async def test_back_returns_one_step_and_shows_what_was_entered(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _begin(chat)
    await chat.send("Aurora Gadgets")
    _asks_language(handler_bot, await chat.press("China"))
    _asks_country(handler_bot, await chat.press("Back"))
    _asks_store_name(handler_bot, await chat.press("Back"), current="Aurora Gadgets")
    # Going forward again asks every step in order, keeping nothing stale.
    _asks_country(handler_bot, await chat.send("Aurora Two"))
    await chat.press("France")
    summary = await chat.press("English")
    assert summary.says("Store: <b>Aurora Two</b>") and summary.says("<b>France</b>")


# ----- edit from the summary -----


async def test_editing_the_store_name_comes_back_to_the_summary(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _to_summary(chat)
    _asks_store_name(handler_bot, await chat.press("Store name"), current="Aurora Gadgets")
    summary = await chat.send("Aurora Home")
    # Straight back to the summary: the country and language are not asked again.
    assert summary.says("Store: <b>Aurora Home</b>") and summary.says("<b>China</b>")
    await chat.press("Create my store")
    assert await _seller(handler_bot) == ("Aurora Home", "CN", "en")


async def test_editing_the_country_and_language_keeps_the_name(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _to_summary(chat)
    _asks_country(handler_bot, await chat.press("Country"))
    summary = await chat.send("Germany")
    assert summary.says("Home country: <b>Germany</b>")
    _asks_language(handler_bot, await chat.press("✏️ Language"))
    summary = await chat.press("Русский")
    assert summary.says("Aurora Gadgets")
    await chat.press(handler_bot.label("registration.confirm", "ru"))
    assert await _seller(handler_bot) == ("Aurora Gadgets", "DE", "ru")


# ----- cancel -----


async def test_cancel_button_leaves_without_saving(handler_bot: HandlerBot, chat: Chat) -> None:
    await _begin(chat)
    await chat.send("Aurora Gadgets")
    cancelled = await chat.press("Cancel")
    assert cancelled.texts == [handler_bot.text("cancel.done")]
    assert await _seller(handler_bot) is None
    # Nothing to resume: /start greets a newcomer again.
    again = await chat.send("/start")
    assert again.texts == [handler_bot.text("start.welcome_new", name="Mei")]


async def test_cancel_command_from_the_summary(handler_bot: HandlerBot, chat: Chat) -> None:
    await _to_summary(chat)
    assert (await chat.send("/cancel")).texts == [handler_bot.text("cancel.done")]
    assert (await chat.send("/cancel")).texts == [handler_bot.text("cancel.nothing")]
    assert await _seller(handler_bot) is None


# ----- a command in the middle -----


async def test_help_and_privacy_answer_then_ask_the_question_again(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _begin(chat)
    await chat.send("Aurora Gadgets")
    for command, answer_template in (("/help", "help.guest"), ("/privacy", "privacy.policy")):
        answered = await chat.send(command)
        assert answered.texts[1] == handler_bot.text("conversation.resumed")
        assert (
            handler_bot.text(
                answer_template, outbox_days=30, update_id_hours=48, dispute_hold_days=90
            )[:40]
            in (answered.texts[0])
        )
        _asks_country(handler_bot, answered)
    # The answer still goes to the question.
    _asks_language(handler_bot, await chat.press("China"))


# ----- resume after a restart -----


@pytest.mark.parametrize("handler_bot", ["sql", "redis"], indirect=True)
async def test_after_a_restart_start_resumes_at_the_same_step(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _begin(chat)
    await chat.send("Aurora Gadgets")
    await chat.press("China")
    await handler_bot.restart()

    resumed = await chat.send("/start")
    assert resumed.texts[0] == handler_bot.text("conversation.resumed")
    _asks_language(handler_bot, resumed)
    summary = await chat.press("English")
    assert summary.says("Store: <b>Aurora Gadgets</b>") and summary.says("<b>China</b>")
    await chat.press("Create my store")
    assert await _seller(handler_bot) is not None


async def test_after_a_restart_the_answer_is_taken_without_start(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _begin(chat)
    await handler_bot.restart()
    _asks_country(handler_bot, await chat.send("Aurora Gadgets"))


# ----- refused answers: the same step is asked again -----


@pytest.mark.parametrize("name", ["A", "x" * (STORE_NAME_MAX + 1), "/shop", "\u200b\u200b\u200b"])
async def test_a_bad_store_name_is_refused(handler_bot: HandlerBot, chat: Chat, name: str) -> None:
    await _begin(chat)
    refused = await chat.send(name)
    assert refused.texts == [
        handler_bot.text("registration.store_name_invalid", min=STORE_NAME_MIN, max=STORE_NAME_MAX)
    ]
    _asks_country(handler_bot, await chat.send("Aurora Gadgets"))


@pytest.mark.parametrize(
    "name",
    [
        "WhatsApp +1 415 555 2671",
        "Mei 415-555-2671",
        "mei.real\u200b@\u200bgmail.com",
        "@mei_gadgets_01",
        "t\u3002me/mei_gadgets",
        "paypal.me/meigadgets",
        "meigadgets.com",
    ],
)
async def test_a_store_name_with_contact_details_is_refused(
    handler_bot: HandlerBot, chat: Chat, name: str
) -> None:
    """Buyers read the store name on every message it sends them (tester t3, finding 4c)."""
    await _begin(chat)
    refused = await chat.send(name)
    assert refused.texts == [handler_bot.text("registration.store_name_contact")]
    _asks_country(handler_bot, await chat.send("Aurora Gadgets"))


async def test_renaming_the_store_to_contact_details_is_refused_in_the_users_language(
    handler_bot: HandlerBot, chat_of: ChatOf
) -> None:
    chat = chat_of(USER, first_name="Mei", language="ru")
    await chat.send("/start")
    await chat.press("Я продаю на AliExpress")
    await chat.send("Aurora Gadgets")
    await chat.press("Китай")  # a button's label is found by a part of it
    await chat.press("Русский")
    await chat.press("Название магазина")
    refused = await chat.send("Aurora WhatsApp +86 138 0013 8000")
    assert refused.texts == [handler_bot.text("registration.store_name_contact", "ru")]
    await chat.send("Aurora Home")
    await chat.press("Создать магазин")
    assert await _seller(handler_bot) == ("Aurora Home", "CN", "ru")


async def test_a_sticker_instead_of_the_store_name_asks_for_text(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _begin(chat)
    refused = await chat.send_photo()
    assert refused.texts == [handler_bot.text("conversation.expecting_text")]
    _asks_country(handler_bot, await chat.send("Aurora Gadgets"))


async def test_an_unknown_country_is_refused(handler_bot: HandlerBot, chat: Chat) -> None:
    await _begin(chat)
    await chat.send("Aurora Gadgets")
    refused = await chat.send("Atlantis")
    assert refused.texts == [handler_bot.text("countries.not_found", query="Atlantis")]
    _asks_language(handler_bot, await chat.send("CN"))


async def test_a_country_typed_in_another_language(handler_bot: HandlerBot, chat: Chat) -> None:
    """The name in any language the bot speaks (or the country's own), whatever the
    interface's language."""
    await _begin(chat)
    await chat.send("Aurora Gadgets")
    _asks_language(handler_bot, await chat.send("германия"))
    assert (await chat.press("English")).says("Home country: <b>Germany</b>")


async def test_an_ambiguous_country_offers_the_matches(handler_bot: HandlerBot, chat: Chat) -> None:
    await _begin(chat)
    await chat.send("Aurora Gadgets")
    choices = await chat.send("Korea")
    # North Korea is under embargo: not offered, and the choices say so.
    assert choices.texts == [handler_bot.text("countries.choices", unserved=["KP"])]
    assert [label for label in choices.labels if "Korea" in label] == ["🇰🇷 South Korea"]
    _asks_language(handler_bot, await chat.press("South Korea"))
    assert (await chat.press("English")).says("Home country: <b>South Korea</b>")


async def test_typing_at_the_language_step_asks_for_a_button(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _begin(chat)
    await chat.send("Aurora Gadgets")
    await chat.press("China")
    await chat.assert_typing_is_refused(chat.history[-1])
    assert (await chat.press("English")).says("Is everything right?")


async def test_typing_at_the_summary_asks_for_a_button(handler_bot: HandlerBot, chat: Chat) -> None:
    summary = await _to_summary(chat)
    await chat.assert_typing_is_refused(summary.last)
    assert await _seller(handler_bot) is None
