"""Files relayed in a return case (tester t3, finding 2): what may be sent at all, what its
content must prove, and the neutral name its copy carries."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.certificate_files import check_certificate_file
from domain.errors import InvalidInput
from domain.returns import files
from domain.returns.files import CaseFileFormat, check_case_document, check_case_file
from domain.returns.rules import MessageKind
from tests.fixtures import certificates

PDF = "application/pdf"
MB = 2**20


@pytest.mark.parametrize(
    ("file_name", "mime_type", "expected"),
    [
        ("invoice.pdf", PDF, CaseFileFormat.PDF),
        ("Scan 2024.11.25.PDF", PDF, CaseFileFormat.PDF),
        ("box.jpg", "image/jpeg", CaseFileFormat.JPEG),
        ("box.JPEG", "image/jpg", CaseFileFormat.JPEG),
        ("box.png", "image/png", CaseFileFormat.PNG),
        ("box.webp", "image/webp", CaseFileFormat.WEBP),
        ("receipt.pdf.pdf", PDF, CaseFileFormat.PDF),
        ("WhatsApp +1 415 555 2671 alex.real@gmail.com.pdf", PDF, CaseFileFormat.PDF),
        ("next.js notes.pdf", PDF, CaseFileFormat.PDF),
    ],
)
def test_documents_a_return_needs_are_taken(
    file_name: str, mime_type: str, expected: CaseFileFormat
) -> None:
    assert check_case_document(file_name, mime_type, 100_000) is expected


@pytest.mark.parametrize(
    ("file_name", "mime_type", "key"),
    [
        # the tester's files
        ("refund_receipt.pdf.exe", "application/x-msdownload", "returns.file_type"),
        ("label.html", "text/html", "returns.file_type"),
        # other kinds a return does not need
        ("photos.zip", "application/zip", "returns.file_type"),
        ("invoice.docx", "application/msword", "returns.file_type"),
        ("clip.mp4", "video/mp4", "returns.file_type"),
        ("voice.ogg", "audio/ogg", "returns.file_type"),
        ("drawing.svg", "image/svg+xml", "returns.file_type"),
        ("no extension", PDF, "returns.file_type"),
        (None, PDF, "returns.file_type"),
        # a name that hides another type behind the one it shows, or a type that disagrees
        ("invoice.exe.pdf", PDF, "returns.file_disguised"),
        ("label.html.png", "image/png", "returns.file_disguised"),
        ("photo.js.jpg", "image/jpeg", "returns.file_disguised"),
        ("invoice.pdf", "application/x-msdownload", "returns.file_disguised"),
        ("invoice.pdf", "text/html", "returns.file_disguised"),
        ("photo.png", None, "returns.file_disguised"),
    ],
)
def test_other_documents_are_refused_at_once(
    file_name: str | None, mime_type: str | None, key: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_case_document(file_name, mime_type, 100_000)
    assert refused.value.key == key


def test_a_refusal_names_the_file_without_its_direction_overrides() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_case_document("invoice\u202efdp.exe", "application/x-msdownload", 1000)
    assert refused.value.params == {"file_name": "invoicefdp.exe"}


def test_a_document_past_what_a_bot_may_download_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_case_document("scan.pdf", PDF, 20 * MB + 1)
    assert (refused.value.key, refused.value.params) == ("returns.file_too_large", {"max_mb": 20})
    with pytest.raises(InvalidInput):
        check_case_document("scan.pdf", PDF, None)
    assert check_case_document("scan.pdf", PDF, 20 * MB) is CaseFileFormat.PDF


def test_voice_messages_are_not_relayed() -> None:
    with pytest.raises(InvalidInput) as refused:
        files.check_kind(MessageKind.VOICE)
    assert refused.value.key == "returns.voice_refused"
    for kind in (MessageKind.TEXT, MessageKind.PHOTO, MessageKind.VIDEO, MessageKind.DOCUMENT):
        files.check_kind(kind)


def _check(tmp_path: Path, file_name: str, content: bytes) -> CaseFileFormat:
    path = tmp_path / "upload"
    path.write_bytes(content)
    return check_case_file(path, file_name)


@pytest.mark.parametrize(
    ("file_name", "content", "expected"),
    [
        ("receipt.pdf", certificates.pdf(), CaseFileFormat.PDF),
        ("box.jpg", certificates.jpeg(), CaseFileFormat.JPEG),
        ("box.png", certificates.png(), CaseFileFormat.PNG),
        ("box.webp", certificates.webp(), CaseFileFormat.WEBP),
    ],
)
def test_real_files_pass_their_content_check(
    tmp_path: Path, file_name: str, content: bytes, expected: CaseFileFormat
) -> None:
    assert _check(tmp_path, file_name, content) is expected


SCRIPTED_PDF = certificates.scripted_pdf()


@pytest.mark.parametrize(
    ("file_name", "content", "key", "params"),
    [
        # the tester's "photos.pdf", opening with a script
        ("photos.pdf", SCRIPTED_PDF, "returns.file_active_content", {}),
        ("receipt.pdf", b"MZ\x90\x00" + b"\x00" * 200, "returns.file_not_type", {"claimed": "PDF"}),
        ("label.pdf", b"<html><script>alert(1)</script></html>", "returns.file_not_type", {}),
        ("box.png", certificates.jpeg(), "returns.file_not_type", {"claimed": "PNG"}),
        ("box.webp", certificates.png(), "returns.file_not_type", {"claimed": "WEBP"}),
        ("receipt.pdf", certificates.pdf()[:400], "returns.file_damaged", {}),
        ("box.jpg", certificates.jpeg()[:200], "returns.file_damaged", {}),
        (
            "huge.png",
            certificates.png_header_only(100_000, 100_000),
            "returns.file_too_many_pixels",
            {"max_megapixels": 50},
        ),
    ],
)
def test_content_that_is_not_what_the_name_says_is_refused(
    tmp_path: Path, file_name: str, content: bytes, key: str, params: dict[str, object]
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _check(tmp_path, file_name, content)
    assert refused.value.key == key
    assert refused.value.params["file_name"] == file_name
    assert params.items() <= refused.value.params.items()


def test_a_certificate_is_still_refused_as_a_certificate(tmp_path: Path) -> None:
    """The checks are shared; their answers are each feature's own."""
    path = tmp_path / "upload"
    path.write_bytes(SCRIPTED_PDF)
    with pytest.raises(InvalidInput) as refused:
        check_certificate_file(path, "licence.pdf")
    assert refused.value.key == "warehouse.document_active_content"
    with pytest.raises(InvalidInput) as webp_refused:
        check_certificate_file(path, "licence.webp")
    assert webp_refused.value.key == "warehouse.document_type"


def test_the_copy_is_named_by_the_bot() -> None:
    assert files.copy_name("R-12", 34, "pdf") == "case-R-12-34.pdf"
    assert files.copy_name("R-12", 35, CaseFileFormat.WEBP) == "case-R-12-35.webp"
    with pytest.raises(ValueError, match="exe"):
        files.copy_name("R-12", 36, "exe")


@pytest.mark.parametrize(
    ("file_name", "claimed", "checked_as"),
    [
        ("WhatsApp +1 415 555 2671 alex.real@gmail.com.pdf", CaseFileFormat.PDF, None),
        ("invoice\u202efdp.png", CaseFileFormat.PNG, "invoicefdp.png"),
        ("x" * 150 + ".pdf", CaseFileFormat.PDF, "document.pdf"),
        (None, CaseFileFormat.JPEG, "document.jpg"),
    ],
)
def test_the_name_a_document_is_checked_under_keeps_its_extension(
    file_name: str | None, claimed: CaseFileFormat, checked_as: str | None
) -> None:
    assert files.name_to_check(file_name, claimed) == (checked_as or file_name)
