"""The sandbox's tracking story in a real browser: the seller's buyer link is clicked in the
seller's chat and opens in the buyer's, and the fast-forward buttons play the simulated parcel
until the buyer is told it was delivered.

The README's picture (docs/sandbox.png) is taken here, with the seller's shipped order beside
the buyer following the parcel; it is refreshed only with SELLERBOT_UPDATE_SCREENSHOT=1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.runner import SANDBOX_TOKEN
from domain.model import Order, OrderStatus
from sandbox.demo import FLOWS, ORDER_NUMBER, ORDER_SHIPPED, TRACKING_NUMBER
from sandbox.webchat import WebChatServer, open_sandbox
from tests.browser.test_sandbox import (
    ARTIFACTS,
    CHAT_INTERVAL,
    CHROMIUM,
    CHROMIUM_ARGS,
    README_SCREENSHOT,
    browser_available,
    sandbox_test_settings,
)

__all__ = ["browser_available"]

# 15:00 UTC is 10:00 in New York, where the demo's buyer lives (the order ships to the US):
# jumps of whole weeks from there never land in the buyer's quiet hours (22:00-08:00), so
# each message comes at once and the test does not depend on when it runs.
BUYERS_MORNING_UTC = time(15, 0)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[WebChatServer]:
    async with open_sandbox(
        sandbox_test_settings(tmp_path / "data"),
        token=SANDBOX_TOKEN,
        port=0,
        demo_pause=0.02,
        chat_interval=CHAT_INTERVAL,
    ) as web_chat:
        yield web_chat
        emulator = web_chat.sandbox.emulator
        if emulator is not None:
            assert not emulator.unexpected_violations, emulator.unexpected_violations


async def _to_the_buyers_morning(server: WebChatServer) -> None:
    now = server.sandbox.clock()
    morning = datetime.combine(now.date(), BUYERS_MORNING_UTC, tzinfo=UTC)
    if morning <= now:
        morning += timedelta(days=1)
    await server.sandbox.advance(morning - now)


async def _order_status(server: WebChatServer) -> OrderStatus:
    app = server.sandbox.app
    assert app is not None
    async with app.uow_factory() as uow:
        status = await uow.session.scalar(select(Order.status).where(Order.number == ORDER_NUMBER))
    assert status is not None
    return OrderStatus(status)


async def test_buyer_clicks_the_link_and_fast_forward_plays_the_parcel(
    browser_available: None, server: WebChatServer, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=20_000)
    await _to_the_buyers_morning(server)
    # The demo's first flows, quickly: a registered store, a verified warehouse, an order
    # shipped by sea with a buyer link in the seller's chat. The browser takes it from there.
    shipped = FLOWS.index(ORDER_SHIPPED) + 1
    server.sandbox.demo.start(FLOWS[:shipped])
    status = await asyncio.wait_for(server.sandbox.demo.wait(), timeout=240)
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

            # The link in the seller's chat is a link, and it opens in the buyer's chat.
            link = seller.locator(".msg.bot .start-link").last
            await expect(link).to_have_attribute(
                "href", status.variables["buyer_link"], timeout=5_000
            )
            await expect(link).to_have_attribute("title", "Open as Alex (buyer)")
            await link.click()
            token = status.variables["buyer_link"].rsplit("=", 1)[1]
            await expect(buyer.locator(".msg.user .text").last).to_have_text(f"/start {token}")
            card = buyer.locator(".msg.bot").last
            await expect(card).to_contain_text(f"Tracking number: {TRACKING_NUMBER}")
            await expect(card).to_contain_text("You are following this order now")
            await expect(card.locator(".kb-button", has_text="journey")).to_have_count(1)
            # Opening it did not act for the seller, nor leave a new tab behind.
            assert len(context.pages) == 1
            assert await seller.locator(".msg.user", has_text=token).count() == 0

            # A week later the parcel has left: the buyer hears it without asking.
            week = page.locator("button.ff", has_text="+1 week")
            await week.click()
            await expect(buyer.locator(".msg.bot").last).to_contain_text(
                "Your parcel is on its way"
            )
            await page.screenshot(
                path=str(ARTIFACTS / "sandbox-tracking.png"), animations="disabled"
            )

            # Week after week until the door: sea freight takes five to seven weeks.
            delivered = buyer.locator(".msg.bot", has_text="Your parcel has been delivered")
            for _ in range(10):
                if await delivered.count():
                    break
                await week.click()
                # The tick, then the rate-limited sender: give them a moment before the next week.
                with contextlib.suppress(AssertionError):
                    await expect(delivered).to_have_count(1, timeout=1_500)
            await expect(delivered).to_have_count(1)
            assert await _order_status(server) == OrderStatus.DELIVERED
            # One message per meaningful change, never per scan: far fewer than the events.
            notices = buyer.locator(".msg.bot", has_text=f"Order {ORDER_NUMBER} from")
            assert 3 <= await notices.count() <= 8
            # The README's picture: the seller's shipped order and link beside the buyer's
            # journey, from leaving China to the door.
            await expect(page.locator("#toast")).to_be_hidden(timeout=10_000)
            await page.screenshot(
                path=str(ARTIFACTS / "sandbox-delivered.png"), animations="disabled"
            )
            if os.environ.get("SELLERBOT_UPDATE_SCREENSHOT") == "1":
                # Refreshed on request only, so test runs leave git clean.
                shutil.copyfile(ARTIFACTS / "sandbox-delivered.png", README_SCREENSHOT)
            assert errors == [], errors
        finally:
            await context.close()
