"""Settings that would only fail once the bot runs are refused by `check-config` already."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from notifications.return_deadlines import return_deadline_rules

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:AAH-recognisable-FAKE-token"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's, and a writable default DATA_DIR
    for variable in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE",
        "DATABASE_URL",
        "REDIS_URL",
        "DATA_DIR",
        "OPERATOR_IDS",
    ):
        monkeypatch.delenv(variable, raising=False)


def refused(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> str:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"invalid setting {variable}: "), message
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "value",
    ["nonsense", "api.telegram.org", "ftp://host", "http://", "http://host:99999", "http://a b"],
)
def test_api_base_must_be_an_http_url_with_a_host(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    message = refused(monkeypatch, "TELEGRAM_API_BASE", value)
    assert "http://" in message


def test_api_base_with_a_query_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "query" in refused(monkeypatch, "TELEGRAM_API_BASE", "http://host/?x=1")


@pytest.mark.parametrize("value", ["http://127.0.0.1:8081", "https://api.example.org/tg/"])
def test_api_base_accepts_http_urls_without_the_trailing_slash(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TELEGRAM_API_BASE", value)
    assert load_settings().telegram_api_base == value.rstrip("/")


@pytest.mark.parametrize(
    "value", ["localhost:6379", "http://localhost:6379", "redis://host:6379/zero", "unix://"]
)
def test_redis_url_must_be_a_redis_url(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    refused(monkeypatch, "REDIS_URL", value)


@pytest.mark.parametrize(
    "value",
    ["redis://127.0.0.1:6379/2", "rediss://user:pw@cache.example.org:6380", "unix:///run/r.sock"],
)
def test_redis_url_accepts_the_three_schemes(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("REDIS_URL", value)
    assert load_settings().redis_url == value


def test_data_dir_that_is_a_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a_file = tmp_path / "plain-file"
    a_file.write_text("x")
    assert "not a directory" in refused(monkeypatch, "DATA_DIR", str(a_file))
    assert "cannot be created" in refused(monkeypatch, "DATA_DIR", str(a_file / "below"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any directory")
def test_data_dir_that_cannot_be_written_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        assert "not writable" in refused(monkeypatch, "DATA_DIR", str(locked))
        assert "not writable" in refused(monkeypatch, "DATA_DIR", str(locked / "data"))
    finally:
        locked.chmod(0o700)


def test_data_dir_to_be_created_is_accepted_and_not_created_by_the_check(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "new" / "data"))
    assert load_settings().data_dir == tmp_path / "new" / "data"
    assert not (tmp_path / "new").exists()


def test_data_dir_is_not_checked_when_nothing_uses_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With PostgreSQL and a real token the bot keeps nothing in DATA_DIR."""
    a_file = tmp_path / "plain-file"
    a_file.write_text("x")
    monkeypatch.setenv("DATA_DIR", str(a_file))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://bot@db.example.org/bot")
    assert load_settings().data_dir == a_file


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[1, 2]", {1, 2}),
        ("[]", set()),
        ("[7]", {7}),
        (" 11, 22;33 ", {11, 22, 33}),
        ("5", {5}),
        ("", set()),
    ],
)
def test_operator_ids_in_both_forms(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: set[int]
) -> None:
    monkeypatch.setenv("OPERATOR_IDS", value)
    assert load_settings().operator_ids == frozenset(expected)


@pytest.mark.parametrize("value", ["-5", "1,-2", "[1, -2]", "0", "[1, true]", "[1", '{"a": 1}'])
def test_operator_ids_must_be_positive_user_ids(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    refused(monkeypatch, "OPERATOR_IDS", value)


def test_refusals_never_echo_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "pw-Do-Not-Echo-42"
    for variable, value in [
        ("REDIS_URL", f"http://:{secret}@host:6379/0"),
        ("TELEGRAM_API_BASE", f"ftp://user:{secret}@host"),
        ("DATABASE_URL", f"mysql://user:{secret}@host/db"),
        ("TELEGRAM_BOT_TOKEN", secret),
    ]:
        assert secret not in refused(monkeypatch, variable, value)
        monkeypatch.delenv(variable)


def test_a_direct_validation_error_does_not_carry_the_value_either() -> None:
    from pydantic import ValidationError

    from bot.settings import Settings

    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, telegram_bot_token="no-colon-SECRETVALUE")  # type: ignore[call-arg]
    assert "SECRETVALUE" not in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TELEGRAM_API_BASE", "nonsense"),
        ("REDIS_URL", "localhost:6379"),
        ("DATA_DIR", "/etc/passwd"),
        ("OPERATOR_IDS", "[1, -2]"),
    ],
)
def test_check_config_names_the_variable_in_one_line_with_exit_code_2(
    tmp_path: Path, variable: str, value: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"TELEGRAM_BOT_TOKEN", variable}}
    env.update({variable: value, "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN})
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check-config"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"sellerbot: invalid setting {variable}: ")
    assert TOKEN.split(":")[1] not in result.stderr


def test_the_shutdown_timeout_must_end_before_the_outbox_lease(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OUTBOX_LEASE_SECONDS", "5")
    message = refused(monkeypatch, "SHUTDOWN_TIMEOUT_SECONDS", "5")
    assert "below OUTBOX_LEASE_SECONDS (5)" in message
    monkeypatch.setenv("SHUTDOWN_TIMEOUT_SECONDS", "4")
    assert load_settings().outbox_lease_seconds == 5


@pytest.mark.parametrize("value", ["0", "31", "seven"])
def test_the_refund_deadline_must_be_1_to_30_days(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    refused(monkeypatch, "RETURN_REFUND_DAYS", value)


def test_the_refund_deadline_reaches_the_return_deadline_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    assert return_deadline_rules(load_settings()).refund_payment == timedelta(days=7)
    monkeypatch.setenv("RETURN_REFUND_DAYS", "3")
    assert return_deadline_rules(load_settings()).refund_payment == timedelta(days=3)
