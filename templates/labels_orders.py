"""Button labels of the orders features (intake, list, confirmation, import)."""

from __future__ import annotations

from templates.labels_base import N_  # noqa: F401 (used as entries are added)

ORDER_LABELS: dict[str, str] = {}
