"""Files one side of a return case sends the other: which may be relayed, how their content is
checked, and the name their copy carries.

The other side opens what arrives from the bot, and trusts it for that. So a return relays
only what a return needs: photos and videos (Telegram's own media), and documents that are a
PDF or a JPG, PNG or WEBP image. Voice messages are not relayed: masking cannot reach what is
said in one, and a return is settled in writing, on the record. A document is refused at once
when its name is not one of those types, hides another type behind it ("receipt.pdf.exe",
"label.html.pdf"), or disagrees with the type Telegram reports; otherwise its content is read
in the file worker, as a warehouse certificate's is (`domain.certificate_files`: a PDF with no
active content, an image that is what its name says and decodes to the end), and only a file
that passed is stored and relayed.

The copy goes out under a name of the bot's making, `case-R-1042-7.pdf`, never the sender's:
a file name is text the sender chose, and masking it would leave a name no one can read.
"""

from __future__ import annotations

import enum
from pathlib import Path, PurePosixPath

from domain.certificate_files import Answers, DocumentFormat, check_image, check_pdf
from domain.errors import InvalidInput
from domain.returns.rules import MessageKind
from domain.typed_text import displayable_name

# Telegram lets a bot download files up to 20 MB: nothing larger could be checked.
MAX_FILE_BYTES = 20 * 2**20
# Reading one file is quick (a PDF is scanned, an image decoded once); this is the bound.
CHECK_SECONDS = 30
# How a file's name is shown back to its sender in a refusal.
SHOWN_NAME_MAX = 100


class CaseFileFormat(enum.StrEnum):
    """The document formats a return relays; the value is the copy's extension."""

    PDF = "pdf"
    JPEG = "jpg"
    PNG = "png"
    WEBP = "webp"

    @property
    def checked_as(self) -> DocumentFormat:
        return _CHECKED_AS[self]


_CHECKED_AS = {
    CaseFileFormat.PDF: DocumentFormat.PDF,
    CaseFileFormat.JPEG: DocumentFormat.JPEG,
    CaseFileFormat.PNG: DocumentFormat.PNG,
    CaseFileFormat.WEBP: DocumentFormat.WEBP,
}
FORMAT_OF_EXTENSION = {
    ".pdf": CaseFileFormat.PDF,
    ".jpg": CaseFileFormat.JPEG,
    ".jpeg": CaseFileFormat.JPEG,
    ".png": CaseFileFormat.PNG,
    ".webp": CaseFileFormat.WEBP,
}
# The MIME types apps send each format as ("image/jpg" and "image/pjpeg" are old spellings).
_MIME_TYPES = {
    CaseFileFormat.PDF: frozenset({"application/pdf"}),
    CaseFileFormat.JPEG: frozenset({"image/jpeg", "image/jpg", "image/pjpeg"}),
    CaseFileFormat.PNG: frozenset({"image/png"}),
    CaseFileFormat.WEBP: frozenset({"image/webp"}),
}
# Extensions of files that run, render a page with scripts, or unpack into others: one of them
# just before the extension a name ends in is a disguise ("receipt.pdf.exe" ends in one and is
# refused by its type already; "invoice.exe.pdf" or "label.html.png" is refused for it). Not
# ".com": names hold domains ("alex@gmail.com.pdf"), and the copy's name is the bot's anyway.
_DISGUISES = frozenset(
    {
        ".exe", ".scr", ".pif", ".bat", ".cmd", ".msi", ".msp", ".dll", ".cpl", ".sys",
        ".ps1", ".psm1", ".vb", ".vbs", ".vbe", ".js", ".jse", ".mjs", ".wsf", ".wsh", ".hta",
        ".html", ".htm", ".xhtml", ".shtml", ".mht", ".mhtml", ".svg", ".xml", ".xsl",
        ".jar", ".apk", ".app", ".dmg", ".pkg", ".deb", ".rpm", ".sh", ".bash", ".command",
        ".lnk", ".url", ".reg", ".inf", ".iso", ".img", ".vhd", ".zip", ".rar", ".7z", ".gz",
        ".tar", ".cab", ".docm", ".xlsm", ".pptm", ".one", ".py", ".php", ".pl", ".rb",
    }
)  # fmt: skip
CASE_FILE_ANSWERS = Answers(
    not_type="returns.file_not_type",
    damaged="returns.file_damaged",
    active_content="returns.file_active_content",
    too_many_pixels="returns.file_too_many_pixels",
)


def shown_name(file_name: str | None) -> str:
    """A file's name as its sender reads it in a refusal (direction overrides dropped)."""
    return displayable_name(file_name, SHOWN_NAME_MAX, "")


def name_to_check(file_name: str | None, claimed: CaseFileFormat) -> str:
    """The name a document is checked (and named to its sender) under: as shown, when that
    still ends in the extension it was accepted for; else one that does."""
    shown = shown_name(file_name)
    if FORMAT_OF_EXTENSION.get(PurePosixPath(shown.lower()).suffix) is claimed:
        return shown
    return f"document.{claimed.value}"


def check_kind(kind: MessageKind) -> None:
    """What a return relays at all: text, photos, videos and (checked) documents."""
    if MessageKind(kind) is MessageKind.VOICE:
        raise InvalidInput("returns.voice_refused")


def check_case_document(
    file_name: str | None, mime_type: str | None, size: int | None
) -> CaseFileFormat:
    """The format a document claims to be, when a return may relay one; what Telegram says
    about it, before its content is read (`check_case_file`, in the file worker)."""
    name = (file_name or "").strip().lower()
    suffixes = PurePosixPath(name).suffixes if name else []
    claimed = FORMAT_OF_EXTENSION.get(suffixes[-1]) if suffixes else None
    if claimed is None:
        raise InvalidInput("returns.file_type", file_name=shown_name(file_name))
    mime = (mime_type or "").lower()
    disguised = len(suffixes) > 1 and suffixes[-2] in _DISGUISES
    if disguised or mime not in _MIME_TYPES[claimed]:
        raise InvalidInput("returns.file_disguised", file_name=shown_name(file_name))
    if size is None or size > MAX_FILE_BYTES:
        raise InvalidInput("returns.file_too_large", max_mb=MAX_FILE_BYTES // 2**20)
    return claimed


def check_case_file(path: Path, file_name: str) -> CaseFileFormat:
    """The format of the document at `path`, once its content proved to be what its name
    claims (`check_case_document` passed on it); `InvalidInput` saying what is wrong."""
    claimed = _claimed(file_name)
    shown = shown_name(file_name)
    if claimed is CaseFileFormat.PDF:
        check_pdf(path.read_bytes(), shown, CASE_FILE_ANSWERS)
    else:
        check_image(path, claimed.checked_as, shown, CASE_FILE_ANSWERS)
    return claimed


def _claimed(file_name: str) -> CaseFileFormat:
    suffix = PurePosixPath(file_name.strip().lower()).suffix
    claimed = FORMAT_OF_EXTENSION.get(suffix)
    if claimed is None:
        raise InvalidInput("returns.file_type", file_name=shown_name(file_name))
    return claimed


def copy_name(case_number: str, message_id: int, file_type: str) -> str:
    """The name a document's copy carries: the case, the message, the checked format."""
    return f"case-{case_number}-{message_id}.{CaseFileFormat(file_type).value}"
