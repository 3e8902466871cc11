"""The file worker: parsers run in a child process that cannot stall, bloat or subvert the bot.

Each way a child can misbehave ends as an `InvalidInput` the user can read, naming the limit.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

import pytest

from bot import file_worker
from bot.file_worker import JOBS, FileWorker
from domain.errors import InvalidInput
from tests.fixtures import certificates
from tests.fixtures.spreadsheet_bombs import blank_rows_bomb

TEST_JOBS = {name: f"tests.fixtures.worker_jobs:{name}" for name in (
    "echo", "spin", "sleep", "hog", "recurse", "abort", "smuggle", "environment", "invalid"
)} | {"slow_start": "tests.fixtures.worker_slow_start:quick"} | dict(JOBS)  # fmt: skip


def _worker(**kwargs: Any) -> FileWorker:
    return FileWorker(jobs=TEST_JOBS, **kwargs)


async def _refusal(
    worker: FileWorker, job: str, seconds: float = 20, **params: Any
) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        await worker.run(
            job, params, seconds=seconds, file_name="f.xlsx", unreadable_key="files.unreadable"
        )
    return raised.value


async def test_messages_come_back_as_plain_data() -> None:
    worker = _worker()
    stream = worker.stream(
        "echo", {"a": 1}, seconds=20, file_name="f", unreadable_key="files.unreadable"
    )
    async with contextlib.aclosing(stream) as messages:
        received = [message async for message in messages if message is not None]
    first, second = received
    assert first["params"] == {"a": 1}
    assert str(first["amount"]) == "1.10"
    assert first["at"].isoformat() == "2026-01-02T00:00:00+00:00"
    assert second == ("second", [1, 2])


async def test_a_parser_past_its_time_budget_is_killed() -> None:
    started = time.monotonic()
    refused = await _refusal(_worker(heartbeat_seconds=0.2), "sleep", seconds=1)
    assert (refused.key, refused.params) == (
        "files.time_limit",
        {"file_name": "f.xlsx", "seconds": 1},
    )
    assert time.monotonic() - started < 15


async def test_start_up_is_not_counted_against_the_files_budget() -> None:
    # The job's import takes 2 s; reading the file itself fits in its 1 s budget.
    result = await _worker(heartbeat_seconds=0.2).run(
        "slow_start", {}, seconds=1, file_name="f.xlsx", unreadable_key="files.unreadable"
    )
    assert result == "read"


async def test_a_worker_that_cannot_start_in_time_says_the_bot_is_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(file_worker, "STARTUP_SECONDS", 0.5)
    refused = await _refusal(_worker(heartbeat_seconds=0.2), "slow_start", seconds=20)
    assert (refused.key, refused.params) == ("files.worker_busy", {"file_name": "f.xlsx"})


async def test_a_busy_parser_is_stopped_by_its_cpu_limit_or_the_clock() -> None:
    refused = await _refusal(_worker(heartbeat_seconds=0.2), "spin", seconds=1)
    assert refused.key == "files.time_limit"


async def test_a_parser_past_its_memory_bound_is_refused_by_name() -> None:
    refused = await _refusal(_worker(memory_mb=256), "hog")
    assert (refused.key, refused.params) == (
        "files.memory_limit",
        {"file_name": "f.xlsx", "megabytes": 256},
    )


@pytest.mark.parametrize("job", ["recurse", "abort"])
async def test_a_crashing_parser_means_an_unreadable_file(job: str) -> None:
    refused = await _refusal(_worker(), job)
    assert (refused.key, refused.params) == ("files.unreadable", {"file_name": "f.xlsx"})


async def test_a_subverted_child_cannot_make_the_bot_run_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    refused = await _refusal(_worker(), "smuggle", marker=str(marker))
    assert refused.key == "files.unreadable"
    assert not marker.exists()


async def test_the_child_sees_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:password@db/sellerbot")
    names = await _worker().run(
        "environment", {}, seconds=20, file_name="f", unreadable_key="files.unreadable"
    )
    assert "TELEGRAM_BOT_TOKEN" not in names and "DATABASE_URL" not in names


async def test_a_validation_error_in_the_child_reaches_the_user_as_is() -> None:
    refused = await _refusal(_worker(), "invalid")
    assert (refused.key, refused.params) == ("import.too_many_rows", {"max": 7})


async def test_the_blank_rows_bomb_is_refused_in_the_worker(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    path.write_bytes(blank_rows_bomb())
    params = {
        "path": str(path),
        "file_name": "bomb.xlsx",
        "now": "2026-11-25T12:00:00+00:00",
        "max_rows": 50_000,
        "batch": 200,
        "report_rows": 40,
    }
    stream = FileWorker().stream(
        "order_file", params, seconds=60, file_name="bomb.xlsx", unreadable_key="x"
    )

    async def drain() -> None:
        async with contextlib.aclosing(stream) as messages:
            async for _ in messages:
                pass

    with pytest.raises(InvalidInput) as raised:
        await drain()
    assert (raised.value.key, raised.value.params) == ("import.too_many_rows", {"max": 50_000})


async def test_a_deeply_nested_rate_card_is_a_validation_message(tmp_path: Path) -> None:
    path = tmp_path / "upload"
    path.write_bytes(b"[" * 200_000)
    with pytest.raises(InvalidInput) as raised:
        await FileWorker().run(
            "rate_card",
            {"path": str(path), "file_name": "rates.json"},
            seconds=20,
            file_name="rates.json",
            unreadable_key="files.unreadable",
        )
    # Whatever the parser makes of it (a clear reason, or a crash), it is a message, not a 500.
    assert raised.value.key in {"rates.invalid", "files.unreadable"}
    json.dumps(raised.value.params)


async def test_a_certificate_is_read_in_the_worker(tmp_path: Path) -> None:
    """The job the warehouse steps use: the format back for a real file, the reason for a bomb."""
    worker = FileWorker()
    checks = {
        "licence.pdf": certificates.pdf(),
        "bomb.png": certificates.png_header_only(100_000, 100_000),
    }
    outcomes = {}
    for file_name, content in checks.items():
        path = tmp_path / file_name
        path.write_bytes(content)
        options = {"seconds": 20, "file_name": file_name, "unreadable_key": "files.unreadable"}
        params = {"path": str(path), "file_name": file_name}
        try:
            outcomes[file_name] = await worker.run("certificate", params, **options)
        except InvalidInput as refused:
            outcomes[file_name] = refused.key
    assert outcomes == {
        "licence.pdf": "PDF",
        "bomb.png": "warehouse.document_too_many_pixels",
    }
