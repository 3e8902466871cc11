"""A user writing to the bot is recorded whatever their client says its language is: a
`language_code` no database column can hold (a client can send any string) is no language,
not an error that would refuse every update of that user. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.locales import telegram_language_tag
from domain.services import contacts
from domain.unit_of_work import UnitOfWork

UowFactory = Callable[[], UnitOfWork]


@pytest.mark.parametrize(
    ("sent", "kept", "locale"),
    [
        ("pt-br", "pt-br", "pt_BR"),
        ("x" * 40, None, "en"),
        ("en\x00", None, "en"),
        ("ру", None, "en"),
        ("", None, "en"),
    ],
)
async def test_any_language_code_is_recorded_or_dropped(
    uow_factory: UowFactory, sent: str, kept: str | None, locale: str
) -> None:
    async with uow_factory() as uow:
        assert await contacts.record_contact(4242, sent, "en", uow) == locale
        await uow.commit()
    async with uow_factory() as uow:
        user = await uow.users.get(4242)
        assert user is not None
        assert user.telegram_language == kept


def test_a_language_tag_is_letters_digits_and_hyphens_up_to_16() -> None:
    assert telegram_language_tag("zh-hans") == "zh-hans"
    assert telegram_language_tag("a" * 16) == "a" * 16
    assert telegram_language_tag("a" * 17) is None
    assert telegram_language_tag("en us") is None
    assert telegram_language_tag(None) is None
