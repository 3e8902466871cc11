"""The emulator's file store: every file a user or the bot sent, by file_id and download path.

Telegram gives each upload a ``file_id`` (to send it again) and, through getFile, a path to
download it from; the store does the same. Paths are numbered so none is ever given out twice
(the counter is kept across a sandbox restart), and a photo gets its real width and height.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import struct
from collections.abc import Iterable
from typing import Any

from sandbox.emulator.records import BotApiError, FileRecord
from sandbox.spec import UploadedFile

__all__ = ["FileStore"]

# What a multipart part says when its sender did not know (aiohttp's default for bytes).
_UNKNOWN_TYPE = "application/octet-stream"


def _mime_type(declared: str | None, file_name: str | None) -> str | None:
    """The type Telegram reports for an upload: the declared one, or when the sender declared
    none (or only "bytes"), the one the file name's extension says — a bot's `invoice.pdf`
    sent as plain bytes arrives as `application/pdf`."""
    if declared and declared != _UNKNOWN_TYPE:
        return declared
    guessed = mimetypes.guess_type(file_name or "", strict=False)[0]
    return guessed or declared


class FileStore:
    """Files by ``file_id`` and by download path."""

    def __init__(self) -> None:
        self.next_number = 1
        self._by_id: dict[str, FileRecord] = {}
        self._by_path: dict[str, FileRecord] = {}

    def store(
        self,
        content: bytes,
        *,
        kind: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        source_url: str | None = None,
    ) -> FileRecord:
        """Register file bytes and give them a file_id, as Telegram does for every upload."""
        n = self.next_number
        self.next_number += 1
        folder = {"photo": "photos", "document": "documents"}.get(kind, kind + "s")
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        elif kind == "photo":
            suffix = ".jpg"
        width, height = _image_size(content) if kind == "photo" else (0, 0)
        record = FileRecord(
            file_id=f"{'AgAC' if kind == 'photo' else 'BQAC'}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{secrets.token_urlsafe(8)}",
            file_path=f"{folder}/file_{n}{suffix}",
            content=content,
            kind=kind,
            file_name=file_name,
            mime_type=_mime_type(mime_type, file_name),
            width=width,
            height=height,
            source_url=source_url,
        )
        self._add(record)
        return record

    def get(self, file_id: str) -> FileRecord:
        """A file by id (KeyError if unknown)."""
        return self._by_id[file_id]

    def find(self, file_id: str) -> FileRecord | None:
        return self._by_id.get(file_id)

    def at_path(self, path: str) -> FileRecord | None:
        return self._by_path.get(path)

    def for_send(self, value: Any, kind: str) -> FileRecord:
        """The file a send names: a new upload, a known file_id, or an HTTP URL."""
        if isinstance(value, UploadedFile):
            return self.store(
                value.content, kind=kind, file_name=value.filename, mime_type=value.content_type
            )
        existing = self._by_id.get(str(value))
        if existing is not None:
            return existing
        if isinstance(value, str) and re.match(r"https?://\S+$", value):
            name = value.rsplit("/", 1)[-1] or None
            return self.store(b"", kind=kind, file_name=name, source_url=value)
        raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def export(self) -> list[FileRecord]:
        return list(self._by_id.values())

    def restore(self, records: Iterable[FileRecord], next_number: int) -> None:
        """Bring files back with their ids; the path counter never goes back."""
        for record in records:
            self._add(record)
        self.next_number = max(self.next_number, next_number)

    def _add(self, record: FileRecord) -> None:
        self._by_id[record.file_id] = record
        self._by_path[record.file_path] = record


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height of a PNG/GIF/JPEG, or a plausible default for anything else."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        w, h = struct.unpack(">II", content[16:24])
        return int(w), int(h)
    if content[:6] in (b"GIF87a", b"GIF89a") and len(content) >= 10:
        w, h = struct.unpack("<HH", content[6:10])
        return int(w), int(h)
    if content[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(content):
            if content[i] != 0xFF:
                break
            marker = content[i + 1]
            size = struct.unpack(">H", content[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                h, w = struct.unpack(">HH", content[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + size
    return 320, 320
