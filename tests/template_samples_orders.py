"""Template samples of the orders features (see tests/template_samples.py)."""

from __future__ import annotations

from typing import Any

ORDER_SAMPLES: dict[str, dict[str, Any]] = {}
