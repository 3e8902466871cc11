"""The sandbox: the web chat's HTTP API (reset, fast-forward, demo, files, guards), and the page
in Debian's Chromium driven by Playwright — a seller registers, uploads a document, the operator
says hello, time is fast-forwarded; screenshots go to test-artifacts/ (the README's picture,
docs/sandbox.png, is taken by test_sandbox_tracking.py).

Without Chromium or the playwright package the browser test is skipped with the reason, except
with CI=true, where it must run.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.runner import SANDBOX_TOKEN
from bot.settings import Settings
from domain.model import (
    Order,
    OrderStatus,
    ReturnCase,
    Seller,
    Shipment,
    Warehouse,
    WarehouseStatus,
)
from domain.returns.rules import (
    CaseStatus,
    EvidenceKind,
    OfferStatus,
    Resolution,
    ReturnReason,
    Side,
)
from notifications.tracking.simulated import SimulatedProvider
from sandbox.demo import (
    FAILING_TRACKING_NUMBER,
    FLOWS,
    ORDER_NUMBER,
    PARCEL_DELIVERED,
    SAMPLE_FILES,
    SECOND_ORDER_NUMBER,
    TRACKING_NUMBER,
    WAREHOUSE_NAME,
    DemoAction,
    DemoStatus,
    DemoStep,
)
from sandbox.webchat import (
    BOT_USERNAME,
    CLIENT_HEADER,
    OPERATOR,
    PERSONAS,
    SELLER,
    WebChatServer,
    open_sandbox,
    sandbox_settings,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
README_SCREENSHOT = ROOT / "docs" / "sandbox.png"
CHROMIUM = Path(os.environ.get("SELLERBOT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
# Telegram's 1 message a second per chat, scaled down by 10 as in the e2e tier: the demo's
# replies would otherwise take most of this tier's time.
CHAT_INTERVAL = 0.1
HEADERS = {CLIENT_HEADER: "1"}


def sandbox_test_settings(data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,
        telegram_bot_token=None,
        database_url=None,
        redis_url=None,
        data_dir=data_dir,
        operator_ids=frozenset(),
        sandbox_host="127.0.0.1",
        sandbox_port=0,
        # The demo at CHAT_INTERVAL answers faster than people: keep the flood guard out of it.
        flood_max_updates=500,
    )


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


@pytest.fixture
async def http(server: WebChatServer) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=server.url) as session:
        yield session


async def _post(http: aiohttp.ClientSession, path: str, body: Any = None) -> Any:
    async with http.post(path, json=body or {}, headers=HEADERS) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def _state(http: aiohttp.ClientSession) -> Any:
    async with http.get("/api/state") as response:
        assert response.status == 200
        return await response.json()


async def _wait_for_bot_text(
    http: aiohttp.ClientSession,
    persona: str,
    fragment: str,
    timeout: float = 15.0,  # noqa: ASYNC109
) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            state = await _state(http)
            for message in state["chats"][persona]["messages"]:
                if message["from_bot"] and fragment in (message["text"] or ""):
                    return message  # type: ignore[no-any-return]
            await asyncio.sleep(0.1)


async def _seller_exists(server: WebChatServer, user_id: int) -> bool:
    app = server.sandbox.app
    assert app is not None
    async with app.uow_factory() as uow:
        return await uow.sellers.by_telegram_user(user_id) is not None


async def _warehouses(server: WebChatServer) -> list[tuple[str, WarehouseStatus, int]]:
    """(name, status, owner's Telegram user id) of every warehouse in the sandbox database."""
    app = server.sandbox.app
    assert app is not None
    async with app.uow_factory() as uow:
        rows = await uow.session.execute(
            select(Warehouse.name, Warehouse.status, Seller.telegram_user_id)
            .join(Seller, Seller.id == Warehouse.seller_id)
            .order_by(Warehouse.id)
        )
        return [(name, status, user_id) for name, status, user_id in rows]


async def _return_case(server: WebChatServer, number: str) -> ReturnCase:
    """The return case the demo numbered `number` ("R-1"), with its offers and evidence."""
    app = server.sandbox.app
    assert app is not None and number.startswith("R-")
    async with app.uow_factory() as uow:
        case = await uow.returns.get(int(number.removeprefix("R-")))
        assert case is not None
        uow.session.expunge_all()
        return case


async def _orders(server: WebChatServer) -> list[tuple[str, OrderStatus, int]]:
    """(number, status, owner's Telegram user id) of every order in the sandbox database."""
    app = server.sandbox.app
    assert app is not None
    async with app.uow_factory() as uow:
        rows = await uow.session.execute(
            select(Order.number, Order.status, Seller.telegram_user_id)
            .join(Seller, Seller.id == Order.seller_id)
            .order_by(Order.id)
        )
        return [(number, status, user_id) for number, status, user_id in rows]


async def _shipments(server: WebChatServer) -> list[tuple[str, str, str | None, str | None]]:
    """(order number, method, carrier, tracking number) of every confirmed shipment."""
    app = server.sandbox.app
    assert app is not None
    async with app.uow_factory() as uow:
        rows = await uow.session.execute(
            select(Order.number, Shipment.method, Shipment.carrier, Shipment.tracking_number)
            .join(Order, Order.id == Shipment.order_id)
            .where(Shipment.confirmed_at.is_not(None))
            .order_by(Shipment.id)
        )
        return [(number, method, carrier, tracking) for number, method, carrier, tracking in rows]


# --------------------------------------------------------------------------------------------
# The HTTP API, without a browser
# --------------------------------------------------------------------------------------------


async def test_page_and_static_files_are_served_with_a_strict_policy(
    http: aiohttp.ClientSession,
) -> None:
    async with http.get("/") as response:
        assert response.status == 200
        assert "sellerbot" in await response.text()
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for name in ("app.js", "style.css"):
        async with http.get(f"/static/{name}") as response:
            assert response.status == 200 and len(await response.read()) > 1000
    for bad in ("/static/../webchat.py", "/static/emulator.py", "/static/%2e%2e%2fdemo.py"):
        async with http.get(bad) as response:
            assert response.status == 404


async def test_posts_need_the_client_header_and_a_local_host_name(
    http: aiohttp.ClientSession,
) -> None:
    # A cross-site form cannot add a custom header, so it cannot make personas act.
    async with http.post("/api/reset") as response:
        assert response.status == 403
    async with http.post(
        "/api/personas/seller/messages", data={"text": "/start"}, headers={"Origin": "http://x"}
    ) as response:
        assert response.status == 403
    # DNS rebinding: the loopback server reached under a foreign name refuses to answer.
    async with http.get("/api/state", headers={"Host": "evil.example:80"}) as response:
        assert response.status == 421
    async with http.post(
        "/api/personas/nobody/messages", json={"text": "hi"}, headers=HEADERS
    ) as response:
        assert response.status == 404


async def test_operator_persona_is_an_operator(
    server: WebChatServer, http: aiohttp.ClientSession
) -> None:
    assert server.sandbox.settings.is_operator(OPERATOR.user_id)
    await _post(http, "/api/personas/operator/messages", {"text": "/start"})
    await _wait_for_bot_text(http, "operator", "signed in as a platform operator")


async def test_reset_forgets_chats_sellers_and_the_clock(
    server: WebChatServer, http: aiohttp.ClientSession
) -> None:
    sandbox = server.sandbox
    database = sandbox.database_path
    assert database is not None and database.name == "sandbox.sqlite3" and database.exists()

    await _post(http, "/api/personas/seller/messages", {"text": "/start"})
    welcome = await _wait_for_bot_text(http, "seller", "Who are you?")
    role = next(b for row in welcome["reply_markup"] for b in row if "sell" in b["text"])
    await _post(
        http,
        "/api/personas/seller/callbacks",
        {"message_id": welcome["message_id"], "callback_data": role["callback_data"]},
    )
    await _wait_for_bot_text(http, "seller", "What is your store called")
    await _post(http, "/api/personas/seller/messages", {"text": "Reset Me Store"})
    await _wait_for_bot_text(http, "seller", "Which country")
    await _post(http, "/api/clock/advance", {"seconds": 3600})
    old_emulator = sandbox.emulator

    result = await _post(http, "/api/reset")

    assert result == {"database_wiped": True}
    state = await _state(http)
    assert all(not chat["messages"] for chat in state["chats"].values())
    assert state["clock"]["offset_seconds"] == 0
    assert sandbox.emulator is not old_emulator and database.exists()
    # The half-finished registration is gone with the database: /start greets a stranger.
    await _post(http, "/api/personas/seller/messages", {"text": "/start"})
    await _wait_for_bot_text(http, "seller", "Who are you?")


async def test_fast_forward_moves_the_clock_and_runs_jobs_it_passes(
    server: WebChatServer, http: aiohttp.ClientSession
) -> None:
    app = server.sandbox.app
    assert app is not None
    ran = asyncio.Event()

    async def probe() -> None:
        ran.set()

    # Due in two hours of real time: a one-hour jump falls short, a day's jump passes it.
    app.scheduler.add_job(probe, "interval", hours=2, id="probe")
    before = server.sandbox.clock()

    first = await _post(http, "/api/clock/advance", {"seconds": 3600})
    assert "probe" not in first["jobs_run"]
    assert first["offset_seconds"] == 3600
    second = await _post(http, "/api/clock/advance", {"seconds": 86400})
    assert "probe" in second["jobs_run"]
    await asyncio.wait_for(ran.wait(), timeout=5)

    moved = server.sandbox.clock() - before
    assert 25 * 3600 <= moved.total_seconds() < 25 * 3600 + 60
    # The domain sees the same clock as the page.
    assert app.clock is server.sandbox.clock
    for bad in ({"seconds": -5}, {"seconds": "soon"}, {"seconds": 10**9}):
        async with http.post("/api/clock/advance", json=bad, headers=HEADERS) as response:
            assert response.status == 400
    # The offset survives a restart of the sandbox, so time never runs backwards.
    assert "offset_seconds" in (server.sandbox.settings.data_dir / "sandbox-clock.json").read_text()


async def test_a_start_link_to_the_bot_is_opened_by_the_buyer(
    server: WebChatServer, http: aiohttp.ClientSession
) -> None:
    opened = await _post(
        http, "/api/links/open", {"url": f"https://t.me/{BOT_USERNAME}?start=NoSuchToken"}
    )
    # What Telegram sends when a person taps the link: /start <payload>, from the buyer.
    assert opened["persona"] == "buyer" and opened["message"]["text"] == "/start NoSuchToken"
    await _wait_for_bot_text(http, "buyer", "This link doesn't work any more")
    assert not (await _state(http))["chats"]["seller"]["messages"]
    for bad in (
        "https://t.me/some_other_bot?start=abc",
        f"https://evil.example/{BOT_USERNAME}?start=abc",
        f"javascript:alert(1)//t.me/{BOT_USERNAME}?start=abc",
        f"https://t.me/{BOT_USERNAME}",
        f"https://t.me/{BOT_USERNAME}?start=has%20space",
        f"https://t.me/{BOT_USERNAME}?start=a&start=b",
        f"https://t.me/{BOT_USERNAME}?start=" + "x" * 65,
    ):
        async with http.post("/api/links/open", json={"url": bad}, headers=HEADERS) as response:
            assert response.status == 400, bad
    async with http.post("/api/links/open", json={"link": "x"}, headers=HEADERS) as response:
        assert response.status == 400
    buyer_texts = [m["text"] for m in (await _state(http))["chats"]["buyer"]["messages"]]
    assert buyer_texts.count("/start NoSuchToken") == 1 and len(buyer_texts) == 2


async def test_the_sandbox_tracks_parcels_with_the_simulator_on_its_own_clock(
    tmp_path: Path,
) -> None:
    # Even with a real provider configured, nothing leaves the machine and fast-forward moves
    # the simulated parcels.
    configured = sandbox_test_settings(tmp_path).model_copy(
        update={"tracking_provider": "17track", "tracking_api_key": SecretStr("k" * 32)}
    )
    settings = sandbox_settings(configured)
    assert settings.tracking_provider == "simulated" and settings.tracking_api_key is None
    async with open_sandbox(configured, token=SANDBOX_TOKEN, port=0) as web_chat:
        app = web_chat.sandbox.app
        assert app is not None
        assert isinstance(app.tracking.provider, SimulatedProvider)
        assert app.tracking.clock is web_chat.sandbox.clock


async def test_files_are_served_safely(server: WebChatServer, http: aiohttp.ClientSession) -> None:
    form = aiohttp.FormData()
    form.add_field(
        "file", b"<script>alert(1)</script>", filename="x.html", content_type="text/html"
    )
    async with http.post("/api/personas/seller/files", data=form, headers=HEADERS) as response:
        assert response.status == 200
        message = await response.json()
    assert message["document"]["file_name"] == "x.html"
    async with http.get(f"/api/files/{message['document']['file_id']}") as response:
        # Never rendered at this origin: a download, whatever the uploader claimed.
        assert response.content_type == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert await response.read() == b"<script>alert(1)</script>"
    photo = aiohttp.FormData()
    photo.add_field("file", b"not an image", filename="a.png", content_type="image/png")
    photo.add_field("kind", "photo")
    async with http.post("/api/personas/seller/files", data=photo, headers=HEADERS) as response:
        assert response.status == 400
    async with http.get("/api/files/no-such-file") as response:
        assert response.status == 404


async def test_demo_plays_every_flow_and_stops_when_the_person_takes_over(
    server: WebChatServer, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    personas = {p.key for p in PERSONAS}
    for flow in FLOWS:
        for step in flow.steps:
            assert step.persona in personas
            if step.action is DemoAction.UPLOAD:
                assert step.argument in SAMPLE_FILES
    assert [flow.name for flow in FLOWS] == [
        "seller_registration",
        "warehouse_approved",
        "order_shipped",
        "parcel_delivered",
        "delivery_failed",
        "return_negotiated",
    ]

    demo = server.sandbox.demo
    seen: list[tuple[str | None, int]] = []
    publish = demo._publish

    def record(status: DemoStatus) -> None:
        seen.append((status.flow, status.step))
        publish(status)

    monkeypatch.setattr(demo, "_publish", record)
    await _post(http, "/api/demo/start")
    status = await asyncio.wait_for(server.sandbox.demo.wait(), timeout=400)
    assert status.state == "done", status.message
    # Every step of every flow was announced, in order.
    assert list(dict.fromkeys(s for s in seen if s[0] is not None)) == [
        (flow.name, index) for flow in FLOWS for index in range(1, len(flow.steps) + 1)
    ]
    assert await _seller_exists(server, SELLER.user_id)
    # The seller declared a warehouse with the sample PDF; the operator approved it.
    assert await _warehouses(server) == [(WAREHOUSE_NAME, WarehouseStatus.VERIFIED, SELLER.user_id)]
    assert status.variables["warehouse_id"].isdigit()
    chats = (await _state(http))["chats"]
    operator_documents = [
        m["document"]["file_name"]
        for m in chats["operator"]["messages"]
        if m["from_bot"] and m.get("document")
    ]
    assert operator_documents == ["warehouse-certificate.pdf"]
    # The two capabilities the seller pressed edited the question: the chat holds it once.
    (question,) = [
        m
        for m in chats["seller"]["messages"]
        if m["from_bot"] and "What does this warehouse do" in (m["text"] or "")
    ]
    assert len(question["edits"]) == 2
    ticked = [b["text"] for row in question["reply_markup"] for b in row if "☑️" in b["text"]]
    assert ticked == ["☑️ Sorting", "☑️ Shipping"]
    assert any(
        m["from_bot"] and f"Your warehouse <b>{WAREHOUSE_NAME}</b> is verified" in (m["text"] or "")
        for m in chats["seller"]["messages"]
    )
    # The seller entered an order, confirmed it and shipped it by sea from that warehouse (then
    # a second by express): the PDFs came, and the buyer, through the seller's link, sees the
    # tracking number.
    assert await _shipments(server) == [
        (ORDER_NUMBER, "sea", "COSCO", TRACKING_NUMBER),
        (SECOND_ORDER_NUMBER, "express", "China Post", FAILING_TRACKING_NUMBER),
    ]
    seller_documents = [
        m["document"]["file_name"]
        for m in chats["seller"]["messages"]
        if m["from_bot"] and m.get("document")
    ]
    assert seller_documents == [
        f"shipping-{ORDER_NUMBER}.pdf",
        f"shipping-{SECOND_ORDER_NUMBER}.pdf",
    ]
    link = status.variables["buyer_link"]
    token = link.rsplit("?start=", 1)[1]
    assert link == f"https://t.me/{BOT_USERNAME}?start={token}"
    assert any(m["from_bot"] and link in (m["text"] or "") for m in chats["seller"]["messages"])
    # The buyer clicked the link: Telegram's /start <payload>, from the buyer's account.
    assert any(
        not m["from_bot"] and m["text"] == f"/start {token}" for m in chats["buyer"]["messages"]
    )
    buyer_texts = [m["text"] or "" for m in chats["buyer"]["messages"] if m["from_bot"]]
    buyer_view = next(text for text in buyer_texts if "Tracking number" in text)
    assert ORDER_NUMBER in buyer_view and "Shenzhen Gadgets" in buyer_view
    assert TRACKING_NUMBER in buyer_view and "COSCO" in buyer_view
    # Fast-forward played the simulated parcels: both delivered, the second after one miss,
    # which the buyer heard about with what to do, and the seller as an alert.
    assert await _orders(server) == [
        (ORDER_NUMBER, OrderStatus.DELIVERED, SELLER.user_id),
        (SECOND_ORDER_NUMBER, OrderStatus.DELIVERED, SELLER.user_id),
    ]
    assert sum("Your parcel has been delivered" in text for text in buyer_texts) == 2
    failure = next(text for text in buyer_texts if "could not deliver your parcel" in text)
    assert SECOND_ORDER_NUMBER in failure and "What to do" in failure
    assert any(
        "Delivery failed" in (m["text"] or "") and FAILING_TRACKING_NUMBER in (m["text"] or "")
        for m in chats["seller"]["messages"]
        if m["from_bot"]
    )
    assert server.sandbox.clock.offset > timedelta(days=30)
    # The buyer of the cable opened a "damaged in transit" case with a photo, asking for all
    # of the $8.90; the seller countered with 30%, the buyer with half, the seller accepted.
    case = await _return_case(server, status.variables["case"])
    assert (case.reason, case.wanted, case.status) == (
        ReturnReason.DAMAGED,
        Resolution.REFUND_FULL,
        CaseStatus.AGREED,
    )
    assert (case.agreed_resolution, case.agreed_amount) == (
        Resolution.REFUND_PARTIAL,
        Decimal("4.45"),
    )
    assert [(e.side, e.kind) for e in case.evidence] == [(Side.BUYER, EvidenceKind.PHOTO)]
    assert [(o.side, o.amount, o.status) for o in case.offers] == [
        (Side.BUYER, Decimal("8.90"), OfferStatus.COUNTERED),
        (Side.SELLER, Decimal("2.67"), OfferStatus.COUNTERED),
        (Side.BUYER, Decimal("4.45"), OfferStatus.ACCEPTED),
    ]
    assert not case.out_of_policy
    # The photo went as a photo; each side negotiated in a topic of its own for the case,
    # which the page lists, and both read the agreement there.
    assert any(not m["from_bot"] and m.get("photo") for m in chats["buyer"]["messages"])
    for persona, thread_id in (("buyer", case.buyer_thread_id), ("seller", case.seller_thread_id)):
        assert thread_id is not None
        topics = {t["message_thread_id"]: t["name"] for t in chats[persona]["topics"]}
        assert f"Return {status.variables['case']}" in topics[thread_id]
        assert any(
            m["from_bot"]
            and m.get("message_thread_id") == thread_id
            and f"Agreed</b> in return <b>{status.variables['case']}" in (m["text"] or "")
            for m in chats[persona]["messages"]
        )

    # Any manual action stops a running demo at once.
    server.sandbox.demo.pause = 5.0
    await _post(http, "/api/demo/start")
    assert server.sandbox.demo.running
    await _post(http, "/api/personas/buyer/messages", {"text": "/help"})
    assert not server.sandbox.demo.running
    assert (await _state(http))["demo"]["state"] == "stopped"


def test_demo_steps_are_checked_when_written() -> None:
    # A WAIT step only waits, so it must say what for; a capture needs a name to be saved under.
    with pytest.raises(ValueError, match="WAIT"):
        DemoStep("seller", DemoAction.WAIT, "")
    with pytest.raises(ValueError, match="capture"):
        DemoStep("seller", DemoAction.SEND, "/start", expect="Who", capture=r"(\w+)")
    # Fast-forward jumps until a message comes: it must say which, and move time forward.
    with pytest.raises(ValueError, match="FAST_FORWARD"):
        DemoStep("buyer", DemoAction.FAST_FORWARD, "86400")
    for seconds in ("0", "-5", "a day"):
        with pytest.raises(ValueError, match="positive"):
            DemoStep("buyer", DemoAction.FAST_FORWARD, seconds, expect="delivered")
    step = PARCEL_DELIVERED.steps[2]
    assert step.action is DemoAction.FAST_FORWARD
    assert (step.argument, step.repeat) == ("604800", 10)


async def test_event_stream_starts_with_a_snapshot_then_sends_changes(
    http: aiohttp.ClientSession,
) -> None:
    async with http.get("/api/events") as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")

        async def next_event() -> dict[str, Any]:
            import json

            while True:
                line = (await response.content.readline()).decode().strip()
                if line.startswith("data: "):
                    return json.loads(line[6:])  # type: ignore[no-any-return]

        first = await asyncio.wait_for(next_event(), timeout=5)
        assert first["type"] == "state" and len(first["personas"]) == 3
        await _post(http, "/api/personas/buyer/messages", {"text": "/start"})
        kinds = []
        async with asyncio.timeout(10):
            while "bot reply" not in kinds:
                event = await next_event()
                if event["type"] == "message" and event["persona"] == "buyer":
                    kinds.append("bot reply" if event["message"]["from_bot"] else "own")
        assert kinds[0] == "own"


# --------------------------------------------------------------------------------------------
# The page, in a real browser
# --------------------------------------------------------------------------------------------


def _browser_unavailable() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture
def browser_available() -> None:
    reason = _browser_unavailable()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"{reason} — with CI=true the browser test must run, not skip")
    pytest.skip(reason)


async def test_web_chat_in_a_browser(
    browser_available: None, server: WebChatServer, tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright, expect

    ARTIFACTS.mkdir(exist_ok=True)
    expect.set_options(timeout=15_000)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a new, empty profile
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1440, "height": 900},
            accept_downloads=True,
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))

            await page.goto(server.url)
            await expect(page.locator("body[data-ready=true]")).to_have_count(1)
            for persona in PERSONAS:
                await expect(page.locator(f"#pane-{persona.key}")).to_be_visible()

            seller = page.locator("#pane-seller")
            seller_input = seller.locator(".composer-text")
            bot_messages = seller.locator(".msg.bot")

            async def seller_says(text: str) -> None:
                await seller_input.fill(text)
                await seller_input.press("Enter")
                await expect(seller.locator(".msg.user").last).to_contain_text(text)

            # Register a store, typing and pressing inline buttons like a seller would.
            await seller_says("/start")
            await expect(bot_messages.last).to_contain_text("Who are you?")
            await expect(bot_messages.last.locator(".text b")).to_have_text("sellerbot")
            await seller.locator(".kb-button", has_text="I sell on AliExpress").click()
            await expect(bot_messages.last).to_contain_text("What is your store called")
            await seller_says("Mei's <Gadgets> & Co")
            await expect(bot_messages.last).to_contain_text("Which country")
            # Exactly China (flag + name), not "Hong Kong SAR China".
            await seller.locator(".kb-button", has_text=re.compile(r"^\W*China$")).click()
            await expect(bot_messages.last).to_contain_text("Which language")
            await seller.locator(".kb-button", has_text="English").last.click()
            summary = bot_messages.filter(has_text="Please check your store details")
            # The bot's HTML is rendered (bold), the user's text stays text (no <gadgets> tag).
            await expect(summary.locator("b", has_text="Mei's <Gadgets> & Co")).to_have_count(1)
            assert await seller.locator("gadgets").count() == 0
            await seller.locator(".kb-button", has_text="Create my store").click()
            await expect(bot_messages.last).to_contain_text("Mei's <Gadgets> & Co is registered")
            assert await _seller_exists(server, SELLER.user_id)
            await page.screenshot(
                path=str(ARTIFACTS / "sandbox-registered.png"), animations="disabled"
            )

            # Upload a document: the bubble shows it, the bot answers a stray file.
            pdf = SAMPLE_FILES["warehouse-certificate.pdf"].content
            await seller.locator("input[type=file]").set_input_files(
                {"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": pdf}
            )
            document = seller.locator(".msg.user .document").last
            await expect(document.locator(".document-name")).to_have_text("certificate.pdf")
            await expect(document.locator(".document-size")).to_contain_text(
                f"{len(pdf) / 1024:.1f} KB" if len(pdf) >= 1024 else f"{len(pdf)} B"
            )
            await expect(bot_messages.last).to_contain_text("I wasn't expecting a file")
            href = await document.get_attribute("href")
            assert href is not None and href.startswith("/api/files/")
            download = await page.request.get(server.url + href)
            assert await download.body() == pdf

            # The operator persona is recognised as an operator.
            operator = page.locator("#pane-operator")
            await operator.locator(".composer-text").fill("/start")
            await operator.locator(".send").click()
            await expect(operator.locator(".msg.bot").last).to_contain_text(
                "signed in as a platform operator"
            )

            # The buyer persona picks the buyer role.
            buyer = page.locator("#pane-buyer")
            await buyer.locator(".composer-text").fill("/start")
            await buyer.locator(".composer-text").press("Enter")
            await buyer.locator(".kb-button", has_text="buyer").click()
            await expect(buyer.locator(".msg.bot").last).to_contain_text("Buyers follow their")

            # Fast-forward a day.
            await page.locator("button.ff", has_text="+1 day").click()
            await expect(page.locator("#clock")).to_contain_text("+1 d")
            assert server.sandbox.clock.offset.total_seconds() == 86400

            # The renderer never lets markup through that Telegram HTML does not allow.
            sanitized = await page.evaluate(
                """() => {
                    const box = document.createElement('div');
                    box.appendChild(window.sellerbotSandbox.renderTelegramHtml(
                        '<b>ok</b><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>'
                        + '<span class="evil">s</span>&lt;i&gt;'));
                    return {
                        html: box.innerHTML,
                        imgs: box.querySelectorAll('img').length,
                        hrefs: [...box.querySelectorAll('a')].map(a => a.getAttribute('href')),
                    };
                }"""
            )
            assert sanitized["imgs"] == 0 and sanitized["hrefs"] == [None]
            assert sanitized["html"].startswith("<b>ok</b>") and "&lt;img" in sanitized["html"]
            assert "&lt;i&gt;" in sanitized["html"]

            await expect(page.locator("#toast")).to_be_hidden()
            await page.screenshot(path=str(ARTIFACTS / "sandbox.png"), animations="disabled")

            # Narrow screens show one persona at a time, switched with tabs.
            await page.set_viewport_size({"width": 480, "height": 860})
            await expect(page.locator("#pane-operator")).to_be_hidden()
            await page.locator(".persona-tab", has_text="Operator").click()
            await expect(page.locator("#pane-operator")).to_be_visible()
            await expect(page.locator("#pane-seller")).to_be_hidden()
            await page.screenshot(path=str(ARTIFACTS / "sandbox-narrow.png"), animations="disabled")

            assert errors == [], errors
        finally:
            await context.close()
