"""Webhook mode without a server: its settings, the CLI's refusals, the secret kept out of
output, and the metrics' wrappers around the sender and the tracking provider."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Update
from prometheus_client.parser import text_string_to_metric_families

from bot.logging_setup import Redactor, secrets_of
from bot.metrics import Metrics, UpdateOutcome, note_update_outcome
from bot.settings import SERVED_PATHS, Settings, SettingsError, load_settings
from domain.tracking import BatchOutcome, Quota, TrackedNumber
from notifications.tracking.poller import PUSH_PATH
from notifications.tracking.provider import ProviderUnavailable, QuotaExhausted

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:AAH-recognisable-FAKE-token"
SECRET = "Webhook_Secret-0123456789abcdef"
URL = "https://bot.example.org/telegram/webhook"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for variable in list(os.environ):
        if variable.startswith(("WEBHOOK_", "TELEGRAM_", "DATABASE_", "REDIS_", "TRACKING_")):
            monkeypatch.delenv(variable, raising=False)


def refusal(monkeypatch: pytest.MonkeyPatch, **variables: str) -> str:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    return str(caught.value)


def test_a_complete_webhook_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "WEBHOOK_URL": URL + "/",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_MAX_CONNECTIONS": "20",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.webhook_path == "/telegram/webhook"
    assert settings.webhook_max_connections == 20
    assert settings.webhook_mode_problem() is None
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())


def test_telegram_posts_only_to_https(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, WEBHOOK_URL="http://bot.example.org/hook")
    assert message.startswith("invalid setting WEBHOOK_URL: must be an https:// URL")


def test_a_local_bot_api_server_may_post_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "http://127.0.0.1:8081/hook")
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://127.0.0.1:8082")
    assert load_settings().webhook_path == "/hook"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://bot.example.org", "needs a path"),
        ("https://bot.example.org/", "needs a path"),
        ("https://bot.example.org/metrics", "serves it already"),
        ("https://bot.example.org/readyz/", "serves it already"),
        ("https://bot.example.org/hook?x=1", "without ?query"),
        ("bot.example.org/hook", "https:// URL"),
    ],
)
def test_webhook_urls_that_cannot_work_are_refused(
    monkeypatch: pytest.MonkeyPatch, url: str, fragment: str
) -> None:
    assert fragment in refusal(monkeypatch, WEBHOOK_URL=url)


def test_the_push_path_is_one_the_webhook_url_cannot_take() -> None:
    assert PUSH_PATH in SERVED_PATHS


@pytest.mark.parametrize(
    "secret", ["short", "x" * 257, "has spaces in it 0123", "ünïcödé-0123456789"]
)
def test_weak_or_malformed_secrets_are_refused_without_being_echoed(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    message = refusal(monkeypatch, WEBHOOK_SECRET=secret)
    assert message.startswith("invalid setting WEBHOOK_SECRET: must be 16 to 256 characters")
    assert secret not in message


def test_the_webhook_secret_is_masked_like_the_token(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        webhook_secret=SECRET,
        data_dir=tmp_path,
    )
    assert SECRET in secrets_of(settings)
    line = Redactor(secrets_of(settings)).redact(f"setWebhook secret_token={SECRET}")
    assert SECRET not in line


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WEBHOOK_", "TELEGRAM_", "DATABASE_", "REDIS_"))
    }
    environment.update({"PYTHONPATH": str(ROOT), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN}, "WEBHOOK_URL"),
        ({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_URL": URL}, "WEBHOOK_SECRET"),
    ],
)
def test_webhook_command_names_what_is_missing_with_exit_code_2(
    tmp_path: Path, env: dict[str, str], named: str
) -> None:
    result = _cli(tmp_path, "webhook", **env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("sellerbot: sellerbot webhook needs " + named)


def test_a_webhook_that_cannot_start_says_why_and_never_prints_the_secret(tmp_path: Path) -> None:
    result = _cli(
        tmp_path,
        "webhook",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE="http://127.0.0.1:1",
        WEBHOOK_URL="http://127.0.0.1:1/hook",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_PORT="1",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    assert result.returncode in (1, 2)
    assert result.stderr.strip().startswith("sellerbot: "), result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert TOKEN.split(":")[1] not in result.stdout + result.stderr


# -- metrics -------------------------------------------------------------------------------------


def _value(metrics: Metrics, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


class ScriptedTelegram:
    token = TOKEN

    def __init__(self, *answers: BaseException | None) -> None:
        self._answers = list(answers)

    async def __call__(
        self, method: TelegramMethod[Any], request_timeout: int | None = None
    ) -> Any:
        answer = self._answers.pop(0)
        if answer is not None:
            raise answer
        return True


async def test_sends_are_counted_by_telegrams_answer() -> None:
    method = SendMessage(chat_id=1, text="hi")
    metrics = Metrics()
    client = metrics.telegram_client(
        ScriptedTelegram(
            None,
            TelegramRetryAfter(method, "Too Many Requests", 3),
            TelegramForbiddenError(method, "Forbidden: bot was blocked by the user"),
            TelegramBadRequest(method, "Bad Request: chat not found"),
            TelegramServerError(method, "Internal Server Error"),
            TelegramNetworkError(method, "connection reset"),
        )
    )
    assert await client(method) is True
    for _ in range(5):
        with pytest.raises(Exception):  # noqa: B017, PT011 (each of the errors above, unchanged)
            await client(method)
    for result in ("ok", "429", "403", "400", "5xx", "network"):
        assert (
            _value(metrics, "sellerbot_telegram_sends_total", method="sendMessage", result=result)
            == 1
        )
    assert client.token == TOKEN  # type: ignore[attr-defined]  # the sender reads it


class FailingProvider:
    name = "17track"

    def __init__(self, *errors: Exception) -> None:
        self._errors = list(errors)

    async def register(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        raise self._errors.pop(0)

    async def fetch(self, numbers: Sequence[TrackedNumber]) -> Any:
        raise self._errors.pop(0)

    async def stop(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        return BatchOutcome()

    async def retrack(self, numbers: Sequence[TrackedNumber]) -> BatchOutcome:
        return BatchOutcome()

    async def change_carrier(self, number: TrackedNumber, new_carrier: str) -> BatchOutcome:
        return BatchOutcome()

    async def quota(self) -> Any:
        if self._errors:
            raise self._errors.pop(0)
        return Quota(total=1000, used=400, remaining=600, used_today=12, daily_limit=100)

    async def close(self) -> None:
        return None


async def test_failed_provider_calls_are_counted_by_kind() -> None:
    metrics = Metrics()
    provider = metrics.tracking_provider(
        FailingProvider(ProviderUnavailable("timeout"), QuotaExhausted("none left"))
    )
    with pytest.raises(ProviderUnavailable):
        await provider.fetch([])
    with pytest.raises(QuotaExhausted):
        await provider.register([])
    assert await provider.stop([]) == BatchOutcome()
    labels = {"provider": "17track"}
    assert (
        _value(
            metrics,
            "sellerbot_tracking_provider_errors_total",
            operation="fetch",
            error="ProviderUnavailable",
            **labels,
        )
        == 1
    )
    assert (
        _value(
            metrics,
            "sellerbot_tracking_provider_errors_total",
            operation="register",
            error="QuotaExhausted",
            **labels,
        )
        == 1
    )
    assert provider.name == "17track"


def _update(update_id: int) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 5, "type": "private"},
                "text": "hi",
            },
        }
    )


async def test_update_outcomes_come_from_the_middlewares_note_or_the_exception() -> None:
    metrics = Metrics()

    async def processed() -> None:
        return None

    async def duplicate() -> None:
        note_update_outcome(UpdateOutcome.DUPLICATE)

    async def failing() -> None:
        raise RuntimeError("commit failed")

    await metrics.observe_update(_update(1), processed)
    await metrics.observe_update(_update(2), duplicate)
    with pytest.raises(RuntimeError):
        await metrics.observe_update(_update(3), failing)
    note_update_outcome(UpdateOutcome.ERROR)  # nobody watching: nothing happens
    for outcome in ("processed", "duplicate", "failed"):
        assert _value(metrics, "sellerbot_updates_total", type="message", outcome=outcome) == 1
    assert _value(metrics, "sellerbot_updates_total", type="message", outcome="error") == 0
    assert _value(metrics, "sellerbot_update_handling_seconds_count", type="message") == 3


async def test_the_quota_is_read_into_gauges_and_a_failed_read_is_an_error() -> None:
    metrics = Metrics()
    provider = metrics.tracking_provider(FailingProvider(ProviderUnavailable("down")))
    await metrics.refresh_quota(provider)  # fails: counted, gauges untouched
    assert (
        _value(
            metrics,
            "sellerbot_tracking_provider_errors_total",
            provider="17track",
            operation="quota",
            error="ProviderUnavailable",
        )
        == 1
    )
    await metrics.refresh_quota(provider)
    assert _value(metrics, "sellerbot_tracking_quota_remaining", provider="17track") == 600
    assert _value(metrics, "sellerbot_tracking_quota_used_today", provider="17track") == 12
