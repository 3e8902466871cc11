"""Erasure keeps up with the code: every kind of audit subject the services record is one that
erasure knows how to find for a person, and audit details keep facts only."""

from __future__ import annotations

import re
from pathlib import Path

from domain.personal_data import audit_facts
from domain.repositories import PersonalDataRepository

ROOT = Path(__file__).resolve().parents[2]
# `audit.record(subject_type="order", ...)` or `audit.add(..., about=("order", ...))`.
SUBJECT_TYPE = re.compile(r"""(?:subject_type=|about=\()["'](\w+)["']""")


def test_erasure_finds_every_kind_of_audit_subject() -> None:
    recorded = {
        match
        for path in (ROOT / "domain").rglob("*.py")
        for match in SUBJECT_TYPE.findall(path.read_text(encoding="utf-8"))
    }
    known = {
        subject.subject_type
        for subject in [
            *PersonalDataRepository.subjects_of_user(1),
            *PersonalDataRepository.subjects_of_seller(1),
        ]
    }
    assert recorded, "the pattern no longer finds audit records"
    # A new subject type needs its owner's erasure to find it (domain/personal_data.py).
    assert recorded <= known


def test_audit_facts_drop_what_is_not_known_to_be_safe() -> None:
    details = {
        "field": "contact_phone",
        "before": "+8613800138000",
        "after": "+8613900139000",
        "note": "Call Li Wei",
        "number": "AE-1",
        "something_new": "Li Wei",
    }
    assert audit_facts(details) == {"field": "contact_phone", "number": "AE-1"}
    assert audit_facts(None) == {}
