"""Running the bot for real (Telegram) or in the sandbox (the built-in emulator).

Before the bot does any work, each outside service it needs is tried once, so a wrong setting
fails at once and by name: the Bot API (token, URL, reachability), Redis, the database (its
migrations run only once it answers), and, for the sandbox, the web chat's port. A failed check
raises `StartupFailure` naming the service; `explain_failure` is the one place that turns it,
or any error that stops a running bot, into the line the CLI prints.

Heavy imports (aiogram) wait until a bot is really started, so `sellerbot migrate` stays fast.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from bot import database
from bot.logging_setup import Redactor, secrets_of
from bot.settings import Settings
from bot.shutdown import run_until_signal

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "123456:SANDBOX-TOKEN"  # noqa: S105 (the local emulator's token, not a secret)
TELEGRAM_HOST = "api.telegram.org"


class Service(StrEnum):
    BOT_API = "Bot API"
    REDIS = "Redis"
    DATABASE = "database"
    WEB_CHAT = "web chat"
    WEBHOOK_SERVER = "webhook server"
    WORKER_SERVER = "worker server"


class StartupFailure(Exception):
    """A service the bot needs failed its start-up check; `error` says how."""

    def __init__(self, service: Service, error: Exception) -> None:
        super().__init__(f"the {service} check failed")
        self.service = service
        self.error = error


@contextmanager
def _checking(service: Service) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        raise StartupFailure(service, error) from error


@dataclass(frozen=True, slots=True)
class Failure:
    """What to tell the person who started the bot; `configuration` if a setting must change."""

    message: str
    configuration: bool = False


# -- running ---------------------------------------------------------------------------------


async def run_bot(settings: Settings) -> None:
    from bot.app import create_application

    app = await create_application(settings, migrate=False)
    me = await check_services(app, settings)
    log.info("running as @%s (long polling)", me)
    await run_until_signal(app.start, app.wait, app.stop)


class Server(Protocol):
    """The HTTP side of a process (`bot.webhook.WebhookServer`, `bot.worker.WorkerServer`)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def run_server(
    settings: Settings,
    listen: tuple[Service, str, int],
    server_for: Callable[[Application], Server],
    mode: str,
) -> None:
    """A process that listens on `listen`'s address, its app built with `Metrics`, until
    SIGINT/SIGTERM; `mode` says in the log which kind of process it is."""
    from bot.app import create_application
    from bot.metrics import Metrics

    app = await create_application(settings, migrate=False, metrics=Metrics())
    me = await check_services(app, settings, listen=listen)
    server = server_for(app)
    _service, host, port = listen
    log.info("running as @%s (%s), listening on %s:%d", me, mode, host, port)
    await run_until_signal(server.start, app.wait, server.stop)


async def run_webhook(settings: Settings) -> None:
    """Updates by webhook until SIGINT/SIGTERM; see bot.webhook."""
    from bot.webhook import WebhookServer

    listen = (Service.WEBHOOK_SERVER, settings.webhook_host, settings.webhook_port)
    await run_server(settings, listen, lambda app: WebhookServer(app, settings), "webhook")


async def check_services(
    app: Application, settings: Settings, *, listen: tuple[Service, str, int] | None = None
) -> str:
    """Try each service a process needs once (the address it will listen on, the Bot API,
    Redis, the database, whose migrations then run); stop the app if one fails. Returns the
    bot's username."""
    try:
        if listen is not None:
            service, host, port = listen
            with _checking(service):
                _check_port_is_free(host, port)
        with _checking(Service.BOT_API):
            me = await app.bot.me()
        if app.redis is not None:
            with _checking(Service.REDIS):
                await asyncio.wait_for(app.redis.ping(), settings.connect_timeout_seconds)
        with _checking(Service.DATABASE):
            newer = await database.upgrade_unless_newer(app.engine)
    except BaseException:
        await app.stop()
        raise
    if newer:
        # Mid rolling upgrade: this process is of the release being replaced.
        log.warning("the database was migrated by a newer release; running on it unmigrated")
    return str(me.username)


def run_migrations(settings: Settings) -> None:
    with _checking(Service.DATABASE):
        database.migrate(settings.effective_database_url, settings.connect_timeout_seconds)


async def run_sandbox(settings: Settings, port: int | None = None) -> None:
    """The bot against the built-in emulator, with the web chat, until SIGINT/SIGTERM."""
    from sandbox.webchat import open_sandbox, sandbox_settings

    port = settings.sandbox_port if port is None else port
    with _checking(Service.WEB_CHAT):
        _check_port_is_free(settings.sandbox_host, port)
    with _checking(Service.DATABASE):
        await _check_database(
            sandbox_settings(settings).effective_database_url, settings.connect_timeout_seconds
        )
    if settings.redis_url:
        with _checking(Service.REDIS):
            await _check_redis(settings.redis_url, settings.connect_timeout_seconds)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_sandbox(settings, token=SANDBOX_TOKEN, port=port) as web_chat:
        database_shown = (
            "DATABASE_URL"
            if settings.database_url
            else str((settings.data_dir / "sandbox.sqlite3").resolve())
        )
        # Printed, not logged: this line is what the person who started the sandbox needs.
        print(
            "\n"
            "  sellerbot sandbox — no Telegram needed\n"
            f"  open the web chat:  {web_chat.url}\n"
            f"  database:           {database_shown}\n"
            "  stop with Ctrl+C\n",
            flush=True,
        )
        await stop.wait()


def _check_port_is_free(host: str, port: int) -> None:
    """Bind the web chat's address the way the web chat will, before the sandbox starts."""
    if port == 0:
        return
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)


async def _check_database(url: str, connect_timeout: float) -> None:
    engine = database.create_engine(url, connect_timeout=connect_timeout)
    try:
        async with engine.connect():
            pass
    finally:
        await engine.dispose()


async def _check_redis(url: str, connect_timeout: float) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(
        url, socket_connect_timeout=connect_timeout, socket_timeout=connect_timeout
    )
    try:
        await asyncio.wait_for(client.ping(), connect_timeout)
    finally:
        await client.aclose()


# -- explaining failures ---------------------------------------------------------------------


def explain_failure(
    error: BaseException, settings: Settings, *, port: int | None = None
) -> Failure:
    """One line for an error that stopped the bot: which service, what is wrong, what to do."""
    failure = _explain(error, settings, port)
    # Exception text can quote a URL with the token in it; the line never does.
    masked = Redactor(secrets_of(settings)).redact(failure.message)
    return Failure(masked, failure.configuration)


def _explain(error: BaseException, settings: Settings, port: int | None) -> Failure:
    if isinstance(error, StartupFailure):
        service: Service | None = error.service
        cause: BaseException = error.error
    else:
        service, cause = _service_of(error), error
    if service is Service.BOT_API:
        return _bot_api_failure(cause, settings)
    if service is Service.REDIS:
        return _redis_failure(cause, settings)
    if service is Service.DATABASE:
        return _database_failure(cause, settings)
    if service is Service.WEB_CHAT:
        port = settings.sandbox_port if port is None else port
        return _listen_failure(cause, settings.sandbox_host, port, _web_chat(port))
    if service is Service.WEBHOOK_SERVER:
        host, port = settings.webhook_host, settings.webhook_port
        return _listen_failure(cause, host, port, _WEBHOOK_SERVER)
    if service is Service.WORKER_SERVER:
        host, port = settings.worker_http_host, settings.worker_http_port
        return _listen_failure(cause, host, port, _WORKER_SERVER)
    if isinstance(cause, OSError) and cause.strerror:
        where = f": {cause.filename}" if cause.filename else ""
        return Failure(f"stopped: {cause.strerror}{where}")
    return Failure(f"stopped by an unexpected error: {_summary(cause)}")


def _service_of(error: BaseException) -> Service | None:
    """The service an error that escaped a running bot came from."""
    from aiogram.exceptions import ClientDecodeError, TelegramAPIError
    from redis.exceptions import RedisError
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(error, TelegramAPIError | ClientDecodeError):
        return Service.BOT_API
    if isinstance(error, RedisError):
        return Service.REDIS
    if isinstance(error, SQLAlchemyError):
        return Service.DATABASE
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return Service.WEB_CHAT  # the only socket the bot listens on
    return None


def _bot_api_failure(error: BaseException, settings: Settings) -> Failure:
    from aiogram import exceptions as telegram
    from aiohttp import InvalidURL

    where = _host_of(settings.telegram_api_base) if settings.telegram_api_base else TELEGRAM_HOST
    if isinstance(error, telegram.TelegramUnauthorizedError):
        return Failure(
            "the Bot API refused TELEGRAM_BOT_TOKEN (401 Unauthorized): "
            "check the token with @BotFather",
            configuration=True,
        )
    if isinstance(error, telegram.TelegramNotFound):
        return Failure(
            f"the Bot API at {where} answered 404 Not Found: check TELEGRAM_API_BASE",
            configuration=True,
        )
    if isinstance(error, telegram.TelegramConflictError):
        return Failure(
            "another process is receiving this bot's updates (409 Conflict): "
            "stop it, or remove its webhook"
        )
    if isinstance(error, telegram.ClientDecodeError):
        return Failure(
            f"the server at {where} does not answer like a Bot API server: check TELEGRAM_API_BASE",
            configuration=True,
        )
    if isinstance(error, telegram.TelegramNetworkError):
        if any(isinstance(link, InvalidURL) for link in _chain(error)):
            return Failure(
                "TELEGRAM_API_BASE does not make a URL the bot can call", configuration=True
            )
        return Failure(f"cannot reach the Bot API at {where}: {_reason(error)}")
    if isinstance(error, telegram.TelegramServerError):
        return Failure(f"the Bot API at {where} failed ({error.message}): try again later")
    if isinstance(error, telegram.TelegramAPIError):
        return Failure(f"the Bot API at {where} refused the bot: {error.message}")
    return Failure(f"the Bot API at {where} gave an answer the bot cannot use: {_summary(error)}")


def _redis_failure(error: BaseException, settings: Settings) -> Failure:
    from redis import exceptions as redis

    where = _host_of(settings.redis_url or "")
    if isinstance(error, redis.AuthenticationError | redis.AuthorizationError) or (
        isinstance(error, redis.ResponseError) and str(error).startswith(("NOAUTH", "WRONGPASS"))
    ):
        return Failure(
            f"Redis at {where} refused the user or password in REDIS_URL", configuration=True
        )
    if isinstance(error, redis.ConnectionError | redis.TimeoutError | OSError):
        return Failure(f"cannot reach Redis at {where}: {_reason(error)}")
    return Failure(f"Redis at {where} failed: {_summary(error)}")


def _database_failure(error: BaseException, settings: Settings) -> Failure:
    import asyncpg
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    url = make_url(settings.effective_database_url)
    original = error.orig if isinstance(error, DBAPIError) and error.orig else error
    if url.get_backend_name() == "sqlite":
        reason = _reason(original) if isinstance(original, OSError) else _first_line(original)
        return Failure(
            f"cannot open the SQLite database {url.database}: {reason} (check DATA_DIR)",
            configuration=True,
        )
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(
        original, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        return Failure(
            f"PostgreSQL at {where} refused the user or password in DATABASE_URL",
            configuration=True,
        )
    if isinstance(original, asyncpg.InvalidCatalogNameError):
        return Failure(
            f'PostgreSQL at {where} has no database "{url.database}": '
            "create it, or fix DATABASE_URL",
            configuration=True,
        )
    if isinstance(original, OSError | asyncpg.CannotConnectNowError):
        return Failure(f"cannot reach PostgreSQL at {where}: {_reason(original)}")
    return Failure(f"the database at {where} failed: {_summary(original)}")


@dataclass(frozen=True, slots=True)
class _Listening:
    """How a server of ours that cannot listen is named, and the settings that move it."""

    server: str
    port_settings: str
    other_port: str
    host_setting: str


_WEBHOOK_SERVER = _Listening(
    "the webhook server",
    port_settings="WEBHOOK_PORT (the TLS proxy in front listens on 443)",
    other_port="WEBHOOK_PORT",
    host_setting="WEBHOOK_HOST",
)
_WORKER_SERVER = _Listening(
    "the worker's HTTP server",
    port_settings="WORKER_HTTP_PORT",
    other_port="WORKER_HTTP_PORT",
    host_setting="WORKER_HTTP_HOST",
)


def _web_chat(port: int) -> _Listening:
    suggestion = port + 1 if port < 65535 else 8081
    return _Listening(
        "the web chat",
        port_settings="--port or SANDBOX_PORT",
        other_port=f"--port (sellerbot sandbox --port {suggestion}) or SANDBOX_PORT",
        host_setting="SANDBOX_HOST",
    )


def _listen_failure(error: BaseException, host: str, port: int, server: _Listening) -> Failure:
    """Why a server of ours could not listen on host:port, and which setting changes it."""
    code = error.errno if isinstance(error, OSError) else None
    if code == errno.EADDRINUSE:
        return Failure(
            f"port {port} on {host} is already in use: choose another with {server.other_port}"
        )
    if code == errno.EACCES:
        return Failure(
            f"not allowed to listen on port {port}: choose a port above 1023 with "
            f"{server.port_settings}",
            configuration=True,
        )
    if isinstance(error, socket.gaierror) or code == errno.EADDRNOTAVAIL:
        return Failure(
            f"cannot listen on {host}: not an address of this machine "
            f"(check {server.host_setting})",
            configuration=True,
        )
    return Failure(f"{server.server} cannot listen on {host}:{port}: {_summary(error)}")


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def _reason(error: BaseException) -> str:
    """Why a connection failed, in words, from the most telling error in the chain."""
    links = list(_chain(error))
    for kind, reason in (
        (socket.gaierror, "host name not found"),
        (ConnectionRefusedError, "connection refused"),
        (TimeoutError, "no answer in time"),
        (ssl.SSLError, "TLS handshake failed"),
    ):
        if any(isinstance(link, kind) for link in links):
            return reason
    for link in links:
        if isinstance(link, OSError) and link.strerror:
            return link.strerror
    return _summary(error)


def _summary(error: BaseException) -> str:
    text = _first_line(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:300] if lines else ""


def _host_of(url: str) -> str:
    """host:port of a URL (never its credentials), or the socket path of a unix:// one."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    host = parts.hostname or "localhost"
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{parts.port}" if parts.port else shown
