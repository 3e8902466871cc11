"""The shipping document end to end: a seller fills it for a confirmed order, compares the
logistics methods on the lane the parcel travels, picks one and receives the printable PDF;
refusals are explained."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from domain.model import ComplianceFinding, OrderStatus, Shipment, WarehouseAction
from domain.services import warehouses
from domain.services.shipping import confirming
from handlers import button_stamps
from handlers.shipping_callbacks import ShippingForm, ShippingFormAction
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import OPERATOR_ID, BotRunner, Chat, chat_with
from tests.reliability.test_shipping_service import (
    HAMBURG,
    THRESHOLD,
    filled_draft,
    make_confirmed_order,
    make_seller,
    make_warehouse,
)


@pytest.fixture
def runner(runner_on_the_tests_clock: BotRunner) -> BotRunner:
    """Orders seeded with `make_confirmed_order` are due at SHIP_BY by the tests' clock."""
    return runner_on_the_tests_clock


SELLER_ID = 3101


async def _start(chat: Chat, order_number: str) -> None:
    await chat.send(f"/ship {order_number}")
    await chat.expect(f"Shipping document for order {order_number}")


async def _fill_until_comparison(
    chat: Chat,
    *,
    battery: bool = False,
    weight: str = "12",
    dimensions: str = "60x40x40",
    warehouse: str = "Shenzhen main",
) -> None:
    await chat.press("Continue")
    await chat.expect("declared value")
    await chat.press("Keep")
    await chat.expect("actual weight")
    await chat.send(weight)
    await chat.expect("outside dimensions")
    await chat.send(dimensions)
    await chat.expect("what is in the parcel")
    if battery:
        await chat.press("Standalone lithium battery")
        # The question is asked again in place, ticked.
        ticked = await chat.expect("what is in the parcel", kind="edited")
        assert "☑️ Standalone lithium battery" in ticked.button_texts
    await chat.press("Done")
    await chat.expect("which warehouse ships it")
    await chat.press(warehouse)


def _section(comparison: str, method: str) -> str:
    """The part of the comparison about one method (up to the next bold heading)."""
    start = comparison.index(f"<b>{method}</b>")
    end = comparison.find("<b>", start + len(method) + 7)
    return comparison[start : end if end != -1 else None]


async def test_seller_fills_the_document_chooses_sea_freight_and_gets_the_pdf(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    seller_id = await make_seller(uow_factory, SELLER_ID)
    await make_warehouse(uow_factory, SELLER_ID)
    order_id = await make_confirmed_order(uow_factory, seller_id, SELLER_ID, "AE-1001")
    chat = chat_with(emulator, SELLER_ID)

    await _start(chat, "AE-1001")
    # A partial shipment is possible: change a line, then put it back.
    await chat.press("1. Phone case × 2")
    await chat.expect("How many of <b>Phone case</b>")
    await chat.send("1")
    partial = await chat.expect("1. Phone case: 1 of 2")
    assert "partial shipment" in partial.content
    await chat.press("1. Phone case × 1")
    await chat.send("2")
    await chat.expect("1. Phone case: 2 of 2")
    await _fill_until_comparison(chat)

    comparison = await chat.expect("Logistics methods compared")
    text = comparison.content
    assert "the bot's example rate card, not real quotes" in text
    assert "EXAMPLE RATES" not in text  # the card file's English label is not shown
    assert "From China (Shenzhen main) to United States: 12 kg, 60×40×40 cm." in text
    assert "Lane on the rate card: China → north_america." in text
    for method in ("International express", "Sea freight", "Land transport"):
        assert method in text
    assert "cheapest" in text and "fastest" in text
    # 60×40×40 / 5000 = 19.2 -> 19.5 kg for express
    assert "Chargeable: 19.5 kg" in _section(text, "International express")
    # Sea bills one W/M at least, and says so instead of pretending the parcel weighs 1000 kg.
    sea = _section(text, "Sea freight")
    assert "Billed: 1 W/M, the sea freight minimum (1 m³ or 1000 kg)" in sea
    assert "the parcel itself is 0.096 W/M" in sea
    assert "Far below the sea freight minimum: the parcel fills about 10%" in sea
    assert "1000 kg (1 W/M)" not in text and "Chargeable: 1000 kg" not in text
    # No road from China to the United States on the example card: not available, and why.
    land = _section(text, "Land transport")
    assert "Not available: no land transport from China to United States on the rate card." in (
        land
    )
    assert "Estimated cost" not in land

    await chat.press("Sea freight")
    await chat.expect("which carrier")
    await chat.send("COSCO")
    await chat.expect("tracking number")
    await chat.send("RB 1234 5678 5GB")
    summary = await chat.expect("Shipping document, order AE-1001")
    assert "All compliance checks passed" in summary.content
    assert "Sea freight" in summary.content
    await chat.press("Confirm and get the document")

    done = await chat.expect("is shipped")
    assert "https://t.me/" in done.content and "?start=" in done.content
    documents = [m for m in chat.user.bot_messages() if m.document is not None]
    assert documents, "the bot sent no document"
    pdf = documents[-1].document
    assert pdf is not None and pdf.file_name == "shipping-AE-1001.pdf"
    content = emulator.file(pdf.file_id).content
    pages = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "RB123456785GB" in pages
    assert "Phone case" in pages and "USB cable" in pages and "PC-1" in pages
    assert "AE-1001" in pages and "Sea freight" in pages

    async with uow_factory() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None and order.status == OrderStatus.SHIPPED
        shipments = await uow.shipments.for_order(order_id)
        assert [(s.method, s.tracking_number, s.is_partial) for s in shipments] == [
            ("sea", "RB123456785GB", False)
        ]


async def test_refusals_are_explained(emulator: BotApiEmulator, runner: BotRunner) -> None:
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    seller_id = await make_seller(uow_factory, SELLER_ID)
    verified = await make_warehouse(uow_factory, SELLER_ID)
    pending = await make_warehouse(uow_factory, SELLER_ID, "Dongguan", approve=False)
    shipped = await make_confirmed_order(uow_factory, seller_id, SELLER_ID, "AE-1")
    await make_confirmed_order(uow_factory, seller_id, SELLER_ID, "AE-2")
    await make_confirmed_order(uow_factory, seller_id, SELLER_ID, "AE-3")
    # AE-1 already shipped with RB123456785GB.
    draft = await filled_draft(uow_factory, SELLER_ID, shipped, verified)
    async with uow_factory() as uow:
        assert (
            await confirming.confirm_document(SELLER_ID, draft, [], THRESHOLD, uow)
        ).status == "shipped"
        await uow.commit()
    chat = chat_with(emulator, SELLER_ID)

    # An unverified warehouse, through a forged button: refused with the reason.
    await _start(chat, "AE-2")
    await chat.press("Continue")
    await chat.press("Keep")
    await chat.send("2")
    await chat.expect("outside dimensions")
    await chat.send("30x20x10")
    await chat.press("Standalone lithium battery")
    await chat.expect("what is in the parcel", kind="edited")
    await chat.press("Done")
    prompt = await chat.expect("which warehouse ships it")
    assert "Dongguan" not in " ".join(prompt.button_texts)
    forged = ShippingForm(action=ShippingFormAction.WAREHOUSE, value=str(pending)).pack()
    # Forged with the stamp the prompt's own buttons carry, as a forger would copy it: the
    # press is on the current prompt and reaches the service's check of the warehouse.
    stamp = button_stamps.split(prompt.buttons[0].callback_data or "")[1]
    assert stamp is not None
    await chat.press_data(prompt.message_id, button_stamps.stamped(forged, stamp))
    alert = await chat.expect_alert("Dongguan is not verified")
    assert "Pending review" in alert
    await chat.press("Shenzhen main")

    # A lithium battery by express: the button answers why not.
    comparison = await chat.expect("Logistics methods compared")
    assert "standalone lithium batteries are dangerous goods" in comparison.content
    await chat.press("International express")
    alert = await chat.expect_alert("International express can't take this parcel")
    assert "lithium batteries" in alert and "sea freight or land transport" in alert
    await chat.press("Sea freight")
    await chat.send("COSCO")
    await chat.expect("tracking number")

    # A tracking number already on another order.
    await chat.send("RB123456785GB")
    await chat.expect("RB123456785GB is already the tracking number of another order")
    # A mistyped S10 number.
    await chat.send("RB123456784GB")
    await chat.expect("fails the postal (S10) check digit")
    # An unknown format needs an explicit acknowledgement.
    await chat.send("ZX90210")
    await chat.expect("I don't know the format")
    await chat.press("Use this number anyway")
    summary = await chat.expect("Shipping document, order AE-2")
    assert "format the bot can't verify" in summary.content

    # The warehouse is suspended by an operator between selection and confirmation.
    async with uow_factory() as uow:
        await warehouses.decide(
            OPERATOR_ID,
            verified,
            WarehouseAction.SUSPEND,
            "Licence expired",
            frozenset({OPERATOR_ID}),
            uow,
        )
        await uow.commit()
    await chat.press("I understand")
    blocked = await chat.expect("The document was not confirmed")
    # It names the warehouse and says it was suspended, with the operator's note.
    assert "Warehouse Shenzhen main was suspended by an operator" in blocked.content
    assert "Licence expired" in blocked.content
    assert "warehouse is not verified" not in blocked.content

    async with uow_factory() as uow:
        findings = (
            await uow.session.execute(
                select(ComplianceFinding.rule, ComplianceFinding.severity)
                .join(Shipment, Shipment.id == ComplianceFinding.shipment_id)
                .where(Shipment.confirmed_at.is_(None))
            )
        ).all()
    assert {(rule, severity.value) for rule, severity in findings} >= {
        ("warehouse_suspended", "blocker"),
        ("tracking_unknown_format", "warning"),
    }

    # Operators see what was found; anyone else is refused.
    operator = chat_with(emulator, OPERATOR_ID, name="Olga")
    await operator.send("/compliance")
    listing = await operator.expect("Compliance findings")
    assert "AE-2" in listing.content
    assert "ZX90210" in listing.content
    assert "Warehouse Shenzhen main was suspended by an operator" in listing.content
    assert "⛔" in listing.content and "⚠️" in listing.content
    await chat.send("/compliance")
    await chat.expect("not allowed")


async def test_hamburg_to_france_travels_the_intra_eu_lane(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    """A 1.2 kg parcel from a verified warehouse in Hamburg to France: express and road are
    offered at intra-EU prices; sea freight is not available, with the reason; nothing is billed
    as 1000 kg."""
    assert runner.app is not None
    uow_factory = runner.app.uow_factory
    seller_id = await make_seller(uow_factory, SELLER_ID)
    await make_warehouse(uow_factory, SELLER_ID)
    await make_warehouse(uow_factory, SELLER_ID, "Hamburg hub", site=HAMBURG)
    order_id = await make_confirmed_order(
        uow_factory, seller_id, SELLER_ID, "EU-7", ship_to=("FR", "75011")
    )
    chat = chat_with(emulator, SELLER_ID)

    await _start(chat, "EU-7")
    await _fill_until_comparison(chat, weight="1.2", dimensions="30x20x10", warehouse="Hamburg hub")
    comparison = await chat.expect("Logistics methods compared")
    text = comparison.content
    assert "From Germany (Hamburg hub) to France: 1.2 kg, 30×20×10 cm." in text
    assert "Lane on the rate card: eu → eu." in text
    express = _section(text, "International express")
    assert "Chargeable: 1.5 kg" in express and "$11.00 · 1–3 days" in express
    assert "fastest" in express
    land = _section(text, "Land transport")
    assert "Chargeable: 2 kg" in land and "$8.00 · 2–5 days" in land and "cheapest" in land
    sea = _section(text, "Sea freight")
    assert "Not available: no sea freight from Germany to France on the rate card." in sea
    assert "$140" not in text and "30–45 days" not in text
    assert "1000 kg" not in text and "W/M" not in text

    # Sea freight can't be chosen; the button says why.
    await chat.press("Sea freight")
    alert = await chat.expect_alert("Sea freight can't take this parcel")
    assert "no sea freight from Germany to France" in alert
    await chat.press("Land transport")
    await chat.expect("which carrier")
    await chat.send("DB Schenker")
    await chat.expect("tracking number")
    await chat.send("RB 1234 5678 5GB")
    summary = await chat.expect("Shipping document, order EU-7")
    assert "All compliance checks passed" in summary.content
    await chat.press("Confirm and get the document")
    await chat.expect("is shipped")

    documents = [m for m in chat.user.bot_messages() if m.document is not None]
    pdf = documents[-1].document
    assert pdf is not None
    pages = "\n".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(emulator.file(pdf.file_id).content)).pages
    )
    assert "Hamburg hub" in pages and "Land transport" in pages
    async with uow_factory() as uow:
        [shipment] = await uow.shipments.for_order(order_id)
        assert (shipment.method, shipment.estimated_cost, shipment.cost_currency) == (
            "land",
            Decimal("8.00"),
            "USD",
        )
        assert (shipment.transit_min_days, shipment.transit_max_days) == (2, 5)
        assert shipment.chargeable_weight_kg == Decimal("2")
