"""Express is named by the lane it travels: a parcel from an overseas warehouse in Hamburg to a
buyer in Germany goes by domestic express, one to France by international express. Every place
that names the method on a lane says the same: the comparison and its buttons, a refusal, the
summary, the PDF and the seller's shipment card; /costs, over every lane, says plain express."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from aiogram.types import BufferedInputFile
from pypdf import PdfReader

from tests.handlers.chat import Answer, Chat, HandlerBot
from tests.handlers.factories import make_seller
from tests.reliability.test_shipping_service import HAMBURG, make_confirmed_order, make_warehouse

SELLER = 8451


@pytest.fixture
async def chat(handler_bot: HandlerBot, chat_of: Callable[..., Chat]) -> Chat:
    seller_id = await make_seller(handler_bot, SELLER)  # based in China
    await make_warehouse(handler_bot.uow, SELLER, "Hamburg hub", site=HAMBURG)
    for number, ship_to in (("DE-1", ("DE", "10115")), ("FR-1", ("FR", "75011"))):
        await make_confirmed_order(handler_bot.uow, seller_id, SELLER, number, ship_to=ship_to)
    return chat_of(SELLER)


async def _comparison(chat: Chat, number: str, *, battery: bool = False) -> Answer:
    await chat.send(f"/ship {number}")
    await chat.press("Continue")
    await chat.press("Keep")
    await chat.send("1.2")
    await chat.send("30x20x10")
    if battery:
        await chat.press("Standalone lithium battery")
    await chat.press("✅ Done")
    return await chat.press("Hamburg hub")


def _pdf_text(answer: Answer) -> str:
    (document,) = answer.documents
    assert isinstance(document.document, BufferedInputFile)
    pages = PdfReader(io.BytesIO(document.document.data)).pages
    return "\n".join(page.extract_text() for page in pages)


async def test_express_within_one_country_is_domestic_everywhere_it_is_named(
    chat: Chat,
) -> None:
    comparison = await _comparison(chat, "DE-1")
    assert comparison.says("From Germany (Hamburg hub) to Germany")
    assert comparison.says("<b>Domestic express</b>")
    assert not comparison.says("International express")
    assert any(label.startswith("✅ Domestic express · ") for label in comparison.labels)

    await chat.press("Domestic express")
    await chat.send("DHL")
    summary = await chat.send("RB 1234 5678 5GB")
    summary.assert_says("Shipping document, order DE-1", "Method: Domestic express")

    confirmed = await chat.press("Confirm and get the document")
    pdf = _pdf_text(confirmed)
    assert "Domestic express" in pdf and "International express" not in pdf

    await chat.send("/shipments")
    card = await chat.press("DE-1")
    card.assert_says("Shipment of order DE-1", "Method: Domestic express")

    # A month's costs add up every lane: the method's name without one.
    costs = await chat.send("/costs")
    costs.assert_says("<b>Express</b>")
    assert not costs.says("Domestic express") and not costs.says("International express")


async def test_express_across_a_border_stays_international(chat: Chat) -> None:
    comparison = await _comparison(chat, "FR-1")
    assert comparison.says("<b>International express</b>")
    assert not comparison.says("Domestic express")


async def test_a_refusal_names_the_method_as_the_comparison_does(chat: Chat) -> None:
    await _comparison(chat, "DE-1", battery=True)
    refused = await chat.press("Domestic express")
    assert "Domestic express can't take this parcel" in (refused.alert or "") + refused.text
