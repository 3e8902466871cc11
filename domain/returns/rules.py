"""The vocabulary of return cases: reasons, resolutions, statuses, sides, actions, limits.

Plain enums and constants, no I/O: the aggregate (`domain.model.returns`), the seller's
policy, the deadlines and the services all speak it.
"""

from __future__ import annotations

import enum
from datetime import timedelta


class Side(enum.StrEnum):
    """The two parties of a case. Operators read escalated cases; they are not a side."""

    BUYER = "buyer"
    SELLER = "seller"

    @property
    def other(self) -> Side:
        return Side.SELLER if self is Side.BUYER else Side.BUYER


class ReturnReason(enum.StrEnum):
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED = "damaged"  # damaged in transit
    WRONG_ITEM = "wrong_item"
    MISSING_PARTS = "missing_parts"
    QUALITY_PROBLEM = "quality_problem"
    CHANGED_MIND = "changed_mind"
    OTHER = "other"


# Marketplaces ask for proof of these once goods have arrived: a photo or a short video.
REASONS_NEEDING_EVIDENCE = frozenset(
    {
        ReturnReason.DAMAGED,
        ReturnReason.NOT_AS_DESCRIBED,
        ReturnReason.WRONG_ITEM,
        ReturnReason.MISSING_PARTS,
    }
)
# Reasons where the store is not at fault: only these can be refused for a category the
# seller does not take back (a defective item is the store's problem whatever it is).
NO_FAULT_REASONS = frozenset({ReturnReason.CHANGED_MIND, ReturnReason.OTHER})


class Resolution(enum.StrEnum):
    """What a buyer asks for, what an offer proposes and what the case ends with."""

    REFUND_FULL = "refund_full"  # refund only, the whole amount paid for the items
    REFUND_PARTIAL = "refund_partial"  # refund only, part of it
    RETURN_AND_REFUND = "return_and_refund"
    EXCHANGE = "exchange"
    KEEP_PARTIAL_REFUND = "keep_partial_refund"  # the buyer keeps the item

    @property
    def needs_return(self) -> bool:
        """The goods travel back to a seller's warehouse before the case can end."""
        return self in (Resolution.RETURN_AND_REFUND, Resolution.EXCHANGE)

    @property
    def pays_money(self) -> bool:
        return self is not Resolution.EXCHANGE

    @property
    def is_partial(self) -> bool:
        return self in (Resolution.REFUND_PARTIAL, Resolution.KEEP_PARTIAL_REFUND)


class CaseStatus(enum.StrEnum):
    REQUESTED = "requested"
    NEGOTIATING = "negotiating"
    AGREED = "agreed"
    AWAITING_RETURN_SHIPMENT = "awaiting_return_shipment"
    RETURN_IN_TRANSIT = "return_in_transit"
    RECEIVED = "received"
    RESOLVED = "resolved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    # Either side took it to a platform dispute: frozen, kept for the transcript.
    ESCALATED = "escalated"


# A case in one of these is over: nothing moves it any more.
FINAL_STATUSES = frozenset(
    {
        CaseStatus.RESOLVED,
        CaseStatus.DECLINED,
        CaseStatus.WITHDRAWN,
        CaseStatus.EXPIRED,
        CaseStatus.ESCALATED,
    }
)
OPEN_STATUSES = frozenset(set(CaseStatus) - FINAL_STATUSES)


class Action(enum.StrEnum):
    """What a side may do to a case; `ReturnCase.allowed_actions(side)` lists the current ones."""

    POST_MESSAGE = "post_message"
    ADD_EVIDENCE = "add_evidence"
    PROPOSE_OFFER = "propose_offer"
    COUNTER_OFFER = "counter_offer"
    ACCEPT_OFFER = "accept_offer"
    DECLINE_OFFER = "decline_offer"
    DECLINE_CASE = "decline_case"
    WITHDRAW = "withdraw"
    ESCALATE = "escalate"
    RECORD_RETURN_TRACKING = "record_return_tracking"
    CONFIRM_RECEIPT = "confirm_receipt"
    RECORD_REFUND = "record_refund"
    RESOLVE = "resolve"


class DisputeOutcome(enum.StrEnum):
    """How the platform ended a dispute, as an operator records it (the bot is not told)."""

    FOR_BUYER = "for_buyer"  # decided for the buyer: refunded (the amount is recorded)
    FOR_SELLER = "for_seller"  # decided for the store: no refund
    CLOSED = "closed"  # closed without a decision: withdrawn, or settled on the platform


class DisputeStage(enum.StrEnum):
    """Where a case stands with the platform; what an operator may do follows from it."""

    NOT_DISPUTED = "not_disputed"  # never escalated: the two sides' business
    AWAITING_OUTCOME = "awaiting_outcome"  # escalated, the platform's decision not recorded
    DECIDED = "decided"  # the outcome is recorded, for good


class DisputeAction(enum.StrEnum):
    """What an operator may do with a case (`ReturnCase.dispute_actions`)."""

    READ_TRANSCRIPT = "read_transcript"
    RECORD_OUTCOME = "record_outcome"


class PostagePayer(enum.StrEnum):
    """Who pays for sending the goods back."""

    STORE = "store"
    BUYER = "buyer"


class EvidenceKind(enum.StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COUNTERED = "countered"  # replaced by the other side's counter-offer
    LAPSED = "lapsed"  # nobody answered in time
    WITHDRAWN = "withdrawn"  # the case ended while it was open


class MessageKind(enum.StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    VIDEO = "video"
    DOCUMENT = "document"
    VOICE = "voice"


class OutOfPolicy(enum.StrEnum):
    """Why a case falls outside the seller's policy (the seller decides all the same)."""

    WINDOW = "window"  # opened after the return window closed
    CATEGORY = "category"  # an item of a category the seller does not take back


MAX_EVIDENCE_PER_SIDE = 10
COMMENT_MAX = 1000
MESSAGE_TEXT_MAX = 4000
NOTE_MAX = 1000
REFUND_REFERENCE_MAX = 64
FILE_ID_MAX = 255
# How long an agreed action (shipping the return) may be given, in days.
ACT_WITHIN_DAYS_MIN = 1
ACT_WITHIN_DAYS_MAX = 30
# How long after its escalation a case's record is kept, at the longest, from its two sides'
# erasure (`domain.services.erasure`): the platform decides the dispute from it (the buyer's
# photos and messages included). The hold ends as soon as an operator records the platform's
# decision (`ReturnCase.record_outcome`); the bot is not told the decision itself, so a dispute
# nobody records an outcome for is let go by time: platforms decide disputes within weeks.
DISPUTE_RECORD_HOLD = timedelta(days=90)
