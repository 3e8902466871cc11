"""Typed callback data. Ids and enums only; every value is untrusted client input."""

from __future__ import annotations

import enum
from typing import Annotated, Self

from aiogram.filters.callback_data import CallbackData
from pydantic import BaseModel, Field

from domain.record_ids import MAX_PAGE, MAX_RECORD_ID
from domain.services import confirmations

# Ids and page numbers a button may carry: a forged one past a 64-bit database key (or a
# negative page) does not unpack, so it is answered as a stale button before any query.
RecordId = Annotated[int, Field(ge=0, le=MAX_RECORD_ID)]
Page = Annotated[int, Field(ge=0, le=MAX_PAGE)]
# The token of the question a confirming button answers (`domain.services.confirmations`);
# 0: none, what buttons drawn before tokens carry (refused as stale).
ConfirmationToken = Annotated[int, Field(ge=0, le=confirmations.MAX_TOKEN)]


def with_last_field_zero(cls: type[CallbackData], value: str) -> str:
    """Packed data of `cls` as it unpacks, when its last field was added later and 0 means
    "none given" (a confirmation token, the version a card showed): buttons drawn before have
    one field less, and get 0. Their press is then refused as stale or changed, which it is,
    rather than answered as an unknown button."""
    if value.count(cls.__separator__) == len(cls.model_fields) - 1:
        return f"{value}{cls.__separator__}0"
    return value


class FormFields(BaseModel):
    """The fields of a conversation form's callback data: what the button does (`action`, the
    form's own enum) and a value. Each form mixes them into its callback data and narrows
    `action` to its enum (`class WarehouseForm(CallbackData, FormFields, prefix="whf"): action:
    WarehouseFormAction`); the fields keep this order, so a button packs as
    `<prefix>:<action>:<value>`. Not callback data itself: no button is made of it."""

    action: enum.StrEnum
    value: str = ""


class ChosenRole(enum.StrEnum):
    """What a newcomer says they are on /start (not `domain.roles.Role`, who they are)."""

    SELLER = "s"
    BUYER = "b"


class RoleChoice(CallbackData, prefix="role"):
    role: ChosenRole


class RegistrationStep(enum.StrEnum):
    BACK = "back"
    CANCEL = "cancel"
    CONFIRM = "ok"
    EDIT_NAME = "name"
    EDIT_COUNTRY = "country"
    EDIT_LANGUAGE = "lang"


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
    """An answer to the /delete_my_data prompt, with the token that prompt was issued."""

    step: ErasureStep
    token: ConfirmationToken = 0

    @classmethod
    def unpack(cls, value: str) -> Self:
        return super().unpack(with_last_field_zero(cls, value))


class WarehouseMenuAction(enum.StrEnum):
    LIST = "list"
    ADD = "add"
    VIEW = "view"
    EDIT = "edit"
    EDIT_FIELD = "field"
    SAVE_EDIT = "save"
    ARCHIVE = "arch"  # asks to confirm
    ARCHIVE_CONFIRMED = "archok"
    KEEP = "keep"  # not archiving after all: the card
    ADD_DOCUMENTS = "docs"
    RESUBMIT = "resub"
    # Leaving a change (a field, more documents) without saving, and leaving the documents
    # mode with what was sent kept but not yet sent for review.
    CANCEL_CHANGE = "chgno"
    SEND_LATER = "later"


class WarehouseMenu(CallbackData, prefix="whm"):
    action: WarehouseMenuAction
    warehouse_id: RecordId = 0
    field: str = ""
    token: ConfirmationToken = 0  # archiving's confirmation

    @classmethod
    def unpack(cls, value: str) -> Self:
        return super().unpack(with_last_field_zero(cls, value))


class WarehouseFormAction(enum.StrEnum):
    BACK = "back"
    CANCEL = "cancel"
    KIND = "kind"
    SKIP = "skip"
    TOGGLE_CAPABILITY = "cap"
    CAPABILITIES_DONE = "capok"
    DOCUMENT_KIND = "dkind"
    DOCUMENTS_DONE = "docok"
    EDIT = "edit"
    SUBMIT = "submit"


class WarehouseForm(CallbackData, FormFields, prefix="whf"):
    action: WarehouseFormAction


class ReviewStep(enum.StrEnum):
    QUEUE = "queue"
    VERIFIED = "verified"
    OPEN = "open"
    DECIDE = "decide"
    FINDINGS = "findings"
    # Leaving the reason of a decision unwritten (the decision is not taken).
    CANCEL_NOTE = "nonote"


class ReviewAction(CallbackData, prefix="rv"):
    step: ReviewStep
    warehouse_id: RecordId = 0
    decision: str = ""
    page: Page = 0
    # A decision names the warehouse as the card showed it (`Warehouse.revision`).
    shown: RecordId = 0

    @classmethod
    def unpack(cls, value: str) -> Self:
        return super().unpack(with_last_field_zero(cls, value))
