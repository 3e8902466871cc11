"""Seller registration and language preference (erasure lives in `domain.services.erasure`)."""

from __future__ import annotations

from dataclasses import dataclass

from domain import embargo
from domain.countries import is_country_code
from domain.errors import ConflictError, InvalidInput
from domain.locales import SUPPORTED_LOCALES
from domain.model import Seller
from domain.model.sellers import STORE_NAME_MAX, STORE_NAME_MIN
from domain.repositories import Actor
from domain.returns.masking import contact_in_name
from domain.roles import Role
from domain.typed_text import clean_typed_line
from domain.unit_of_work import UnitOfWork


def clean_store_name(raw: str) -> str:
    """A store name as we keep it: one line of typed text, 2-64 characters, not a command,
    and no contact details (a phone number, an e-mail address, a link or a handle): buyers
    read it on every message the store sends them, and contacts stay off the thread."""
    name = clean_typed_line(
        raw,
        STORE_NAME_MIN,
        STORE_NAME_MAX,
        "registration.store_name_invalid",
        refuse_commands=True,
    )
    if contact_in_name(name):
        raise InvalidInput("registration.store_name_contact")
    return name


def check_home_country(code: str) -> str:
    """Where the store is based. A country under embargo is refused (`domain.embargo`): a store
    there could declare no domestic warehouse, and the marketplace cannot serve it."""
    if not is_country_code(code):
        raise InvalidInput("countries.not_found", query=code)
    if embargo.is_embargoed(code):
        raise InvalidInput("registration.country_embargoed", country=code.upper())
    return code.upper()


def check_locale(locale: str) -> str:
    if locale not in SUPPORTED_LOCALES:
        raise InvalidInput("errors.invalid_choice")
    return locale


@dataclass(frozen=True)
class RegisterSeller:
    telegram_user_id: int
    store_name: str
    home_country: str
    locale: str


async def register_seller(command: RegisterSeller, uow: UnitOfWork) -> Seller:
    if await uow.sellers.by_telegram_user(command.telegram_user_id) is not None:
        raise ConflictError("registration.already_registered")
    home_country = check_home_country(command.home_country)
    now = uow.now()
    user = await uow.users.touch(command.telegram_user_id, None, now)
    seller = Seller(
        telegram_user_id=command.telegram_user_id,
        store_name=clean_store_name(command.store_name),
        home_country=home_country,
        locale=check_locale(command.locale),
        created_at=now,
    )
    uow.sellers.add(seller)
    # The seller chose a language while registering: that is now their preference everywhere.
    user.locale = seller.locale
    await uow.flush()
    uow.audit.add(
        "seller.registered",
        by=Actor("seller", command.telegram_user_id),
        about=("seller", seller.id),
        details={"home_country": seller.home_country, "locale": seller.locale},
    )
    return seller


async def set_language(user_id: int, locale: str, uow: UnitOfWork) -> None:
    check_locale(locale)
    user = await uow.users.touch(user_id, None, uow.now())
    user.locale = locale
    seller = await uow.sellers.by_telegram_user(user_id)
    if seller is not None:
        seller.locale = locale


async def role_of(user_id: int, operator_ids: frozenset[int], uow: UnitOfWork) -> Role:
    """What /start and /help show this user (an operator who also sells is an operator, a
    seller who also follows a parcel is a seller)."""
    if user_id in operator_ids:
        return Role.OPERATOR
    if await uow.sellers.by_telegram_user(user_id) is not None:
        return Role.SELLER
    if await uow.buyers.has_subscriptions(user_id):
        return Role.BUYER
    return Role.GUEST
