"""Warehouses end to end: sellers declare them with documents, operators review them."""

from __future__ import annotations

from sqlalchemy import select

from domain.model import AuditEntry, Warehouse, WarehouseStatus
from sandbox.emulator import BotApiEmulator
from tests.e2e.conftest import OPERATOR_ID, BotRunner, Chat, chat_with
from tests.fixtures import certificates

PDF = certificates.pdf()


async def register_seller(chat: Chat, store: str, country_button: str = "China") -> None:
    await chat.send("/start")
    await chat.press("I sell on AliExpress")
    await chat.send(store)
    await chat.press(country_button)
    await chat.press("English")
    await chat.press("Create my store")
    await chat.expect("is registered")


async def upload(
    chat: Chat, name: str, content: bytes = PDF, mime: str = "application/pdf"
) -> None:
    chat._mark = len(chat.emulator.activity)
    await chat.user.upload_document(name, content, mime)


async def add_domestic(chat: Chat, name: str = "Shenzhen main") -> None:
    await chat.send("/warehouses")
    await chat.press("Add a warehouse")
    await chat.press("Domestic warehouse")
    await chat.expect("What should this warehouse be called")
    await chat.send(name)
    await chat.press("China")
    await chat.expect("Street address")
    await chat.send("1 Keji Road, Nanshan")
    await chat.expect("City")
    await chat.send("Shenzhen")
    await chat.press("Skip")
    await chat.expect("Postcode")
    await chat.send("518000")
    await chat.expect("contact person")
    await chat.send("Li Wei")
    await chat.expect("phone number")
    await chat.send("138 0013 8000")
    await chat.press("Sorting")
    await chat.press("Shipping")
    await chat.press("Done")
    await chat.expect("Business licence")
    await upload(chat, "licence.pdf")
    await chat.expect("All required documents are here")
    await chat.press("Continue")
    await chat.expect("Please check the warehouse")
    await chat.press("Submit for review")
    await chat.expect("was sent for review")


async def add_overseas(chat: Chat) -> None:
    await chat.send("/warehouses")
    await chat.press("Add a warehouse")
    await chat.press("Overseas warehouse")
    await chat.send("Berlin hub")
    await chat.expect("Which country is the overseas warehouse in")
    await chat.send("Germany")
    await chat.expect("Street address")
    await chat.send("Lagerstrasse 5")
    await chat.send("Berlin")
    await chat.press("Skip")
    await chat.send("1011")  # German postcodes have five digits
    await chat.expect("doesn't match this country's format")
    await chat.send("10117")
    await chat.send("Hans Muller")
    await chat.send("+49 30 1234567")
    await chat.press("Shipping")
    await chat.press("Handles local returns")
    await chat.press("Done")
    await upload(chat, "licence.pdf")
    await chat.expect("Which document shows you may use these premises")
    await chat.press("Third-party warehouse agreement")
    await upload(chat, "3pl.pdf")
    await chat.expect("Customs/VAT registration")
    await upload(chat, "vat.png", certificates.png(), "image/png")
    await chat.press("Continue")
    summary = await chat.expect("Please check the warehouse")
    assert "Germany" in summary.content
    assert "vat.png" in summary.content
    await chat.press("Submit for review")
    await chat.expect("was sent for review")


async def _warehouses(runner: BotRunner) -> dict[str, Warehouse]:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        rows = (await uow.session.execute(select(Warehouse))).scalars().all()
        for row in rows:
            uow.session.expunge(row)
        return {row.name: row for row in rows}


async def test_declare_and_review_domestic_and_overseas(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    operator = chat_with(emulator, OPERATOR_ID, name="Olga")
    seller = chat_with(emulator, 3001)
    await register_seller(seller, "Gadget Store")
    await add_domestic(seller)
    # Each capability pressed edited the question it was pressed on: the chat shows it once,
    # and its states are the ticks as they were pressed.
    (question,) = [
        m for m in seller.user.bot_messages() if "What does this warehouse do" in m.content
    ]
    assert [
        [b.text for row in revision.reply_markup or [] for b in row if b.text.startswith("☑️")]
        for revision in question.revisions
    ] == [[], ["☑️ Sorting"], ["☑️ Sorting", "☑️ Shipping"]]
    await add_overseas(seller)

    await operator.expect("Warehouse submitted for review: <b>Shenzhen main</b>")
    warehouses = await _warehouses(runner)
    assert {w.status for w in warehouses.values()} == {WarehouseStatus.PENDING_REVIEW}
    domestic, overseas = warehouses["Shenzhen main"], warehouses["Berlin hub"]

    await operator.send("/review")
    await operator.expect("2 waiting")
    await operator.press(f"#{domestic.id} Shenzhen main")
    await operator.expect("Store: Gadget Store")
    documents = [m for m in operator.user.bot_messages() if m.document is not None]
    assert documents[-1].document is not None
    assert documents[-1].document.file_name == "licence.pdf"
    await operator.press("Approve")
    await operator.expect("The seller has been notified")

    await operator.send("/review")
    await operator.press(f"#{overseas.id} Berlin hub")
    await operator.press("Reject")
    await operator.expect("Why is <b>Berlin hub</b> rejected?")
    await operator.send("The lease is not signed")
    await operator.expect("The seller has been notified")

    await seller.expect("Shenzhen main</b> is verified", timeout=15)
    rejected = await seller.expect("Berlin hub</b> was rejected", timeout=15)
    assert "The lease is not signed" in rejected.content

    warehouses = await _warehouses(runner)
    assert warehouses["Shenzhen main"].status == WarehouseStatus.VERIFIED
    assert warehouses["Berlin hub"].status == WarehouseStatus.REJECTED
    assert warehouses["Berlin hub"].review_note == "The lease is not signed"
    assert warehouses["Shenzhen main"].contact_phone == "+8613800138000"
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        entries = (await uow.session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        trail = [(e.action, e.subject_id, e.actor_id) for e in entries]
        assert ("warehouse.approve", str(domestic.id), OPERATOR_ID) in trail
        assert ("warehouse.reject", str(overseas.id), OPERATOR_ID) in trail
        assert [a for a, *_ in trail].count("warehouse.submitted") == 2
        shipping = await uow.warehouses.verified_that_can_ship(domestic.seller_id)
        assert [w.name for w in shipping] == ["Shenzhen main"]


async def test_wrong_country_bad_files_and_non_operators_are_refused(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    seller = chat_with(emulator, 3002)
    await register_seller(seller, "Careful Store")
    await seller.send("/warehouses")
    await seller.press("Add a warehouse")
    await seller.press("Overseas warehouse")
    await seller.send("Home base")
    await seller.send("China")
    await seller.expect("An overseas warehouse must be outside your home country (China)")

    await seller.send("/cancel")
    await add_domestic_until_documents(seller)
    await upload(seller, "setup.exe", b"MZ\x90\x00", "application/x-msdownload")
    await seller.expect("I can't accept “setup.exe”")
    await upload(seller, "huge.pdf", b"%PDF" + b"0" * (25 * 1024 * 1024))
    await seller.expect("larger than 20 MB")
    # Name and type are right, the content is not: read by the file worker, refused, not kept.
    await upload(seller, "licence.pdf", b"MZ\x90\x00" + b"\x00" * 1000)
    await seller.expect("“licence.pdf” is not really a PDF file")
    await upload(seller, "licence.png", certificates.png_header_only(60_000, 60_000), "image/png")
    await seller.expect("has more than 50 megapixels")
    await upload(seller, "licence.pdf")
    await seller.expect("All required documents are here")
    await seller.press("Continue")
    await seller.press("Submit for review")
    await seller.expect("was sent for review")
    (warehouse,) = (await _warehouses(runner)).values()
    assert [d.file_name for d in warehouse.documents] == ["licence.pdf"]

    # A seller is not an operator: neither the command nor a forged button works.
    await seller.send("/review")
    await seller.expect("not allowed")
    last = seller.user.last_bot_message()
    assert last is not None
    await seller.press_data(last.message_id, f"rv:decide:{warehouse.id}:approve:0")
    await seller.expect_alert("not allowed")
    assert (await _warehouses(runner))["Main domestic"].status == WarehouseStatus.PENDING_REVIEW


async def add_domestic_until_documents(chat: Chat) -> None:
    await chat.send("/warehouses")
    await chat.press("Add a warehouse")
    await chat.press("Domestic warehouse")
    await chat.send("Main domestic")
    await chat.press("China")
    await chat.send("8 Industrial Park")
    await chat.send("Dongguan")
    await chat.send("Guangdong")
    await chat.send("523000")
    await chat.send("Zhang San")
    await chat.send("+86 138 0013 8000")
    await chat.press("Shipping")
    await chat.press("Done")
    await chat.expect("Business licence")


async def test_seller_cannot_touch_another_sellers_warehouse(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    owner = chat_with(emulator, 3003)
    intruder = chat_with(emulator, 3004)
    await register_seller(owner, "Owner Store")
    await add_domestic(owner, "Owner warehouse")
    await register_seller(intruder, "Intruder Store")
    (warehouse,) = (await _warehouses(runner)).values()

    await intruder.send("/warehouses")
    await intruder.expect("Your warehouses")
    last = intruder.user.last_bot_message()
    assert last is not None
    answers = []
    for forged in (f"whm:view:{warehouse.id}:", f"whm:archok:{warehouse.id}:", "whm:view:999999:"):
        await intruder.press_data(last.message_id, forged)
        answers.append(await intruder.expect_alert("couldn't find that warehouse"))
    # Someone else's warehouse answers exactly like one that does not exist.
    assert answers[0] == answers[1] == answers[2]
    assert (await _warehouses(runner))["Owner warehouse"].status == WarehouseStatus.PENDING_REVIEW


async def _decide(
    operator: Chat,
    warehouse_id: int,
    name: str,
    button: str,
    note: str | None = None,
    queue: str = "/review",
) -> None:
    await operator.send(queue)
    if queue == "verified":
        await operator.send("/review")
        await operator.press("Verified warehouses")
    await operator.press(f"#{warehouse_id} {name}")
    await operator.press(button)
    if note is not None:
        await operator.expect("<b>" + name + "</b>")
        await operator.send(note)
    await operator.expect("The seller has been notified")


async def test_lifecycle_documents_suspension_edit_and_archive(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    operator = chat_with(emulator, OPERATOR_ID, name="Olga")
    seller = chat_with(emulator, 3005)
    await register_seller(seller, "Lifecycle Store")
    await add_domestic(seller, "Dongguan")
    (warehouse,) = (await _warehouses(runner)).values()

    # The operator asks for more documents; the seller adds one and sends it back.
    await _decide(
        operator,
        warehouse.id,
        "Dongguan",
        "Ask for documents",
        "Please add the fire safety certificate",
    )
    # The notice itself takes the seller there: no need to find the warehouse in /warehouses.
    asked = await seller.expect("needs more documents", timeout=15)
    assert asked.button_texts == ["📎 Add documents", "🏭 Open the warehouse"]
    await seller.press("Add documents")
    await seller.expect("fire safety certificate")
    html = b"<html><body><script>location='https://example.invalid'</script></body></html>"
    await upload(seller, "fire.pdf", html)
    await seller.expect("“fire.pdf” is not really a PDF file")
    await upload(seller, "fire.pdf")
    await seller.expect("Received “fire.pdf”")
    documents = (await _warehouses(runner))["Dongguan"].documents
    assert [d.file_name for d in documents] == ["licence.pdf", "fire.pdf"]
    await seller.press("Send for review again")
    await seller.expect("was sent for review")

    # Approved, then suspended, then sent back after a fix.
    await _decide(operator, warehouse.id, "Dongguan", "Approve")
    verified = await seller.expect("is verified. Orders can now ship", timeout=15)
    assert verified.button_texts == ["🏭 Open the warehouse"]
    await _decide(
        operator,
        warehouse.id,
        "Dongguan",
        "Suspend",
        "Shipping from an undeclared address",
        queue="verified",
    )
    suspended = await seller.expect("was suspended", timeout=15)
    assert "undeclared address" in suspended.content
    assert suspended.button_texts == ["📎 Add documents", "🏭 Open the warehouse"]
    assert (await _warehouses(runner))["Dongguan"].status == WarehouseStatus.SUSPENDED
    await seller.send("/warehouses")
    await seller.press("Dongguan")
    await seller.press("Add documents")
    await seller.press("Send for review again")
    await seller.expect("was sent for review")
    await _decide(operator, warehouse.id, "Dongguan", "Approve")

    # Editing a verified warehouse warns first, then sends it back to review.
    await seller.send("/warehouses")
    await seller.press("Dongguan")
    await seller.press("Edit")
    await seller.expect("saving a change sends it back to review")
    await seller.press("City")
    await seller.send("Huizhou")
    await seller.expect("goes back to review")
    assert (await _warehouses(runner))["Dongguan"].city == "Shenzhen"
    await seller.press("Save and send to review")
    await seller.expect("is pending review again")
    edited = (await _warehouses(runner))["Dongguan"]
    assert (edited.city, edited.status) == ("Huizhou", WarehouseStatus.PENDING_REVIEW)

    await seller.send("/warehouses")
    await seller.press("Dongguan")
    await seller.press("Archive")
    await seller.press("Yes, archive it")
    await seller.expect("is archived")
    assert (await _warehouses(runner))["Dongguan"].status == WarehouseStatus.ARCHIVED
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        actions = [e.action for e in await uow.audit.entries_for("warehouse", warehouse.id)]
    assert actions == [
        "warehouse.submitted",
        "warehouse.docs",
        "warehouse.resubmitted",
        "warehouse.approve",
        "warehouse.suspend",
        "warehouse.resubmitted",
        "warehouse.approve",
        "warehouse.edited",
        "warehouse.archived",
    ]


async def test_registration_survives_restart_and_back_works(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    seller = chat_with(emulator, 3006)
    await register_seller(seller, "Patient Store")
    await seller.send("/warehouses")
    await seller.press("Add a warehouse")
    await seller.press("Domestic warehouse")
    await seller.send("Main")
    await seller.press("China")
    await seller.expect("Street address")
    await seller.press("Back")
    await seller.expect("A domestic warehouse is in your home country")

    await runner.restart()

    await seller.press("China")
    await seller.send("2 Harbour Road")
    await seller.expect("City")
    await seller.send("/start")
    await seller.expect("continue where you left off")
    await seller.send("Xiamen")
    await seller.expect("Region")


def _earlier_button(chat: Chat, label: str) -> tuple[int, str]:
    """The message id and callback data of the newest button labelled `label` in the chat."""
    for message in reversed(chat.user.bot_messages()):
        for button in message.buttons:
            if label in button.text and button.callback_data is not None:
                return message.message_id, button.callback_data
    raise AssertionError(f"no button {label!r} in the chat")


async def test_a_stale_button_mid_conversation_says_how_to_go_on(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    """A button from an earlier message, pressed in the middle of a conversation, gets a
    pop-up naming that conversation and how to go on, changes nothing, and the current
    question is asked again (the message pressed loses its buttons)."""
    seller = chat_with(emulator, 3007)
    await seller.send("/start")
    await seller.press("I sell on AliExpress")
    await seller.send("Stale Buttons & Co")
    await seller.press("China")
    await seller.expect("Which language should I use")
    # On the country question, answered already.
    await seller.press_data(*_earlier_button(seller, "Türkiye"))
    alert = await seller.expect_alert("You're in the middle of registering your store")
    assert "/cancel" in alert and "/start" not in alert
    await seller.expect("Which language should I use")  # asked again, below the pop-up
    await seller.press("English")
    await seller.press("Create my store")
    await seller.expect("is registered")

    await seller.send("/warehouses")
    await seller.press("Add a warehouse")
    await seller.press("Domestic warehouse")
    await seller.expect("What should this warehouse be called")
    overseas = _earlier_button(seller, "Overseas warehouse")  # the kind question, answered
    await seller.press_data(*overseas)
    alert = await seller.expect_alert("You're in the middle of registering a warehouse")
    assert "answer the last question, or send /cancel to stop" in alert
    await seller.expect("What should this warehouse be called")
    # The conversation goes on where it was.
    await seller.send("Castilla & León Hub")
    await seller.expect("A domestic warehouse is in your home country")

    # Outside any conversation, the old answer stands.
    await seller.send("/cancel")
    await seller.expect("Cancelled")
    await seller.press_data(*overseas)
    await seller.expect_alert("This button is no longer active")
