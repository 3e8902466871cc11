"""A warehouse's certification document as a seller sends it: a file or a photo message."""

from __future__ import annotations

from aiogram.types import Message

from domain.model import DocumentKind
from domain.services import warehouses


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
