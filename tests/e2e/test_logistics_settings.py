"""Logistics settings end to end: `/budget` (block, warn, off), `/rates` (the seller's own rate
card with lanes, broken and hostile files, a card stored before lanes, back to the example card), `/fx` (a budget in another currency), `/costs`
(month-to-date spend) and the parcel photo a valuable order needs before its document is final.
Each step checks what the seller sees and what the database holds."""

from __future__ import annotations

import struct
from decimal import Decimal

import pytest
from sqlalchemy import select

from domain.model import (
    BudgetMode,
    ComplianceFinding,
    FindingSeverity,
    OrderStatus,
    SellerLogisticsSettings,
    Shipment,
)
from domain.services.orders import intake
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import BotRunner, Chat, chat_with
from tests.e2e.fixtures_orders import send_file
from tests.reliability.test_shipping_service import (
    make_confirmed_order,
    make_seller,
    make_warehouse,
)


@pytest.fixture
def runner(runner_on_the_tests_clock: BotRunner) -> BotRunner:
    """Orders seeded with `make_confirmed_order` are due at SHIP_BY by the tests' clock."""
    return runner_on_the_tests_clock


SELLER_ID = 3201
CSV_MIME = "text/csv"
# From China: express 60×40×40 cm bills 19.5 kg; sea bills one W/M (the minimum); no land route
# to the US.
SELLER_CARD = (
    b"country,zone\n"
    b"US,na\n"
    b"*,world\n"
    b"\n"
    b"from,to,method,currency,per_kg,per_wm,minimum,fixed_fee,transit_min,transit_max\n"
    b"CN,na,express,USD,4.00,,10,2,5,9\n"  # 19.5 x 4 + 2 = 80.00
    b"CN,na,sea,USD,,80,50,10,25,40\n"  # 80 + 10 = 90.00
    b"CN,world,sea,USD,,120,60,10,30,50\n"
)
BROKEN_CARD = SELLER_CARD.replace(b"CN,na,sea,USD,,80,", b"CN,na,sea,USD,,lots,")
# What the bot stored for a CSV card before lanes existed: one set of zones, no origin.
CARD_STORED_BEFORE_LANES = {
    "label": "old-rates.csv",
    "example": False,
    "currency": "USD",
    "zones": {"US": "na"},
    "rates": {
        "na": {
            "express": {
                "per_kg": "5.00",
                "minimum": "10",
                "fixed_fee": "0",
                "transit_days": [6, 10],
            }
        }
    },
}


def png(width: int, height: int) -> bytes:
    """Just enough of a PNG header for the emulator to read the size."""
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", width, height)


async def _to_comparison(chat: Chat, order_number: str) -> str:
    """`/ship` with every line, the order total as declared value, 12 kg, 60×40×40 cm, no
    special goods, the Shenzhen warehouse: returns the comparison the seller sees."""
    await chat.send(f"/ship {order_number}")
    await chat.expect(f"Shipping document for order {order_number}")
    await chat.press("Continue")
    await chat.expect("declared value")
    await chat.press("Keep")
    await chat.expect("actual weight")
    await chat.send("12")
    await chat.expect("outside dimensions")
    await chat.send("60x40x40")
    await chat.expect("what is in the parcel")
    await chat.press("Done")
    await chat.expect("which warehouse ships it")
    await chat.press("Shenzhen main")
    return (await chat.expect("Logistics methods compared")).content


def _section(comparison: str, method: str) -> str:
    """The part of the comparison about one method (up to the next bold heading)."""
    start = comparison.index(f"<b>{method}</b>")
    end = comparison.find("<b>", start + len(method) + 7)
    return comparison[start : end if end != -1 else None]


async def _settings_row(runner: BotRunner) -> SellerLogisticsSettings | None:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        row = (await uow.session.execute(select(SellerLogisticsSettings))).scalars().first()
        if row is not None:
            uow.session.expunge(row)
        return row


async def _shipments(runner: BotRunner, order_id: int) -> list[Shipment]:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        shipments = await uow.shipments.for_order(order_id)
        for shipment in shipments:
            _ = list(shipment.findings)
            uow.session.expunge(shipment)
        return list(shipments)


async def test_budget_block_then_warn_then_costs_then_off(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    seller_id = await make_seller(uow_factory, SELLER_ID)
    await make_warehouse(uow_factory, SELLER_ID)
    order_id = await make_confirmed_order(uow_factory, seller_id, SELLER_ID, "BU-1")  # 7.99 USD
    chat = chat_with(emulator, SELLER_ID)

    # Bad input is explained and nothing is stored.
    await chat.send("/budget 500%")
    bad = await chat.expect("The share must be a percentage above 0 and up to 100")
    assert "500%" in bad.content
    await chat.send("/budget 20")
    await chat.expect("Add the currency to the cap, e.g. 20 USD")
    await chat.send("/budget block")
    await chat.expect("Give a share and/or a cap")
    assert await _settings_row(runner) is None

    # 5 % of 7.99 USD, blocking.
    await chat.send("/budget 5% block")
    saved = await chat.expect("Logistics budget saved")
    assert "At most 5% of the order value" in saved.content
    assert "Going over is blocked" in saved.content
    row = await _settings_row(runner)
    assert row is not None
    assert row.budget_max_share == Decimal("0.05") and row.budget_mode == BudgetMode.BLOCK
    await chat.send("/budget")
    shown = await chat.expect("Logistics budget")
    assert "At most 5% of the order value" in shown.content and "blocked" in shown.content

    comparison = await _to_comparison(chat, "BU-1")
    sea = _section(comparison, "Sea freight")
    assert "$160.00" in sea  # the example card: max(1 W/M x 110, 70) + 50
    assert "Over your budget of $0.40: blocked by your policy" in sea
    await chat.press("Sea freight")
    alert = await chat.expect_alert("over your logistics budget")
    assert "Sea freight costs $160.00," in alert and "blocks it" in alert

    # Warn mode: the method may be chosen, the warning must be acknowledged.
    await chat.send("/budget 5% warn")
    saved = await chat.expect("Logistics budget saved")
    assert "Going over needs your acknowledgement" in saved.content
    row = await _settings_row(runner)
    assert row is not None and row.budget_mode == BudgetMode.WARN

    comparison = await _to_comparison(chat, "BU-1")
    assert "Over your budget of $0.40: you will be asked to acknowledge it" in _section(
        comparison, "Sea freight"
    )
    await chat.press("Sea freight")
    await chat.expect("which carrier")
    await chat.send("COSCO")
    await chat.expect("tracking number")
    await chat.send("RB123456785GB")
    summary = await chat.expect("Shipping document, order BU-1")
    assert "The logistics cost" in summary.content and "is over your budget" in summary.content
    labels = summary.button_texts
    assert not any("Confirm and get the document" in label for label in labels), labels
    await chat.press("I understand — confirm")
    await chat.expect("is shipped")

    [shipment] = await _shipments(runner, order_id)
    assert shipment.confirmed_at is not None and shipment.method == "sea"
    assert (shipment.estimated_cost, shipment.cost_currency) == (Decimal("160.00"), "USD")
    assert [(f.rule, f.severity, f.acknowledged) for f in shipment.findings] == [
        ("over_budget", FindingSeverity.WARNING, True)
    ]
    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None and order.status == OrderStatus.SHIPPED

    # Month to date: one sea shipment of 160 USD against a budget of 0.40 USD, one figure a
    # line under the method.
    await chat.send("/costs")
    costs = await chat.expect("Logistics costs ·")
    lines = costs.content.splitlines()
    sea = lines.index("<b>Sea freight</b>")
    assert lines[sea + 1 : sea + 5] == [
        "▫️ 1 shipment",
        "▫️ Spent: <b>$160.00</b>",
        "▫️ Budget for these orders: $0.40",
        "⚠️ Over budget: 1 shipment",
    ]
    assert "<b>Express</b>" not in costs.content and "Total:" not in costs.content
    # One method, another month, and a word /costs does not take.
    await chat.send("/costs express")
    only_express = await chat.expect("Only: Express")
    assert "<b>Sea freight</b>" not in only_express.content
    await chat.send("/costs 2026-01 sea")
    january = await chat.expect("Logistics costs · January 2026")
    assert "No shipping documents were confirmed that month." in january.content
    await chat.send("/costs air")
    await chat.expect("I don't understand “air” after /costs.")

    # Off.
    await chat.send("/budget off")
    off = await chat.expect("Logistics budget saved")
    assert "No budget is set" in off.content
    row = await _settings_row(runner)
    assert row is not None and row.budget_max_share is None and row.budget_max_per_order is None
    await chat.send("/costs")
    costs = await chat.expect("Logistics costs ·")
    assert "Spent: <b>$160.00</b>" in costs.content
    assert "Budget for these orders" not in costs.content
    assert "No logistics budget set" in costs.content


async def test_costs_before_any_document(emulator: BotApiEmulator, runner: BotRunner) -> None:
    assert runner.app is not None
    await make_seller(runner.app.uow_factory, SELLER_ID)
    chat = chat_with(emulator, SELLER_ID)
    await chat.send("/costs")
    costs = await chat.expect("Logistics costs ·")
    assert "No shipping documents confirmed this month yet" in costs.content


async def test_own_rate_card_broken_file_and_back_to_the_example(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    seller_id = await make_seller(uow_factory, SELLER_ID)
    await make_warehouse(uow_factory, SELLER_ID)
    await make_confirmed_order(uow_factory, seller_id, SELLER_ID, "RC-1")
    chat = chat_with(emulator, SELLER_ID)

    await chat.send("/rates")
    shown = await chat.expect("Rate card")
    assert "Example rates" in shown.content
    assert "send the rate card now as a JSON or CSV file" in shown.content

    # A broken file: the reason and where; nothing is stored and the bot still waits.
    await send_file(chat, "my-rates.csv", BROKEN_CARD, CSV_MIME)
    refused = await chat.expect("The rate card was not accepted")
    assert "lots is not a number. (line 7, per_wm)" in refused.content, refused.content
    assert "Nothing was changed" in refused.content
    assert await _settings_row(runner) is None
    # Three bad rows: one answer lists them all, in file order, so one upload fixes the card.
    three_bad = (
        SELLER_CARD.replace(b"CN,na,express,USD,4.00,", b"CN,na,express,USD,-4,")
        .replace(b"CN,na,sea,USD,,80,", b"CN,na,sea,USD,,abc,")
        .replace(b"60,10,30,50", b"60,10,45,30")
    )
    await send_file(chat, "my-rates.csv", three_bad, CSV_MIME)
    refused = await chat.expect("The rate card was not accepted")
    listed = [
        "• this must not be negative. (line 6, per_kg)",
        "• abc is not a number. (line 7, per_wm)",
        "• transit days need 0 ≤ min ≤ max ≤ 365. (line 8, transit_min, transit_max)",
    ]
    assert all(item in refused.content for item in listed), refused.content
    positions = [refused.content.index(item) for item in listed]
    assert positions == sorted(positions)
    assert await _settings_row(runner) is None
    # Hostile JSON: 100 000 nested brackets, NaN, a 5000-digit number, wrong types. Each is a
    # validation message naming the problem, never "unexpected error".
    hostile = [
        (b"[" * 100_000, "nested more than 32 levels deep"),
        (b'{"currency": "USD", "zones": {}, "lanes": [{"from": "CN", "to": "US", '
         b'"express": {"per_kg": NaN, "transit_days": [1, 2]}}]}', "NaN is not a number"),
        (b'{"currency": ' + b"9" * 5000 + b"}", "longer than 40 characters"),
        (b'{"currency": "USD", "lanes": {"from": "CN"}}', "must be a list"),
        (b'{"currency": "USD", "lanes": [{"from": "CN", "to": "US", "sea": "cheap"}]}',
         "must be an object"),
    ]  # fmt: skip
    for content, reason in hostile:
        await send_file(chat, "rates.json", content, "application/json")
        answer = await chat.expect("The rate card was not accepted")
        assert reason in answer.content, answer.content
        assert "unexpected" not in answer.content.lower()
    assert await _settings_row(runner) is None
    await send_file(chat, "rates.xlsx", b"PK\x03\x04", "application/zip")
    await chat.expect("send the rate card as a .json or .csv file")
    await chat.send("hello")
    await chat.expect("Send the rate card as a JSON or CSV file")

    await send_file(chat, "my-rates.csv", SELLER_CARD, CSV_MIME)
    saved = await chat.expect("Your rate card is saved")
    assert "Your own rate card: my-rates.csv" in saved.content
    assert "Currency USD · lanes (2):" in saved.content
    assert "• China → na, world" in saved.content
    assert "Example rates" not in saved.content
    row = await _settings_row(runner)
    assert row is not None and row.rate_card is not None
    assert row.rate_card["label"] == "my-rates.csv"
    assert row.rate_card["example"] is False and row.rate_card["currency"] == "USD"
    assert row.rate_card["zones"] == {"na": ["US"], "world": ["*"]}
    na = row.rate_card["lanes"][0]
    assert (na["from"], na["to"], na["sea"]["per_wm"]) == ("CN", "na", "80")

    comparison = await _to_comparison(chat, "RC-1")
    assert "EXAMPLE" not in comparison
    assert "Prices from your own rate card my-rates.csv." in comparison
    assert "Lane on the rate card: China → na." in comparison
    assert "$80.00" in _section(comparison, "International express")
    assert "$90.00" in _section(comparison, "Sea freight")
    assert "no land transport from China to United States" in _section(comparison, "Land transport")
    assert "$160.00" not in comparison
    await chat.press("Cancel")
    await chat.expect("Cancelled")

    # A card stored before lanes existed still prices, as a lane from anywhere.
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        stored = await uow.logistics_settings.for_seller(seller_id)
        assert stored is not None
        stored.rate_card = CARD_STORED_BEFORE_LANES
        await uow.commit()
    comparison = await _to_comparison(chat, "RC-1")
    assert "Prices from your own rate card old-rates.csv." in comparison
    assert "Lane on the rate card: anywhere → na." in comparison
    assert "$97.50 · 6–10 days" in _section(comparison, "International express")  # 19.5 x 5
    assert "no sea freight from China to United States" in _section(comparison, "Sea freight")
    await chat.press("Cancel")
    await chat.expect("Cancelled")
    await chat.send("/rates")
    shown = await chat.expect("Rate card")
    assert "• anywhere → na" in shown.content
    await chat.press("Cancel")
    await chat.expect("Cancelled")

    # Back to the example card.
    await chat.send("/rates")
    shown = await chat.expect("Rate card")
    assert "Your own rate card: old-rates.csv" in shown.content
    await chat.press("Use the example rates")
    reset = await chat.expect("Back to the example rates")
    assert "Example rates" in reset.content
    row = await _settings_row(runner)
    assert row is not None and row.rate_card is None

    comparison = await _to_comparison(chat, "RC-1")
    assert "the bot's example rate card" in comparison
    assert "$160.00" in _section(comparison, "Sea freight")


async def test_budget_in_another_currency_uses_the_sellers_rate(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    seller_id = await make_seller(uow_factory, SELLER_ID)
    await make_warehouse(uow_factory, SELLER_ID)
    order_id = await make_confirmed_order(uow_factory, seller_id, SELLER_ID, "FX-1")
    chat = chat_with(emulator, SELLER_ID)

    # Costs are in USD (the example card), the cap in EUR.
    await chat.send("/budget 150 EUR block")
    saved = await chat.expect("Logistics budget saved")
    assert "At most €150.00 per order" in saved.content

    # No EUR rate yet: said so, never guessed.
    comparison = await _to_comparison(chat, "FX-1")
    for method in ("International express", "Sea freight"):
        section = _section(comparison, method)
        assert "Budget not checked: no EUR→USD exchange rate" in section, section
        assert "Within your budget" not in section and "Over your budget" not in section
    # The summary says so too: the unchecked budget must be acknowledged, not passed silently.
    await chat.press("International express")
    await chat.send("DHL")
    await chat.expect("tracking number")
    await chat.send("RB123456785GB")
    summary = await chat.expect("Shipping document, order FX-1")
    assert "Budget not checked: no EUR→USD exchange rate" in summary.content
    assert "All compliance checks passed" not in summary.content
    assert not any("Confirm and get the document" in b for b in summary.button_texts)
    assert any("I understand" in b for b in summary.button_texts)
    await chat.press("Cancel")
    await chat.expect("Cancelled")

    # Bad rates are explained.
    await chat.send("/fx USD EUR")
    await chat.expect("Write it as two currencies and a rate")
    await chat.send("/fx USD USD 1")
    await chat.expect("That exchange rate can't be used")
    await chat.send("/fx USD EUR -2")
    await chat.expect("That exchange rate can't be used")
    await chat.send("/fx")
    await chat.expect("None yet")
    row = await _settings_row(runner)
    assert row is not None and row.exchange_rates == []

    await chat.send("/fx USD EUR 0.9")
    fx = await chat.expect("Saved: 1 USD = 0.9 EUR")
    assert "1 USD = 0.9 EUR" in fx.content
    row = await _settings_row(runner)
    assert row is not None
    assert row.exchange_rates == [{"from": "USD", "to": "EUR", "rate": "0.9"}]

    # 150 EUR / 0.9 = 166.67 USD: sea (160 USD) is within, express (178.50 USD) is over.
    comparison = await _to_comparison(chat, "FX-1")
    express = _section(comparison, "International express")
    sea = _section(comparison, "Sea freight")
    assert "$178.50" in express and "$160.00" in sea
    assert "Over your budget of $166.67: blocked by your policy" in express, express
    assert "Within your budget of $166.67" in sea, sea
    await chat.press("International express")
    alert = await chat.expect_alert("over your logistics budget")
    assert "$178.50" in alert
    await chat.press("Sea freight")
    await chat.expect("which carrier")
    await chat.send("COSCO")
    await chat.expect("tracking number")
    await chat.send("RB123456785GB")
    summary = await chat.expect("Shipping document, order FX-1")
    assert "All compliance checks passed" in summary.content
    await chat.press("Confirm and get the document")
    await chat.expect("is shipped")
    [shipment] = await _shipments(runner, order_id)
    assert shipment.method == "sea" and shipment.findings == []

    await chat.send("/fx clear")
    await chat.expect("All exchange rates were removed")
    row = await _settings_row(runner)
    assert row is not None and row.exchange_rates == []


async def test_valuable_order_needs_a_parcel_photo(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    seller_id = await make_seller(uow_factory, SELLER_ID)
    await make_warehouse(uow_factory, SELLER_ID)
    threshold = runner.settings.parcel_photo_min_order_value
    assert threshold == Decimal("200")
    valuable = await make_confirmed_order(
        uow_factory,
        seller_id,
        SELLER_ID,
        "PH-1",
        [intake.NewOrderLine("Drone", 1, "350.00", "DR-1")],
    )
    at_threshold = await make_confirmed_order(
        uow_factory,
        seller_id,
        SELLER_ID,
        "PH-2",
        [intake.NewOrderLine("Camera", 1, "200.00", "CA-1")],
    )
    chat = chat_with(emulator, SELLER_ID)

    await _to_comparison(chat, "PH-1")
    await chat.press("Sea freight")
    await chat.expect("which carrier")
    await chat.send("COSCO")
    await chat.expect("tracking number")
    await chat.send("RB123456785GB")
    asked = await chat.expect("send a photo of the packed parcel")
    assert "$350.00" in asked.content and "$200.00" in asked.content
    # Text is not a photo; the document is not final without one.
    await chat.send("here it is")
    await chat.expect("Please send a photo of the packed parcel")
    await send_file(chat, "parcel.pdf", b"%PDF-1.4", "application/pdf")
    await chat.expect("Please send a photo of the packed parcel")
    assert await _shipments(runner, valuable) == []

    chat._mark = len(emulator.activity)
    sent = await chat.user.upload_photo(png(800, 600))
    assert sent.photo is not None
    summary = await chat.expect("Shipping document, order PH-1")
    assert "Parcel photo attached" in summary.content
    assert "All compliance checks passed" in summary.content
    await chat.press("Confirm and get the document")
    await chat.expect("is shipped")

    [shipment] = await _shipments(runner, valuable)
    assert shipment.confirmed_at is not None
    assert shipment.parcel_photo_file_id == sent.photo.file_id
    assert shipment.tracking_number == "RB123456785GB"

    # Exactly at the threshold no photo is asked for.
    await _to_comparison(chat, "PH-2")
    await chat.press("Sea freight")
    await chat.send("COSCO")
    await chat.expect("tracking number")
    await chat.send("EB000717618HK")
    summary = await chat.expect("Shipping document, order PH-2")
    assert "Parcel photo attached" not in summary.content
    await chat.press("Confirm and get the document")
    await chat.expect("is shipped")
    [shipment] = await _shipments(runner, at_threshold)
    assert shipment.confirmed_at is not None and shipment.parcel_photo_file_id is None

    async with uow_factory() as uow:
        findings = (await uow.session.execute(select(ComplianceFinding))).scalars().all()
    assert findings == []
