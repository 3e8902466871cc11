"""The emulator's HTTP surface against a hostile web page and hostile bodies.

The side API (``/_emulator/...``) posts as any user, presses any button and reads every chat, so
it answers only callers with the per-run secret, only under its own Host name (DNS rebinding),
and never to a body a cross-site form could send. Every refused request leaves no trace: no
user, no message, no update. Files are served so that none can run as a page of this origin,
and malformed bodies are a 4xx, never a 500.
"""

from __future__ import annotations

import struct
from typing import Any

import aiohttp
import pytest

from sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator
from sandbox.http_safety import SIDE_API_SECRET_HEADER, allowed_hosts
from tests.fixtures.emulator import emulator

__all__ = ["emulator"]

USER_ID = 515151
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", 4, 4)
BOUNDARY = "sellerbotBoundary"


async def request(
    emulator: BotApiEmulator,
    method: str,
    path: str,
    *,
    secret: bool = True,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> tuple[int, Any]:
    """One request to the emulator; (status, JSON body or text)."""
    sent = dict(emulator.side_api_headers) if secret else {}
    sent.update(headers or {})
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, emulator.base_url + path, headers=sent, **kwargs) as response,
    ):
        body: Any = (
            await response.json()
            if response.content_type == "application/json"
            else await response.text()
        )
        return response.status, body


def no_trace(emulator: BotApiEmulator) -> bool:
    """Nobody said anything: no message in any chat and no update for the bot."""
    return not emulator.pending_updates and not any(
        emulator.history(chat_id) for chat_id in emulator.chat_ids()
    )


# -- the per-run secret -------------------------------------------------------------------------


async def test_side_api_without_the_secret_is_refused(emulator: BotApiEmulator) -> None:
    emulator.user(USER_ID)
    for method, path, body in (
        ("POST", "/_emulator/users", {"id": 99, "first_name": "Mallory"}),
        ("POST", f"/_emulator/chats/{USER_ID}/messages", {"text": "/delete_my_data"}),
        ("POST", f"/_emulator/chats/{USER_ID}/callbacks", {"message_id": 1, "callback_data": "x"}),
        ("GET", "/_emulator/chats", None),
        ("GET", f"/_emulator/chats/{USER_ID}/messages", None),
        ("GET", "/_emulator/events", None),
    ):
        status, answer = await request(emulator, method, path, secret=False, json=body)
        assert status == 403, (path, answer)
        assert SIDE_API_SECRET_HEADER in answer["error"]
        wrong = {SIDE_API_SECRET_HEADER: emulator.side_api_secret[:-1] + "x"}
        status, _ = await request(emulator, method, path, secret=False, headers=wrong, json=body)
        assert status == 403
    assert emulator.chat_ids() == [USER_ID]
    assert no_trace(emulator)


async def test_the_secret_is_new_for_every_emulator() -> None:
    first, second = BotApiEmulator(), BotApiEmulator()
    assert len(first.side_api_secret) >= 40
    assert first.side_api_secret != second.side_api_secret


# -- Host (DNS rebinding) -----------------------------------------------------------------------


async def test_a_foreign_host_name_is_refused_everywhere(emulator: BotApiEmulator) -> None:
    emulator.user(USER_ID)
    foreign = {"Host": f"rebound.example:{emulator.base_url.rsplit(':', 1)[1]}"}
    status, answer = await request(
        emulator,
        "POST",
        f"/_emulator/chats/{USER_ID}/messages",
        headers=foreign,
        json={"text": "hi"},
    )
    assert status == 421 and "Host" in answer["error"]
    # The Bot API too: a rebound page must not read the bot's updates or send as the bot.
    status, answer = await request(
        emulator,
        "POST",
        f"/bot{DEFAULT_TOKEN}/sendMessage",
        headers=foreign,
        json={"chat_id": USER_ID, "text": "spoofed"},
    )
    assert status == 421 and answer["ok"] is False
    assert no_trace(emulator)
    # Under its own names it answers.
    port = int(emulator.base_url.rsplit(":", 1)[1])
    for host in ("localhost", "127.0.0.1"):
        status, _ = await request(
            emulator, "GET", "/_emulator/chats", headers={"Host": f"{host}:{port}"}
        )
        assert status == 200


def test_allowed_hosts_are_the_loopback_names_and_the_bound_address() -> None:
    assert allowed_hosts("127.0.0.1", 8080) == {
        "127.0.0.1:8080",
        "localhost:8080",
        "[::1]:8080",
    }
    assert "[::1]:9" in allowed_hosts("::1", 9)
    assert "192.168.1.20:9" in allowed_hosts("192.168.1.20", 9)
    assert allowed_hosts("0.0.0.0", 9) == allowed_hosts("127.0.0.1", 9)  # noqa: S104
    assert "localhost" in allowed_hosts("127.0.0.1", 80)


# -- bodies a cross-site page can send ----------------------------------------------------------


async def test_text_plain_and_form_bodies_are_refused(emulator: BotApiEmulator) -> None:
    emulator.user(USER_ID)
    path = f"/_emulator/chats/{USER_ID}/messages"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        status, answer = await request(
            emulator,
            "POST",
            path,
            data=b'{"text": "/delete_my_data"}',
            headers={"Content-Type": content_type},
        )
        assert status == 415, content_type
        assert "application/json" in answer["error"]
    # A file upload is multipart, nothing else.
    status, _ = await request(
        emulator, "POST", f"/_emulator/chats/{USER_ID}/files", json={"file": "x"}
    )
    assert status == 415
    assert no_trace(emulator)


async def test_cross_site_browser_requests_are_refused(emulator: BotApiEmulator) -> None:
    """The sandbox's bot token is public, so the Bot API too refuses what a web page sends."""
    emulator.user(USER_ID)
    send = f"/bot{DEFAULT_TOKEN}/sendMessage?chat_id={USER_ID}&text=spoofed"
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # another local server's page
    ):
        status, answer = await request(emulator, "POST", send, headers=headers)
        assert status == 403, headers
        assert answer["ok"] is False
    assert no_trace(emulator)
    # A person opening a Bot API URL in the address bar is not cross-site.
    status, _ = await request(emulator, "GET", send, headers={"Sec-Fetch-Site": "none"})
    assert status == 200
    assert [m.text for m in emulator.history(USER_ID)] == ["spoofed"]


# -- files --------------------------------------------------------------------------------------


async def test_files_download_unless_they_are_images(emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID)
    page = await user.upload_document("x.html", b"<script>alert(1)</script>", "text/html")
    svg = await user.upload_document("x.svg", b"<svg onload=alert(1)/>", "image/svg+xml")
    fake_photo = await user.upload_photo(b"<html><script>alert(1)</script></html>")
    photo = await user.upload_photo(PNG)

    async def fetch(file_path: str) -> aiohttp.ClientResponse:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{emulator.base_url}/file/bot{DEFAULT_TOKEN}/{file_path}") as response,
        ):
            await response.read()
            return response

    for message in (page, svg, fake_photo):
        record = message.document or message.photo
        assert record is not None
        response = await fetch(record.file_path)
        assert response.status == 200
        assert response.content_type == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert photo.photo is not None
    response = await fetch(photo.photo.file_path)
    assert response.content_type == "image/png"
    assert "Content-Disposition" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# -- malformed bodies ---------------------------------------------------------------------------


def multipart(*parts: bytes) -> tuple[bytes, dict[str, str]]:
    body = b"".join(f"--{BOUNDARY}\r\n".encode() + part + b"\r\n" for part in parts)
    body += f"--{BOUNDARY}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


FILE_PART = b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello'
MALFORMED_MULTIPART: dict[str, tuple[bytes, dict[str, str]]] = {
    "a header line longer than 8 KiB (LineTooLong)": multipart(
        b"X-Long: " + b"a" * 20_000 + b"\r\n" + FILE_PART
    ),
    "a part header that is not a header": multipart(b"not a header\r\n" + FILE_PART),
    "a boundary the body does not use": (
        b"--other\r\n" + FILE_PART + b"\r\n--other--\r\n",
        {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    ),
    "no boundary at all": (b"--x\r\n\r\n", {"Content-Type": "multipart/form-data"}),
    "a body cut short": (
        f"--{BOUNDARY}\r\n".encode() + FILE_PART,
        {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    ),
    "an unknown transfer encoding": multipart(
        b'Content-Disposition: form-data; name="caption"\r\n'
        b"Content-Transfer-Encoding: rot13\r\n\r\nx\r\n--" + BOUNDARY.encode() + b"\r\n" + FILE_PART
    ),
    "an unknown charset": multipart(
        b'Content-Disposition: form-data; name="caption"\r\n'
        b"Content-Type: text/plain; charset=klingon\r\n\r\nx"
    ),
    "a field that is not UTF-8": multipart(
        b'Content-Disposition: form-data; name="caption"\r\n\r\n\xff\xfe'
    ),
    "a part without a name": multipart(b"Content-Type: text/plain\r\n\r\nx"),
}


@pytest.mark.parametrize("case", list(MALFORMED_MULTIPART))
async def test_malformed_multipart_is_a_400(emulator: BotApiEmulator, case: str) -> None:
    emulator.user(USER_ID)
    body, headers = MALFORMED_MULTIPART[case]
    status, answer = await request(
        emulator, "POST", f"/_emulator/chats/{USER_ID}/files", data=body, headers=headers
    )
    assert status == 400, answer
    assert answer["error"].startswith("malformed form body: ")
    # The Bot API answers the same body like Telegram: 400 with a description.
    status, answer = await request(
        emulator, "POST", f"/bot{DEFAULT_TOKEN}/sendDocument", data=body, headers=headers
    )
    assert status == 400
    assert answer["ok"] is False and answer["description"].startswith("Bad Request: malformed")
    assert no_trace(emulator)


async def test_malformed_json_is_a_400(emulator: BotApiEmulator) -> None:
    emulator.user(USER_ID)
    json_headers = {"Content-Type": "application/json"}
    for body, expected in (
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"text": ', "not valid JSON"),
        (b'{"text": "\xff"}', "not valid JSON"),
    ):
        status, answer = await request(
            emulator,
            "POST",
            f"/bot{DEFAULT_TOKEN}/sendMessage",
            data=body,
            headers=json_headers,
        )
        assert status == 400 and expected in answer["description"]
        status, answer = await request(
            emulator,
            "POST",
            f"/_emulator/chats/{USER_ID}/messages",
            data=body,
            headers=json_headers,
        )
        assert status == 400 and expected in answer["error"]
    status, answer = await request(
        emulator,
        "POST",
        f"/bot{DEFAULT_TOKEN}/sendMessage",
        data=b"{}",
        headers={"Content-Type": "application/json; charset=klingon"},
    )
    assert status == 400 and "charset" in answer["description"]
    assert no_trace(emulator)
