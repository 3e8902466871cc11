"""The store registration's draft: store name -> home country -> language."""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.countries import is_country_code
from domain.drafts.answers import answered
from domain.drafts.stored import StoredDraft
from domain.errors import InvalidInput
from domain.services import sellers


@dataclass(frozen=True)
class SellerDraft(StoredDraft):
    store_name: str | None = None
    country: str | None = None
    locale: str | None = None

    def with_store_name(self, raw: str) -> SellerDraft:
        return replace(self, store_name=sellers.clean_store_name(raw))

    def with_country(self, code: str) -> SellerDraft:
        if not is_country_code(code):
            raise InvalidInput("errors.invalid_choice")
        return replace(self, country=sellers.check_home_country(code))

    def with_locale(self, locale: str) -> SellerDraft:
        return replace(self, locale=sellers.check_locale(locale))

    def command(self, telegram_user_id: int) -> sellers.RegisterSeller:
        """What the summary's "Create" registers; every answer must be there by then."""
        return sellers.RegisterSeller(
            telegram_user_id=telegram_user_id,
            store_name=answered(self.store_name),
            home_country=answered(self.country),
            locale=answered(self.locale),
        )
