"""Return case threads through the real Dispatcher and outbox: relaying text, photos and edits,
routing by the message replied to and by the /case picker in the main chat, topics when the
bot has them, and ids that are not the caller's answering like missing ones."""

from __future__ import annotations

import itertools
from typing import Any

from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import (
    AnswerCallbackQuery,
    CreateForumTopic,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    ForumTopicCreated,
    FSInputFile,
    Message,
    MessageEntity,
    PhotoSize,
    Update,
    User,
    Video,
    Voice,
)

from bot.app import Application
from tests.fixtures import certificates
from tests.handlers.conftest import RecordingSession
from tests.returns_fixtures import open_damaged, shipped_to_buyer
from tests.tracking_fixtures import Store

_ids = itertools.count(5000)
SELLER = User(id=7701, is_bot=False, first_name="Li", last_name="Wei", username="li_wei_shop")
BUYER = User(id=7801, is_bot=False, first_name="Marie", username="marie_paris")
OTHER = User(id=7901, is_bot=False, first_name="Eve", username="eve_forger")


def _message(user: User, **content: Any) -> Message:
    return Message(
        message_id=next(_ids),
        date=0,
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        **content,
    )


def _text(
    user: User, text: str, *, reply_to: int | None = None, thread: int | None = None
) -> Message:
    extra: dict[str, Any] = {}
    if text.startswith("/"):
        extra["entities"] = [
            MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))
        ]
    if reply_to is not None:
        extra["reply_to_message"] = _message(user, text="…").model_copy(
            update={"message_id": reply_to}
        )
    if thread is not None:
        extra["message_thread_id"] = thread
        extra["is_topic_message"] = True
        if reply_to is None:  # Telegram marks a topic message as answering the topic's start
            extra["reply_to_message"] = _message(
                user, forum_topic_created=ForumTopicCreated(name="t", icon_color=7322096)
            ).model_copy(update={"message_id": thread})
    return _message(user, text=text, **extra)


class Relay:
    """Feeds updates and drains the outbox; returns the Bot API requests each step made."""

    def __init__(self, app: Application) -> None:
        self.app = app
        session = app.bot.session
        assert isinstance(session, RecordingSession)
        self.session = session

    async def feed(self, **update: Any) -> list[TelegramMethod[Any]]:
        mark = len(self.session.requests)
        await self.app.dispatcher.feed_update(self.app.bot, Update(update_id=next(_ids), **update))
        await self.app.replies.drain()
        return self.session.requests[mark:]

    async def send(self, message: Message) -> list[TelegramMethod[Any]]:
        return await self.feed(message=message)

    async def press(self, user: User, data: str) -> list[TelegramMethod[Any]]:
        shown = Message(message_id=1, date=0, chat=Chat(id=user.id, type="private"), text="…")
        query = CallbackQuery(
            id=str(next(_ids)), from_user=user, chat_instance="c", message=shown, data=data
        )
        return await self.feed(callback_query=query)

    async def drain(self) -> list[tuple[TelegramMethod[Any], Any]]:
        mark = len(self.session.exchanges)
        await self.app.outbox.drain()
        return self.session.exchanges[mark:]

    def text(self, template: str, locale: str = "en", /, **params: Any) -> str:
        return self.app.renderer.render(template, locale, **params)


def _to(exchanges: list[tuple[TelegramMethod[Any], Any]], chat_id: int) -> list[tuple[Any, Any]]:
    return [(m, r) for m, r in exchanges if getattr(m, "chat_id", None) == chat_id]


def _texts(requests: list[TelegramMethod[Any]], chat_id: int) -> list[str]:
    return [r.text for r in requests if isinstance(r, SendMessage) and r.chat_id == chat_id]


async def _case(app: Application) -> int:
    store = await Store(app.uow_factory, SELLER.id, "Li's <Shop>").open()
    bought = await shipped_to_buyer(app.uow_factory, store, "AE-R1", BUYER.id, 22_100_001)
    return await open_damaged(app.uow_factory, bought)


def _leaks(text: str) -> list[str]:
    """Anything of either person's Telegram identity in a text."""
    marks = [str(SELLER.id), str(BUYER.id), "li_wei_shop", "marie_paris", "Wei", "Marie"]
    return [mark for mark in marks if mark in text]


async def test_main_chat_relay_by_reply_photo_and_edit(handler_app: Application) -> None:
    relay = Relay(handler_app)
    case_id = await _case(handler_app)
    number = f"R-{case_id}"
    opened = await relay.drain()
    # No topics: each side's thread opens in the main chat, with the case header.
    assert not [m for m, _ in opened if isinstance(m, CreateForumTopic)]
    (seller_intro, intro_sent), *_ = [
        (m, r) for m, r in _to(opened, SELLER.id) if "buyer of order" in m.text
    ]
    assert f"Return {number}" in seller_intro.text and "AE-R1" in seller_intro.text
    buyer_intro = [m for m, _ in _to(opened, BUYER.id) if isinstance(m, SendMessage)]
    assert any(
        f"Retour {number}" in m.text and "Li&#39;s &lt;Shop&gt;" in m.text for m in buyer_intro
    )

    # The seller answers the intro: routed by the reply, confirmed, contact details hidden.
    written = _text(
        SELLER,
        "Sorry! Call me on +33 6 12 34 56 78 or mail li@shop.example",
        reply_to=intro_sent.message_id,
    )
    answer = await relay.send(written)
    assert _texts(answer, SELLER.id) == [
        relay.text("returns.relay_sent", case=number, masked=True, confirm=True)
    ]
    ((copy, copy_sent),) = [
        (m, r) for m, r in _to(await relay.drain(), BUYER.id) if isinstance(m, SendMessage)
    ]
    assert copy.message_thread_id is None
    assert f"Retour {number}" in copy.text  # the header, in the buyer's language
    assert "💬 <b>Li&#39;s &lt;Shop&gt;</b> :" in copy.text
    assert "+33" not in copy.text and "li@shop.example" not in copy.text
    assert copy.text.count("[•••]") == 2 and "🔒" in copy.text
    assert _leaks(copy.text) == []

    # The buyer answers the copy with a photo: the seller's copy answers their own message.
    photo = PhotoSize(file_id="ph-1", file_unique_id="uph-1", width=10, height=10)
    reply = _message(
        BUYER,
        photo=[photo],
        caption="Here it is",
        reply_to_message=_message(BUYER, text="…").model_copy(
            update={"message_id": copy_sent.message_id}
        ),
    )
    await relay.send(reply)
    ((sent_photo, _),) = [
        (m, r) for m, r in _to(await relay.drain(), SELLER.id) if isinstance(m, SendPhoto)
    ]
    assert sent_photo.photo == "ph-1"
    assert "Buyer of order AE-R1" in (sent_photo.caption or "")
    assert "Here it is" in (sent_photo.caption or "")
    assert sent_photo.reply_parameters is not None
    assert sent_photo.reply_parameters.message_id == written.message_id
    assert _leaks(sent_photo.caption or "") == []

    # The seller edits their message: the buyer's copy is edited, still masked.
    edited = written.model_copy(
        update={"text": "Sorry! Call me on +33 6 12 34 56 78 today", "edit_date": 1}
    )
    await relay.feed(edited_message=edited)
    ((edit, _),) = [
        (m, r) for m, r in _to(await relay.drain(), BUYER.id) if isinstance(m, EditMessageText)
    ]
    assert edit.message_id == copy_sent.message_id
    assert "today" in edit.text and "+33" not in edit.text and "(modifié)" in edit.text

    async with handler_app.uow_factory() as uow:
        messages = await uow.returns.messages_of(case_id)
        assert [(m.side.value, m.kind.value) for m in messages] == [
            ("seller", "text"),
            ("buyer", "photo"),
        ]
        assert messages[0].edits == 1 and messages[1].reply_to_id == messages[0].id


async def test_the_case_picker_holds_a_message_and_refuses_foreign_cases(
    handler_app: Application,
) -> None:
    relay = Relay(handler_app)
    case_id = await _case(handler_app)
    await relay.drain()

    # A message that answers nothing: the picker, with the seller's open case.
    held = _text(SELLER, "Could you send one more photo?")
    answer = await relay.send(held)
    (picker,) = [r for r in answer if isinstance(r, SendMessage)]
    assert picker.text == relay.text("returns.pick_case", holding=True)
    (button,) = [b for row in picker.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert button.text == f"R-{case_id} · Phone case · order AE-R1"

    # Someone else pressing the same button, or naming the case, reads "not found".
    assert button.callback_data is not None
    forged = await relay.press(OTHER, button.callback_data)
    (popup,) = [r for r in forged if isinstance(r, AnswerCallbackQuery)]
    assert popup.text == handler_app.renderer.render_plain("returns.case_not_found", "en")
    refused = await relay.send(_text(OTHER, f"/case R-{case_id}"))
    assert _texts(refused, OTHER.id) == [relay.text("returns.case_not_found")]
    assert _texts(await relay.send(_text(OTHER, "/case")), OTHER.id) == [
        relay.text("returns.no_open_cases")
    ]
    # ...and nothing of theirs reached the buyer.
    assert not _to(await relay.drain(), BUYER.id)

    # The seller picks it: the held message goes, and the next ones follow it.
    picked = await relay.press(SELLER, button.callback_data)
    assert relay.text("returns.relay_sent", case=f"R-{case_id}", masked=False, confirm=True) in (
        _texts(picked, SELLER.id)
    )
    await relay.send(_text(SELLER, "And the box too, please."))
    copies = [m.text for m, _ in _to(await relay.drain(), BUYER.id) if isinstance(m, SendMessage)]
    assert len(copies) == 2
    assert "Could you send one more photo?" in copies[0] and "And the box too" in copies[1]

    # A buyer who answers a copy forged from another chat is not routed to the case.
    stray = await relay.send(_text(OTHER, "hello", reply_to=held.message_id))
    assert _texts(stray, OTHER.id) == [relay.text("common.not_understood")]
    assert not _to(await relay.drain(), SELLER.id)


async def test_topics_carry_each_side_without_headers(handler_app: Application) -> None:
    relay = Relay(handler_app)
    relay.session.topics_enabled = True
    case_id = await _case(handler_app)
    opened = await relay.drain()
    topics = {
        int(m.chat_id): r.message_thread_id for m, r in opened if isinstance(m, CreateForumTopic)
    }
    assert set(topics) == {SELLER.id, BUYER.id}
    names = [m.name for m, _ in opened if isinstance(m, CreateForumTopic)]
    assert (
        f"Return R-{case_id} · Phone case" in names and f"Retour R-{case_id} · Phone case" in names
    )

    answer = await relay.send(
        _text(SELLER, "We are sorry about the box.", thread=topics[SELLER.id])
    )
    assert _texts(answer, SELLER.id) == []  # in the case's own topic, no confirmation
    ((copy, _),) = [
        (m, r) for m, r in _to(await relay.drain(), BUYER.id) if isinstance(m, SendMessage)
    ]
    assert copy.message_thread_id == topics[BUYER.id]
    assert f"R-{case_id}" not in copy.text  # the topic says which case: no header
    assert "We are sorry about the box." in copy.text

    # A message in a topic that is no case's is left to the other handlers.
    stray = await relay.send(_text(SELLER, "hi", thread=topics[SELLER.id] + 1000))
    assert _texts(stray, SELLER.id) == [relay.text("common.not_understood")]


async def test_documents_are_checked_and_renamed_videos_go_by_file_id(
    handler_app: Application,
) -> None:
    relay = Relay(handler_app)
    case_id = await _case(handler_app)
    opened = _to(await relay.drain(), BUYER.id)
    (intro,) = [r for m, r in opened if isinstance(m, SendMessage) and f"R-{case_id}</b>" in m.text]
    # A file in the main chat goes to the case only as a reply (order files are sent there too).
    relay.session.files["doc-9"] = certificates.pdf()
    invoice = Document(
        file_id="doc-9",
        file_unique_id="udoc-9",
        file_name="invoice.pdf",
        mime_type="application/pdf",
        file_size=len(certificates.pdf()),
    )
    await relay.send(_text(BUYER, f"/case R-{case_id}"))
    unrouted = await relay.send(_message(BUYER, document=invoice, caption="The invoice"))
    assert relay.text(
        "returns.relay_sent", case=f"R-{case_id}", masked=False, confirm=True
    ) not in (_texts(unrouted, BUYER.id))
    answering_intro = _message(BUYER, text="…").model_copy(update={"message_id": intro.message_id})
    await relay.send(
        _message(BUYER, document=invoice, caption="The invoice", reply_to_message=answering_intro)
    )
    # The document is read in the file worker first: nothing is stored or relayed before.
    async with handler_app.uow_factory() as uow:
        assert await uow.returns.messages_of(case_id) == []
    await handler_app.file_steps.wait()
    await handler_app.replies.drain()
    await relay.send(
        _message(
            BUYER,
            video=Video(file_id="vid-9", file_unique_id="uvid-9", width=1, height=1, duration=3),
        )
    )
    sent = [m for m, _ in _to(await relay.drain(), SELLER.id)]
    (document,) = [m for m in sent if isinstance(m, SendDocument)]
    (video,) = [m for m in sent if isinstance(m, SendVideo)]
    async with handler_app.uow_factory() as uow:
        stored = [(m.id, m.kind.value, m.file_type) for m in await uow.returns.messages_of(case_id)]
    assert [row[1:] for row in stored] == [("document", "pdf"), ("video", None)]
    # The document goes again under a name of the bot's making, not the buyer's.
    assert isinstance(document.document, FSInputFile)
    assert document.document.filename == f"case-R-{case_id}-{stored[0][0]}.pdf"
    assert video.video == "vid-9"
    assert "The invoice" in (document.caption or "")
    for copy in (document, video):
        assert f"Return R-{case_id}" in (copy.caption or "")
        assert "Buyer of order AE-R1" in (copy.caption or "")


async def test_voice_messages_are_not_relayed(handler_app: Application) -> None:
    relay = Relay(handler_app)
    case_id = await _case(handler_app)
    await relay.drain()
    await relay.send(_text(BUYER, f"/case R-{case_id}"))
    answer = await relay.send(
        _message(BUYER, voice=Voice(file_id="voi-9", file_unique_id="uvoi-9", duration=2))
    )
    assert _texts(answer, BUYER.id) == [relay.text("returns.voice_refused")]
    assert not [m for m, _ in _to(await relay.drain(), SELLER.id) if isinstance(m, SendVoice)]
    async with handler_app.uow_factory() as uow:
        assert await uow.returns.messages_of(case_id) == []


async def test_a_caption_too_long_with_the_header_follows_the_media(
    handler_app: Application,
) -> None:
    relay = Relay(handler_app)
    case_id = await _case(handler_app)
    await relay.send(_text(BUYER, f"/case R-{case_id}"))
    caption = "The lid is cracked along the seam. " * 29  # 1015 characters, Telegram allows 1024
    photo = PhotoSize(file_id="ph-long", file_unique_id="uph-long", width=10, height=10)
    await relay.send(_message(BUYER, photo=[photo], caption=caption.strip()))
    exchanges = _to(await relay.drain(), SELLER.id)
    ((media, media_sent),) = [(m, r) for m, r in exchanges if isinstance(m, SendPhoto)]
    assert f"Return R-{case_id}" in (media.caption or "") and "cracked" not in (media.caption or "")
    (text,) = [m for m, _ in exchanges if isinstance(m, SendMessage) and "cracked" in m.text]
    assert text.reply_parameters is not None
    assert text.reply_parameters.message_id == media_sent.message_id
    assert caption.strip() in text.text


async def test_topic_creation_forbidden_falls_back_but_a_block_pauses(
    handler_app: Application,
) -> None:
    relay = Relay(handler_app)
    relay.session.topics_enabled = True
    forbidden = CreateForumTopic(chat_id=0, name="x")
    relay.session.refusals[CreateForumTopic] = TelegramForbiddenError(
        forbidden, "Forbidden: topic creation is not allowed in this chat"
    )
    case_id = await _case(handler_app)
    opened = await relay.drain()
    # Refused for both sides: both threads open in the main chat, with the case header.
    for chat in (SELLER.id, BUYER.id):
        (intro,) = [
            m
            for m, _ in _to(opened, chat)
            if isinstance(m, SendMessage) and f"R-{case_id}</b> · Phone case" in m.text
        ]
        assert intro.message_thread_id is None
    async with handler_app.uow_factory() as uow:
        assert await uow.blocked_recipients.is_blocked(SELLER.id) is False

    # The buyer blocked the bot: the same call answers "blocked", and their chat is paused.
    relay.session.refusals[CreateForumTopic] = TelegramForbiddenError(
        forbidden, "Forbidden: bot was blocked by the user"
    )
    store = await Store(handler_app.uow_factory, 7702, "Second Store").open()
    other = await shipped_to_buyer(handler_app.uow_factory, store, "AE-R2", 7802, 22_100_002)
    await open_damaged(handler_app.uow_factory, other)
    await relay.drain()
    async with handler_app.uow_factory() as uow:
        assert await uow.blocked_recipients.is_blocked(7802) is True
