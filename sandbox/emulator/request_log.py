"""The record of every Bot API call: requests, spec violations, legacy warnings and counters.

Tests read it to see what the bot asked for (``calls("sendMessage")``); the e2e fixture fails a
test whose bot sent a request the spec does not allow, unless the test expected it
(``expect_violations``).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

from sandbox.emulator.records import EmulatorStats, RequestRecord, Violation

__all__ = ["RequestLog"]


class RequestLog:
    """Requests in order, the violations among them, and counters of notable outcomes."""

    def __init__(self) -> None:
        self.requests: list[RequestRecord] = []
        self.violations: list[Violation] = []
        self.warnings: list[str] = []
        self.stats = EmulatorStats()
        self._expected_violations: set[int] = set()

    def record(
        self,
        method: str,
        params: Mapping[str, Any],
        status: int,
        description: str | None,
        unimplemented: bool,
    ) -> None:
        chat_id: int | str | None = None
        raw_chat = params.get("chat_id")
        if isinstance(raw_chat, int) or (isinstance(raw_chat, str) and raw_chat.startswith("@")):
            chat_id = raw_chat
        elif isinstance(raw_chat, str) and re.fullmatch(r"-?\d+", raw_chat):
            chat_id = int(raw_chat)
        self.stats.requests += 1
        if status == 429:
            self.stats.too_many_requests += 1
        elif status == 403:
            self.stats.forbidden += 1
        elif status == 400:
            self.stats.bad_requests += 1
        elif status >= 500:
            self.stats.server_errors += 1
        record = RequestRecord(
            time.monotonic(), method, chat_id, status, description, unimplemented, dict(params)
        )
        self.requests.append(record)

    def add_violation(self, method: str, params: Mapping[str, Any], problems: list[str]) -> None:
        self.violations.append(Violation(method, dict(params), problems, time.monotonic()))

    def calls(self, method: str) -> list[RequestRecord]:
        """Logged requests of one method (any letter case)."""
        return [r for r in self.requests if r.method.lower() == method.lower()]

    @property
    def unimplemented_calls(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.unimplemented]

    @contextlib.contextmanager
    def expect_violations(self) -> Iterator[list[Violation]]:
        """Mark violations recorded inside the block as intended (the fixture ignores them)."""
        start = len(self.violations)
        captured: list[Violation] = []
        try:
            yield captured
        finally:
            new = self.violations[start:]
            captured.extend(new)
            self._expected_violations.update(id(v) for v in new)

    @property
    def unexpected_violations(self) -> list[Violation]:
        """Violations not recorded inside an ``expect_violations()`` block."""
        return [v for v in self.violations if id(v) not in self._expected_violations]
