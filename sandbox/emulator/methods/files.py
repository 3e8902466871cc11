"""Files: getFile, and the download it leads to (``/file/bot<token>/<file_path>``).

Telegram refuses getFile for a file above 20 MB; the emulator does too, so the bot's handling of
a huge upload can be tested.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.emulator.files import FileStore
from sandbox.emulator.methods import MethodFamily, bot_api
from sandbox.emulator.params import Params
from sandbox.emulator.records import BotApiError
from sandbox.http_safety import file_response

__all__ = ["DOWNLOAD_LIMIT", "FileMethods"]

DOWNLOAD_LIMIT = 20 * 1024 * 1024


class FileMethods(MethodFamily):
    def __init__(self, files: FileStore) -> None:
        self._files = files

    @bot_api("getFile")
    async def get_file(self, params: Params) -> dict[str, Any]:
        record = self._files.find(str(params["file_id"]))
        if record is None:
            raise BotApiError(400, "Bad Request: invalid file_id")
        if record.file_size > DOWNLOAD_LIMIT:
            raise BotApiError(400, "Bad Request: file is too big")
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": record.file_size,
            "file_path": record.file_path,
        }

    def download(self, file_path: str) -> web.Response:
        """The file at a path getFile gave out, or Telegram's 404."""
        record = self._files.at_path(file_path)
        if record is None:
            return web.json_response(BotApiError(404, "Not Found").to_json(), status=404)
        return file_response(record.content, record.file_name or record.file_path.rsplit("/")[-1])
