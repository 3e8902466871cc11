"""The store registration's draft: each answer checked, the whole kept as JSON-safe data."""

from __future__ import annotations

import pytest

from domain.drafts import SellerDraft
from domain.errors import InvalidInput


def test_answers_are_cleaned_and_the_command_carries_them() -> None:
    draft = SellerDraft().with_store_name("  Shenzhen Gadgets ").with_country("cn")
    draft = draft.with_locale("zh_Hans")
    command = draft.command(telegram_user_id=42)
    assert (command.store_name, command.home_country, command.locale) == (
        "Shenzhen Gadgets",
        "CN",
        "zh_Hans",
    )
    assert command.telegram_user_id == 42


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        (lambda d: d.with_store_name("x"), "registration.store_name_invalid"),
        (lambda d: d.with_store_name("/start"), "registration.store_name_invalid"),
        (lambda d: d.with_country("XX"), "errors.invalid_choice"),
        (lambda d: d.with_locale("tlh"), "errors.invalid_choice"),
    ],
)
def test_a_bad_answer_is_refused_with_its_message(answer, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        answer(SellerDraft())
    assert refused.value.key == key


def test_the_summary_cannot_register_an_unfinished_draft() -> None:
    with pytest.raises(InvalidInput):
        SellerDraft().with_store_name("Half Done").command(telegram_user_id=1)


def test_the_draft_survives_a_round_trip_through_its_data() -> None:
    draft = SellerDraft().with_store_name("Round Trip").with_country("DE")
    assert SellerDraft.from_data(draft.to_data()) == draft
    assert SellerDraft.from_data({}) == SellerDraft()
