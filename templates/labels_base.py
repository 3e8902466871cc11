"""The gettext markers shared by the label modules."""

from __future__ import annotations

from typing import NamedTuple


class Plural(NamedTuple):
    """A label with a `{count}`: the Renderer picks the form the count needs in each locale."""

    singular: str
    plural: str


def N_(text: str) -> str:
    """Mark `text` for extraction; the Renderer translates it per locale."""
    return text


def NP_(singular: str, plural: str) -> Plural:
    """Mark a counted label for extraction with its plural (`{count}` is the number)."""
    return Plural(singular, plural)
