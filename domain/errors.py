"""Domain errors. Each carries a message key that the error handler renders in the user's language."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused the request; `key` names the template text that explains why."""

    key = "errors.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(self.key)


class NotFound(DomainError):
    """The object does not exist, or is not the caller's (the two look the same on purpose)."""

    key = "errors.not_found"


class NotAllowed(DomainError):
    """The caller may not do this."""

    key = "errors.not_allowed"


class InvalidInput(DomainError):
    """The user typed something we cannot accept; the key says what and how to fix it."""

    key = "errors.invalid_input"


class ConflictError(DomainError):
    """The request clashes with the current state (e.g. a duplicate, or an illegal transition)."""

    key = "errors.conflict"
