"""A warehouse's certification document as a seller sends it: a file or a photo message.

Operators open these files, so a file is kept only once its content proved to be the PDF, JPG
or PNG its name says (`domain.certificate_files`). What Telegram tells about it (name, type,
size) is checked in the update; the content is read after the commit, in the file worker, and
the step is finished by `keep` in a transaction of its own (`handlers.uploads`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram.types import Message

from domain.errors import InvalidInput
from domain.model import DocumentKind
from domain.services import warehouses
from handlers.context import UpdateContext
from handlers.uploads import FileStepRunner, FileUpload, StepContext

# Reading a certificate is quick (a PDF is scanned, an image decoded once); this is the bound.
CHECK_SECONDS = 30
MAX_MB = warehouses.MAX_DOCUMENT_BYTES // 2**20

# The rest of a step once a document may be kept: the step's handler, with the caller's ctx.
KeepDocument = Callable[[warehouses.UploadedDocument, UpdateContext], Awaitable[None]]


def uploaded_document(message: Message, kind: DocumentKind) -> warehouses.UploadedDocument:
    """Read a document or photo message; the type and size are checked before anything is kept."""
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made
        warehouses.check_document("photo.jpg", "image/jpeg", photo.file_size)
        return warehouses.UploadedDocument(
            kind=kind,
            telegram_file_id=photo.file_id,
            file_unique_id=photo.file_unique_id,
            file_name="photo.jpg",
            mime_type="image/jpeg",
            size=photo.file_size or 0,
            is_photo=True,
        )
    document = message.document
    assert document is not None
    warehouses.check_document(document.file_name, document.mime_type, document.file_size)
    return warehouses.UploadedDocument(
        kind=kind,
        telegram_file_id=document.file_id,
        file_unique_id=document.file_unique_id,
        file_name=document.file_name or "document",
        mime_type=(document.mime_type or "").lower(),
        size=document.file_size or 0,
    )


async def receive_document(
    message: Message,
    kind: DocumentKind,
    ctx: UpdateContext,
    file_steps: FileStepRunner,
    keep: KeepDocument,
) -> None:
    """Take a certificate sent as `kind`: `keep` runs once it may be kept, or the seller is
    told what is wrong with it and stays where they are."""
    document = uploaded_document(message, kind)
    if document.is_photo:
        # A photo message holds none of the sender's bytes: Telegram decodes what the app
        # sent (refusing what it cannot) and serves JPEGs of its own making, in sizes it
        # chose. Reading one back would only check Telegram's encoder, so it is kept at once.
        await keep(document, ctx)
        return
    upload = FileUpload(
        job="certificate",
        file_id=document.telegram_file_id,
        file_name=document.file_name,
        user_id=ctx.user_id,
        chat_id=message.chat.id,
        locale=ctx.responder.locale,
        max_bytes=warehouses.MAX_DOCUMENT_BYTES,
        too_large=InvalidInput("warehouse.document_too_large", max_mb=MAX_MB),
        seconds=CHECK_SECONDS,
        unreadable_key="warehouse.document_damaged",
    )

    async def checked(found: Any, step: StepContext) -> None:
        await keep(document, replace(ctx, uow=step.uow, responder=step.responder, state=step.state))

    ctx.uow.after_commit(lambda: file_steps.start(upload, checked))
    ctx.responder.reply("warehouse.document_checking", file_name=document.file_name)
