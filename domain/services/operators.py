"""Who may act as an operator: the Telegram user ids of the configuration, given by the caller.

Every operator use case (certification review, compliance findings, the outbox's dead letters)
checks it itself, so a forged button or a handler that forgot the check changes nothing.
"""

from __future__ import annotations

from domain.errors import NotAllowed


def require_operator(user_id: int, operator_ids: frozenset[int]) -> None:
    """Refuse anyone who is not an operator, with the "not allowed" answer."""
    if user_id not in operator_ids:
        raise NotAllowed()
