"""Button labels of the shipping document, logistics comparison, budget and costs."""

from __future__ import annotations

from templates.labels_base import N_  # noqa: F401 (used as entries are added)

SHIPPING_LABELS: dict[str, str] = {}
