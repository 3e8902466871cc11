"""Typed callback data. Ids and enums only; every value is untrusted client input."""

from __future__ import annotations

import enum

from aiogram.filters.callback_data import CallbackData


class Role(enum.StrEnum):
    SELLER = "s"
    BUYER = "b"


class RoleChoice(CallbackData, prefix="role"):
    role: Role


class RegistrationStep(enum.StrEnum):
    BACK = "back"
    CANCEL = "cancel"
    CONFIRM = "ok"
    EDIT_NAME = "name"
    EDIT_COUNTRY = "country"
    EDIT_LANGUAGE = "lang"
    OTHER_COUNTRY = "other"


class RegistrationAction(CallbackData, prefix="reg"):
    step: RegistrationStep


class CountryChoice(CallbackData, prefix="cty"):
    code: str


class LanguagePurpose(enum.StrEnum):
    REGISTRATION = "r"
    PREFERENCE = "p"


class LanguageChoice(CallbackData, prefix="lang"):
    locale: str
    purpose: LanguagePurpose


class ErasureStep(enum.StrEnum):
    CONFIRM = "yes"
    KEEP = "no"


class ErasureAction(CallbackData, prefix="erase"):
    step: ErasureStep
