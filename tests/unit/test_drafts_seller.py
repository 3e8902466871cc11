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
        # contact details buyers would read on every message (tester t3, finding 4c)
        (
            lambda d: d.with_store_name("WhatsApp +1 415 555 2671"),
            "registration.store_name_contact",
        ),
        (lambda d: d.with_store_name("Mei 138 0013 8000"), "registration.store_name_contact"),
        (lambda d: d.with_store_name("mei\u200b@\u200bshop.cn"), "registration.store_name_contact"),
        (lambda d: d.with_store_name("@meigadgets"), "registration.store_name_contact"),
        (lambda d: d.with_store_name("t.me/meigadgets"), "registration.store_name_contact"),
        (
            lambda d: d.with_store_name("Mei \uff20 gadgets\u3002shop"),
            "registration.store_name_contact",
        ),
        (lambda d: d.with_store_name("meigadgets.com"), "registration.store_name_contact"),
        (lambda d: d.with_country("XX"), "errors.invalid_choice"),
        (lambda d: d.with_locale("tlh"), "errors.invalid_choice"),
    ],
)
def test_a_bad_answer_is_refused_with_its_message(answer, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        answer(SellerDraft())
    assert refused.value.key == key


@pytest.mark.parametrize("name", ["Shenzhen Gadgets", "Dr.Phone 3C", "Store 2024", "深圳小店"])
def test_ordinary_store_names_are_taken(name: str) -> None:
    assert SellerDraft().with_store_name(name).store_name == name


def test_the_summary_cannot_register_an_unfinished_draft() -> None:
    with pytest.raises(InvalidInput):
        SellerDraft().with_store_name("Half Done").command(telegram_user_id=1)


def test_the_draft_survives_a_round_trip_through_its_data() -> None:
    draft = SellerDraft().with_store_name("Round Trip").with_country("DE")
    assert SellerDraft.from_data(draft.to_data()) == draft
    assert SellerDraft.from_data({}) == SellerDraft()
