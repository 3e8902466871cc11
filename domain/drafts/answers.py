"""What every draft needs of an earlier answer."""

from __future__ import annotations

from typing import TypeVar

from domain.errors import InvalidInput

T = TypeVar("T")


def answered(answer: T | None) -> T:
    """An answer a later step or the summary builds on. Missing, the conversation was driven
    out of order (a stale or forged button): refused like any choice that is not offered."""
    if answer is None:
        raise InvalidInput("errors.invalid_choice")
    return answer
