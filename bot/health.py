"""Readiness of a bot process: may a load balancer send it work?

`/healthz` (liveness) only says the process answers. `/readyz` asks `Readiness.check()`: the
database answers and its schema is at the migrations this code was built with, or past them by
a newer release's migrations (a process of a newer release waits for `sellerbot migrate`; one of
an older release keeps serving during a rolling upgrade, since migrations only add), and Redis
answers when REDIS_URL is set. Each check has a short time limit, so a probe never hangs on a
dead service. Details name the failure's kind, never a URL or a message that could carry a
password.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import database

__all__ = ["Check", "Readiness"]

CHECK_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


def _failure(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer in time"
    return f"unreachable ({type(error).__name__})"


class Readiness:
    def __init__(
        self,
        engine: AsyncEngine,
        redis: Redis | None = None,
        *,
        timeout: float = CHECK_TIMEOUT_SECONDS,
    ) -> None:
        self._engine = engine
        self._redis = redis
        self._timeout = timeout
        config = database.alembic_config(engine.url.render_as_string(hide_password=True))
        self.expected = frozenset(ScriptDirectory.from_config(config).get_heads())
        self.known = database.known_revisions()

    async def check(self) -> list[Check]:
        checks = [await self._database()]
        if self._redis is not None:
            checks.append(await self._redis_check(self._redis))
        return checks

    async def _database(self) -> Check:
        try:
            async with asyncio.timeout(self._timeout), self._engine.connect() as connection:
                rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
                applied = frozenset(str(version) for version in rows.scalars())
        except Exception as error:
            return Check("database", False, _failure(error))
        if applied - self.known:
            # A newer release ran `sellerbot migrate` (a rolling upgrade): migrations only add,
            # so this release keeps serving until it is replaced.
            return Check("database", True, "reachable, migrated by a newer release")
        if applied != self.expected:
            shown = ", ".join(sorted(applied)) or "none"
            wanted = ", ".join(sorted(self.expected))
            return Check("database", False, f"migrations at {shown}, this release needs {wanted}")
        return Check("database", True, "reachable, migrations current")

    async def _redis_check(self, redis: Redis) -> Check:
        try:
            async with asyncio.timeout(self._timeout):
                await redis.ping()
        except Exception as error:
            return Check("redis", False, _failure(error))
        return Check("redis", True, "reachable")
