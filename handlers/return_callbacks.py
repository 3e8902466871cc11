"""Typed callback data of return cases: the seller's /returns, the case card of either side, the
offer form, the return leg's forms, and the operators' disputes (/escalated, recording an
outcome). Ids and enums only; every case id is checked against the caller by the service on
every use."""

from __future__ import annotations

import enum
from typing import Annotated, Self

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from domain.returns.rules import Side
from domain.services import return_disputes, return_views
from handlers.callbacks import FormFields, Page, RecordId

# The longest value a policy button carries: a category's key or a reason's name.
POLICY_VALUE_MAX = 24


class ReturnAction(enum.StrEnum):
    LIST = "list"
    VIEW = "view"


class ReturnMenu(CallbackData, prefix="rtm"):
    action: ReturnAction
    case_id: RecordId = 0
    listing: return_views.CaseFilter = return_views.CaseFilter.OPEN
    page: Page = 0


class CasePick(CallbackData, prefix="rcp"):
    """A case chosen in the `/case` picker (the caller's side in it is checked on press)."""

    case_id: RecordId


class CaseButton(enum.StrEnum):
    """The buttons of a case card, for either side (`handlers.return_case`)."""

    OPEN = "open"  # the card
    PROPOSE = "prop"
    COUNTER = "ctr"
    ACCEPT = "acc"  # value: the warehouse the seller names for a buyer's return, else 0
    DECLINE = "dec"
    ESCALATE = "esc"  # asks to confirm
    ESCALATE_YES = "escy"  # value: the confirmation's token
    KEEP = "keep"  # not escalating after all; value: the token of the question it answers
    TRACKING = "trk"
    RECEIPT = "rcv"
    REFUND = "ref"
    RESOLVE = "res"  # an exchange whose goods came back
    DECLINE_CASE = "no"  # the seller refuses the whole case, with a reason
    TRANSCRIPT = "tx"
    EVIDENCE = "ev"  # the photos and videos both sides attached


class CaseAct(CallbackData, prefix="rca"):
    """A press on a return case; the case id and the side are client input, so the service
    checks that the caller is that side of that case on every use. Accept and decline carry
    the offer their card showed (`offer_id`), refused when the case's open offer is another."""

    action: CaseButton
    case_id: RecordId
    side: Side
    value: RecordId = 0
    offer_id: RecordId = 0  # 0: no offer named (an accept or decline so named is refused)

    @classmethod
    def unpack(cls, value: str) -> Self:
        # Buttons drawn before `offer_id` existed have one field less: they name no offer.
        if value.count(cls.__separator__) == len(cls.model_fields) - 1:
            value = f"{value}{cls.__separator__}0"
        return super().unpack(value)


class OfferFormAction(enum.StrEnum):
    """The buttons of the offer form (`handlers.return_offer`)."""

    BACK = "back"
    CANCEL = "cancel"
    EDIT = "edit"
    RESOLUTION = "res"  # value: a Resolution
    EVERYTHING = "all"  # all that was paid
    PAYER = "pay"  # value: a PostagePayer
    WAREHOUSE = "wh"  # value: a warehouse id among the form's, or "" for the store to choose
    DAYS = "days"  # value: a number of days
    SUBMIT = "send"


class OfferForm(CallbackData, FormFields, prefix="rof"):
    action: OfferFormAction


class LegFormAction(enum.StrEnum):
    """The buttons of the return leg's forms (`handlers.return_leg`)."""

    BACK = "back"
    CANCEL = "cancel"
    SKIP = "skip"  # no note, no reference
    PHOTOS_DONE = "ph"
    AGREED_AMOUNT = "agreed"
    SUBMIT = "send"


class LegForm(CallbackData, FormFields, prefix="rlg"):
    action: LegFormAction


class PolicyFormAction(enum.StrEnum):
    """The buttons of the return-policy editor (`handlers.seller.return_policy`)."""

    OPEN = "open"  # /returns' button: the card
    BACK = "back"
    CANCEL = "cancel"
    DONE = "done"  # close the card
    WINDOW = "win"
    ADD = "add"
    REMOVE = "del"  # value: the category's key
    PAYER = "pay"  # value: a ReturnReason whose payer switches
    RESET = "reset"  # asks to confirm
    RESET_YES = "resety"


class PolicyForm(CallbackData, FormFields, prefix="rpl"):
    action: PolicyFormAction
    # A category's key or a reason; anything longer is forged and does not unpack.
    value: Annotated[str, Field(max_length=POLICY_VALUE_MAX)] = ""


class DisputeMenuAction(enum.StrEnum):
    """The buttons of the operators' /escalated (`handlers.operator.disputes`)."""

    LIST = "list"  # a list (`listing`) and its page
    RECORD = "rec"  # record the outcome of case `case_id`: the form starts


class DisputeMenu(CallbackData, prefix="rdm"):
    action: DisputeMenuAction
    listing: return_disputes.DisputeFilter = return_disputes.DisputeFilter.AWAITING
    case_id: RecordId = 0
    page: Page = 0


class OutcomeFormAction(enum.StrEnum):
    """The buttons of the form recording a dispute's outcome (`handlers.operator.disputes`)."""

    BACK = "back"
    CANCEL = "cancel"
    OUTCOME = "out"  # value: a DisputeOutcome
    WHOLE = "all"  # the platform refunded all that was paid
    RECORD = "rec"  # the confirmation's yes; value: the question's token


class OutcomeForm(CallbackData, FormFields, prefix="rdo"):
    action: OutcomeFormAction
