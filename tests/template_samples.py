"""Sample parameters for every message template, so a test can render each in every locale.

A new template without an entry here fails `test_every_template_has_sample_data`.
"""

from __future__ import annotations

from typing import Any

from domain.services.sellers import ErasureBlocker

SAMPLES: dict[str, dict[str, Any]] = {
    "cancel.done": {},
    "cancel.nothing": {},
    "common.not_understood": {},
    "common.slow_down": {},
    "erasure.blocked": {"blockers": [ErasureBlocker(key="common.cancel", count=2)]},
    "erasure.confirm": {},
    "erasure.done": {},
    "erasure.kept": {},
    "errors.conflict": {},
    "errors.generic": {},
    "errors.invalid_choice": {},
    "errors.invalid_input": {},
    "errors.not_allowed": {},
    "errors.not_found": {},
    "errors.stale_button": {},
    "errors.unexpected": {"incident_id": "1a2b3c4d"},
    "help.guest": {},
    "help.operator": {},
    "help.seller": {},
    "language.changed": {"language": "Español"},
    "language.choose": {},
    "privacy.policy": {},
    "registration.already_registered": {},
    "registration.ask_country": {},
    "registration.ask_language": {},
    "registration.ask_store_name": {"current": "Shenzhen <Gadgets> & Co"},
    "registration.country_choices": {},
    "registration.country_not_found": {"query": "<script>"},
    "registration.done": {"store_name": "Shenzhen <Gadgets> & Co"},
    "registration.expecting_text": {},
    "registration.resumed": {},
    "registration.store_name_invalid": {"min": 2, "max": 64},
    "registration.summary": {
        "store_name": "Shenzhen <Gadgets> & Co",
        "country": "CN",
        "language": "中文",
    },
    "registration.use_buttons": {},
    "start.buyer_info": {},
    "start.link_invalid": {},
    "start.link_unknown": {},
    "start.welcome_new": {"name": "Li <Wei>"},
    "start.welcome_operator": {"name": "Olga"},
    "start.welcome_seller": {"store_name": "Shenzhen <Gadgets> & Co"},
    "tests.ping": {"n": 1},
}
