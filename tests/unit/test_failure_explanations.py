"""Every way the bot can fail to start becomes one line naming the service and what to do."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import pytest
from aiogram import exceptions as telegram
from aiogram.methods import GetMe
from aiohttp import InvalidUrlClientError
from redis import exceptions as redis

from bot.runner import Failure, Service, StartupFailure, explain_failure
from bot.settings import Settings

TOKEN = "987654321:AAFake-Recognisable-SECRET_token_xyz"
SECRET_PARTS = (TOKEN.split(":")[1], "pg-PASS-1", "rd-PASS-2")


def settings_for(tmp_path: Path, **values: object) -> Settings:
    defaults: dict[str, object] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base": "http://127.0.0.1:9",
        "database_url": "postgresql+asyncpg://bot:pg-PASS-1@db.example.org:6543/sellerbot",
        "redis_url": "redis://:rd-PASS-2@cache.example.org:6380/0",
        "data_dir": tmp_path,
    }
    defaults.update(values)
    return Settings(_env_file=None, **defaults)  # type: ignore[call-arg]


def explain(error: BaseException, settings: Settings, *, port: int | None = None) -> Failure:
    failure = explain_failure(error, settings, port=port)
    assert "\n" not in failure.message
    assert not any(secret in failure.message for secret in SECRET_PARTS), failure.message
    return failure


def chained(outer: BaseException, inner: BaseException) -> BaseException:
    outer.__cause__ = inner
    return outer


def network_error(cause: BaseException) -> telegram.TelegramNetworkError:
    error = telegram.TelegramNetworkError(
        method=GetMe(), message=f"HTTP Client says - {type(cause).__name__}: {cause}"
    )
    error.__cause__ = cause
    return error


def test_a_refused_token_is_a_configuration_error(tmp_path: Path) -> None:
    error = telegram.TelegramUnauthorizedError(method=GetMe(), message="Unauthorized")
    failure = explain(StartupFailure(Service.BOT_API, error), settings_for(tmp_path))
    assert failure.configuration
    assert "TELEGRAM_BOT_TOKEN" in failure.message and "401" in failure.message


def test_the_same_refusal_while_running_is_explained_alike(tmp_path: Path) -> None:
    error = telegram.TelegramUnauthorizedError(method=GetMe(), message="Unauthorized")
    assert "401" in explain(error, settings_for(tmp_path)).message


def test_an_unusable_url_names_the_setting_and_not_the_url(tmp_path: Path) -> None:
    error = network_error(InvalidUrlClientError(f"nonsense/bot{TOKEN}/getMe"))
    failure = explain(StartupFailure(Service.BOT_API, error), settings_for(tmp_path))
    assert failure.configuration and "TELEGRAM_API_BASE" in failure.message


@pytest.mark.parametrize(
    ("cause", "reason"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), "connection refused"),
        (socket.gaierror(-2, "Name or service not known"), "host name not found"),
        (TimeoutError(), "no answer in time"),
    ],
)
def test_an_unreachable_bot_api_says_where_and_why(
    tmp_path: Path, cause: BaseException, reason: str
) -> None:
    wrapped = chained(OSError(f"Cannot connect to host for bot{TOKEN}"), cause)
    failure = explain(
        StartupFailure(Service.BOT_API, network_error(wrapped)), settings_for(tmp_path)
    )
    assert failure.message == f"cannot reach the Bot API at 127.0.0.1:9: {reason}"
    assert not failure.configuration


def test_without_a_base_url_the_host_is_telegrams(tmp_path: Path) -> None:
    error = network_error(ConnectionRefusedError(111, "refused"))
    failure = explain(error, settings_for(tmp_path, telegram_api_base=None))
    assert "api.telegram.org" in failure.message


def test_a_server_that_is_not_a_bot_api(tmp_path: Path) -> None:
    not_found = telegram.TelegramNotFound(method=GetMe(), message="Not Found")
    assert "TELEGRAM_API_BASE" in explain(not_found, settings_for(tmp_path)).message
    decode = telegram.ClientDecodeError("Failed to decode object", ValueError(), "<html>")
    assert "TELEGRAM_API_BASE" in explain(decode, settings_for(tmp_path)).message


def test_another_poller_is_named(tmp_path: Path) -> None:
    error = telegram.TelegramConflictError(method=GetMe(), message="Conflict: terminated")
    assert "409" in explain(error, settings_for(tmp_path)).message


def test_unreachable_redis_names_host_not_password(tmp_path: Path) -> None:
    error = chained(
        redis.ConnectionError("Error 111 connecting to cache.example.org:6380."),
        ConnectionRefusedError(111, "refused"),
    )
    failure = explain(StartupFailure(Service.REDIS, error), settings_for(tmp_path))
    assert failure.message == "cannot reach Redis at cache.example.org:6380: connection refused"


def test_redis_refusing_the_password_is_a_configuration_error(tmp_path: Path) -> None:
    error = redis.AuthenticationError("invalid username-password pair")
    failure = explain(StartupFailure(Service.REDIS, error), settings_for(tmp_path))
    assert failure.configuration and "REDIS_URL" in failure.message


def test_unreachable_postgresql_names_host_not_password(tmp_path: Path) -> None:
    error = ConnectionRefusedError(111, "Connect call failed ('10.0.0.1', 6543)")
    failure = explain(StartupFailure(Service.DATABASE, error), settings_for(tmp_path))
    assert failure.message == "cannot reach PostgreSQL at db.example.org:6543: connection refused"


def test_postgresql_refusals_are_configuration_errors(tmp_path: Path) -> None:
    import asyncpg

    login = asyncpg.InvalidPasswordError('password authentication failed for user "bot"')
    failure = explain(StartupFailure(Service.DATABASE, login), settings_for(tmp_path))
    assert failure.configuration and "DATABASE_URL" in failure.message
    missing = asyncpg.InvalidCatalogNameError('database "sellerbot" does not exist')
    failure = explain(StartupFailure(Service.DATABASE, missing), settings_for(tmp_path))
    assert failure.configuration and '"sellerbot"' in failure.message


def test_an_sqlite_file_that_cannot_be_opened_points_at_data_dir(tmp_path: Path) -> None:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    error = OperationalError("PRAGMA", {}, sqlite3.OperationalError("unable to open database file"))
    settings = settings_for(tmp_path, database_url=None, telegram_bot_token=None)
    failure = explain(StartupFailure(Service.DATABASE, error), settings)
    assert failure.configuration
    assert "unable to open database file" in failure.message and "DATA_DIR" in failure.message


def test_a_busy_port_suggests_another_one(tmp_path: Path) -> None:
    error = OSError(errno.EADDRINUSE, "Address already in use")
    failure = explain(StartupFailure(Service.WEB_CHAT, error), settings_for(tmp_path), port=8080)
    assert failure.message.startswith("port 8080 on 127.0.0.1 is already in use")
    assert "--port" in failure.message and "SANDBOX_PORT" in failure.message


def test_a_busy_port_found_after_the_check_is_still_recognised(tmp_path: Path) -> None:
    error = OSError(errno.EADDRINUSE, "Address already in use")
    assert "--port" in explain(error, settings_for(tmp_path), port=9000).message


def test_a_privileged_port_is_a_configuration_error(tmp_path: Path) -> None:
    error = PermissionError(errno.EACCES, "Permission denied")
    failure = explain(StartupFailure(Service.WEB_CHAT, error), settings_for(tmp_path), port=80)
    assert failure.configuration and "port 80" in failure.message


def test_anything_else_is_one_line_with_its_type(tmp_path: Path) -> None:
    error = ValueError(f"first line with bot{TOKEN}\nsecond line\nthird")
    failure = explain(error, settings_for(tmp_path))
    assert failure.message == (
        "stopped by an unexpected error: ValueError: first line with bot987654321:***"
    )
