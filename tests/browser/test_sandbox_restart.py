"""The sandbox across restarts, through the web chat's HTTP API: the bot keeps answering (update
ids never repeat for a database), and the chats come back as they were — or, where they cannot,
the page is told what the bot still remembers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bot.runner import SANDBOX_TOKEN
from bot.settings import Settings
from sandbox.webchat import CLIENT_HEADER, WebChatServer, open_sandbox
from tests.browser.test_sandbox import (
    ARTIFACTS,
    CHAT_INTERVAL,
    CHROMIUM,
    CHROMIUM_ARGS,
    browser_available,
    sandbox_test_settings,
)

__all__ = ["browser_available"]

HEADERS = {CLIENT_HEADER: "1"}


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[WebChatServer, aiohttp.ClientSession]]:
    """One run of the sandbox process: the web chat and a client of its API."""
    async with (
        open_sandbox(
            settings, token=SANDBOX_TOKEN, port=0, demo_pause=0.05, chat_interval=CHAT_INTERVAL
        ) as server,
        aiohttp.ClientSession(base_url=server.url) as http,
    ):
        yield server, http
        emulator = server.sandbox.emulator
        assert emulator is not None and not emulator.unexpected_violations


async def post(http: aiohttp.ClientSession, path: str, body: Any = None) -> Any:
    async with http.post(path, json=body or {}, headers=HEADERS) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def state(http: aiohttp.ClientSession) -> Any:
    async with http.get("/api/state") as response:
        assert response.status == 200
        return await response.json()


async def say(
    http: aiohttp.ClientSession,
    persona: str,
    text: str,
    expect: str,
    timeout: float = 10.0,  # noqa: ASYNC109
) -> dict[str, Any]:
    """Send ``text`` as ``persona``; the bot's first reply after it, which must contain ``expect``."""
    sent = await post(http, f"/api/personas/{persona}/messages", {"text": text})
    try:
        async with asyncio.timeout(timeout):
            while True:
                for message in (await state(http))["chats"][persona]["messages"]:
                    if message["from_bot"] and message["message_id"] > sent["message_id"]:
                        assert expect in (message["text"] or ""), message["text"]
                        return message  # type: ignore[no-any-return]
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"the bot did not answer {text!r} within {timeout}s") from None


async def test_the_first_message_after_a_restart_is_answered(tmp_path: Path) -> None:
    settings = sandbox_test_settings(tmp_path / "data")
    async with running(settings) as (_, http):
        await say(http, "buyer", "/help", "What I can do")
        await say(http, "seller", "/start", "Who are you?")
    # The same database remembers the update ids it processed; a new run must not reuse them.
    async with running(settings) as (server, http):
        await say(http, "buyer", "/help", "What I can do")
        emulator = server.sandbox.emulator
        assert emulator is not None and emulator.update_log[0]["update_id"] > 2


async def test_reset_with_a_kept_database_keeps_answering(tmp_path: Path) -> None:
    database = tmp_path / "external.sqlite3"
    settings = sandbox_test_settings(tmp_path / "data").model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{database}"}
    )
    async with running(settings) as (_, http):
        await say(http, "buyer", "/help", "What I can do")
        assert await post(http, "/api/reset") == {"database_wiped": False}
        assert database.exists()
        await say(http, "buyer", "/help", "What I can do")


# -- the chats come back ------------------------------------------------------------------------


async def press(
    http: aiohttp.ClientSession, persona: str, message: dict[str, Any], label: str
) -> None:
    button = next(b for row in message["reply_markup"] for b in row if label in b["text"])
    await post(
        http,
        f"/api/personas/{persona}/callbacks",
        {"message_id": message["message_id"], "callback_data": button["callback_data"]},
    )


async def begin_registration(http: aiohttp.ClientSession) -> dict[str, Any]:
    """The seller starts registering and stops at the store-name question (unfinished)."""
    welcome = await say(http, "seller", "/start", "Who are you?")
    await press(http, "seller", welcome, "I sell")
    async with asyncio.timeout(10):
        while True:
            messages = (await state(http))["chats"]["seller"]["messages"]
            if "What is your store called" in (messages[-1]["text"] or ""):
                return welcome
            await asyncio.sleep(0.1)


async def wait_saved() -> None:
    """Let the chat log's delayed write happen (a crash loses at most that moment)."""
    await asyncio.sleep(0.8)


async def test_a_restart_reopens_the_chats_as_they_were(tmp_path: Path) -> None:
    settings = sandbox_test_settings(tmp_path / "data")
    pdf = b"%PDF-1.4 a certificate"
    async with running(settings) as (_, http):
        welcome = await begin_registration(http)
        form = aiohttp.FormData()
        form.add_field("file", pdf, filename="cert.pdf", content_type="application/pdf")
        async with http.post("/api/personas/buyer/files", data=form, headers=HEADERS) as response:
            assert response.status == 200
            uploaded = await response.json()
        await wait_saved()
        before = (await state(http))["chats"]
    assert (tmp_path / "data" / "sandbox-chats.json").exists()

    async with running(settings) as (_, http):
        after = (await state(http))["chats"]
        assert after["seller"]["messages"] == before["seller"]["messages"]
        assert after["buyer"]["messages"][0]["document"] == uploaded["document"]
        assert all(chat["notice"] is None for chat in after.values())
        # The file the bot's database may refer to is still there under its id.
        async with http.get(f"/api/files/{uploaded['document']['file_id']}") as response:
            assert response.status == 200 and await response.read() == pdf
        # The conversation goes on where the page shows it stopped; new ids follow the old ones.
        reply = await say(http, "seller", "Restart Store", "Which country")
        assert reply["message_id"] > before["seller"]["messages"][-1]["message_id"]
        # A button from before the restart can still be pressed: its message still exists.
        await press(http, "seller", welcome, "I sell")


async def test_reset_with_a_kept_database_says_what_the_bot_remembers(tmp_path: Path) -> None:
    database = tmp_path / "external.sqlite3"
    settings = sandbox_test_settings(tmp_path / "data").model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{database}"}
    )
    async with running(settings) as (_, http):
        await begin_registration(http)
        await say(http, "buyer", "/help", "What I can do")
        last_seller_id = (await state(http))["chats"]["seller"]["messages"][-1]["message_id"]
        await post(http, "/api/reset")
        chats = (await state(http))["chats"]
        assert all(not chat["messages"] for chat in chats.values())
        assert chats["seller"]["notice"] == {"memory": "unfinished", "reason": "reset"}
        assert chats["buyer"]["notice"] == {"memory": "known", "reason": "reset"}
        assert chats["operator"]["notice"] is None  # never talked to the bot

    # After a restart too, and /start picks the conversation up; ids never go back.
    async with running(settings) as (_, http):
        chats = (await state(http))["chats"]
        assert chats["seller"]["notice"] == {"memory": "unfinished", "reason": "reset"}
        reply = await say(http, "seller", "/start", "continue where you left off")
        assert reply["message_id"] > last_seller_id


async def test_chats_that_were_not_saved_are_announced(tmp_path: Path) -> None:
    settings = sandbox_test_settings(tmp_path / "data")
    chat_log = tmp_path / "data" / "sandbox-chats.json"
    async with running(settings) as (_, http):
        await begin_registration(http)
        await wait_saved()
    for damage in (chat_log.unlink, lambda: chat_log.write_text("{not json")):
        damage()
        async with running(settings) as (_, http):
            chats = (await state(http))["chats"]
            assert chats["seller"]["messages"] == []
            assert chats["seller"]["notice"] == {"memory": "unfinished", "reason": "not_saved"}
            assert chats["buyer"]["notice"] is None


def delete_sqlite(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


async def test_a_deleted_database_takes_its_chats_along(tmp_path: Path) -> None:
    settings = sandbox_test_settings(tmp_path / "data")
    async with running(settings) as (server, http):
        await begin_registration(http)
        await wait_saved()
        database = server.sandbox.database_path
    assert database is not None
    delete_sqlite(database)
    async with running(settings) as (server, http):
        chats = (await state(http))["chats"]
        assert all(not chat["messages"] and chat["notice"] is None for chat in chats.values())
        await say(http, "seller", "/start", "Who are you?")


async def test_a_full_reset_forgets_the_saved_chats(tmp_path: Path) -> None:
    settings = sandbox_test_settings(tmp_path / "data")
    async with running(settings) as (_, http):
        await begin_registration(http)
        await wait_saved()
        assert await post(http, "/api/reset") == {"database_wiped": True}
        chats = (await state(http))["chats"]
        assert all(not chat["messages"] and chat["notice"] is None for chat in chats.values())
    assert not (tmp_path / "data" / "sandbox-files").exists()
    async with running(settings) as (_, http):
        chats = (await state(http))["chats"]
        assert all(not chat["messages"] and chat["notice"] is None for chat in chats.values())


# -- the page -----------------------------------------------------------------------------------


async def test_the_page_reopens_with_its_history_or_says_what_the_bot_remembers(
    browser_available: None, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    database = tmp_path / "external.sqlite3"
    settings = sandbox_test_settings(tmp_path / "data").model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{database}"}
    )
    async with running(settings) as (_, http):
        await begin_registration(http)
        await wait_saved()

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=15_000)
    async with running(settings) as (server, http), async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1440, "height": 900},
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
            await page.goto(server.url)
            await expect(page.locator("body[data-ready=true]")).to_have_count(1)
            seller = page.locator("#pane-seller")

            # After the restart the conversation is on the page as it was left.
            await expect(seller.locator(".msg.bot").last).to_contain_text(
                "What is your store called"
            )
            await expect(seller.locator(".msg.user").first).to_contain_text("/start")
            await expect(page.locator(".history-notice")).to_have_count(0)

            # Reset keeps this database: the chats empty, and the page says what the bot knows.
            await page.locator("#reset-button").click()
            notice = seller.locator(".history-notice")
            await expect(notice).to_contain_text("unfinished conversation")
            await expect(notice).to_contain_text("the database was kept")
            await expect(seller.locator(".msg")).to_have_count(0)
            await expect(page.locator("#pane-operator .history-notice")).to_have_count(0)
            await expect(page.locator("#pane-operator .empty")).to_contain_text("No messages yet")
            await page.screenshot(
                path=str(ARTIFACTS / "sandbox-history-notice.png"), animations="disabled"
            )

            await notice.locator("button", has_text="Send /start").click()
            await expect(seller.locator(".msg.bot").last).to_contain_text(
                "What is your store called"
            )
            await expect(seller.locator(".msg.bot").first).to_contain_text(
                "continue where you left off"
            )
            assert errors == [], errors
        finally:
            await context.close()
