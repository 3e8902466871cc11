"""The reference topology of docs/deploy.md, started locally: `scripts/cluster`.

N `sellerbot webhook` processes behind a round-robin reverse proxy (`proxy`), M `sellerbot
worker` processes, one PostgreSQL and one Redis (the machine's: DATABASE_URL, REDIS_URL), and
Telegram: the Bot API emulator by default (no token, nothing leaves the machine), or the real
one with TELEGRAM_BOT_TOKEN and a public https URL that tunnels to the proxy.

    Telegram / emulator ──POST──▶ proxy :B ──round robin──▶ webhook-1 :B+1, webhook-2 :B+2, …
                                                            worker-1, worker-2, … (scheduled work)

`Cluster` is what `python -m sandbox.cluster` runs and what the cluster integration test starts
(tests/e2e/test_cluster.py), so the test exercises the topology a person tries by hand. It runs
`sellerbot migrate` once (workers do not migrate), starts the proxy, then every process with
`WEBHOOK_DELETE_ON_STOP=false` (several processes share one webhook), waits for each one's
`/readyz`, and on `stop` sends each SIGTERM and waits for its graceful stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from sandbox.cluster.processes import ClusterProcess, ProcessSpec, wait_ready
from sandbox.cluster.proxy import RoundRobinProxy
from sandbox.emulator import BotApiEmulator

__all__ = ["Cluster", "ClusterConfig", "ClusterProcess", "RoundRobinProxy"]

ROOT = Path(__file__).resolve().parents[2]
LOCAL_WEBHOOK_PATH = "/telegram/webhook"
PUSH_PATH = "/tracking/17track"  # bot.webhook serves 17TRACK's pushes here
# A fake token for the emulator: the processes need one, and it opens nothing anywhere else.
EMULATOR_TOKEN = "100000001:cluster-emulator-token"  # noqa: S105
# How long a process may take over its graceful stop beyond SHUTDOWN_TIMEOUT_SECONDS (as
# systemd's TimeoutStopSec in docs/deploy.md).
STOP_MARGIN_SECONDS = 10.0


@dataclass
class ClusterConfig:
    database_url: str
    redis_url: str
    webhook_ports: list[int]
    worker_ports: list[int]
    proxy_port: int
    log_dir: Path
    # Real Telegram: the bot's token and the public https URL that reaches the proxy. Without
    # them the emulator stands in for Telegram.
    token: str | None = None
    public_url: str | None = None
    emulator_port: int = 0
    webhook_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # Settings every process gets on top of `base_environment` (e.g. SEND_* limits).
    settings: Mapping[str, str] = field(default_factory=dict)
    # The environment the processes inherit; the script's own by default.
    base_environment: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # Copy every process's output to this stream too (the terminal), prefixed with its name.
    echo: TextIO | None = None

    @classmethod
    def from_base_port(
        cls, base: int, *, webhooks: int, workers: int, **values: object
    ) -> ClusterConfig:
        """The proxy on `base`, then the webhook processes, the workers, the emulator."""
        webhook_ports = [base + 1 + i for i in range(webhooks)]
        worker_ports = [base + 1 + webhooks + i for i in range(workers)]
        return cls(
            webhook_ports=webhook_ports,
            worker_ports=worker_ports,
            proxy_port=base,
            emulator_port=base + 1 + webhooks + workers,
            **values,  # type: ignore[arg-type]
        )

    @property
    def uses_emulator(self) -> bool:
        return self.token is None


class Cluster:
    """Starts and stops the topology; `emulator` may be given (a test's own) or is created."""

    def __init__(self, config: ClusterConfig, emulator: BotApiEmulator | None = None) -> None:
        if not config.webhook_ports:
            raise ValueError("the cluster needs at least one webhook process")
        if config.token is not None and not (config.public_url or "").startswith("https://"):
            raise ValueError("with a token, the public https URL Telegram posts to is needed")
        self.config = config
        self.emulator = emulator
        self._owns_emulator = emulator is None and config.uses_emulator
        self.webhook_url = config.public_url or (
            f"http://127.0.0.1:{config.proxy_port}{LOCAL_WEBHOOK_PATH}"
        )
        self.proxy = RoundRobinProxy(
            [f"http://127.0.0.1:{port}" for port in config.webhook_ports],
            [urlsplit(self.webhook_url).path or "/", PUSH_PATH],
            host="127.0.0.1",
            port=config.proxy_port,
        )
        self.webhooks: list[ClusterProcess] = []
        self.workers: list[ClusterProcess] = []

    @property
    def processes(self) -> list[ClusterProcess]:
        return [*self.webhooks, *self.workers]

    # -- the environment ----------------------------------------------------------------------

    def _token(self) -> str:
        if self.config.token is not None:
            return self.config.token
        if self.emulator is not None and len(self.emulator.tokens) == 1:
            return next(iter(self.emulator.tokens))
        return EMULATOR_TOKEN

    def environment(self) -> dict[str, str]:
        """What every process gets: the shared settings of docs/deploy.md's /etc/sellerbot/env."""
        config = self.config
        env = dict(config.base_environment)
        env.update(
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
            DATABASE_URL=config.database_url,
            REDIS_URL=config.redis_url,
            TELEGRAM_BOT_TOKEN=self._token(),
            WEBHOOK_URL=self.webhook_url,
            WEBHOOK_SECRET=config.webhook_secret,
            # Several processes behind one URL: one stopping must not remove the webhook.
            WEBHOOK_DELETE_ON_STOP="false",
        )
        if self.emulator is not None:
            env["TELEGRAM_API_BASE"] = self.emulator.base_url
        env.update(config.settings)
        return env

    def _specs(self) -> tuple[list[ProcessSpec], list[ProcessSpec]]:
        common = self.environment()

        def numbered(command: str, ports: list[int], settings: str) -> list[ProcessSpec]:
            """`command-1`, `command-2`...: one a port, serving on it (`<settings>_HOST`/`_PORT`)."""
            return [
                ProcessSpec(
                    f"{command}-{n}",
                    command,
                    port,
                    {**common, f"{settings}_HOST": "127.0.0.1", f"{settings}_PORT": str(port)},
                )
                for n, port in enumerate(ports, start=1)
            ]

        return (
            numbered("webhook", self.config.webhook_ports, "WEBHOOK"),
            numbered("worker", self.config.worker_ports, "WORKER_HTTP"),
        )

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Everything up and ready; on a failure, what started is stopped again."""
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            if self._owns_emulator:
                self.emulator = BotApiEmulator(
                    tokens=EMULATOR_TOKEN, local_webhooks=True, port=self.config.emulator_port
                )
                await self.emulator.start()
            await self._migrate()
            await self.proxy.start()
            webhook_specs, worker_specs = self._specs()
            self.webhooks = [self._process(spec) for spec in webhook_specs]
            self.workers = [self._process(spec) for spec in worker_specs]
            for process in self.processes:
                await process.start()
            await asyncio.gather(*(wait_ready(process) for process in self.processes))
        except BaseException:
            await self.stop()
            raise

    def _process(self, spec: ProcessSpec) -> ClusterProcess:
        return ClusterProcess(spec, self.config.log_dir, echo=self.config.echo)

    async def _migrate(self) -> None:
        """`sellerbot migrate`, once, before any process starts (docs/deploy.md, "Upgrading")."""
        migrate = ClusterProcess(
            ProcessSpec("migrate", "migrate", 0, self.environment()),
            self.config.log_dir,
            echo=self.config.echo,
        )
        await migrate.start()
        code = await migrate.wait()
        if code != 0:
            raise RuntimeError(f"sellerbot migrate failed (exit {code}); see {migrate.log_path}")

    async def stop(self) -> dict[str, int | None]:
        """SIGTERM to every process at once, each waited for; their exit codes by name."""
        grace = float(self.environment().get("SHUTDOWN_TIMEOUT_SECONDS", 20)) + STOP_MARGIN_SECONDS
        codes = await asyncio.gather(*(process.stop(grace) for process in self.processes))
        with contextlib.suppress(RuntimeError):  # never started
            await self.proxy.stop()
        if self._owns_emulator and self.emulator is not None:
            await self.emulator.stop()
        return {p.spec.name: code for p, code in zip(self.processes, codes, strict=True)}

    async def wait_for_exit(self) -> ClusterProcess:
        """Until one of the processes exits (it should not): that process."""
        while True:
            for process in self.processes:
                if process.returncode is not None:
                    return process
            await asyncio.sleep(0.5)

    # -- what a person needs to see -----------------------------------------------------------

    def describe(self) -> str:
        config = self.config
        lines = [
            "",
            f"  sellerbot cluster: {len(self.webhooks)} webhook + {len(self.workers)} worker "
            "processes on PostgreSQL and Redis",
        ]
        if self.emulator is not None:
            lines.append(f"  Telegram:      the emulator at {self.emulator.base_url} (no token)")
        else:
            lines.append(f"  Telegram:      real; set to post to {self.webhook_url}")
        lines.append(
            f"  reverse proxy: http://127.0.0.1:{config.proxy_port}"
            f"{urlsplit(self.webhook_url).path} -> the webhook processes in turn"
        )
        for process in self.processes:
            base = process.spec.base_url
            lines.append(
                f"  {process.spec.name:<10} {base}/healthz  {base}/readyz  {base}/metrics"
                f"  log: {process.log_path}"
            )
        if self.emulator is not None:
            side = self.emulator.base_url + "/_emulator"
            header = next(iter(self.emulator.side_api_headers.items()))
            lines += [
                "  chat as a user through the emulator's side API, for example:",
                f"    curl -H '{header[0]}: {header[1]}' -H 'Content-Type: application/json' \\",
                f"         -d '{{\"id\": 1001}}' {side}/users",
                f"    curl -H '{header[0]}: {header[1]}' -H 'Content-Type: application/json' \\",
                f'         -d \'{{"text": "/start"}}\' {side}/chats/1001/messages',
                f"    curl -H '{header[0]}: {header[1]}' {side}/chats/1001/messages",
            ]
        lines += ["  stop with Ctrl+C (each process stops gracefully)", ""]
        return "\n".join(lines)


def main_environment_problem(database_url: str | None, redis_url: str | None) -> str | None:
    """Why the cluster cannot start on these services, or None."""
    if not database_url or not database_url.startswith("postgresql"):
        return "set DATABASE_URL to a PostgreSQL database (postgresql+asyncpg://user@host/db)"
    if not redis_url:
        return "set REDIS_URL (redis://127.0.0.1:6379/0): the processes share limits and state"
    return None


def print_line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
