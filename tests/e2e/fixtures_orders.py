"""Helpers of the orders e2e tests: order files, the /neworder conversation, database reads."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select

from domain.model import Notification, Order
from tests.e2e.conftest import BotRunner, Chat

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = (
    "Order No.",
    "Country",
    "Postcode",
    "Currency",
    "Product",
    "SKU",
    "Qty",
    "Unit price",
    "Ship by",
)


def order_row(number: str, ship_by: str, **changes: Any) -> list[Any]:
    """One good line of a US order in USD; `changes` replaces cells by header name."""
    row = {
        "Order No.": number,
        "Country": "US",
        "Postcode": "10001",
        "Currency": "USD",
        "Product": f"Phone case {number}",
        "SKU": f"SKU-{number}",
        "Qty": 2,
        "Unit price": "4.50",
        "Ship by": ship_by,
    }
    row.update(changes)
    return [row[column] for column in HEADER]


def xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(HEADER))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def send_file(chat: Chat, name: str, content: bytes, mime: str = XLSX_MIME) -> None:
    chat._mark = len(chat.emulator.activity)
    await chat.user.upload_document(name, content, mime)


async def new_order_by_conversation(chat: Chat, number: str) -> None:
    """A two-line order to France in EUR, ship-by in three days; the happy path only."""
    await chat.send("/neworder")
    await chat.expect("marketplace order number")
    await chat.send(number)
    await chat.press("France")
    await chat.expect("postcode of the delivery address")
    await chat.send("75001")
    await chat.press("EUR")
    await chat.expect("Line 1")
    await chat.send("Phone case")
    await chat.press("Skip")
    await chat.expect("How many?")
    await chat.send("2")
    await chat.expect("unit price in EUR")
    await chat.send("12.50")
    await chat.press("Done with lines")
    await chat.press("+3 d")
    await chat.press("Create the order")
    await chat.expect("is saved")


async def orders_in_db(runner: BotRunner) -> dict[str, Order]:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        rows = (await uow.session.execute(select(Order))).scalars().all()
        for row in rows:
            uow.session.expunge(row)
        return {row.number: row for row in rows}


async def notifications_in_db(runner: BotRunner, template: str) -> list[Notification]:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        query = select(Notification).where(Notification.template == template)
        rows = (await uow.session.execute(query)).scalars().all()
        for row in rows:
            uow.session.expunge(row)
        return list(rows)
