"""The gettext marker shared by the label modules."""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark `text` for extraction; the Renderer translates it per locale."""
    return text
