"""Sample parameters of the return case templates (merged into `tests.template_samples`)."""

from __future__ import annotations

from typing import Any

DEADLINE = {
    "case_id": 1042,
    "order_number": "8123<45>",
    "kind": "seller_first_answer",
    "recipient": "seller",
    "due_at": "2026-11-30T12:00:00+00:00",
}

RETURN_SAMPLES: dict[str, dict[str, Any]] = {
    "returns.deadline_reminder": DEADLINE,
    "returns.deadline_lapsed": DEADLINE,
}
