"""Template samples of the shipping document features (see tests/template_samples.py)."""

from __future__ import annotations

from typing import Any

SHIPPING_SAMPLES: dict[str, dict[str, Any]] = {}
