"""Warehouse registration through the dispatcher: kind -> name -> country -> address ->
contact -> capabilities -> certification documents -> summary -> submitted for review.
Forward, back, edit from the summary, cancel, resume after a restart, and a refused answer at
every step (the step is asked again, nothing advances)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText

from tests.fixtures import certificates
from tests.handlers.chat import (
    Answer,
    Chat,
    HandlerBot,
    Press,
    Refusal,
    Step,
    assert_every_step_refuses,
)
from tests.handlers.factories import make_seller, warehouses_of

SELLER = 8201
PDF = "application/pdf"


async def _capabilities(chat: Chat) -> Answer:
    await chat.press("Shipping")
    return await chat.press("Done")


async def _licence(chat: Chat) -> Answer:
    await chat.send_certificate("licence.pdf")
    return await chat.press("Continue")


# A domestic warehouse in the seller's home country (China), answered step by step.
DOMESTIC: list[Step] = [
    ("kind", lambda chat: chat.press("Domestic warehouse")),
    ("name", lambda chat: chat.send("Shenzhen main")),
    ("country", lambda chat: chat.press("China")),
    ("street", lambda chat: chat.send("1 Keji Road, Nanshan")),
    ("city", lambda chat: chat.send("Shenzhen")),
    ("region", lambda chat: chat.press("Skip")),
    ("postcode", lambda chat: chat.send("518000")),
    ("contact_name", lambda chat: chat.send("Li Wei")),
    ("phone", lambda chat: chat.send("138 0013 8000")),
    ("capabilities", _capabilities),
    ("documents", _licence),
]
SUBMITTED_DOMESTIC = {
    "kind": "domestic",
    "name": "Shenzhen main",
    "country": "CN",
    "address": ("1 Keji Road, Nanshan", "Shenzhen", None, "518000"),
    "contact": ("Li Wei", "+8613800138000"),
    "capabilities": ["shipping"],
    "status": "pending_review",
    "documents": [("business_licence", "licence.pdf")],
}


@pytest.fixture
async def chat(handler_bot: HandlerBot, chat_of: Callable[..., Chat]) -> Chat:
    await make_seller(handler_bot, SELLER, "CN")
    return chat_of(SELLER)


async def _walk(chat: Chat, until: str = "summary") -> Answer:
    """Open /warehouses, add one, and answer every step before `until`; its question."""
    await chat.send("/warehouses")
    answer = await chat.press("Add a warehouse")
    for step, act in DOMESTIC:
        if step == until:
            return answer
        answer = await act(chat)
    assert until == "summary", f"no step {until!r}"
    return answer


# ----- forward -----


async def test_a_domestic_warehouse_is_registered_and_sent_for_review(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await chat.send("/warehouses")
    kind = await chat.press("Add a warehouse")
    assert kind.last.text == handler_bot.text("warehouse.ask_kind")
    # The first step offers no Back.
    assert handler_bot.label("common.back") not in kind.labels
    assert (await chat.press("Domestic")).last.text == handler_bot.text("warehouse.ask_name")
    country = await chat.send("Shenzhen main")
    # A domestic warehouse can only be in the home country: that is the one choice offered.
    assert [label for label in country.labels if "China" in label] == ["🇨🇳 China"]
    await chat.press("China")
    await chat.send("1 Keji Road, Nanshan")
    region = await chat.send("Shenzhen")
    assert handler_bot.label("warehouse.skip") in region.labels
    postcode = await chat.press("Skip")
    # China has postcodes: no Skip here.
    assert handler_bot.label("warehouse.skip") not in postcode.labels
    await chat.send("518000")
    await chat.send("Li Wei")
    capabilities = await chat.send("138 0013 8000")
    # "Handles local returns" is only for overseas warehouses.
    assert not any("local returns" in label for label in capabilities.labels)
    assert "☑️ Shipping" in (await chat.press("Shipping")).labels
    document = await chat.press("Done")
    assert document.says("Business licence")
    received = await chat.send_certificate("licence.pdf")
    # The file's content is read after the update; then it is taken as the licence.
    assert received.texts[:2] == [
        handler_bot.text("warehouse.document_checking", file_name="licence.pdf"),
        handler_bot.text(
            "warehouse.document_received", document="Business licence", file_name="licence.pdf"
        ),
    ]
    summary = await chat.press("Continue")
    summary.assert_says(
        "Name: <b>Shenzhen main</b>",
        "Kind: domestic",
        "Country: China",
        "1 Keji Road, Nanshan, Shenzhen, 518000",
        "Li Wei, +8613800138000",
        "Shipping",
        "licence.pdf",
    )
    assert await warehouses_of(handler_bot, SELLER) == []

    submitted = await chat.press("Submit for review")
    assert submitted.texts == [handler_bot.text("warehouse.submitted", name="Shenzhen main")]
    assert await warehouses_of(handler_bot, SELLER) == [SUBMITTED_DOMESTIC]


# An overseas warehouse in Hamburg, up to its capabilities.
TO_OVERSEAS_CAPABILITIES = (
    "/warehouses", Press("Add a warehouse"), Press("Overseas warehouse"), "Hamburg hub",
    "Deutschland", "Am Sandtorkai 1", "Hamburg", "Hamburg", "20457", "Anna Schmidt",
    "+49 40 12345678",
)  # fmt: skip


async def test_an_overseas_warehouse_asks_for_premises_and_vat_documents(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    capabilities = await chat.play(*TO_OVERSEAS_CAPABILITIES)
    assert "⬜ Handles local returns" in capabilities.labels
    await chat.press("Handles local returns")
    await chat.press("Shipping")
    assert (await chat.press("Done")).says("Business licence")
    premises = await chat.send_certificate("licence.pdf")
    assert premises.last.text == handler_bot.text(
        "warehouse.ask_premises_kind", uploaded=["licence.pdf"]
    )
    assert (await chat.press("Lease agreement")).says("Lease agreement")
    vat = await chat.send_certificate("lease.png")
    assert vat.says("Customs/VAT registration")
    await chat.send_photo()
    await chat.press("Continue")
    await chat.press("Submit for review")

    (warehouse,) = await warehouses_of(handler_bot, SELLER)
    assert warehouse["kind"] == "overseas" and warehouse["country"] == "DE"
    assert warehouse["address"] == ("Am Sandtorkai 1", "Hamburg", "Hamburg", "20457")
    assert warehouse["capabilities"] == ["shipping", "local_returns"]
    assert warehouse["documents"] == [
        ("business_licence", "licence.pdf"),
        ("lease", "lease.png"),
        ("customs_vat", "photo.jpg"),
    ]


# ----- a question asked again after a press -----


async def test_capability_toggles_tick_the_question_in_place(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    prompt = (await _walk(chat, "capabilities")).last
    # Each press edits the question it was pressed on: the chat holds one, ticked as chosen.
    shown = await chat.toggle_in_place(prompt, "Sorting", "Shipping", "Packing", "Sorting")
    assert shown.text == prompt.text
    assert {"⬜ Sorting", "☑️ Packing", "☑️ Shipping"} <= set(shown.labels)
    assert chat.messages_saying(prompt.text) == [shown]
    # Something typed is answered with new messages, the question among them, as before.
    typed = await chat.send("ok")
    assert typed.texts == [handler_bot.text("conversation.use_buttons"), prompt.text]
    assert typed.edited == [] and typed.labels == shown.labels
    assert len(chat.messages_saying(prompt.text)) == 2
    await chat.press("Done")
    await _licence(chat)
    await chat.press("Submit for review")
    (warehouse,) = await warehouses_of(handler_bot, SELLER)
    assert warehouse["capabilities"] == ["packing", "shipping"]


async def test_a_double_press_changes_the_question_once(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await chat.play(*TO_OVERSEAS_CAPABILITIES, Press("Shipping"), Press("Done"))
    prompt = (await chat.send_certificate("licence.pdf")).last
    lease = prompt.data_of("Lease agreement")
    first = await chat.press_data(prompt.message_id, lease)
    assert first.texts == [] and first.says("Lease agreement")
    # The second tap of a double tap arrives from the keyboard as it was: it changes nothing,
    # and Telegram refuses an edit that changes nothing. That is left at that: no new
    # message, no error shown, no retry.
    second = await chat.press_data(prompt.message_id, lease)
    assert second.texts == [] and second.edited == [] and second.alert is None
    edit, refusal = handler_bot.session.exchanges[-1]
    assert isinstance(edit, EditMessageText) and edit.message_id == prompt.message_id
    assert isinstance(refusal, TelegramBadRequest) and "not modified" in refusal.message
    assert chat.messages_saying("Lease agreement") == first.edited


async def test_a_question_that_cannot_be_edited_comes_as_a_new_message(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    prompt = (await _walk(chat, "capabilities")).last
    # A press on a message the bot cannot edit (gone, or not its text message): Telegram
    # refuses the edit, and the question comes as a new message instead.
    answer = await chat.press_data(10**9, prompt.data_of("Sorting"))
    assert answer.edited == []
    assert answer.texts == [prompt.text] and "☑️ Sorting" in answer.labels


# ----- back -----


async def test_back_walks_the_steps_in_reverse(handler_bot: HandlerBot, chat: Chat) -> None:
    await _walk(chat, "city")
    street = await chat.press("Back")
    assert street.last.text == handler_bot.text("warehouse.ask_street", country="CN")
    assert (await chat.press("Back")).says("China")
    assert (await chat.press("Back")).last.text == handler_bot.text("warehouse.ask_name")
    # Forward again: the country question, then the street, as before.
    await chat.send("Shenzhen south")
    await chat.press("China")
    assert (await chat.send("2 Keji Road")).last.text == handler_bot.text(
        "warehouse.ask_city", country="CN"
    )


async def test_back_from_the_capabilities_keeps_the_ticks(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat, "capabilities")
    await chat.press("Packing")
    await chat.press("Back")
    await chat.send("138 0013 8001")
    assert "☑️ Packing" in chat.offered()


# ----- edit from the summary -----


async def test_editing_the_name_returns_to_the_summary(handler_bot: HandlerBot, chat: Chat) -> None:
    await _walk(chat)
    assert (await chat.press("✏️ Name")).last.text == handler_bot.text("warehouse.ask_name")
    summary = await chat.send("Shenzhen north")
    assert summary.says("Name: <b>Shenzhen north</b>")
    assert summary.says("Li Wei, +8613800138000")
    await chat.press("Submit for review")
    (warehouse,) = await warehouses_of(handler_bot, SELLER)
    assert warehouse == {**SUBMITTED_DOMESTIC, "name": "Shenzhen north"}


async def test_editing_the_address_asks_its_four_parts_then_the_summary(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat)
    await chat.press("Address")
    await chat.send("9 Binhai Avenue")
    await chat.send("Shenzhen")
    await chat.send("Guangdong")
    summary = await chat.send("518057")
    assert summary.says("9 Binhai Avenue, Shenzhen, Guangdong, 518057")
    await chat.press("Submit for review")
    (warehouse,) = await warehouses_of(handler_bot, SELLER)
    assert warehouse["address"] == ("9 Binhai Avenue", "Shenzhen", "Guangdong", "518057")


async def test_changing_the_kind_starts_the_kind_bound_answers_over(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    await _walk(chat)
    await chat.press("Kind")
    country = await chat.press("Overseas warehouse")
    assert "🇨🇳 China" not in country.labels  # abroad now
    await chat.press("Germany")
    await chat.send("Am Sandtorkai 1")
    await chat.send("Hamburg")
    await chat.press("Skip")
    capabilities = await chat.send("20457")
    # The ticks and the documents of the domestic warehouse do not carry over.
    assert "⬜ Shipping" in capabilities.labels
    await _capabilities(chat)
    await chat.send_certificate("licence.pdf")
    await chat.press("Third-party warehouse agreement")
    await chat.send_certificate("agreement.pdf")
    await chat.send_certificate("vat.pdf")
    summary = await chat.press("Continue")
    assert summary.says("Kind: overseas") and summary.says("Name: <b>Shenzhen main</b>")
    await chat.press("Submit for review")
    (warehouse,) = await warehouses_of(handler_bot, SELLER)
    assert (warehouse["kind"], warehouse["country"], len(warehouse["documents"])) == (
        "overseas",
        "DE",
        3,
    )


# ----- cancel -----


async def test_cancel_leaves_without_a_warehouse(handler_bot: HandlerBot, chat: Chat) -> None:
    await _walk(chat, "phone")
    assert (await chat.press("Cancel")).texts == [handler_bot.text("cancel.done")]
    assert await warehouses_of(handler_bot, SELLER) == []
    welcome = await chat.send("/start")
    assert welcome.texts == [handler_bot.text("start.welcome_seller", store_name=f"Store {SELLER}")]


async def test_cancel_from_the_summary(handler_bot: HandlerBot, chat: Chat) -> None:
    await _walk(chat)
    assert (await chat.press("Cancel")).texts == [handler_bot.text("cancel.done")]
    assert await warehouses_of(handler_bot, SELLER) == []


# ----- resume after a restart -----


@pytest.mark.parametrize("handler_bot", ["sql", "redis"], indirect=True)
async def test_after_a_restart_start_resumes_at_the_documents(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    documents = await _walk(chat, "documents")
    await handler_bot.restart()
    await chat.assert_still_asks(documents.last)
    await _licence(chat)
    await chat.press("Submit for review")
    assert await warehouses_of(handler_bot, SELLER) == [SUBMITTED_DOMESTIC]


# ----- refused answers: the same step is asked again -----

REFUSALS = [
    Refusal("kind"),
    Refusal("name", "A", "warehouse.name_invalid", {"min": 2, "max": 64}),
    Refusal("country", "Germany", "warehouse.domestic_outside_home", {"home": "CN", "country": "DE"}),
    Refusal("country", "Atlantis", "countries.not_found", {"query": "Atlantis"}),
    Refusal("country", "Iran", "warehouse.country_embargoed", {"country": "IR"}),
    Refusal("street", "ab", "warehouse.street_invalid", {"min": 3, "max": 200}),
    Refusal("city", "x", "warehouse.city_invalid", {"min": 2, "max": 80}),
    Refusal("region", "x", "warehouse.region_invalid", {"min": 2, "max": 80}),
    Refusal("postcode", "ABC", "warehouse.postcode_invalid", {"example": "266033, 317204"}),
    Refusal("contact_name", "/me", "warehouse.contact_invalid", {"min": 2, "max": 100}),
    Refusal("phone", "12", "warehouse.phone_invalid", {"country": "CN"}),
    Refusal("capabilities"),
    Refusal("documents", "later", "warehouse.expecting_document", {"max_mb": 20}),
]  # fmt: skip


async def test_every_step_refuses_a_bad_answer_and_asks_again(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    opening = await chat.play("/warehouses", Press("Add a warehouse"))
    summary = await assert_every_step_refuses(chat, opening, DOMESTIC, REFUSALS)
    await chat.assert_typing_is_refused(summary.last)
    await chat.press("Submit for review")
    assert await warehouses_of(handler_bot, SELLER) == [SUBMITTED_DOMESTIC]


@pytest.mark.parametrize(
    ("country", "key", "params"),
    [
        ("China", "warehouse.overseas_in_home", {"home": "CN"}),
        # Goods cannot ship from a country under embargo (domain.embargo).
        ("Iran", "warehouse.country_embargoed", {"country": "IR"}),
    ],
)
async def test_an_overseas_warehouse_in_the_home_country_or_under_embargo_is_refused(
    handler_bot: HandlerBot, chat: Chat, country: str, key: str, params: dict[str, str]
) -> None:
    prompt = await chat.play(
        "/warehouses", Press("Add a warehouse"), Press("Overseas warehouse"), "Shenzhen bonded"
    )
    refused = await chat.send(country)
    assert refused.texts == [handler_bot.text(key, **params)]
    await chat.assert_still_asks(prompt.last)


async def test_no_capability_is_refused(handler_bot: HandlerBot, chat: Chat) -> None:
    prompt = await _walk(chat, "capabilities")
    refused = await chat.press("Done")
    assert refused.alert == handler_bot.plain("warehouse.capabilities_required")
    assert not refused.messages
    await chat.assert_still_asks(prompt.last)


BAD_FILES = [
    ("licence.exe", "application/octet-stream", 1000, "warehouse.document_type",
     {"file_name": "licence.exe"}),
    ("licence.pdf", "image/png", 1000, "warehouse.document_type", {"file_name": "licence.pdf"}),
    ("licence.pdf", PDF, 21 * 2**20, "warehouse.document_too_large", {"max_mb": 20}),
]  # fmt: skip


async def test_a_bad_document_is_refused(handler_bot: HandlerBot, chat: Chat) -> None:
    prompt = await _walk(chat, "documents")
    for file_name, mime, size, key, params in BAD_FILES:
        refused = await chat.send_document(file_name, mime, size)
        assert refused.texts == [handler_bot.text(key, **params)], file_name
        await chat.assert_still_asks(prompt.last)


# Files whose name and type are fine and whose content is not, read after the update.
HOSTILE_FILES = [
    ("licence.pdf", PDF, b"MZ\x90\x00" + b"\x00" * 500, "warehouse.document_not_type",
     {"claimed": "PDF"}),
    ("licence.pdf", PDF, certificates.pdf()[:600], "warehouse.document_damaged", {}),
    ("licence.pdf", PDF,
     certificates.pdf_with_objects(b"<< /OpenAction 2 0 R >>", b"<< /S /JavaScript /JS (x) >>"),
     "warehouse.document_active_content", {}),
    ("licence.png", "image/png", certificates.png_header_only(100_000, 100_000),
     "warehouse.document_too_many_pixels", {"max_megapixels": 50}),
]  # fmt: skip


async def test_a_document_whose_content_is_wrong_is_refused_and_the_step_stays(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    prompt = await _walk(chat, "documents")
    for file_name, mime, content, key, params in HOSTILE_FILES:
        refused = await chat.send_document(file_name, mime, content=content)
        assert refused.texts == [
            handler_bot.text("warehouse.document_checking", file_name=file_name),
            handler_bot.text(key, file_name=file_name, **params),
        ], key
        await chat.assert_still_asks(prompt.last)
    accepted = await chat.send_certificate("licence.pdf")
    assert accepted.last.text == handler_bot.text(
        "warehouse.documents_complete", uploaded=["licence.pdf"]
    )
    await chat.press("Continue")
    await chat.press("Submit for review")
    (warehouse,) = await warehouses_of(handler_bot, SELLER)
    assert warehouse["documents"] == [("business_licence", "licence.pdf")]


class _HeldWorker:
    """The file worker, holding every file until `release` is set."""

    def __init__(self, worker: Any) -> None:
        self.worker = worker
        self.release = asyncio.Event()

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        await self.release.wait()
        return await self.worker.run(*args, **kwargs)


async def test_a_file_checked_after_the_seller_went_back_is_not_kept(
    handler_bot: HandlerBot, chat: Chat
) -> None:
    """The check ends in a transaction of its own: where the seller is by then decides."""
    await _walk(chat, "documents")
    app = handler_bot.app
    held = _HeldWorker(app.file_steps.files)
    app.file_steps.files = held
    chat.wait_for_files = False
    checking = await chat.send_certificate("licence.pdf")
    assert checking.texts == [
        handler_bot.text("warehouse.document_checking", file_name="licence.pdf")
    ]
    phone = await chat.press("Back")
    said = len(handler_bot.session.sent_texts())
    held.release.set()
    await app.file_steps.wait()
    await app.replies.drain()
    assert handler_bot.session.sent_texts()[said:] == []  # nothing kept, nothing said
    await chat.assert_still_asks(phone.last)
    chat.wait_for_files = True
    await chat.send("138 0013 8000")
    documents = await chat.press("Done")  # the capabilities chosen before are still ticked
    assert documents.last.text == handler_bot.text(
        "warehouse.ask_document", document="Business licence", uploaded=[], max_mb=20
    )
