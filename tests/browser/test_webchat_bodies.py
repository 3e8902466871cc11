"""The web chat's API answers every malformed body with a 4xx and a message, never a 500, and a
refused body leaves no trace in the chats."""

from __future__ import annotations

import io
from typing import Any

import aiohttp
import pytest

from sandbox.webchat import CLIENT_HEADER, MAX_UPLOAD_BYTES, WebChatServer
from tests.browser.test_sandbox import http, server
from tests.emulator.test_http_hardening import BOUNDARY, MALFORMED_MULTIPART

__all__ = ["http", "server"]

HEADERS = {CLIENT_HEADER: "1"}


async def post(
    http: aiohttp.ClientSession, path: str, body: bytes, content_type: str
) -> tuple[int, Any]:
    headers = {**HEADERS, "Content-Type": content_type}
    async with http.post(path, data=io.BytesIO(body), headers=headers) as response:
        assert response.content_type == "application/json", await response.text()
        return response.status, await response.json()


def no_messages(server: WebChatServer) -> bool:
    emulator = server.sandbox.emulator
    assert emulator is not None
    return not any(emulator.history(chat_id) for chat_id in emulator.chat_ids())


@pytest.mark.parametrize("case", list(MALFORMED_MULTIPART))
async def test_malformed_uploads_are_a_400(
    server: WebChatServer, http: aiohttp.ClientSession, case: str
) -> None:
    body, headers = MALFORMED_MULTIPART[case]
    status, answer = await post(http, "/api/personas/seller/files", body, headers["Content-Type"])
    assert status == 400, answer
    assert answer["error"].startswith("malformed form body: ")
    assert no_messages(server)


async def test_an_upload_over_the_limit_is_a_413_with_the_limit(
    server: WebChatServer, http: aiohttp.ClientSession
) -> None:
    part = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
    ).encode()
    body = part + b"0" * (MAX_UPLOAD_BYTES + 128 * 1024) + f"\r\n--{BOUNDARY}--\r\n".encode()
    status, answer = await post(
        http,
        "/api/personas/seller/files",
        body,
        f"multipart/form-data; boundary={BOUNDARY}",
    )
    assert status == 413
    assert "20 MB" in answer["error"]
    assert no_messages(server)


async def test_malformed_json_is_a_400(server: WebChatServer, http: aiohttp.ClientSession) -> None:
    for body, content_type, expected in (
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "nested too deeply"),
        (b'{"text": ', "application/json", "not valid JSON"),
        (b'{"text": "\xff"}', "application/json", "not valid JSON"),
        (b'{"text": "hi"}', "application/json; charset=klingon", "charset"),
        (b'"just a string"', "application/json", "expected a JSON object"),
    ):
        status, answer = await post(http, "/api/personas/seller/messages", body, content_type)
        assert status == 400, (body[:20], answer)
        assert expected in answer["error"]
    assert no_messages(server)
