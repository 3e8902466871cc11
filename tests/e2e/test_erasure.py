"""Erasure end to end: a seller with warehouses, documents, orders, a shipment, operator reviews
and a half-filled conversation sends /delete_my_data. Afterwards no column of any table, and no
byte of the SQLite files, holds their Telegram id, store name, warehouse names, contact name,
phone numbers or address; what stays is the pseudonymous audit trail with the marketplace's
order numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.settings import Settings
from domain.model import AuditEntry
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import OPERATOR_ID, BotRunner, Chat, chat_with, make_settings
from tests.e2e.fixtures_orders import new_order_by_conversation
from tests.e2e.test_warehouses import PDF, register_seller, upload
from tests.personal_data_search import search_sqlite_files, search_tables

# Big enough that SQLite stores it in 6 bytes, so the file search can look for that form too.
SELLER_ID = 7_345_012_987
STORE = "Zephyr Quokka Supplies"
WAREHOUSE = "Quokka Depot Alpha"
DRAFT_WAREHOUSE = "Quokka Draft Annex"
STREET = "88 Wombat Lane, Nanshan"
DRAFT_STREET = "12 Numbat Crescent"
CONTACT = "Marisol Quenby"
PHONE, NEW_PHONE, DRAFT_PHONE = "138 0013 8000", "139 0013 9000", "137 0013 7000"
# The digits of each phone as stored (E.164 +86...) and as the national number.
PHONE_DIGITS = ["13800138000", "13900139000", "13700137000"]
NEEDLES = [STORE, WAREHOUSE, DRAFT_WAREHOUSE, STREET, DRAFT_STREET, CONTACT, *PHONE_DIGITS]
OUTBOX_RETENTION_DAYS = 7


@pytest.fixture
def bot_settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path, outbox_retention_days=OUTBOX_RETENTION_DAYS)


async def _add_warehouse(seller: Chat) -> None:
    await seller.send("/warehouses")
    await seller.press("Add a warehouse")
    await seller.press("Domestic warehouse")
    await seller.expect("What should this warehouse be called")
    await seller.send(WAREHOUSE)
    await seller.press("China")
    await seller.expect("Street address")
    await seller.send(STREET)
    await seller.expect("City")
    await seller.send("Shenzhen")
    await seller.press("Skip")
    await seller.expect("Postcode")
    await seller.send("518000")
    await seller.expect("contact person")
    await seller.send(CONTACT)
    await seller.expect("phone number")
    await seller.send(PHONE)
    await seller.press("Sorting")
    await seller.press("Shipping")
    await seller.press("Done")
    await seller.expect("Business licence")
    # People name files after people: the document's name carries the contact's name too.
    await upload(seller, f"{CONTACT} licence.pdf", PDF)
    await seller.expect("All required documents are here")
    await seller.press("Continue")
    await seller.press("Submit for review")
    await seller.expect("was sent for review")


async def _operator_decides(operator: Chat, button: str, note: str | None = None) -> None:
    await operator.send("/review")
    await operator.press(WAREHOUSE)
    await operator.press(button)
    if note is not None:
        await operator.expect(f"<b>{WAREHOUSE}</b>")
        await operator.send(note)
    await operator.expect("The seller has been notified")


async def _confirm_and_ship(seller: Chat, number: str) -> None:
    await seller.send("/orders")
    await seller.press(number)
    await seller.press("Confirm order")
    await seller.expect(f"Order <b>{number}</b> is confirmed")
    await seller.send(f"/ship {number}")
    await seller.expect(f"Shipping document for order {number}")
    await seller.press("Continue")
    await seller.expect("declared value")
    await seller.press("Keep")
    await seller.expect("actual weight")
    await seller.send("12")
    await seller.expect("outside dimensions")
    await seller.send("60x40x40")
    await seller.expect("what is in the parcel")
    await seller.press("Done")
    await seller.expect("which warehouse ships it")
    await seller.press(WAREHOUSE)
    await seller.expect("Logistics methods compared")
    await seller.press("Sea freight")
    await seller.expect("which carrier")
    await seller.send("COSCO")
    await seller.expect("tracking number")
    await seller.send("RB 1234 5678 5GB")
    await seller.expect(f"Shipping document, order {number}")
    await seller.press("Confirm and get the document")
    await seller.expect("is shipped")


async def _cancel(seller: Chat, number: str, reason: str) -> None:
    await seller.send("/orders")
    await seller.press(number)
    await seller.press("Cancel order")
    await seller.expect("Please send the reason")
    await seller.send(reason)
    await seller.expect(f"Order <b>{number}</b> is cancelled")


async def _edit_phone(seller: Chat) -> None:
    await seller.send("/warehouses")
    await seller.press(WAREHOUSE)
    await seller.press("Edit")
    await seller.press("Contact phone")
    await seller.send(NEW_PHONE)
    await seller.press("Save and send to review")
    await seller.expect("is pending review again")


async def _leave_a_draft(seller: Chat) -> None:
    """A second warehouse, abandoned after the phone: the conversation state holds it all."""
    await seller.send("/warehouses")
    await seller.press("Add a warehouse")
    await seller.press("Domestic warehouse")
    await seller.send(DRAFT_WAREHOUSE)
    await seller.press("China")
    await seller.expect("Street address")
    await seller.send(DRAFT_STREET)
    await seller.expect("City")
    await seller.send("Dongguan")
    await seller.press("Skip")
    await seller.expect("Postcode")
    await seller.send("523000")
    await seller.expect("contact person")
    await seller.send(CONTACT)
    await seller.expect("phone number")
    await seller.send(DRAFT_PHONE)
    await seller.expect("What does this warehouse do")


def _sqlite_path(runner: BotRunner) -> Path | None:
    url = make_url(runner.settings.effective_database_url)
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


async def test_erased_seller_leaves_no_trace(emulator: BotApiEmulator, runner: BotRunner) -> None:
    assert runner.app is not None
    operator = chat_with(emulator, OPERATOR_ID, name="Olga")
    seller = chat_with(emulator, SELLER_ID)

    await register_seller(seller, STORE)
    await _add_warehouse(seller)
    await operator.expect(f"Warehouse submitted for review: <b>{WAREHOUSE}</b>", timeout=15)
    await _operator_decides(operator, "Approve")
    await seller.expect("is verified. Orders can now ship", timeout=15)
    await new_order_by_conversation(seller, "QK-1")
    await _confirm_and_ship(seller, "QK-1")
    await new_order_by_conversation(seller, "QK-2")
    await _cancel(seller, "QK-2", f"{CONTACT} says it is out of stock")
    await _edit_phone(seller)
    await operator.expect(f"Warehouse submitted for review: <b>{WAREHOUSE}</b>", timeout=15)
    # What an operator writes about the seller is about the seller too.
    await _operator_decides(
        operator, "Ask for documents", f"Call {CONTACT} on +86{PHONE_DIGITS[1]} about the lease"
    )
    await seller.expect("needs more documents", timeout=15)
    await _leave_a_draft(seller)

    # The search finds everything while the seller exists (so finding nothing later means it).
    engine = runner.app.engine
    before, _ = await search_tables(engine, NEEDLES, SELLER_ID)
    assert {trace.needle for trace in before} == {*NEEDLES, str(SELLER_ID)}
    database_file = _sqlite_path(runner)
    if database_file is not None:
        in_files = {
            trace.needle for trace in search_sqlite_files(database_file, NEEDLES, SELLER_ID)
        }
        assert set(NEEDLES) <= in_files

    await seller.send("/delete_my_data")
    await seller.press("Yes, delete my data")
    await seller.expect("Your data has been deleted")

    after, rows_after = await search_tables(engine, NEEDLES, SELLER_ID)
    assert after == [], after
    assert rows_after > 0
    if database_file is not None:
        assert search_sqlite_files(database_file, NEEDLES, SELLER_ID) == []

    # The facts stay, without the person: who did it is a pseudonym, order numbers remain.
    async with runner.app.uow_factory() as uow:
        entries = (await uow.session.execute(select(AuditEntry))).scalars().all()
        for entry in entries:
            uow.session.expunge(entry)
    by_action = {entry.action: entry for entry in entries}
    for action in (
        "seller.registered",
        "warehouse.submitted",
        "warehouse.edited",
        "warehouse.docs",
        "order.cancelled",
        "shipment.confirmed",
        "user.erased",
    ):
        assert action in by_action, action
    seller_entries = [e for e in entries if e.actor_role == "seller"]
    assert seller_entries and all(e.actor_id is None for e in seller_entries)
    pseudonyms = {e.actor_pseudonym for e in seller_entries}
    assert len(pseudonyms) == 1 and None not in pseudonyms
    assert by_action["warehouse.edited"].details == {"field": "contact_phone"}
    assert by_action["warehouse.docs"].actor_id == OPERATOR_ID
    assert "note" not in by_action["warehouse.docs"].details
    assert by_action["order.cancelled"].details["number"] == "QK-2"
    assert "reason" not in by_action["order.cancelled"].details


async def test_privacy_states_the_configured_retention(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    english = chat_with(emulator, 4301)
    await english.send("/privacy")
    policy = await english.expect("What we store")
    assert "deleted 7 days after they were sent" in policy.content
    assert "without their content: 48 hours" in policy.content
    assert "What stays after you delete your data, and why" in policy.content
    assert "order numbers stay" in policy.content

    russian = chat_with(emulator, 4302, language="ru")
    await russian.send("/privacy")
    policy = await russian.expect("Что мы храним")
    assert "через 7 дней после отправки" in policy.content
    assert "48 часов" in policy.content

    await english.send("/delete_my_data")
    confirm = await english.expect("Delete your data?")
    assert "The audit log keeps what was done and when" in confirm.content
