"""A seller's return policy: the window after delivery, what they do not take back, and who
pays return postage for each reason.

Orders carry no product category, so a seller names each category they do not take back
together with the SKU prefixes of its products ("Swimwear": `SW-`, `BIKINI`); an order line
belongs to the category when its SKU starts with one of them (case-insensitive). Such a line
is outside the policy only for reasons where the store is not at fault (`NO_FAULT_REASONS`):
a damaged or wrong item is the store's problem whatever it is.

Outside the policy is not a refusal: the buyer is told, may still ask, and the seller decides.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from domain.errors import InvalidInput
from domain.returns.rules import NO_FAULT_REASONS, OutOfPolicy, PostagePayer, ReturnReason
from domain.typed_text import clean_typed_line

DEFAULT_WINDOW_DAYS = 15
WINDOW_DAYS_MAX = 365
CATEGORY_NAME_MAX = 64
SKU_PREFIX_MAX = 32
MAX_CATEGORIES = 20
MAX_PREFIXES_PER_CATEGORY = 20
# How long a category's key is (`NonReturnableCategory.key`): what a button names it by.
CATEGORY_KEY_LENGTH = 10
# What separates the SKU prefixes a seller types: commas, semicolons, white space.
_PREFIX_SEPARATORS = re.compile(r"[,;\s]+")

# The marketplace's rule: the store pays when the goods were at fault (defective, damaged, not
# as described, wrong or incomplete), the buyer when they changed their mind. "Other" says
# nothing about fault; the buyer pays unless the seller's offer says otherwise.
DEFAULT_POSTAGE: Mapping[ReturnReason, PostagePayer] = MappingProxyType(
    {
        ReturnReason.NOT_AS_DESCRIBED: PostagePayer.STORE,
        ReturnReason.DAMAGED: PostagePayer.STORE,
        ReturnReason.WRONG_ITEM: PostagePayer.STORE,
        ReturnReason.MISSING_PARTS: PostagePayer.STORE,
        ReturnReason.QUALITY_PROBLEM: PostagePayer.STORE,
        ReturnReason.CHANGED_MIND: PostagePayer.BUYER,
        ReturnReason.OTHER: PostagePayer.BUYER,
    }
)


@dataclass(frozen=True, slots=True)
class NonReturnableCategory:
    """A kind of goods the seller does not take back, recognised by SKU prefixes."""

    name: str
    sku_prefixes: tuple[str, ...]

    @property
    def key(self) -> str:
        """A short name of the category that stays the same while it exists, so a button that
        removes it cannot remove another one after the list changed."""
        digest = hashlib.sha256(self.name.casefold().encode()).hexdigest()
        return digest[:CATEGORY_KEY_LENGTH]

    def covers(self, sku: str | None) -> bool:
        if not sku:
            return False
        folded = sku.strip().casefold()
        return any(folded.startswith(prefix.casefold()) for prefix in self.sku_prefixes)


@dataclass(frozen=True, slots=True)
class ReturnPolicy:
    window_days: int = DEFAULT_WINDOW_DAYS
    non_returnable: tuple[NonReturnableCategory, ...] = ()
    postage: Mapping[ReturnReason, PostagePayer] = field(default_factory=lambda: DEFAULT_POSTAGE)

    def __post_init__(self) -> None:
        if not 1 <= self.window_days <= WINDOW_DAYS_MAX:
            raise InvalidInput("returns.window_invalid", max=WINDOW_DAYS_MAX)
        if len(self.non_returnable) > MAX_CATEGORIES:
            raise InvalidInput("returns.too_many_categories", max=MAX_CATEGORIES)
        # Every reason has a payer: a policy stored before a reason existed gets the default.
        object.__setattr__(
            self, "postage", MappingProxyType({**DEFAULT_POSTAGE, **dict(self.postage)})
        )

    def postage_payer(self, reason: ReturnReason) -> PostagePayer:
        return self.postage[reason]

    def window_closes_at(self, delivered_at: datetime | None) -> datetime | None:
        """When the window ends; None while the goods are not known to be delivered."""
        if delivered_at is None:
            return None
        return delivered_at + timedelta(days=self.window_days)

    def category_of(self, sku: str | None) -> NonReturnableCategory | None:
        return next((c for c in self.non_returnable if c.covers(sku)), None)

    def out_of_policy(
        self,
        reason: ReturnReason,
        skus: Iterable[str | None],
        delivered_at: datetime | None,
        now: datetime,
    ) -> tuple[OutOfPolicy, ...]:
        """Why a case opened now for these items would be outside the policy (empty: inside)."""
        found: list[OutOfPolicy] = []
        closes = self.window_closes_at(delivered_at)
        if closes is not None and now > closes:
            found.append(OutOfPolicy.WINDOW)
        if reason in NO_FAULT_REASONS and any(self.category_of(sku) for sku in skus):
            found.append(OutOfPolicy.CATEGORY)
        return tuple(found)

    # ----- what a seller changes -----

    def with_window(self, raw: object) -> ReturnPolicy:
        return replace(self, window_days=clean_window_days(raw))

    def check_room_for_category(self) -> None:
        if len(self.non_returnable) >= MAX_CATEGORIES:
            raise InvalidInput("returns.too_many_categories", max=MAX_CATEGORIES)

    def check_new_category_name(self, name: str) -> None:
        """Refuse a category the policy cannot take: one too many, or a name already used."""
        self.check_room_for_category()
        if any(c.name.casefold() == name.casefold() for c in self.non_returnable):
            raise InvalidInput("returns.category_exists", name=name)

    def with_category(self, category: NonReturnableCategory) -> ReturnPolicy:
        self.check_new_category_name(category.name)
        return replace(self, non_returnable=(*self.non_returnable, category))

    def without_category(self, key: str) -> ReturnPolicy:
        """Without the category of this `key`; one already removed is a stale button."""
        kept = tuple(c for c in self.non_returnable if c.key != key)
        if len(kept) == len(self.non_returnable):
            raise InvalidInput("returns.category_gone")
        return replace(self, non_returnable=kept)

    def with_payer_switched(self, raw_reason: str) -> ReturnPolicy:
        """The other side pays return postage for this reason (a reason's value, untrusted)."""
        if raw_reason not in ReturnReason.__members__.values():
            raise InvalidInput("errors.invalid_choice")
        reason = ReturnReason(raw_reason)
        payer = (
            PostagePayer.BUYER if self.postage[reason] is PostagePayer.STORE else PostagePayer.STORE
        )
        return replace(self, postage={**self.postage, reason: payer})

    # ----- storage -----

    def as_dict(self) -> dict[str, Any]:
        return {
            "window_days": self.window_days,
            "non_returnable": [
                {"name": c.name, "sku_prefixes": list(c.sku_prefixes)} for c in self.non_returnable
            ],
            "postage": {reason.value: payer.value for reason, payer in self.postage.items()},
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> ReturnPolicy:
        """A stored policy; unknown reasons (removed since) are ignored."""
        postage = {
            ReturnReason(reason): PostagePayer(payer)
            for reason, payer in dict(stored.get("postage") or {}).items()
            if reason in ReturnReason.__members__.values()
        }
        return cls(
            window_days=int(stored.get("window_days", DEFAULT_WINDOW_DAYS)),
            non_returnable=tuple(
                NonReturnableCategory(str(c["name"]), tuple(c["sku_prefixes"]))
                for c in stored.get("non_returnable") or []
            ),
            postage=postage,
        )


def clean_window_days(raw: object) -> int:
    text = str(raw).strip() if raw is not None else ""
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if not text.isdecimal() or not 1 <= int(text) <= WINDOW_DAYS_MAX:
        raise InvalidInput("returns.window_invalid", max=WINDOW_DAYS_MAX)
    return int(text)


def split_prefixes(raw: str) -> list[str]:
    """The SKU prefixes of one typed line: separated by commas, semicolons or spaces."""
    return [part for part in _PREFIX_SEPARATORS.split(raw) if part]


def clean_category(name: object, prefixes: Iterable[object]) -> NonReturnableCategory:
    """A category as a seller typed it: a name and one or more SKU prefixes."""
    checked_name = clean_typed_line(name, 1, CATEGORY_NAME_MAX, "returns.category_name_invalid")
    checked: list[str] = []
    for raw in prefixes:
        prefix = clean_typed_line(raw, 1, SKU_PREFIX_MAX, "returns.sku_prefix_invalid")
        if any(ch.isspace() for ch in prefix):
            raise InvalidInput("returns.sku_prefix_invalid", max=SKU_PREFIX_MAX)
        if prefix.casefold() not in {p.casefold() for p in checked}:
            checked.append(prefix)
    if not checked or len(checked) > MAX_PREFIXES_PER_CATEGORY:
        raise InvalidInput("returns.sku_prefix_invalid", max=SKU_PREFIX_MAX)
    return NonReturnableCategory(checked_name, tuple(checked))
