"""The cluster's reverse proxy: webhook requests go to the processes in turn, and one that is
stopping (503) or not listening is skipped, as nginx's proxy_next_upstream does."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web

from sandbox.cluster.proxy import RoundRobinProxy

PATH = "/telegram/webhook"


def _free_ports(count: int) -> list[int]:
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


@asynccontextmanager
async def _upstream(port: int, status: int, seen: list[int]) -> AsyncIterator[None]:
    async def receive(request: web.Request) -> web.Response:
        seen.append((await request.json())["update_id"])
        assert request.headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret"
        return web.Response(status=status)

    app = web.Application()
    app.router.add_post(PATH, receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield
    finally:
        await runner.cleanup()


async def _post_updates(proxy: RoundRobinProxy, count: int) -> list[int]:
    statuses = []
    async with aiohttp.ClientSession() as http:
        for update_id in range(1, count + 1):
            async with http.post(
                proxy.url + PATH,
                data=json.dumps({"update_id": update_id}),
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"},
            ) as response:
                statuses.append(response.status)
    return statuses


def _proxy(ports: list[int], port: int) -> RoundRobinProxy:
    upstreams = [f"http://127.0.0.1:{p}" for p in ports]
    return RoundRobinProxy(upstreams, [PATH], host="127.0.0.1", port=port)


async def test_requests_go_to_the_processes_in_turn() -> None:
    first_port, second_port, proxy_port = _free_ports(3)
    first: list[int] = []
    second: list[int] = []
    proxy = _proxy([first_port, second_port], proxy_port)
    async with _upstream(first_port, 200, first), _upstream(second_port, 200, second):
        await proxy.start()
        try:
            assert await _post_updates(proxy, 4) == [200] * 4
        finally:
            await proxy.stop()
    assert (first, second) == ([1, 3], [2, 4])
    by_update: Callable[[int], str] = {f.update_id: f.upstream for f in proxy.forwarded}.__getitem__
    assert by_update(1) == by_update(3) == f"http://127.0.0.1:{first_port}"


async def test_a_stopping_or_absent_process_is_skipped() -> None:
    stopping_port, absent_port, live_port, proxy_port = _free_ports(4)
    stopping: list[int] = []
    live: list[int] = []
    proxy = _proxy([stopping_port, absent_port, live_port], proxy_port)
    async with _upstream(stopping_port, 503, stopping), _upstream(live_port, 200, live):
        await proxy.start()
        try:
            assert await _post_updates(proxy, 3) == [200] * 3
        finally:
            await proxy.stop()
    assert live == [1, 2, 3]
    assert {f.upstream for f in proxy.forwarded} == {f"http://127.0.0.1:{live_port}"}


async def test_no_process_answering_is_a_502() -> None:
    absent_port, proxy_port = _free_ports(2)
    proxy = _proxy([absent_port], proxy_port)
    await proxy.start()
    try:
        assert await _post_updates(proxy, 1) == [502]
    finally:
        await proxy.stop()
