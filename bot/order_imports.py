"""The app's order-import runner (`domain.services.import_jobs.ImportRunner`).

After the update that recorded an import commits, the runner downloads the file to a temporary
file, has the file worker read and check all of it (a child process with a time and memory
bound), then saves the planned orders in batches of `SAVE_BATCH`, each in its own short
transaction, so SQLite's write lock is never held for long and other users' updates go on
between batches. A progress message is edited as it goes; the report comes through the outbox.

If the bot stops mid-import, what was saved stays, the import is marked interrupted and the
seller told to send the file again (orders already saved are then skipped as already imported).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import LinkPreviewOptions

from bot.background import BackgroundTasks
from bot.file_worker import FileWorker
from bot.uploads import download
from domain.clock import Clock, utcnow
from domain.errors import DomainError, InvalidInput
from domain.order_import import MAX_FILE_BYTES, MAX_ROWS
from domain.services.orders import file_import, import_jobs
from domain.unit_of_work import UnitOfWorkFactory
from notifications.sender import Sender
from templates import Renderer
from templates.html import split_html

log = logging.getLogger(__name__)

# How long the file worker may spend reading and checking one order file.
ORDER_FILE_SECONDS = 120
# Progress edits at most this often (Telegram allows about one message a second per chat).
PROGRESS_SECONDS = 2.0
# Orders saved per transaction: each holds SQLite's write lock for a few milliseconds only.
SAVE_BATCH = 200
# The lease is renewed at least this often while the worker reads.
RENEW_SECONDS = 15.0
# After each batch the import pauses four times as long as the batch took, so saving a big
# file takes at most a fifth of the bot's time, and at least 0.1 s: an update that waited for
# SQLite's write lock meanwhile sleeps up to 0.1 s between tries (SQLite's busy handler), and
# must find the lock free when it wakes, not taken by the next batch.
PAUSE_FACTOR = 4.0
PAUSE_SECONDS = 0.1


class _Stopped(Exception):
    """The import no longer runs here (a sweep marked it interrupted)."""


class _PartlySaved(Exception):
    """Saving failed after some batches were committed: the import counts as interrupted."""


class _Progress:
    """The seller's progress message: sent once, edited at most every PROGRESS_SECONDS."""

    def __init__(self, sender: Sender, renderer: Renderer, job: import_jobs.ImportJob) -> None:
        self._sender = sender
        self._renderer = renderer
        self._job = job
        self.message_id: int | None = None
        self._text = ""
        self._shown_at = 0.0
        self._broken = False

    async def show(self, stage: str, *, force: bool = False, **counts: int) -> None:
        now = time.monotonic()
        if self._broken or (not force and now - self._shown_at < PROGRESS_SECONDS):
            return
        text = split_html(
            self._renderer.render(
                "import.progress",
                self._job.locale,
                stage=stage,
                file_name=self._job.file_name,
                **{"rows_read": 0, "saved": 0, "total": 0} | counts,
            )
        )[0]
        if text == self._text:
            return
        self._text, self._shown_at = text, now
        preview = LinkPreviewOptions(is_disabled=True)
        try:
            if self.message_id is None:
                sent = await self._sender.call(
                    SendMessage(
                        chat_id=self._job.chat_id,
                        text=text,
                        parse_mode="HTML",
                        link_preview_options=preview,
                    ),
                    chat_id=self._job.chat_id,
                )
                self.message_id = sent.message_id
            else:
                await self._sender.call(
                    EditMessageText(
                        chat_id=self._job.chat_id,
                        message_id=self.message_id,
                        text=text,
                        parse_mode="HTML",
                        link_preview_options=preview,
                    ),
                    chat_id=self._job.chat_id,
                )
        except Exception as error:
            # Progress is a courtesy; the import goes on and the report is queued anyway.
            log.info("import %s: progress not shown (%s)", self._job.id, type(error).__name__)
            self._broken = True


@dataclass(eq=False)
class OrderImportRunner:
    bot: Bot
    sender: Sender
    renderer: Renderer
    uow_factory: UnitOfWorkFactory
    files: FileWorker
    _: KW_ONLY
    clock: Clock = utcnow
    # IMPORT_MAX_OPEN_ORDERS: past it, an import's new orders are left out (see import_jobs).
    max_open_orders: int = import_jobs.DEFAULT_MAX_OPEN_ORDERS
    _tasks: BackgroundTasks = field(default_factory=BackgroundTasks, init=False)

    def start(self, import_id: int) -> None:
        if import_id in self._tasks:
            return
        self._tasks.start(self._run(import_id), key=import_id)

    async def wait(self) -> None:
        """Until every import started so far is done (tests, benchmarks)."""
        await self._tasks.wait()

    async def stop(self) -> None:
        """Stop running imports: each is marked interrupted, its seller told."""
        await self._tasks.cancel()

    async def sweep(self) -> int:
        """Scheduler job: end imports whose process stopped; prune old finished ones."""
        async with self.uow_factory() as uow:
            interrupted = await import_jobs.interrupt_stale_imports(uow)
            await uow.commit()
        if interrupted:
            log.info("%d order imports were left by a stopped process", interrupted)
        return interrupted

    # ----- one import -----

    async def _run(self, import_id: int) -> None:
        async with self.uow_factory() as uow:
            job = await import_jobs.running_import(import_id, uow)
        if job is None:
            return
        progress = _Progress(self.sender, self.renderer, job)
        try:
            await progress.show("download", force=True)
            await self._remember_progress(job, progress)
            with tempfile.TemporaryDirectory(prefix="sellerbot-import-") as directory:
                path = await download(
                    self.bot,
                    job.file_id,
                    Path(directory),
                    max_bytes=MAX_FILE_BYTES,
                    file_name=job.file_name,
                    too_large=InvalidInput("import.file_too_large", max_mb=MAX_FILE_BYTES // 2**20),
                )
                summary, over_limit = await self._read_and_save(job, path, progress)
            async with self.uow_factory() as uow:
                await import_jobs.finish_import(
                    job,
                    summary,
                    uow,
                    over_limit=over_limit,
                    max_open_orders=self.max_open_orders,
                )
                await uow.commit()
            await progress.show("done", force=True)
        except DomainError as error:
            async with self.uow_factory() as uow:
                await import_jobs.fail_import(job, error, uow)
                await uow.commit()
            await progress.show("stopped", force=True)
        except _Stopped:
            await progress.show("stopped", force=True)
        except _PartlySaved:
            log.exception("order import %s stopped after saving some orders", job.id)
            await self._interrupt(job)
            await progress.show("stopped", force=True)
        except asyncio.CancelledError:
            await self._interrupt(job)
            raise
        except Exception:
            log.exception("order import %s failed", job.id)
            await self._interrupt(job)
            await progress.show("stopped", force=True)

    async def _interrupt(self, job: import_jobs.ImportJob) -> None:
        with contextlib.suppress(Exception):
            async with self.uow_factory() as uow:
                await import_jobs.interrupt_import(job.id, uow)
                await uow.commit()

    async def _remember_progress(self, job: import_jobs.ImportJob, progress: _Progress) -> None:
        async with self.uow_factory() as uow:
            running = await import_jobs.renew(job.id, uow, progress_message_id=progress.message_id)
            await uow.commit()
        if not running:
            raise _Stopped

    async def _read_and_save(
        self, job: import_jobs.ImportJob, path: Path, progress: _Progress
    ) -> tuple[import_jobs.PlanSummary, int]:
        """What the worker found, and how many new orders were left out (the store's limit of
        open orders reached)."""
        params = {
            "path": str(path),
            "file_name": job.file_name,
            "now": self.clock().isoformat(),
            "max_rows": MAX_ROWS,
            "batch": SAVE_BATCH,
            "report_rows": import_jobs.REPORT_MAX_ROWS,
        }
        summary: import_jobs.PlanSummary | None = None
        rows_read = saved = total = over_limit = 0
        renewed = time.monotonic()
        stream = self.files.stream(
            "order_file",
            params,
            seconds=ORDER_FILE_SECONDS,
            file_name=job.file_name,
            unreadable_key="import.file_unreadable",
        )
        try:
            async with contextlib.aclosing(stream) as messages:
                async for message in messages:
                    kind: str = "tick"  # None: the worker is still busy
                    body: Any = None
                    if message is not None:
                        kind, body = message
                    if kind == "reading":
                        rows_read = int(body)
                    elif kind == "planned":
                        summary = _summary(body)
                        rows_read, total = summary.rows_read, int(body["orders"])
                    elif kind == "orders":
                        started = time.monotonic()
                        batch = await self._save(
                            job, [file_import.from_plain(order) for order in body]
                        )
                        saved += len(batch.imported) + len(batch.already_imported)
                        over_limit += len(batch.over_limit)
                        renewed = time.monotonic()
                        await asyncio.sleep(max(PAUSE_SECONDS, PAUSE_FACTOR * (renewed - started)))
                    if summary is None:
                        await progress.show("reading", rows_read=rows_read)
                    else:
                        await progress.show("saving", rows_read=rows_read, saved=saved, total=total)
                    if time.monotonic() - renewed > RENEW_SECONDS:
                        await self._renew(job, summary)
                        renewed = time.monotonic()
        except DomainError:
            if saved:  # the worker failed after batches were committed: not "nothing saved"
                raise _PartlySaved from None
            raise
        if summary is None:
            raise InvalidInput("import.file_unreadable", file_name=job.file_name)
        return summary, over_limit

    async def _renew(
        self, job: import_jobs.ImportJob, summary: import_jobs.PlanSummary | None
    ) -> None:
        async with self.uow_factory() as uow:
            running = await import_jobs.renew(job.id, uow, summary=summary)
            await uow.commit()
        if not running:
            raise _Stopped

    async def _save(
        self, job: import_jobs.ImportJob, batch: list[file_import.PlannedOrder]
    ) -> file_import.SavedOrders:
        """One batch in one short transaction (an order number taken meanwhile, say by an
        order typed in the conversation, is skipped by the insert itself)."""
        async with self.uow_factory() as uow:
            saved = await import_jobs.save_batch(
                job, batch, uow, max_open_orders=self.max_open_orders
            )
            if saved is None:
                raise _Stopped
            await uow.commit()
        return saved


def _summary(body: dict[str, Any]) -> import_jobs.PlanSummary:
    return import_jobs.PlanSummary(
        rows_read=int(body["rows_read"]),
        skipped_total=int(body["skipped_total"]),
        skipped=list(body["skipped"]),
    )
