"""Settings validation and the CLI's answers to a person at a terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_run_the_sandbox_on_sqlite(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    settings = load_settings()
    assert settings.sandbox_mode
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")


def test_operator_ids_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPERATOR_IDS", "11, 22;33")
    assert load_settings().operator_ids == frozenset({11, 22, 33})


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("OPERATOR_IDS", "alice", "OPERATOR_IDS"),
        ("DEFAULT_LOCALE", "xx", "DEFAULT_LOCALE"),
        ("TELEGRAM_BOT_TOKEN", "nonsense", "TELEGRAM_BOT_TOKEN"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("SEND_GLOBAL_RATE_PER_SECOND", "100", "SEND_GLOBAL_RATE_PER_SECOND"),
    ],
)
def test_invalid_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=expected):
        load_settings()


def test_bad_config_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "OPERATOR_IDS": "not-a-number", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check-config"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "OPERATOR_IDS" in result.stderr
    assert "Traceback" not in result.stderr


def test_version_and_check_config(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    version = subprocess.run(
        [sys.executable, "-m", "bot.cli", "version"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert version.returncode == 0 and version.stdout.startswith("sellerbot ")
    check = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check-config"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and "sandbox" in check.stdout


def test_token_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from bot.logging_setup import Redactor, redact_record

    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "calling %s", ("https://api/bot123:SECRET/getMe",), None
    )
    redact_record(record, Redactor(["123:SECRET"]))
    assert "SECRET" not in record.getMessage()
