"""The demo's return negotiation in a real browser: while the demo plays, each pane follows the
story between the main chat and the case's topic, so the notices are seen where they land;
at the end both sides read the agreement in their topic, and the buyer's photo is in the main
chat where they sent it, with the request's first question, edited in place as the item was
chosen. A screenshot goes to test-artifacts/sandbox-return.png.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.runner import SANDBOX_TOKEN
from sandbox.demo import FLOWS, RETURN_NEGOTIATED, RETURN_ORDER_NUMBER
from sandbox.webchat import WebChatServer, open_sandbox
from tests.browser.test_sandbox import (
    ARTIFACTS,
    CHAT_INTERVAL,
    CHROMIUM,
    CHROMIUM_ARGS,
    browser_available,
    sandbox_test_settings,
)

__all__ = ["browser_available"]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[WebChatServer]:
    async with open_sandbox(
        sandbox_test_settings(tmp_path / "data"),
        token=SANDBOX_TOKEN,
        port=0,
        demo_pause=0.05,
        chat_interval=CHAT_INTERVAL,
    ) as web_chat:
        yield web_chat
        emulator = web_chat.sandbox.emulator
        if emulator is not None:
            assert not emulator.unexpected_violations, emulator.unexpected_violations


async def test_the_page_follows_the_return_negotiation_into_the_case_topic(
    browser_available: None, server: WebChatServer, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=60_000)
    # Everything before the return, without a page: two orders delivered to the buyer.
    negotiation = FLOWS.index(RETURN_NEGOTIATED)
    server.sandbox.demo.start(FLOWS[:negotiation])
    status = await asyncio.wait_for(server.sandbox.demo.wait(), timeout=300)
    assert status.state == "done", status.message

    async with async_playwright() as playwright:
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
            await page.goto(server.url)
            await expect(page.locator("body[data-ready=true]")).to_have_count(1)
            seller = page.locator("#pane-seller")
            buyer = page.locator("#pane-buyer")

            server.sandbox.demo.start([RETURN_NEGOTIATED])
            status = await asyncio.wait_for(server.sandbox.demo.wait(), timeout=120)
            assert status.state == "done", status.message
            case = status.variables["case"]

            # The last notices came in the case's topic: both panes show it, nothing unread.
            for pane, agreed in (
                (seller, "Next: refund the buyer"),
                (buyer, "Next: the store refunds you"),
            ):
                active = pane.locator(".topic-tab.active")
                await expect(active).to_have_text(f"Return {case} · USB cable")
                await expect(active.locator(".badge")).to_have_count(0)
                last = pane.locator(".msg.bot").last
                await expect(last).to_contain_text(f"Agreed in return {case}")
                await expect(last).to_contain_text("Partial refund · $4.45")
                await expect(last).to_contain_text(agreed)
            await expect(
                buyer.locator(".msg.bot", has_text="Shenzhen Gadgets countered your offer")
            ).to_contain_text("Partial refund · $2.67")
            await expect(page.locator("#toast")).to_be_hidden(timeout=10_000)
            await page.screenshot(path=str(ARTIFACTS / "sandbox-return.png"), animations="disabled")

            # The request itself is in the main chat: the buyer's photo of the damage, shown.
            await buyer.locator(".topic-tab", has_text="General").click()
            photo = buyer.locator(".msg.user img.photo")
            await expect(photo).to_have_count(1)
            await photo.scroll_into_view_if_needed()  # it loads lazily
            await page.wait_for_function(
                "() => { const img = document.querySelector('#pane-buyer .msg.user img.photo');"
                " return img !== null && img.complete && img.naturalWidth === 240; }"
            )
            await expect(
                buyer.locator(".msg.bot", has_text=f"sent for order {RETURN_ORDER_NUMBER}")
            ).to_have_count(1)
            # Choosing the item edited the question where it was: one bubble, showing it.
            items = buyer.locator(".msg.bot", has_text="Which items is it about?")
            await expect(items).to_have_count(1)
            await expect(items).to_contain_text("USB cable: 1 / 1")
            await expect(items.locator(".meta")).to_contain_text("edited")
            assert errors == [], errors
        finally:
            await context.close()
