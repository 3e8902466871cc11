"""How a draft is kept between updates: as JSON-safe data derived from its own fields.

A draft lists its answers once, as typed dataclass fields; pydantic turns them into plain data
(decimals as strings, enums as their values, tuples and small records as lists) and back, with
the same types. A field added to a draft is therefore stored and restored without more code.

Data stored by an older version still loads: keys it lacks take the field's default, keys it
has that the draft no longer knows are ignored.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import TypeAdapter, ValidationError

__all__ = ["StoredDraft", "UnreadableDraft"]


class UnreadableDraft(ValueError):
    """The stored data is not a draft of this kind (written by hand, or by a foreign version)."""


class StoredDraft:
    """Gives a frozen dataclass draft `to_data` and `from_data` (what the engine stores)."""

    __slots__ = ()

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = _adapter(type(self)).dump_python(self, mode="json")
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Self:
        try:
            draft: Self = _adapter(cls).validate_python(data)
        except ValidationError as error:
            # Field names and error kinds only: the values are what a user typed.
            problems = ", ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in error.errors()
            )
            raise UnreadableDraft(f"stored {cls.__name__} is unreadable ({problems})") from None
        return draft


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(draft_type: type) -> TypeAdapter[Any]:
    # Built on first use: a schema costs a few milliseconds, and a process needs few of them.
    adapter = _ADAPTERS.get(draft_type)
    if adapter is None:
        adapter = _ADAPTERS[draft_type] = TypeAdapter(draft_type)
    return adapter
