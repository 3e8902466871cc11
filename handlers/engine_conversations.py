"""Every conversation that runs on the engine (`handlers.conversations`), in one list: what
`/start` and an unknown answer resume, and what the fallback names in its pop-ups."""

from __future__ import annotations

from typing import Any

from handlers import return_closing, return_leg, return_offer
from handlers.buyer import return_request
from handlers.conversations import Conversation
from handlers.operator import disputes
from handlers.seller import (
    new_order,
    registration,
    return_policy,
    shipping,
    warehouse_registration,
)

ENGINE_CONVERSATIONS: tuple[Conversation[Any], ...] = (
    registration.CONVERSATION,
    warehouse_registration.CONVERSATION,
    new_order.CONVERSATION,
    shipping.CONVERSATION,
    return_request.CONVERSATION,
    return_offer.CONVERSATION,
    *return_leg.CONVERSATIONS,
    *return_closing.CONVERSATIONS,
    return_policy.CONVERSATION,
    disputes.CONVERSATION,
)
