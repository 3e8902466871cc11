"""The emulator's chats survive a restart through the chat log, exactly, and a log that is not
this database's, or is damaged, is never half-used."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from sandbox.chat_log import ChatLog
from sandbox.emulator import BotApiEmulator
from tests.fixtures.emulator import emulator, emulator_bot, make_bot

__all__ = ["emulator", "emulator_bot"]

USER_ID = 626262
DATABASE = "sqlite+aiosqlite:////data/sandbox.sqlite3"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", 8, 6)


@pytest.fixture
def emulator_options() -> dict[str, Any]:
    return {"per_chat_interval": 0.0}


def save(emulator: BotApiEmulator, chat_log: ChatLog) -> None:
    payload, blobs = chat_log.encode(emulator.export_chats(), written=set())
    chat_log.write(payload, blobs)


def everything(emulator: BotApiEmulator) -> list[Any]:
    return [
        (
            [m.to_dict() for m in emulator.history(chat_id)],
            emulator.topics(chat_id),
        )
        for chat_id in emulator.chat_ids()
    ]


async def busy_chat(emulator: BotApiEmulator, bot: Bot) -> None:
    """A chat with most of what a chat can hold: buttons, edits, a topic, files, a pin."""
    user = emulator.user(USER_ID, "Mei", username="mei")
    await user.send("/start")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="cb:go")]]
    )
    menu = await bot.send_message(USER_ID, "<b>Menu</b>", parse_mode="HTML", reply_markup=keyboard)
    await bot.edit_message_text(
        "<i>Menu</i>",
        chat_id=USER_ID,
        message_id=menu.message_id,
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    await bot.pin_chat_message(USER_ID, menu.message_id)
    topic = await bot.create_forum_topic(USER_ID, "Order #1")
    await bot.send_message(USER_ID, "in the topic", message_thread_id=topic.message_thread_id)
    await user.upload_document("cert.pdf", b"%PDF-1.4", "application/pdf", caption="cert")
    await user.upload_photo(PNG)
    await bot.send_document(USER_ID, BufferedInputFile(b"a,b\n1,2\n", "orders.csv"))
    await bot.copy_message(USER_ID, USER_ID, menu.message_id)
    await bot.delete_message(USER_ID, (await bot.send_message(USER_ID, "gone")).message_id)


async def test_chats_come_back_exactly(
    emulator: BotApiEmulator, emulator_bot: Bot, tmp_path: Path
) -> None:
    await busy_chat(emulator, emulator_bot)
    chat_log = ChatLog(tmp_path, DATABASE)
    save(emulator, chat_log)

    loaded = chat_log.load()
    assert loaded is not None and not loaded.cleared_by_reset
    async with BotApiEmulator(per_chat_interval=0.0) as restarted:
        restarted.restore_chats(loaded.saved)
        assert everything(restarted) == everything(emulator)
        for record in emulator.export_chats().files:
            assert restarted.file(record.file_id).content == record.content
        # Ids and paths go on from where they were; nothing is handed out twice.
        assert restarted.next_update_id == emulator.next_update_id
        user = restarted.user(USER_ID)
        assert user.first_name == "Mei"
        fresh = await user.upload_document("new.txt", b"new")
        assert fresh.message_id == emulator.history(USER_ID)[-1].message_id + 1
        assert fresh.document is not None
        assert fresh.document.file_path not in {r.file_path for r in emulator.export_chats().files}
        # The bot can still edit a message from before, and send a file by its old id.
        bot = make_bot(restarted)
        try:
            menu = next(m for m in restarted.history(USER_ID) if m.pinned)
            await bot.edit_message_reply_markup(
                chat_id=USER_ID, message_id=menu.message_id, reply_markup=None
            )
            document = next(m.document for m in restarted.history(USER_ID) if m.document)
            assert document is not None
            await bot.send_document(USER_ID, document.file_id)
        finally:
            await bot.session.close()
        assert restarted.unexpected_violations == []


async def test_clearing_keeps_ids_topics_and_files(
    emulator: BotApiEmulator, emulator_bot: Bot, tmp_path: Path
) -> None:
    await busy_chat(emulator, emulator_bot)
    chat_log = ChatLog(tmp_path, DATABASE)
    save(emulator, chat_log)
    chat_log.clear_messages()
    loaded = chat_log.load()
    assert loaded is not None and loaded.cleared_by_reset
    [chat] = loaded.saved.chats
    assert chat.messages == [] and [t.name for t in chat.topics] == ["Order #1"]
    assert chat.next_message_id == emulator.history(USER_ID)[-1].message_id + 1
    assert len(loaded.saved.files) == len(emulator.export_chats().files) == 3


async def test_a_log_of_another_database_or_a_damaged_one_is_not_used(
    emulator: BotApiEmulator, emulator_bot: Bot, tmp_path: Path
) -> None:
    await busy_chat(emulator, emulator_bot)
    chat_log = ChatLog(tmp_path, DATABASE)
    save(emulator, chat_log)
    assert ChatLog(tmp_path, DATABASE.replace("sandbox", "other")).load() is None
    # The database's URL may hold a password: the log keeps only a hash of it.
    assert "sandbox.sqlite3" not in chat_log.path.read_text()

    data = json.loads(chat_log.path.read_text())
    for damage in (
        lambda d: d["files"][0].update(file_unique_id="../../escape"),
        lambda d: d["chats"][0]["messages"][0].update(document="no-such-file"),
        lambda d: d.update(version=99),
        lambda d: d["chats"][0].pop("topics"),
    ):
        broken = json.loads(json.dumps(data))
        damage(broken)
        chat_log.path.write_text(json.dumps(broken))
        assert chat_log.load() is None
    (chat_log.files_dir / data["files"][0]["file_unique_id"]).unlink()
    chat_log.path.write_text(json.dumps(data))
    assert chat_log.load() is None  # a file the log names is missing

    chat_log.delete()
    assert chat_log.load() is None and not chat_log.files_dir.exists()
