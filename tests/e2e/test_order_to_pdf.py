"""Issue 5's whole story in one run, through Telegram updates only: a seller with an approved
warehouse creates an order by conversation, imports 50 more from a spreadsheet with 3 bad rows,
confirms one from its card, fills the shipping document choosing sea freight after the
comparison, and receives the PDF; a buyer opens the link and sees the parcel."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from domain.model import OrderStatus
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import OPERATOR_ID, BotRunner, chat_with
from tests.e2e.fixtures_orders import (
    new_order_by_conversation,
    order_row,
    orders_in_db,
    send_file,
    xlsx,
)
from tests.e2e.test_warehouses import _warehouses, add_domestic, register_seller


async def test_from_order_intake_to_the_printed_shipping_document(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    operator = chat_with(emulator, OPERATOR_ID, name="Olga")
    seller = chat_with(emulator, 6001)
    await register_seller(seller, "Story Store")
    await add_domestic(seller)
    (warehouse,) = (await _warehouses(runner)).values()
    await operator.send("/review")
    await operator.press(f"#{warehouse.id} Shenzhen main")
    await operator.press("Approve")
    await seller.expect("is verified. Orders can now ship", timeout=15)

    await new_order_by_conversation(seller, "AE-9001")

    ship_by = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    rows = [order_row(f"AE-{9100 + n}", ship_by) for n in range(1, 51)]
    rows.insert(10, order_row("AE-9901", ship_by, Qty="-1"))
    rows.insert(20, order_row("AE-9902", ship_by, Currency="ZZZ"))
    rows.insert(30, order_row("AE-9903", ship_by, **{"Ship by": "tomorrow-ish"}))
    await send_file(seller, "more-orders.xlsx", xlsx(rows))
    report = await seller.expect("Import of more-orders.xlsx", timeout=20)
    assert "Orders imported: <b>50</b>" in report.content
    assert "Rows skipped: <b>3</b>" in report.content
    for row, number in ((12, "AE-9901"), (22, "AE-9902"), (32, "AE-9903")):
        assert f"Row {row} (order {number})" in report.content
    assert len(await orders_in_db(runner)) == 51

    await seller.send("/orders")
    await seller.press("AE-9001")
    await seller.press("Confirm")
    await seller.expect("confirmed")
    await seller.press("Shipping document")
    await seller.expect("Shipping document for order AE-9001")
    await seller.press("Continue")
    await seller.press("Keep")
    await seller.expect("actual weight")
    await seller.send("12")
    await seller.send("60x40x40")
    await seller.expect("what is in the parcel")
    await seller.press("Done")
    await seller.press("Shenzhen main")
    comparison = await seller.expect("Logistics methods compared")
    assert "Sea freight" in comparison.content and "cheapest" in comparison.content
    await seller.press("Sea freight")
    await seller.send("COSCO")
    await seller.expect("tracking number")
    await seller.send("EB000717618HK")
    await seller.expect("Shipping document, order AE-9001")
    await seller.press("Confirm and get the document")
    done = await seller.expect("is shipped")

    pdf = next(m.document for m in reversed(seller.user.bot_messages()) if m.document is not None)
    assert pdf is not None
    text = "\n".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(emulator.file(pdf.file_id).content)).pages
    )
    assert "EB000717618HK" in text
    assert "Phone case" in text and "AE-9001" in text
    assert (await orders_in_db(runner))["AE-9001"].status == OrderStatus.SHIPPED

    token = re.search(r"https://t\.me/(\w+)\?start=([A-Za-z0-9_-]{32})\n?", done.content)
    assert token is not None and token.group(1) == emulator.bot_username
    buyer = chat_with(emulator, 6002, language="es", name="Lucía")
    await buyer.send(f"/start {token.group(2)}")
    seen = await buyer.expect("AE-9001")
    assert "EB000717618HK" in seen.content
