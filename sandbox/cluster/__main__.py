"""`scripts/cluster` (`python -m sandbox.cluster`): the reference topology, locally.

    DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/sellerbot \\
    REDIS_URL=redis://127.0.0.1:6379/0 scripts/cluster [--webhooks 2] [--workers 2]

Without TELEGRAM_BOT_TOKEN, the emulator stands in for Telegram. With it, pass --public-url
(or WEBHOOK_URL): the https address a tunnel or TLS proxy forwards to the local proxy's port.
The token is read from the environment only, never from the command line (where `ps` shows it).
Every other setting in the environment (OPERATOR_IDS, SEND_*, TRACKING_*...) reaches every
process. Ctrl-C or SIGTERM stops them all gracefully; the exit code is 1 if one of them did not
stop cleanly or exited on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

from sandbox.cluster import Cluster, ClusterConfig, main_environment_problem, print_line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/cluster",
        description="N webhook and M worker processes behind a round-robin proxy, on this "
        "machine's PostgreSQL and Redis (docs/deploy.md, 'Try the topology locally').",
    )
    parser.add_argument("--webhooks", type=int, default=2, help="webhook processes (2)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument(
        "--port-base",
        type=int,
        default=8180,
        help="the proxy listens here, the processes on the next ports, the emulator after "
        "them (8180)",
    )
    parser.add_argument(
        "--log-dir", type=Path, default=Path("data/cluster-logs"), help="one log file a process"
    )
    parser.add_argument(
        "--public-url",
        default=os.environ.get("WEBHOOK_URL"),
        help="with TELEGRAM_BOT_TOKEN: the https URL Telegram posts to, forwarded to the proxy",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="write the processes' logs to the files only"
    )
    return parser


async def _run(config: ClusterConfig) -> int:
    cluster = Cluster(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print_line("starting the cluster…")
    try:
        await cluster.start()
    except RuntimeError as error:
        print_line(f"scripts/cluster: {error}")
        return 1
    print(cluster.describe(), flush=True)
    stopping = asyncio.create_task(stop.wait())
    exited = asyncio.create_task(cluster.wait_for_exit())
    await asyncio.wait({stopping, exited}, return_when=asyncio.FIRST_COMPLETED)
    failed = exited.done()
    if failed:
        process = exited.result()
        print_line(f"{process.spec.name} exited ({process.returncode}); stopping the others")
    for task in (stopping, exited):
        task.cancel()
    print_line("stopping every process gracefully…")
    codes = await cluster.stop()
    print_line("stopped: " + ", ".join(f"{name} {code}" for name, code in codes.items()))
    return 1 if failed or any(code != 0 for code in codes.values()) else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    problem = main_environment_problem(database_url, redis_url)
    if problem is not None:
        print_line(f"scripts/cluster: {problem}")
        return 2
    token = os.environ.get("TELEGRAM_BOT_TOKEN") or None
    if token is not None and not (args.public_url or "").startswith("https://"):
        print_line("scripts/cluster: with TELEGRAM_BOT_TOKEN, pass --public-url https://…")
        return 2
    if args.webhooks < 1 or args.workers < 0:
        print_line("scripts/cluster: at least one webhook process, and no negative workers")
        return 2
    assert database_url is not None
    assert redis_url is not None
    config = ClusterConfig.from_base_port(
        args.port_base,
        webhooks=args.webhooks,
        workers=args.workers,
        database_url=database_url,
        redis_url=redis_url,
        log_dir=args.log_dir,
        token=token,
        public_url=args.public_url if token else None,
        echo=None if args.quiet else sys.stderr,
    )
    return asyncio.run(_run(config))


if __name__ == "__main__":
    raise SystemExit(main())
