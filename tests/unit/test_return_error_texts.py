"""Every error the return case rules can raise has its text: the error handler renders the
error's key as a template, so a key without one would answer the user with a crash."""

from __future__ import annotations

import re
from pathlib import Path

from templates.renderer import all_template_names

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(r'"(returns\.[a-z_]+)"')
# Outbox row kinds that are not rendered by their own name: an edited relayed message is
# re-rendered with `returns.relayed` (notifications/return_relay.py).
DELIVERY_KINDS = {"returns.relayed_edit"}


def test_every_returns_key_the_domain_uses_is_a_template() -> None:
    used = {
        key
        for folder in ("domain/returns", "domain/model", "domain/services")
        for path in (ROOT / folder).rglob("*.py")
        for key in KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 30, "the pattern no longer finds the keys"
    assert sorted(used - set(all_template_names()) - DELIVERY_KINDS) == []
