"""A seller's return policy while they edit it in chat.

Every change is saved at once (`domain.services.return_policies`), so the draft holds only what
one change needs across two answers — the name of a category whose SKU prefixes come next —
and whether the card it shows next follows a saved change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from domain.drafts.stored import StoredDraft
from domain.returns.policy import (
    CATEGORY_NAME_MAX,
    NonReturnableCategory,
    clean_category,
    split_prefixes,
)
from domain.typed_text import clean_typed_line


@dataclass(frozen=True)
class PolicyDraft(StoredDraft):
    category_name: str | None = None
    saved: bool = False  # the card follows a change that was just saved

    def with_category_name(self, raw: str) -> PolicyDraft:
        name = clean_typed_line(raw, 1, CATEGORY_NAME_MAX, "returns.category_name_invalid")
        return replace(self, category_name=name, saved=False)

    def category(self, raw_prefixes: str) -> NonReturnableCategory:
        """The category named before, with the SKU prefixes typed now."""
        return clean_category(self.category_name, split_prefixes(raw_prefixes))

    def after_saving(self) -> PolicyDraft:
        return PolicyDraft(saved=True)

    def unchanged(self) -> PolicyDraft:
        return PolicyDraft()
