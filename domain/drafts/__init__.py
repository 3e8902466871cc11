"""The drafts of the bot's conversations: what a user has answered so far, and the rules of
the conversation (which steps apply, what a change resets), with no Telegram in sight.

Each draft is an immutable dataclass made JSON-safe from its typed fields by `StoredDraft`
(`to_data` / `from_data`, `domain.drafts.stored`): the conversation engine keeps it in the
user's conversation state, so a restart resumes where the user was.
"""

from __future__ import annotations

from domain.drafts.dispute_outcome import OutcomeDraft
from domain.drafts.order import OrderDraft
from domain.drafts.return_case import ReturnDraft
from domain.drafts.return_leg import ReturnLegDraft
from domain.drafts.return_offer import OfferDraft
from domain.drafts.return_policy import PolicyDraft
from domain.drafts.seller import SellerDraft
from domain.drafts.shipping import ShippingDraft
from domain.drafts.warehouse import WarehouseDraft

__all__ = [
    "OfferDraft",
    "OrderDraft",
    "OutcomeDraft",
    "PolicyDraft",
    "ReturnDraft",
    "ReturnLegDraft",
    "SellerDraft",
    "ShippingDraft",
    "WarehouseDraft",
]
