"""What tester t3 slipped through return case threads, replayed through the real Dispatcher,
file worker and outbox: contacts hidden by invisible and look-alike characters (finding 3),
hostile files and contact details in file names (finding 2), and the fields a seller writes
that reached the buyer unmasked (finding 4: an order number that is a payment link, the refund
reference, a store name)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from aiogram.methods import SendDocument, SendMessage, TelegramMethod
from aiogram.types import Document, FSInputFile, Message
from sqlalchemy import Update, update

from bot.app import Application
from domain.model import Order, Seller
from domain.returns.masking import MASK
from domain.returns.rules import Side
from domain.services import returns
from tests.fixtures import certificates
from tests.handlers.test_returns_relay import (
    BUYER,
    SELLER,
    Relay,
    _case,
    _message,
    _text,
    _texts,
    _to,
)
from tests.returns_fixtures import case_row
from tests.tracking_fixtures import notifications_to

_files = iter(range(1, 10_000))


def _format_characters(text: str) -> list[str]:
    return [f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch) == "Cf"]


async def _copies_to(relay: Relay, chat_id: int) -> list[TelegramMethod[Any]]:
    return [m for m, _ in _to(await relay.drain(), chat_id)]


async def _in_case(relay: Relay, case_id: int) -> None:
    """The buyer's main-chat messages go to the case (no topics here)."""
    await relay.drain()
    await relay.send(_text(BUYER, f"/case R-{case_id}"))


# ----- finding 3: invisible and look-alike characters -----


@pytest.mark.parametrize(
    ("written", "hidden"),
    [
        ("email me: alex.real\u200b@\u200bgmail.com", "gmail"),
        ("my telegram t\u200b.me/alex_real_01", "alex_real_01"),
        ("@\u200balex_real_01 on telegram", "alex_real_01"),
        ("write to alex@gmail\u3002com", "gmail"),
        ("write to alex\uff20gmail\uff0ecom", "gmail"),
        ("pay to \u0440aypal.me/alexreal", "alexreal"),
        ("联系我@alex_real_01", "alex_real_01"),
    ],
)
async def test_contacts_behind_invisible_characters_are_masked(
    handler_app: Application, written: str, hidden: str
) -> None:
    relay = Relay(handler_app)
    case_id = await _case(handler_app)
    await _in_case(relay, case_id)
    answer = await relay.send(_text(BUYER, written))
    # The author is told their contact details were hidden.
    assert relay.text("returns.relay_sent", case=f"R-{case_id}", masked=True, confirm=True) in (
        _texts(answer, BUYER.id)
    )
    (copy,) = [m for m in await _copies_to(relay, SELLER.id) if isinstance(m, SendMessage)]
    assert hidden not in copy.text and MASK in copy.text and "🔒" in copy.text
    assert _format_characters(copy.text) == []
    async with handler_app.uow_factory() as uow:
        (stored,) = await uow.returns.messages_of(case_id)
        assert stored.masked and hidden not in (stored.text or "")


async def test_a_direction_override_does_not_turn_a_price_around(
    handler_app: Application,
) -> None:
    relay = Relay(handler_app)
    case_id = await _case(handler_app)
    await _in_case(relay, case_id)
    await relay.send(_text(BUYER, "I agree to \u202e05.4$\u202c refund"))
    (copy,) = [m for m in await _copies_to(relay, SELLER.id) if isinstance(m, SendMessage)]
    assert "I agree to 05.4$ refund" in copy.text
    assert _format_characters(copy.text) == []


async def test_chinese_prose_and_emoji_reach_the_other_side_as_written(
    handler_app: Application,
) -> None:
    relay = Relay(handler_app)
    case_id = await _case(handler_app)
    await _in_case(relay, case_id)
    written = "盒子坏了。我要退款。👩\u200d🔧 OK"
    answer = await relay.send(_text(BUYER, written))
    assert relay.text("returns.relay_sent", case=f"R-{case_id}", masked=False, confirm=True) in (
        _texts(answer, BUYER.id)
    )
    (copy,) = [m for m in await _copies_to(relay, SELLER.id) if isinstance(m, SendMessage)]
    assert written in copy.text and "🔒" not in copy.text


# ----- finding 2: files -----


def _document(relay: Relay, file_name: str, mime_type: str, content: bytes) -> Document:
    file_id = f"case-doc-{next(_files)}"
    relay.session.files[file_id] = content
    return Document(
        file_id=file_id,
        file_unique_id=f"u{file_id}",
        file_name=file_name,
        mime_type=mime_type,
        file_size=len(content),
    )


@dataclass(frozen=True)
class BuyerThread:
    relay: Relay
    case_id: int
    intro: Message  # the case's opening in the buyer's main chat, which a file answers


async def _send_file(
    thread: BuyerThread, document: Document, caption: str | None = None
) -> list[TelegramMethod[Any]]:
    """The buyer sends a document in reply to the case's intro; the answers once it was read."""
    relay = thread.relay
    mark = len(relay.session.requests)
    await relay.send(
        _message(BUYER, document=document, caption=caption, reply_to_message=thread.intro)
    )
    await relay.app.file_steps.wait()
    await relay.app.replies.drain()
    return relay.session.requests[mark:]


@pytest.fixture
async def thread(handler_app: Application) -> BuyerThread:
    relay = Relay(handler_app)
    case_id = await _case(handler_app)
    opened = _to(await relay.drain(), BUYER.id)
    (intro,) = [r for m, r in opened if isinstance(m, SendMessage) and f"R-{case_id}</b>" in m.text]
    answered = _message(BUYER, text="…").model_copy(update={"message_id": intro.message_id})
    return BuyerThread(relay, case_id, answered)


SCRIPTED_PDF = certificates.scripted_pdf()


@pytest.mark.parametrize(
    ("file_name", "mime_type", "content", "answer"),
    [
        (
            "refund_receipt.pdf.exe",
            "application/x-msdownload",
            b"MZ\x90\x00" + b"\x00" * 100,
            ("returns.file_type", {"file_name": "refund_receipt.pdf.exe"}),
        ),
        (
            "label.html",
            "text/html",
            b"<script>alert(1)</script>",
            ("returns.file_type", {"file_name": "label.html"}),
        ),
        (
            "invoice.exe.pdf",
            "application/pdf",
            certificates.pdf(),
            ("returns.file_disguised", {"file_name": "invoice.exe.pdf"}),
        ),
        (
            "photos.pdf",
            "application/pdf",
            SCRIPTED_PDF,
            ("returns.file_active_content", {"file_name": "photos.pdf"}),
        ),
        (
            "receipt.pdf",
            "application/pdf",
            b"MZ\x90\x00" + b"\x00" * 100,
            ("returns.file_not_type", {"file_name": "receipt.pdf", "claimed": "PDF"}),
        ),
    ],
)
async def test_hostile_files_are_refused_and_never_reach_the_seller(
    thread: BuyerThread,
    file_name: str,
    mime_type: str,
    content: bytes,
    answer: tuple[str, dict[str, Any]],
) -> None:
    relay, case_id = thread.relay, thread.case_id
    document = _document(relay, file_name, mime_type, content)
    answers = await _send_file(thread, document, "my receipt")
    key, params = answer
    assert _texts(answers, BUYER.id) == [relay.text(key, **params)]
    assert await _copies_to(relay, SELLER.id) == []
    async with relay.app.uow_factory() as uow:
        assert await uow.returns.messages_of(case_id) == []


async def test_a_file_name_with_contact_details_is_replaced_and_the_caption_masked(
    thread: BuyerThread,
) -> None:
    relay, case_id = thread.relay, thread.case_id
    named = "WhatsApp +1 415 555 2671 alex.real@gmail.com.pdf"
    document = _document(relay, named, "application/pdf", certificates.pdf())
    answers = await _send_file(thread, document, "see attached, or mail alex.real\u200b@gmail.com")
    assert relay.text("returns.relay_sent", case=f"R-{case_id}", masked=True, confirm=True) in (
        _texts(answers, BUYER.id)
    )
    (copy,) = [m for m in await _copies_to(relay, SELLER.id) if isinstance(m, SendDocument)]
    async with relay.app.uow_factory() as uow:
        (stored,) = await uow.returns.messages_of(case_id)
        message_id = stored.id
    assert isinstance(copy.document, FSInputFile)
    assert copy.document.filename == f"case-R-{case_id}-{message_id}.pdf"
    shown = f"{copy.document.filename} {copy.caption}"
    for leaked in ("415", "2671", "alex.real", "gmail", "WhatsApp"):
        assert leaked not in shown
    assert "see attached" in (copy.caption or "") and MASK in (copy.caption or "")


async def test_a_picture_sent_as_a_webp_file_is_relayed(thread: BuyerThread) -> None:
    relay, case_id = thread.relay, thread.case_id
    document = _document(relay, "box.webp", "image/webp", certificates.webp())
    await _send_file(thread, document)
    (copy,) = [m for m in await _copies_to(relay, SELLER.id) if isinstance(m, SendDocument)]
    assert isinstance(copy.document, FSInputFile)
    assert copy.document.filename.startswith(f"case-R-{case_id}-")
    assert copy.document.filename.endswith(".webp")


# ----- finding 4: what the seller writes that the buyer reads -----


async def _stored_earlier(app: Application, statement: Update) -> None:
    """Data written before the rules that now refuse it (straight to the database)."""
    async with app.uow_factory() as uow:
        await uow.session.execute(statement)
        await uow.commit()


async def test_an_order_number_that_is_a_payment_link_does_not_exempt_it(
    handler_app: Application,
) -> None:
    relay = Relay(handler_app)
    case_id = await _case(handler_app)
    order_id = (await case_row(handler_app.uow_factory, case_id)).order_id
    # Stored before such numbers were refused (a new order cannot be numbered so any more).
    await _stored_earlier(
        handler_app, update(Order).where(Order.id == order_id).values(number="paypal.me/evilshop")
    )
    await relay.drain()
    await relay.send(_text(SELLER, f"/case R-{case_id}"))
    answer = await relay.send(
        _text(SELLER, "Pay me directly, cheaper for both: paypal.me/evilshop")
    )
    assert relay.text("returns.relay_sent", case=f"R-{case_id}", masked=True, confirm=True) in (
        _texts(answer, SELLER.id)
    )
    (copy,) = [m for m in await _copies_to(relay, BUYER.id) if isinstance(m, SendMessage)]
    assert "paypal" not in copy.text and "evilshop" not in copy.text
    assert f"Pay me directly, cheaper for both: {MASK}" in copy.text


async def test_a_store_name_with_contacts_stored_earlier_is_masked_for_the_buyer(
    handler_app: Application,
) -> None:
    relay = Relay(handler_app)
    case_id = await _case(handler_app)
    await _stored_earlier(
        handler_app,
        update(Seller)
        .where(Seller.telegram_user_id == SELLER.id)
        .values(store_name="WhatsApp +1 415 555 2671"),
    )
    await relay.drain()
    await relay.send(_text(SELLER, f"/case R-{case_id}"))
    await relay.send(_text(SELLER, "Hello"))
    (copy,) = [m for m in await _copies_to(relay, BUYER.id) if isinstance(m, SendMessage)]
    assert "415" not in copy.text and f"💬 <b>WhatsApp {MASK}</b>" in copy.text


async def test_the_refund_reference_and_notes_are_masked_for_the_buyer(
    handler_app: Application,
) -> None:
    case_id = await _case(handler_app)  # asks for a partial refund: agreed, it is refunded
    uow_factory = handler_app.uow_factory
    async with uow_factory() as uow:
        await returns.accept_offer(SELLER.id, case_id, Side.SELLER, uow)
        await returns.record_refund(
            SELLER.id, case_id, "3.50", "WhatsApp +1 415 555 2671 me@evil.com", uow
        )
        await uow.commit()
    case = await case_row(uow_factory, case_id)
    assert case.refund_amount == Decimal("3.50")
    assert case.refund_reference == f"WhatsApp {MASK} {MASK}"
    (notice,) = [
        n for n in await notifications_to(uow_factory, BUYER.id)
        if n.template == "returns.refunded_notice"
    ]  # fmt: skip
    assert notice.params["reference"] == f"WhatsApp {MASK} {MASK}"
    # As the buyer reads it (on the wall clock it may be waiting out their night).
    refunded = handler_app.renderer.render("returns.refunded_notice", "en", **notice.params)
    assert "3.50" in refunded and "415" not in refunded and "evil.com" not in refunded


async def test_a_decline_reason_cannot_hide_an_address_behind_a_zero_width_space(
    handler_app: Application,
) -> None:
    case_id = await _case(handler_app)
    async with handler_app.uow_factory() as uow:
        await returns.decline_case(
            SELLER.id, case_id, "Write to me: mei\u200b@\u200bshop.example please", uow
        )
        await uow.commit()
    case = await case_row(handler_app.uow_factory, case_id)
    assert case.decline_reason == f"Write to me: {MASK} please"
