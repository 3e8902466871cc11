"""The sandbox's chats on disk, next to its database, so a restart re-opens them as they were.

The bot's database outlives a run of the sandbox; the emulator's chats lived only in memory, so
after a restart the web chat showed empty chats while the bot still remembered half-finished
conversations, message ids it would edit and file ids it would send again. ``ChatLog`` keeps
them in ``sandbox-chats.json`` (messages with their ids, edits, buttons and topics, the
counters) and the files' bytes in ``sandbox-files/``, written atomically a moment after every
change (``ChatLogWriter``) and once more on stop.

The log names the database it belongs to (a hash of its URL, never the URL: it may hold a
password), so a sandbox pointed at another database does not show this one's chats.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Final

from sandbox.emulator import (
    BotApiEmulator,
    ChatMessage,
    FileRecord,
    InlineButton,
    Revision,
    SavedChat,
    SavedChats,
    Topic,
)

__all__ = ["CHAT_LOG_NAME", "FILES_DIR_NAME", "ChatLog", "ChatLogWriter", "LoadedChats"]

log = logging.getLogger(__name__)

CHAT_LOG_NAME: Final = "sandbox-chats.json"
FILES_DIR_NAME: Final = "sandbox-files"
FORMAT_VERSION: Final = 1
SAVE_DELAY_SECONDS: Final = 0.5
# File blobs are named by file_unique_id; anything else in the log is never used as a path.
_BLOB_NAME: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")
_MESSAGE_FIELDS: Final = frozenset(f.name for f in dataclasses.fields(ChatMessage))


@dataclasses.dataclass(frozen=True, slots=True)
class LoadedChats:
    """A chat log read back: the chats, and whether a Reset emptied them (database kept)."""

    saved: SavedChats
    cleared_by_reset: bool


def _rows(markup: list[list[InlineButton]] | None) -> list[list[dict[str, Any]]] | None:
    if markup is None:
        return None
    return [[dataclasses.asdict(button) for button in row] for row in markup]


def _buttons(rows: list[list[dict[str, Any]]] | None) -> list[list[InlineButton]] | None:
    if rows is None:
        return None
    return [[InlineButton(**button) for button in row] for row in rows]


def _revision(revision: Revision) -> dict[str, Any]:
    return {
        "date": revision.date,
        "text": revision.text,
        "caption": revision.caption,
        "reply_markup": _rows(revision.reply_markup),
    }


def _revision_back(data: dict[str, Any]) -> Revision:
    return Revision(data["date"], data["text"], data["caption"], _buttons(data["reply_markup"]))


def _message(message: ChatMessage) -> dict[str, Any]:
    data = {name: getattr(message, name) for name in _MESSAGE_FIELDS}
    data.update(
        reply_markup=_rows(message.reply_markup),
        document=message.document.file_id if message.document else None,
        photo=message.photo.file_id if message.photo else None,
        original=_revision(message.original) if message.original else None,
        edits=[_revision(r) for r in message.edits],
        copied_from=list(message.copied_from) if message.copied_from else None,
    )
    return data


def _message_back(data: dict[str, Any], files: dict[str, FileRecord]) -> ChatMessage:
    # Unknown keys (a later format) are dropped; missing ones take the dataclass default.
    fields = {k: v for k, v in data.items() if k in _MESSAGE_FIELDS}
    fields.update(
        reply_markup=_buttons(data.get("reply_markup")),
        document=files[data["document"]] if data.get("document") else None,
        photo=files[data["photo"]] if data.get("photo") else None,
        original=_revision_back(data["original"]) if data.get("original") else None,
        edits=[_revision_back(r) for r in data.get("edits", [])],
        copied_from=tuple(data["copied_from"]) if data.get("copied_from") else None,
    )
    return ChatMessage(**fields)


def _file(record: FileRecord) -> dict[str, Any]:
    data = {f.name: getattr(record, f.name) for f in dataclasses.fields(FileRecord)}
    del data["content"]  # kept beside the log, one blob per file
    return data


class ChatLog:
    """The chat log of one sandbox database: ``load``, ``write``, ``clear_messages``, ``delete``.

    The methods do blocking file I/O; call them through ``asyncio.to_thread``.
    """

    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.path = data_dir / CHAT_LOG_NAME
        self.files_dir = data_dir / FILES_DIR_NAME
        self.database = hashlib.sha256(database_url.encode()).hexdigest()[:32]

    # -- reading ------------------------------------------------------------------------------

    def load(self) -> LoadedChats | None:
        """The saved chats, or None when there are none for this database or they are unreadable."""
        data = self._read()
        if data is None:
            return None
        try:
            return LoadedChats(self._decode(data), bool(data.get("cleared_by_reset")))
        except (OSError, KeyError, TypeError, ValueError, AttributeError) as error:
            log.warning("the sandbox's saved chats are damaged (%r); starting afresh", error)
            return None

    def _read(self) -> dict[str, Any] | None:
        """The log as JSON if it is this database's and in this format; else None (logged)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("the sandbox's saved chats could not be read (%s); starting afresh", error)
            return None
        if not isinstance(data, dict) or data.get("database") != self.database:
            log.info("the saved sandbox chats belong to another database; starting afresh")
            return None
        if data.get("version") != FORMAT_VERSION:
            log.warning("the saved sandbox chats have an unknown format; starting afresh")
            return None
        return data

    def _decode(self, data: dict[str, Any]) -> SavedChats:
        files: dict[str, FileRecord] = {}
        for entry in data["files"]:
            name = str(entry["file_unique_id"])
            if not _BLOB_NAME.fullmatch(name):
                raise ValueError(f"bad file name {name!r}")
            content = (self.files_dir / name).read_bytes()
            files[entry["file_id"]] = FileRecord(**entry, content=content)
        chats = [
            SavedChat(
                id=int(chat["id"]),
                type=str(chat["type"]),
                title=chat["title"],
                user=chat["user"],
                is_forum=bool(chat["is_forum"]),
                blocked=bool(chat["blocked"]),
                next_message_id=int(chat["next_message_id"]),
                messages=[_message_back(m, files) for m in chat["messages"]],
                topics=[Topic(**topic) for topic in chat["topics"]],
            )
            for chat in data["chats"]
        ]
        return SavedChats(
            chats, list(files.values()), int(data["next_update_id"]), int(data["next_file_number"])
        )

    # -- writing ------------------------------------------------------------------------------

    def encode(
        self, saved: SavedChats, *, written: set[str], cleared_by_reset: bool = False
    ) -> tuple[bytes, list[tuple[str, bytes]]]:
        """The log's bytes and the file blobs not yet in ``written`` (names and bytes)."""
        data = {
            "version": FORMAT_VERSION,
            "database": self.database,
            "cleared_by_reset": cleared_by_reset,
            "next_update_id": saved.next_update_id,
            "next_file_number": saved.next_file_number,
            "files": [_file(record) for record in saved.files],
            "chats": [
                {
                    **{f.name: getattr(chat, f.name) for f in dataclasses.fields(SavedChat)},
                    "messages": [_message(m) for m in chat.messages],
                    "topics": [dataclasses.asdict(t) for t in chat.topics],
                }
                for chat in saved.chats
            ],
        }
        blobs = [
            (record.file_unique_id, record.content)
            for record in saved.files
            if record.file_unique_id not in written and _BLOB_NAME.fullmatch(record.file_unique_id)
        ]
        return json.dumps(data, ensure_ascii=False).encode(), blobs

    def write(self, payload: bytes, blobs: list[tuple[str, bytes]]) -> None:
        """Blobs first, then the log, each replaced atomically: a crash leaves the old log."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if blobs:
            self.files_dir.mkdir(exist_ok=True)
        for name, content in blobs:
            _replace(self.files_dir / name, content)
        _replace(self.path, payload)

    def clear_messages(self) -> None:
        """Empty every chat, as Telegram's "clear history" does: message ids go on from where
        they were, topics and files stay (the kept database refers to them)."""
        data = self._read()
        if data is None or not isinstance(data.get("chats"), list):
            return  # nothing of this database's to keep
        # Edited as JSON, so the file blobs are not read just to be left as they are.
        for chat in data["chats"]:
            if isinstance(chat, dict):
                chat["messages"] = []
        data["cleared_by_reset"] = True
        _replace(self.path, json.dumps(data, ensure_ascii=False).encode())

    def delete(self) -> None:
        self.path.unlink(missing_ok=True)
        shutil.rmtree(self.files_dir, ignore_errors=True)


def _replace(path: Path, content: bytes) -> None:
    # A unique temporary name: two writers never share one, and a crash leaves the old file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ChatLogWriter:
    """Saves an emulator's chats a moment after they change (``changed``) and on ``close``."""

    def __init__(
        self,
        chat_log: ChatLog,
        emulator: BotApiEmulator,
        *,
        written: set[str],
        cleared_by_reset: bool = False,
        delay: float = SAVE_DELAY_SECONDS,
    ) -> None:
        self._log = chat_log
        self._emulator = emulator
        self._written = set(written)
        # Kept until the next full reset, so a restart still says why a chat shows nothing.
        self._cleared_by_reset = cleared_by_reset
        self._delay = delay
        self._lock = asyncio.Lock()
        self._pending: asyncio.Task[None] | None = None

    def changed(self) -> None:
        if self._pending is None or self._pending.done():
            self._pending = asyncio.get_running_loop().create_task(self._save_soon())

    async def _save_soon(self) -> None:
        await asyncio.sleep(self._delay)
        # Shielded: a close() during the write waits for it instead of cutting it short.
        await asyncio.shield(self._save_logged())

    async def _save_logged(self) -> None:
        try:
            await self.save()
        except Exception:
            # The chats stay in memory and the next change tries again; the bot is unaffected.
            log.exception("the sandbox chats could not be saved")

    async def save(self) -> None:
        async with self._lock:
            # Encoded here, on the loop, so the snapshot is consistent; written off the loop.
            payload, blobs = self._log.encode(
                self._emulator.export_chats(),
                written=self._written,
                cleared_by_reset=self._cleared_by_reset,
            )
            await asyncio.to_thread(self._log.write, payload, blobs)
            self._written.update(name for name, _ in blobs)

    async def close(self) -> None:
        """Write what changed since the last save, then stop (a failure is logged)."""
        pending, self._pending = self._pending, None
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending
        await self._save_logged()
