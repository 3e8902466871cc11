"""Tests of the fake Bot API server, driven by a real aiogram Bot over HTTP.

The flood limit between sends to one private chat is switched off for most tests (through the
``emulator_options`` fixture) and switched back on only where a test is about it.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.default import DefaultBotProperties
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MenuButtonCommands,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)

from sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator, parse_telegram_html
from sandbox.spec import UploadedFile, check_request, load_spec, validate_request
from tests.fixtures.emulator import (
    check_no_violations,
    emulator,
    emulator_bot,
    make_bot,
    violation_report,
)

# Imported fixtures are used by name as test arguments.
__all__ = ["emulator", "emulator_bot"]

USER_ID = 424242


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"per_chat_interval": 0.0}


@pytest.fixture
def bot(emulator_bot: Bot) -> Bot:
    return emulator_bot


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=f"cb:{label}")] for label in labels
        ]
    )


def png(width: int, height: int) -> bytes:
    """Just enough of a PNG header for the emulator to read the size."""
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", width, height)


async def raw_call(
    emulator: BotApiEmulator, method: str, payload: dict[str, Any], token: str = DEFAULT_TOKEN
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{emulator.base_url}/bot{token}/{method}", json=payload) as response,
    ):
        return response.status, await response.json()


# -- spec ---------------------------------------------------------------------------------------


def test_spec_loads_and_checks_types() -> None:
    spec = load_spec()
    assert spec.version == "Bot API 10.1"
    assert spec.canonical_name("SENDMESSAGE") == "sendMessage"
    assert validate_request("sendMessage", {"chat_id": "5", "text": "hi"}) == []
    assert validate_request("sendmessage", {"chat_id": 5, "text": "hi", "parse_mode": "HTML"}) == []
    problems = validate_request("sendMessage", {"chat_id": 1.5, "text": 7, "bogus": "1"})
    assert "unknown parameter 'bogus'" in problems
    assert any(p.startswith("chat_id: expected Integer or String") for p in problems)
    assert any(p.startswith("text: expected String") for p in problems)
    assert validate_request("sendMessage", {"chat_id": 1}) == ["missing required parameter 'text'"]
    assert validate_request("noSuchMethod", {}) == ["unknown method 'noSuchMethod'"]


def test_spec_checks_nested_objects_and_unions() -> None:
    good_markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    assert (
        validate_request("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": good_markup})
        == []
    )
    # Form encoding: the same object as a JSON string.
    form = {"chat_id": "1", "text": "x", "reply_markup": json.dumps(good_markup)}
    assert validate_request("sendMessage", form) == []
    bad_markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a", "colour": "red"}]]}
    assert validate_request(
        "sendMessage", {"chat_id": 1, "text": "x", "reply_markup": bad_markup}
    ) == ["reply_markup.inline_keyboard[0][0]: unknown field 'colour' for InlineKeyboardButton"]
    commands = json.dumps([{"command": "start", "description": "Start"}])
    scope_ok = json.dumps({"type": "chat", "chat_id": 5})
    assert validate_request("setMyCommands", {"commands": commands, "scope": scope_ok}) == []
    scope_bad = json.dumps({"type": "chat"})
    assert validate_request("setMyCommands", {"commands": commands, "scope": scope_bad}) == [
        "scope: missing required field 'chat_id' for BotCommandScopeChat"
    ]
    media = {"type": "photo", "media": "attach://p1", "caption": "c"}
    assert (
        validate_request("editMessageMedia", {"chat_id": 1, "message_id": 2, "media": media}) == []
    )
    assert validate_request(
        "editMessageMedia", {"chat_id": 1, "message_id": 2, "media": {"type": "photo"}}
    )
    assert (
        validate_request("sendDocument", {"chat_id": 1, "document": UploadedFile("a", b"")}) == []
    )
    assert validate_request(
        "sendMessage", {"chat_id": 1, "text": "x", "disable_notification": "yes"}
    )
    assert validate_request("getUpdates", {"allowed_updates": '["message"]', "timeout": "30"}) == []
    assert validate_request("getUpdates", {"allowed_updates": "message"})


def test_spec_legacy_parameters_are_warnings() -> None:
    result = check_request("sendMessage", {"chat_id": 1, "text": "x", "reply_to_message_id": 3})
    assert result.ok
    assert result.warnings
    assert "reply_parameters" in result.warnings[0]
    # Only where the replacement exists: getMe never took reply_to_message_id.
    assert not check_request("getMe", {"reply_to_message_id": 3}).ok


def test_html_parser_produces_entities() -> None:
    plain, entities = parse_telegram_html(
        '<b>Bold</b> <a href="https://x.test/?a=1&amp;b=2">link</a> &lt;3 '
        '<pre><code class="language-python">x</code></pre> <span class="tg-spoiler">s</span>'
    )
    assert plain == "Bold link <3 x s"
    kinds = {e["type"]: e for e in entities}
    assert kinds["bold"] == {"type": "bold", "offset": 0, "length": 4}
    assert kinds["text_link"]["url"] == "https://x.test/?a=1&b=2"
    assert kinds["pre"]["language"] == "python"
    assert kinds["spoiler"]["offset"] == 15


# -- basics -------------------------------------------------------------------------------------


async def test_get_me(bot: Bot, emulator: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == emulator.bot_username
    assert emulator.calls("getMe")[0].status == 200


async def test_wrong_token_is_unauthorized(emulator: BotApiEmulator) -> None:
    bot = make_bot(emulator, token="999:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await bot.get_me()
    finally:
        await bot.session.close()
    assert emulator.requests[-1].status == 401


async def test_get_updates_offsets(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID, first_name="Ann", username="ann", language_code="de")
    for text in ("/start", "one", "two"):
        await user.send(text)
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["/start", "one", "two"]
    first = updates[0].message
    assert first is not None
    assert first.from_user is not None
    assert first.entities is not None
    assert first.from_user.language_code == "de"
    assert first.from_user.is_bot is False
    assert first.chat.id == USER_ID
    assert first.chat.type == "private"
    assert first.entities[0].type == "bot_command"
    assert first.entities[0].length == 6
    # Without confirming, the same updates come again; an offset confirms everything below it.
    assert len(await bot.get_updates()) == 3
    assert [u.update_id for u in await bot.get_updates(offset=updates[1].update_id)] == [
        updates[1].update_id,
        updates[2].update_id,
    ]
    assert len(await bot.get_updates(limit=1)) == 1
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == []
    assert emulator.pending_updates == []


async def test_long_poll_wakes_on_new_update(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID)
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    assert await emulator.wait_until(lambda: emulator.waiting_polls == 1, 2.0)
    await user.send("hello")
    updates = await poll
    assert time.monotonic() - started < 2
    assert updates[0].message is not None
    assert updates[0].message.text == "hello"


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 < time.monotonic() - started < 2


async def test_allowed_updates_filters(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID)
    msg = await user.send("hi")
    await user.press_data(msg.message_id, "x")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert len(updates) == 1
    assert updates[0].callback_query is not None


async def test_second_poller_conflicts(bot: Bot, emulator: BotApiEmulator) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    assert await emulator.wait_until(lambda: emulator.waiting_polls == 1, 2.0)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await first
    assert await second == []


async def test_webhook_blocks_get_updates(bot: Bot, emulator: BotApiEmulator) -> None:
    assert await bot.set_webhook("https://example.test/hook", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "https://example.test/hook"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == []


# -- messages and buttons -----------------------------------------------------------------------


async def test_send_message_with_keyboard_lands_in_history(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    user = emulator.user(USER_ID)
    sent = await bot.send_message(
        USER_ID, "<b>Pick</b> one", parse_mode="HTML", reply_markup=keyboard("Yes", "No")
    )
    assert sent.text == "Pick one"
    assert sent.entities is not None
    assert sent.entities[0].type == "bold"
    [msg] = emulator.history(USER_ID)
    assert msg.from_bot
    assert msg.message_id == sent.message_id
    assert msg.text == "<b>Pick</b> one"
    assert msg.reply_markup is not None
    assert [[b.text for b in row] for row in msg.reply_markup] == [["Yes"], ["No"]]
    assert msg.buttons[0].callback_data == "cb:Yes"
    assert user.texts() == ["<b>Pick</b> one"]
    assert user.last_bot_message() is msg


async def test_message_ids_increase_and_replies(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID)
    incoming = await user.send("question")
    answer = await bot.send_message(
        USER_ID, "answer", reply_parameters=ReplyParameters(message_id=incoming.message_id)
    )
    assert answer.message_id == incoming.message_id + 1
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "question"
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(USER_ID, "x", reply_parameters=ReplyParameters(message_id=99))


async def test_press_sends_callback_query(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID, first_name="Bob")
    await bot.send_message(USER_ID, "old", reply_markup=keyboard("Yes"))
    newest = await bot.send_message(USER_ID, "Confirm?", reply_markup=keyboard("Yes please", "No"))
    query_id = await user.press("Yes")  # exact match wins, so the older message is pressed
    await user.press("please")  # substring match
    updates = await bot.get_updates()
    queries = [u.callback_query for u in updates if u.callback_query]
    assert [q.data for q in queries] == ["cb:Yes", "cb:Yes please"]
    assert queries[0].id == query_id
    assert queries[1].message is not None
    assert queries[1].message.message_id == newest.message_id
    assert queries[0].from_user.first_name == "Bob"

    assert await bot.answer_callback_query(query_id, text="Saved")
    assert user.answered_callbacks == ["Saved"]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(AssertionError, match=r"available:\n.*'Yes please', 'No'"):
        await user.press("Maybe")


async def test_wait_for_bot_sees_replies_and_edits(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID)

    async def bot_side() -> None:
        updates = await bot.get_updates(timeout=5)
        assert updates[0].message is not None
        first = await bot.send_message(USER_ID, "Working…", reply_markup=keyboard("Stop"))
        await bot.edit_message_text("Done", chat_id=USER_ID, message_id=first.message_id)

    await user.send("/go")
    task = asyncio.create_task(bot_side())
    sent, edited = await user.wait_for_bot(count=2, timeout=5)
    await task
    assert sent is edited
    assert edited.text == "Done"
    # Editing without reply_markup removes the keyboard, as in Telegram.
    assert edited.reply_markup is None
    assert [r.text for r in edited.edits] == ["Done"]
    assert [r.text for r in edited.revisions] == ["Working…", "Done"]
    with pytest.raises(AssertionError, match="got 0"):
        await user.wait_for_bot(timeout=0.05)


async def test_edit_errors(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID)
    sent = await bot.send_message(USER_ID, "same", reply_markup=keyboard("A"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "same", chat_id=USER_ID, message_id=sent.message_id, reply_markup=keyboard("A")
        )
    edited = await bot.edit_message_reply_markup(
        chat_id=USER_ID, message_id=sent.message_id, reply_markup=keyboard("B")
    )
    assert not isinstance(edited, bool)
    assert emulator.history(USER_ID)[0].button_texts == ["B"]
    own = await user.send("mine")
    with pytest.raises(TelegramBadRequest, match="can't be edited"):
        await bot.edit_message_text("x", chat_id=USER_ID, message_id=own.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER_ID, message_id=999)
    with pytest.raises(TelegramBadRequest, match="message identifier is not specified"):
        await bot.edit_message_text("x", chat_id=USER_ID)
    # Only a message sent without reply_markup or with an inline keyboard can be edited.
    for markup in (
        ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Yes")]]),
        ForceReply(),
        ReplyKeyboardRemove(),
    ):
        asked = await bot.send_message(USER_ID, "Sure?", reply_markup=markup)
        with pytest.raises(TelegramBadRequest, match="can't be edited"):
            await bot.edit_message_text("Sure!", chat_id=USER_ID, message_id=asked.message_id)
    # An edit takes an inline keyboard only (the spec says so).
    with emulator.expect_violations():
        status, body = await raw_call(
            emulator,
            "editMessageText",
            {
                "chat_id": USER_ID,
                "message_id": sent.message_id,
                "text": "x",
                "reply_markup": {"keyboard": [[{"text": "Yes"}]]},
            },
        )
    assert status == 400
    assert "unknown field 'keyboard' for InlineKeyboardMarkup" in body["description"]
    assert await bot.delete_message(USER_ID, sent.message_id)
    assert emulator.history(USER_ID)[0].deleted
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER_ID, sent.message_id)


async def test_html_validation_rejects_bad_markup(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.user(USER_ID)
    for bad in ("<div>x</div>", "<b>open", "<b><i>x</b></i>", "1 < 2", "<span>x</span>", "x</b>"):
        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(USER_ID, bad, parse_mode="HTML")
    good = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span><tg-spoiler>t</tg-spoiler>'
        '<a href="https://t.me">a</a><code>c</code><pre>p</pre>'
        '<blockquote expandable>q</blockquote><tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    await bot.send_message(USER_ID, good, parse_mode="HTML")
    # Without parse_mode the same characters are just text.
    await bot.send_message(USER_ID, "1 < 2")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER_ID, "x" * 4097)
    await bot.send_message(USER_ID, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER_ID, "<b> </b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_document(USER_ID, BufferedInputFile(b"x", "x.txt"), caption="c" * 1025)
    assert len(emulator.history(USER_ID)) == 3
    assert emulator.violations == []  # content errors are not spec violations


# -- files --------------------------------------------------------------------------------------


async def test_a_document_sent_as_bytes_gets_the_type_its_name_says(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    emulator.user(USER_ID)
    pdf = await bot.send_document(USER_ID, BufferedInputFile(b"%PDF-1.4 x", "shipping.pdf"))
    unknown = await bot.send_document(USER_ID, BufferedInputFile(b"x", "notes.unknownext"))
    assert pdf.document is not None and pdf.document.mime_type == "application/pdf"
    assert unknown.document is not None
    assert unknown.document.mime_type in (None, "application/octet-stream")


async def test_user_document_download(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID)
    content = b"%PDF-1.4 fake invoice \x00\x01\x02"
    await user.upload_document("invoice.pdf", content, "application/pdf", caption="my invoice")
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.document is not None
    document = update.message.document
    assert document.file_name == "invoice.pdf"
    assert document.mime_type == "application/pdf"
    assert document.file_size == len(content)
    assert update.message.caption == "my invoice"
    file = await bot.get_file(document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None
    assert downloaded.read() == content
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")


async def test_user_photo(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID)
    await user.upload_photo(png(640, 480))
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.photo is not None
    assert (update.message.photo[-1].width, update.message.photo[-1].height) == (640, 480)


async def test_bot_sends_document_and_photo(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID)
    sent = await bot.send_document(
        USER_ID,
        BufferedInputFile(b"a,b\n1,2\n", filename="report.csv"),
        caption="<i>Report</i>",
        parse_mode="HTML",
    )
    assert sent.document is not None
    assert sent.document.file_name == "report.csv"
    assert sent.caption == "Report"
    [msg] = user.bot_messages()
    assert msg.document is not None
    assert msg.document.content == b"a,b\n1,2\n"
    assert msg.caption == "<i>Report</i>"
    assert msg.text is None
    again = await bot.send_document(USER_ID, sent.document.file_id)
    assert again.document is not None
    assert again.document.file_id == sent.document.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(USER_ID, "not-a-file-id")
    photo = await bot.send_photo(USER_ID, BufferedInputFile(png(10, 20), filename="p.png"))
    assert photo.photo is not None
    assert photo.photo[0].width == 10
    assert user.bot_messages()[-1].photo is not None


async def test_copy_message(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID)
    emulator.group(-1001, "Operators")
    original = await user.upload_document("a.txt", b"hello", "text/plain", caption="from user")
    copied = await bot.copy_message(
        -1001, USER_ID, original.message_id, caption="<b>fwd</b>", parse_mode="HTML"
    )
    [copy] = emulator.history(-1001)
    assert copy.message_id == copied.message_id
    assert copy.document is original.document
    assert copy.caption == "<b>fwd</b>"
    assert copy.copied_from == (USER_ID, original.message_id)
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(-1001, USER_ID, 999)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-1002, "nobody here")


# -- limits and faults --------------------------------------------------------------------------


async def test_per_chat_flood_limit(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.user(USER_ID)
    emulator.per_chat_interval = 1.0
    await bot.send_message(USER_ID, "first")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER_ID, "second")
    assert caught.value.retry_after == 1
    assert "Too Many Requests: retry after 1" in caught.value.message
    assert emulator.stats.too_many_requests == 1
    assert [m.text for m in emulator.history(USER_ID)] == ["first"]
    # Other chats are not affected.
    emulator.user(USER_ID + 1)
    await bot.send_message(USER_ID + 1, "other chat")


async def test_group_and_global_limits(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.group(-1005, "Ops")
    emulator.group_chat_per_minute = 2
    await bot.send_message(-1005, "1")
    await bot.send_message(-1005, "2")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(-1005, "3")
    assert 59 <= caught.value.retry_after <= 60
    emulator.global_per_second = 3
    for user_id in (1, 2, 3):
        emulator.user(user_id)
    await bot.send_message(1, "a")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(2, "b")
    assert emulator.stats.too_many_requests == 2


async def test_blocked_chat_forbidden(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.user(USER_ID)
    emulator.block_chat(USER_ID)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER_ID, "hi")
    assert emulator.stats.forbidden == 1
    emulator.unblock_chat(USER_ID)
    await bot.send_message(USER_ID, "hi")


async def test_injected_faults(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.user(USER_ID)
    emulator.fail_next("sendMessage", status=500)
    emulator.fail_next("sendmessage", status=502)
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.send_message(USER_ID, "a")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(USER_ID, "a")
    await bot.send_message(USER_ID, "a")
    emulator.inject_429(chat_id=USER_ID, count=1, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER_ID, "b")
    assert caught.value.retry_after == 7
    await bot.send_message(USER_ID, "b")
    assert [m.text for m in emulator.history(USER_ID)] == ["a", "b"]
    assert emulator.stats.server_errors == 2


async def test_latency(emulator: BotApiEmulator, bot: Bot) -> None:
    emulator.latency = 0.2
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.2


# -- topics, commands, misc ---------------------------------------------------------------------


async def test_private_chat_topics(bot: Bot, emulator: BotApiEmulator) -> None:
    user = emulator.user(USER_ID)
    assert (await bot.get_me()).has_topics_enabled
    topic = await bot.create_forum_topic(USER_ID, "Order #1")
    assert topic.name == "Order #1"
    sent = await bot.send_message(USER_ID, "in topic", message_thread_id=topic.message_thread_id)
    assert sent.message_thread_id == topic.message_thread_id
    assert sent.is_topic_message
    assert user.bot_messages()[0].message_thread_id == topic.message_thread_id
    await user.send("reply in topic", thread_id=topic.message_thread_id)
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.message_thread_id == topic.message_thread_id
    assert await bot.edit_forum_topic(USER_ID, topic.message_thread_id, name="Order #1 (paid)")
    assert emulator.topics(USER_ID)[0].name == "Order #1 (paid)"
    assert await bot.close_forum_topic(USER_ID, topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await bot.send_message(USER_ID, "x", message_thread_id=topic.message_thread_id)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(USER_ID, "x", message_thread_id=12345)
    assert await bot.delete_forum_topic(USER_ID, topic.message_thread_id)
    assert all(m.deleted for m in emulator.history(USER_ID))


async def test_topics_switched_off(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.topics_enabled = False
    emulator.user(USER_ID)
    assert not (await bot.get_me()).has_topics_enabled
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(USER_ID, "Order #1")
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(USER_ID, "x", message_thread_id=1)


async def test_a_user_deletes_a_topic_and_topic_creation_is_refused(
    bot: Bot, emulator: BotApiEmulator
) -> None:
    user = emulator.user(USER_ID)
    topic = await bot.create_forum_topic(USER_ID, "Return R-1")
    await bot.send_message(USER_ID, "in topic", message_thread_id=topic.message_thread_id)
    await user.delete_topic(topic.message_thread_id)
    assert all(m.deleted for m in emulator.history(USER_ID))
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(USER_ID, "x", message_thread_id=topic.message_thread_id)
    emulator.refuse_next("createForumTopic", "Bad Request: not enough rights to create a topic")
    with pytest.raises(TelegramBadRequest, match="not enough rights to create a topic"):
        await bot.create_forum_topic(USER_ID, "Return R-1")
    # Used up: the next one works again.
    assert (await bot.create_forum_topic(USER_ID, "Return R-1")).name == "Return R-1"
    with pytest.raises(ValueError, match="4xx"):
        emulator.refuse_next("sendMessage", "Too Many Requests", status=429)


async def test_commands_per_scope_and_language(bot: Bot, emulator: BotApiEmulator) -> None:
    en = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="help", description="Help"),
    ]
    ru = [BotCommand(command="start", description="Начать")]
    assert await bot.set_my_commands(en)
    assert await bot.set_my_commands(ru, language_code="ru")
    assert await bot.set_my_commands(en[:1], scope=BotCommandScopeChat(chat_id=USER_ID))
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="ru")] == ["Начать"]
    assert emulator.commands(language_code="ru") == [{"command": "start", "description": "Начать"}]
    assert emulator.commands({"type": "chat", "chat_id": USER_ID}) == [
        {"command": "start", "description": "Start"}
    ]
    assert await bot.delete_my_commands(language_code="ru")
    assert await bot.get_my_commands(language_code="ru") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Command", description="x")])
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    assert emulator.menu_button() == {"type": "commands"}


async def test_chat_action_pin_and_unimplemented(bot: Bot, emulator: BotApiEmulator) -> None:
    emulator.user(USER_ID)
    assert await bot.send_chat_action(USER_ID, "typing")
    assert emulator.chat_actions(USER_ID) == ["typing"]
    sent = await bot.send_message(USER_ID, "pin me")
    assert await bot.pin_chat_message(USER_ID, sent.message_id)
    assert emulator.history(USER_ID)[0].pinned
    assert await bot.unpin_chat_message(USER_ID)
    assert not emulator.history(USER_ID)[0].pinned
    # In the spec but not emulated: accepted, logged as unimplemented, not a violation.
    assert await bot.set_my_description("A bot")
    assert [r.method for r in emulator.unimplemented_calls] == ["setMyDescription"]
    # Other send methods produce history entries and obey the limits.
    await bot.send_location(USER_ID, latitude=1.5, longitude=2.5)
    assert emulator.history(USER_ID)[-1].kind == "sendLocation"


async def test_default_parse_mode_and_request_log(emulator: BotApiEmulator) -> None:
    emulator.user(USER_ID)
    bot = make_bot(emulator, default=DefaultBotProperties(parse_mode="HTML"))
    try:
        await bot.send_message(USER_ID, "<b>x</b>")
    finally:
        await bot.session.close()
    record = emulator.calls("sendMessage")[-1]
    assert record.chat_id == USER_ID
    assert record.status == 200
    assert record.params["parse_mode"] == "HTML"


# -- spec violations and the fixture check ------------------------------------------------------


async def test_bad_requests_are_rejected_and_recorded(emulator: BotApiEmulator) -> None:
    emulator.user(USER_ID)
    with emulator.expect_violations() as expected:
        status, body = await raw_call(
            emulator, "sendMessage", {"chat_id": USER_ID, "text": "x", "colour": "red"}
        )
        assert status == 400
        assert body == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: unknown parameter 'colour'",
        }
        status, body = await raw_call(emulator, "sendMessag", {"chat_id": USER_ID, "text": "x"})
        # Telegram answers an unknown method with 404 Not Found.
        assert (status, body["ok"], body["error_code"]) == (404, False, 404)
        status, body = await raw_call(
            emulator, "sendMessage", {"chat_id": USER_ID, "text": ["not", "a", "string"]}
        )
        assert (status, body["ok"], body["error_code"]) == (400, False, 400)
        assert "text: expected String" in body["description"]
        status, body = await raw_call(emulator, "sendMessage", {"chat_id": USER_ID})
        assert body["description"] == "Bad Request: missing required parameter 'text'"
    assert [v.method for v in expected] == [
        "sendMessage",
        "sendMessag",
        "sendMessage",
        "sendMessage",
    ]
    assert expected[0].problems == ["unknown parameter 'colour'"]
    assert emulator.history(USER_ID) == []
    assert emulator.unexpected_violations == []
    # Method names are case-insensitive; legacy parameters pass with a warning.
    status, body = await raw_call(
        emulator,
        "SENDMESSAGE",
        {"chat_id": USER_ID, "text": "ok", "disable_web_page_preview": True},
    )
    assert status == 200
    assert body["result"]["text"] == "ok"
    assert emulator.warnings
    assert "link_preview_options" in emulator.warnings[0]
    status, body = await raw_call(emulator, "getMe", {}, token="1:bad")
    assert body == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_fixture_check_fails_on_violations(emulator: BotApiEmulator) -> None:
    with emulator.expect_violations():
        await raw_call(emulator, "getMe", {"unexpected": 1})
    check_no_violations(emulator)  # expected ones are ignored
    # The check the fixture runs at teardown fails on a violation outside expect_violations();
    # shown on a second emulator so this test's own teardown stays green.
    async with BotApiEmulator() as other:
        await raw_call(other, "getMe", {"unexpected": 2})
        report = violation_report(other)
        assert report is not None
        assert "getMe" in report
        assert "unknown parameter 'unexpected'" in report
        with pytest.raises(pytest.fail.Exception, match="violate the Bot API spec"):
            check_no_violations(other)


# -- side API for a web chat --------------------------------------------------------------------


async def test_http_side_api_and_event_stream(bot: Bot, emulator: BotApiEmulator) -> None:
    events: list[str] = []
    emulator.add_listener(lambda event: events.append(event.kind))
    base = f"{emulator.base_url}/_emulator"
    # The side API acts as anyone, so it answers only callers holding the per-run secret.
    async with aiohttp.ClientSession(headers=emulator.side_api_headers) as http:
        async with http.post(f"{base}/users", json={"id": USER_ID, "first_name": "Web"}) as r:
            assert r.status == 200
            assert (await r.json())["first_name"] == "Web"
        async with http.get(f"{base}/events") as stream:
            assert (await stream.content.readline()).startswith(b": connected")
            async with http.post(f"{base}/chats/{USER_ID}/messages", json={"text": "/start"}) as r:
                assert (await r.json())["text"] == "/start"
            data = b""
            while not data.startswith(b"data:"):
                data = await stream.content.readline()
            assert json.loads(data.removeprefix(b"data:"))["kind"] == "message"
        sent = await bot.send_message(USER_ID, "menu", reply_markup=keyboard("Go"))
        payload = {"message_id": sent.message_id, "callback_data": "cb:Go"}
        async with http.post(f"{base}/chats/{USER_ID}/callbacks", json=payload) as r:
            assert "callback_query_id" in await r.json()
        form = aiohttp.FormData()
        form.add_field("file", b"bytes", filename="f.bin", content_type="application/octet-stream")
        async with http.post(f"{base}/chats/{USER_ID}/files", data=form) as r:
            assert (await r.json())["document"]["file_name"] == "f.bin"
        async with http.get(f"{base}/chats/{USER_ID}/messages") as r:
            history = await r.json()
        async with http.get(f"{base}/chats") as r:
            assert (await r.json())[0]["id"] == USER_ID
    assert [m["from_bot"] for m in history] == [False, True, False]
    assert history[1]["reply_markup"] == [[{"text": "Go", "callback_data": "cb:Go"}]]
    kinds = [u.model_dump(exclude_none=True) for u in await bot.get_updates()]
    assert [next(k for k in u if k != "update_id") for u in kinds] == [
        "message",
        "callback_query",
        "message",
    ]
    assert {"chat", "message", "update"} <= set(events)


async def test_unknown_chat_and_file(emulator: BotApiEmulator) -> None:
    with pytest.raises(KeyError):
        emulator.history(1)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{emulator.base_url}/file/bot{DEFAULT_TOKEN}/documents/nope") as response,
    ):
        assert response.status == 404


async def test_aiogram_dispatcher_round_trip(bot: Bot, emulator: BotApiEmulator) -> None:
    """The real polling loop, a command handler and a callback handler against the emulator."""
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("<b>Welcome</b>", parse_mode="HTML", reply_markup=keyboard("Go"))

    @dp.callback_query(F.data == "cb:Go")
    async def go(query: CallbackQuery) -> None:
        await query.answer("Going")
        assert isinstance(query.message, Message)
        await query.message.edit_text("Gone")

    user = emulator.user(USER_ID)
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        await user.send("/start")
        [welcome] = await user.wait_for_bot(timeout=5)
        assert welcome.text == "<b>Welcome</b>"
        await user.press("Go")
        [edited] = await user.wait_for_bot(timeout=5)
        assert edited.text == "Gone"
        answer = await user.wait_for_answer(timeout=5)
        assert answer.text == "Going"
    finally:
        await dp.stop_polling()
        await polling
