"""What /language says once a language is chosen, in that language: its name as a sentence of
that language writes it (español, français, português, русский: lower case, unlike the buttons
that name them), and the buyer's expired-link text in Spanish says "tú" like every buyer text."""

from __future__ import annotations

import pytest

from tests.handlers.chat import Chat, HandlerBot

USER = 9871


@pytest.mark.parametrize(
    ("button", "said"),
    [
        ("Español", "te hablaré en español."),
        ("Français", "en français."),
        ("Português (Brasil)", "em português (Brasil)."),
        ("Русский", "Язык общения — русский."),
        ("English", "I'll speak English with you"),
    ],
)
async def test_the_chosen_language_is_named_as_its_own_sentences_write_it(
    handler_bot: HandlerBot, button: str, said: str
) -> None:
    chat = Chat(handler_bot, USER)
    picker = await chat.send("/language")
    assert button in picker.labels
    changed = await chat.press(button)
    assert said in changed.text, changed.text
    if button != "English":
        assert f" {button}." not in changed.text  # not capitalised mid-sentence


async def test_the_spanish_expired_link_text_says_tu(handler_bot: HandlerBot) -> None:
    chat = Chat(handler_bot, USER)
    await chat.send("/language")
    await chat.press("Español")
    refused = await chat.send("/start bad*payload!")
    refused.assert_says("Pide al vendedor un enlace nuevo.")
    assert "Pida" not in refused.text
