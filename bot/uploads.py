"""Files users send, handled off the update path: downloading them, and the conversation steps
that read one (`FileSteps`, the app's `handlers.uploads.FileStepRunner`).

Nothing is downloaded inside an update. A handler decides that the sender may send this file
here (a registered seller, in a step that expects one) and hands it over after the commit; the
download goes to a temporary file, so even a 20 MB file never sits in the bot's memory, and the
file worker reads it from there.
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey

from bot.background import BackgroundTasks
from bot.file_worker import FileWorker
from bot.fsm_storage import current_unit_of_work, writes_after_commit
from bot.replies import ReplyQueue
from domain.errors import DomainError, InvalidInput
from domain.unit_of_work import UnitOfWorkFactory
from handlers.responder import Responder
from handlers.uploads import FileUpload, FinishStep, StepContext
from templates import Renderer

log = logging.getLogger(__name__)

DOWNLOAD_SECONDS = 120


async def download(
    bot: Bot,
    file_id: str,
    directory: Path,
    *,
    max_bytes: int,
    file_name: str,
    too_large: DomainError,
) -> Path:
    """The file, saved in `directory`; `too_large` past `max_bytes` (Telegram's size first)."""
    try:
        file = await bot.get_file(file_id)
        if file.file_size is not None and file.file_size > max_bytes:
            raise too_large
        if file.file_path is None:
            raise InvalidInput("files.download_failed", file_name=file_name)
        path = directory / "upload"
        await bot.download_file(file.file_path, destination=path, timeout=DOWNLOAD_SECONDS)
    except DomainError:
        raise
    except Exception as error:
        log.warning("download of a user's file failed: %s", type(error).__name__)
        raise InvalidInput("files.download_failed", file_name=file_name) from None
    if path.stat().st_size > max_bytes:
        raise too_large
    return path


@dataclass(frozen=True)
class TelegramFiles:
    """A file users sent, downloaded again for the outbox (`notifications.return_relay`
    sends a checked document under a name of its own, which a file id cannot carry)."""

    bot: Bot
    max_bytes: int

    @asynccontextmanager
    async def fetched(self, file_id: str) -> AsyncIterator[Path]:
        with tempfile.TemporaryDirectory(prefix="sellerbot-relay-") as directory:
            yield await download(
                self.bot,
                file_id,
                Path(directory),
                max_bytes=self.max_bytes,
                file_name="document",
                too_large=InvalidInput("files.download_failed", file_name="document"),
            )


@dataclass(eq=False)
class FileSteps:
    """Reads a conversation step's file in the background, then finishes the step."""

    bot: Bot
    files: FileWorker
    uow_factory: UnitOfWorkFactory
    renderer: Renderer
    replies: ReplyQueue
    storage: BaseStorage
    isolation: BaseEventIsolation
    _tasks: BackgroundTasks = field(default_factory=BackgroundTasks, init=False)

    def start(self, upload: FileUpload, finish: FinishStep) -> None:
        self._tasks.start(self._run(upload, finish))

    async def wait(self) -> None:
        """Until every file handed over so far is done (tests)."""
        await self._tasks.wait()

    async def stop(self) -> None:
        await self._tasks.cancel()

    async def _run(self, upload: FileUpload, finish: FinishStep) -> None:
        responder = Responder(self.renderer, upload.locale, upload.chat_id)
        try:
            result = await self._read(upload)
            await self._finish(upload, finish, result, responder)
        except DomainError as error:
            responder.discard()
            responder.reply(error.key, **error.params)
        except Exception:
            incident = uuid.uuid4().hex[:8]
            log.exception("incident %s while reading an uploaded file", incident)
            responder.discard()
            responder.reply("errors.unexpected", incident_id=incident)
        self.replies.schedule(responder)

    async def _read(self, upload: FileUpload) -> Any:
        with tempfile.TemporaryDirectory(prefix="sellerbot-upload-") as directory:
            path = await download(
                self.bot,
                upload.file_id,
                Path(directory),
                max_bytes=upload.max_bytes,
                file_name=upload.file_name,
                too_large=upload.too_large,
            )
            return await self.files.run(
                upload.job,
                {"path": str(path), "file_name": upload.file_name},
                seconds=upload.seconds,
                file_name=upload.file_name,
                unreadable_key=upload.unreadable_key,
            )

    async def _finish(
        self, upload: FileUpload, finish: FinishStep, result: Any, responder: Responder
    ) -> None:
        """The rest of the step, in one transaction with the user's conversation state, and in
        line with the user's own updates (the dispatcher's isolation lock)."""
        key = StorageKey(bot_id=self.bot.id, chat_id=upload.chat_id, user_id=upload.user_id)
        async with (
            self.isolation.lock(key),
            writes_after_commit(self.storage),
            self.uow_factory() as uow,
        ):
            token = current_unit_of_work.set(uow)
            try:
                await finish(result, StepContext(uow, responder, FSMContext(self.storage, key)))
                await uow.commit()
            finally:
                current_unit_of_work.reset(token)
