"""What return cases do to /delete_my_data, without a database: for each status of a case,
whether it blocks its buyer's and its seller's erasure, under which blocker and advice, and the
day a platform dispute's hold ends. Written out here independently of the code's status sets;
the database side (which cases are counted) is in tests/reliability/test_erasure_return_cases.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.repositories import CasesInStatus
from domain.returns.rules import DISPUTE_RECORD_HOLD, CaseStatus
from domain.services import erasure

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
S = CaseStatus
WITHDRAW = ("erasure.returns_to_withdraw", "erasure.withdraw_or_wait")
WAIT_FOR_STORE = ("erasure.returns_coming_back", "erasure.wait_for_store")
SETTLE = ("erasure.store_returns_open", "erasure.settle_returns")
DISPUTE = ("erasure.returns_in_dispute", "erasure.wait_for_dispute")
# The buyer's blocker and the seller's blocker of a case in each status (None: none).
BY_STATUS: dict[CaseStatus, tuple[tuple[str, str] | None, tuple[str, str] | None]] = {
    S.REQUESTED: (WITHDRAW, SETTLE),
    S.NEGOTIATING: (WITHDRAW, SETTLE),
    S.AGREED: (WITHDRAW, SETTLE),
    S.AWAITING_RETURN_SHIPMENT: (WITHDRAW, SETTLE),
    S.RETURN_IN_TRANSIT: (WAIT_FOR_STORE, SETTLE),
    S.RECEIVED: (WAIT_FOR_STORE, SETTLE),
    S.ESCALATED: (DISPUTE, DISPUTE),
    S.RESOLVED: (None, None),
    S.DECLINED: (None, None),
    S.WITHDRAWN: (None, None),
    S.EXPIRED: (None, None),
}


def cases(status: CaseStatus, count: int = 1) -> dict[CaseStatus, CasesInStatus]:
    escalated = NOW if status is S.ESCALATED else None
    return {status: CasesInStatus(count, escalated)}


def keys(blockers: list[erasure.ErasureBlocker]) -> list[tuple[str, str | None, int]]:
    return [(b.key, b.advice, b.count) for b in blockers]


def test_every_status_is_decided() -> None:
    assert set(BY_STATUS) == set(CaseStatus)


@pytest.mark.parametrize("status", list(CaseStatus))
def test_a_buyers_case_blocks_their_erasure_while_it_is_open_or_disputed(
    status: CaseStatus,
) -> None:
    expected = BY_STATUS[status][0]
    blockers = erasure.return_blockers(cases(status, 2), {})
    assert keys(blockers) == ([] if expected is None else [(*expected, 2)])


@pytest.mark.parametrize("status", list(CaseStatus))
def test_a_stores_case_blocks_the_sellers_erasure_while_it_is_open_or_disputed(
    status: CaseStatus,
) -> None:
    expected = BY_STATUS[status][1]
    blockers = erasure.return_blockers({}, cases(status, 3))
    assert keys(blockers) == ([] if expected is None else [(*expected, 3)])


def test_each_kind_of_case_is_counted_under_its_own_blocker() -> None:
    bought = {
        S.REQUESTED: CasesInStatus(2, None),
        S.AGREED: CasesInStatus(1, None),
        S.RECEIVED: CasesInStatus(1, None),
        S.ESCALATED: CasesInStatus(1, NOW),
    }
    sold = {S.NEGOTIATING: CasesInStatus(4, None), S.ESCALATED: CasesInStatus(2, NOW)}
    assert keys(erasure.return_blockers(bought, sold)) == [
        (*WITHDRAW, 3),
        (*WAIT_FOR_STORE, 1),
        (*SETTLE, 4),
        (*DISPUTE, 3),
    ]


def test_only_a_dispute_names_the_day_its_hold_ends() -> None:
    blockers = erasure.return_blockers(cases(S.NEGOTIATING), cases(S.RECEIVED))
    assert [b.until for b in blockers] == [None, None]
    [dispute] = erasure.return_blockers(cases(S.ESCALATED), {})
    # Escalated at noon: the hold ends at noon 90 days later, so the day after is the first
    # whole day free of it.
    assert (NOW + DISPUTE_RECORD_HOLD).date() == date(2027, 2, 23)
    assert dispute.until == date(2027, 2, 24)


def test_a_hold_ending_at_midnight_frees_that_very_day() -> None:
    midnight = datetime(2026, 11, 25, tzinfo=UTC)
    [dispute] = erasure.return_blockers({S.ESCALATED: CasesInStatus(1, midnight)}, {})
    assert dispute.until == date(2027, 2, 23)


def test_the_latest_dispute_of_either_side_sets_the_day() -> None:
    earlier = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
    [dispute] = erasure.return_blockers(
        {S.ESCALATED: CasesInStatus(1, NOW)}, {S.ESCALATED: CasesInStatus(2, earlier)}
    )
    assert (dispute.count, dispute.until) == (3, date(2027, 2, 24))
