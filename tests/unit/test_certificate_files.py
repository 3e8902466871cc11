"""A certificate's content against the type its name claims (`domain.certificate_files`): real
files pass; renamed programs and pages, damaged files, image bombs and PDFs with active content
are refused with a message naming the problem."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from domain.certificate_files import MAX_PIXELS, DocumentFormat, check_certificate_file
from domain.errors import InvalidInput
from tests.fixtures import certificates

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
HTML = b"<!doctype html><html><body><script>location='https://evil.example'</script></body></html>"


def _check(tmp_path: Path, file_name: str, content: bytes) -> DocumentFormat:
    path = tmp_path / "upload"
    path.write_bytes(content)
    return check_certificate_file(path, file_name)


def _refusal(tmp_path: Path, file_name: str, content: bytes) -> tuple[str, dict[str, object]]:
    with pytest.raises(InvalidInput) as raised:
        _check(tmp_path, file_name, content)
    assert raised.value.params["file_name"] == file_name
    return raised.value.key, raised.value.params


@pytest.mark.parametrize(
    ("file_name", "content", "found"),
    [
        ("licence.pdf", certificates.pdf(), DocumentFormat.PDF),
        ("licence.pdf", certificates.pdf_with_image(), DocumentFormat.PDF),
        ("scan.JPG", certificates.jpeg(), DocumentFormat.JPEG),
        ("scan.jpeg", certificates.jpeg(), DocumentFormat.JPEG),
        ("lease.png", certificates.png(), DocumentFormat.PNG),
    ],
)
def test_real_documents_pass(
    tmp_path: Path, file_name: str, content: bytes, found: DocumentFormat
) -> None:
    assert _check(tmp_path, file_name, content) == found


def test_a_pdf_may_keep_its_dictionaries_in_an_object_stream(tmp_path: Path) -> None:
    content = certificates.pdf_with_objects(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        object_stream=b"2 0 << /Type /Pages /Kids [] /Count 0 >>",
    )
    assert _check(tmp_path, "licence.pdf", content) == DocumentFormat.PDF


@pytest.mark.parametrize(
    ("file_name", "content", "claimed"),
    [
        ("licence.pdf", EXE, "PDF"),
        ("licence.pdf", HTML, "PDF"),
        ("licence.pdf", certificates.png(), "PDF"),
        ("scan.jpg", EXE, "JPG"),
        ("scan.jpg", certificates.png(), "JPG"),
        ("scan.png", HTML, "PNG"),
        ("scan.png", certificates.jpeg(), "PNG"),
        ("scan.png", certificates.pdf(), "PNG"),
        ("scan.jpg", b"", "JPG"),
    ],
)
def test_a_file_that_is_something_else_is_refused(
    tmp_path: Path, file_name: str, content: bytes, claimed: str
) -> None:
    assert _refusal(tmp_path, file_name, content) == (
        "warehouse.document_not_type",
        {"file_name": file_name, "claimed": claimed},
    )


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        ("licence.pdf", certificates.pdf()[: len(certificates.pdf()) // 2]),
        ("scan.jpg", certificates.jpeg(640, 480)[:2_000]),
        ("scan.png", certificates.png(640, 480)[:-30]),
        # A stream that never ends, and an object stream that does not unpack.
        ("licence.pdf", b"%PDF-1.4\n1 0 obj\n<< /Length 9 >>\nstream\nxxxxxxxxx\n%%EOF\n"),
        (
            "licence.pdf",
            b"%PDF-1.5\n1 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n"
            b"not zlib\nendstream\nendobj\n%%EOF\n",
        ),
    ],
)
def test_a_damaged_file_is_refused(tmp_path: Path, file_name: str, content: bytes) -> None:
    assert _refusal(tmp_path, file_name, content) == (
        "warehouse.document_damaged",
        {"file_name": file_name},
    )


ACTIVE_CONTENT = [
    (b"<< /Type /Catalog /OpenAction 2 0 R >>", b"<< /S /JavaScript /JS (app.alert(1)) >>"),
    (b"<< /Type /Catalog /OpenAction 2 0 R >>", b"<< /S /Launch /F (cmd.exe) >>"),
    (b"<< /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >>", b"<< /Names [] >>"),
    (b"<< /Type /Filespec /EF << /F 2 0 R >> >>", b"<< /Type /EmbeddedFile >>"),
    # The same names written with #xx escapes, as a viewer reads them.
    (b"<< /Type /Catalog /OpenAction 2 0 R >>", b"<< /S /J#61vaScript /J#53 (x) >>"),
    # A rendition action may run a script of its own.
    (b"<< /Type /Catalog /OpenAction 2 0 R >>", b"<< /S /Rendition /JS (x) >>"),
    # The tester's file: "stream" forged inside a string, so that the action after it looked
    # like stream data to a scan that did not know strings.
    (
        b"<< /Type /Catalog /OpenAction 2 0 R >>",
        b"<< /X ( stream\n) /S /JavaScript /JS (app.alert(3)) /Y (endstream) >>",
    ),
]


@pytest.mark.parametrize(("first", "second"), ACTIVE_CONTENT)
def test_a_pdf_with_active_content_is_refused(tmp_path: Path, first: bytes, second: bytes) -> None:
    content = certificates.pdf_with_objects(first, second)
    assert _refusal(tmp_path, "licence.pdf", content)[0] == "warehouse.document_active_content"


def test_active_content_hidden_in_an_object_stream_is_found(tmp_path: Path) -> None:
    content = certificates.pdf_with_objects(
        b"<< /Type /Catalog /OpenAction 2 0 R >>",
        object_stream=b"2 0 << /S /JavaScript /JS (app.alert(1)) >>",
    )
    assert _refusal(tmp_path, "licence.pdf", content)[0] == "warehouse.document_active_content"


SCRIPT = b"2 0 << /S /JavaScript /JS (app.alert(1)) >>"


@pytest.mark.parametrize(
    "keys",
    [
        # No /Type: a reader finds the objects by /N and /First all the same.
        b"/N 1 /First 4 /Filter /FlateDecode",
        # A comment that looks like the start of the object does not hide the type.
        b"/Type /ObjStm % 9 0 obj endobj\n /N 1 /First 4 /Filter /FlateDecode",
        b"/Type /Obj#53tm /N 1 /First 4 /Filter /Fl#61teDecode",
    ],
)
def test_an_object_stream_is_found_however_its_dictionary_is_written(
    tmp_path: Path, keys: bytes
) -> None:
    content = certificates.pdf_with_objects(
        b"<< /Type /Catalog /OpenAction 2 0 R >>", object_stream=SCRIPT, object_stream_keys=keys
    )
    assert _refusal(tmp_path, "licence.pdf", content)[0] == "warehouse.document_active_content"


def test_an_object_stream_packed_another_way_is_refused(tmp_path: Path) -> None:
    content = certificates.pdf_with_objects(
        b"<< /Type /Catalog >>",
        object_stream=SCRIPT,
        object_stream_keys=b"/Type /ObjStm /N 1 /First 4 /Filter [/ASCIIHexDecode /FlateDecode]",
        packed=zlib.compress(SCRIPT).hex().encode(),
    )
    assert _refusal(tmp_path, "licence.pdf", content)[0] == "warehouse.document_damaged"


@pytest.mark.parametrize(
    "forged",
    [b"<< /X ( stream\n) >>", b"<< /X <73 stream\n> >>", b"<< /X 1 >> % stream\n"],
)
def test_a_stream_keyword_forged_in_a_string_or_comment_does_not_hide_an_object_stream(
    tmp_path: Path, forged: bytes
) -> None:
    """What the object stream holds is compressed, so only reading it unpacked finds it."""
    content = certificates.pdf_with_objects(
        b"<< /Type /Catalog /OpenAction 2 0 R >>", forged, object_stream=SCRIPT
    )
    assert _refusal(tmp_path, "licence.pdf", content)[0] == "warehouse.document_active_content"


def test_an_object_stream_on_a_comment_line_is_still_unpacked(tmp_path: Path) -> None:
    """A viewer jumps to the object by its offset, into what reads in order as a comment."""
    content = certificates.pdf_with_objects(
        b"<< /Type /Catalog /OpenAction 2 0 R >>", object_stream=SCRIPT
    )
    content = content.replace(b"2 0 obj\n<< /Type /ObjStm", b"% 2 0 obj << /Type /ObjStm")
    content = content.replace(b">>\nstream\n", b">> stream\n")
    assert content.count(b"% 2 0 obj") == 1
    assert _refusal(tmp_path, "licence.pdf", content)[0] == "warehouse.document_active_content"


@pytest.mark.parametrize(
    "hidden",
    [
        b"<< /S /J#61vaScript /JS (app.alert(1)) >>",
        b"<< /S /#4A#61#76#61#53#63#72#69#70#74 >>",
        b"<< /Type /Filespec /EF << /F 3 0 R >> >> 3 0 obj << /Type /EmbeddedFile >>",
    ],
)
def test_a_long_active_name_inside_stream_data_is_found(tmp_path: Path, hidden: bytes) -> None:
    """A viewer may find an object anywhere by its offset, stream data included."""
    content = certificates.pdf_with_objects(
        b"<< /Type /Catalog /OpenAction 2 0 R >>",
        b"<< /Length 99 >>\nstream\n\x00\x9f" + hidden + b"\x01\nendstream",
    )
    assert _refusal(tmp_path, "licence.pdf", content)[0] == "warehouse.document_active_content"


def test_the_object_streams_of_an_encrypted_file_are_not_read(tmp_path: Path) -> None:
    """The known gap: without the key, what an encrypted object stream holds is not seen (the
    names in it are encrypted, so the scan of the raw bytes does not see them either)."""
    content = certificates.pdf_with_objects(
        b"<< /Type /Catalog >>",
        b"<< /Filter /Standard /V 2 /R 3 >>",
        object_stream=SCRIPT,
        packed=b"\x8f\x11 ciphertext, not zlib \x02",
    ).replace(b"<< /Root 1 0 R >>", b"<< /Root 1 0 R /Encrypt 2 0 R >>")
    assert _check(tmp_path, "licence.pdf", content) == DocumentFormat.PDF


def test_an_object_stream_that_unpacks_past_the_budget_is_refused(tmp_path: Path) -> None:
    packed = zlib.compress(b" " * (65 * 2**20), 9)  # 65 MB of spaces in about 64 KB
    content = (
        b"%PDF-1.5\n1 0 obj\n<< /Type /ObjStm /Filter /FlateDecode >>\nstream\n"
        + packed
        + b"\nendstream\nendobj\n%%EOF\n"
    )
    assert _refusal(tmp_path, "licence.pdf", content)[0] == "warehouse.document_damaged"


def test_short_names_inside_image_data_are_not_read(tmp_path: Path) -> None:
    """Binary stream data can hold any short run of bytes, "/JS" among them, so only
    dictionaries count for it; the long names are looked for everywhere."""
    content = certificates.pdf_with_objects(
        b"<< /Type /XObject /Subtype /Image /Length 20 >>\nstream\n\x00/JS (\x00\nendstream",
    )
    assert _check(tmp_path, "licence.pdf", content) == DocumentFormat.PDF


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8_000, 8_000),  # past our limit, under Pillow's own warning
        (10_000, 10_000),  # past Pillow's warning
        (100_000, 100_000),  # past Pillow's refusal
    ],
)
def test_an_image_with_too_many_pixels_is_refused_before_decoding(
    tmp_path: Path, width: int, height: int
) -> None:
    assert width * height > MAX_PIXELS
    assert _refusal(tmp_path, "scan.png", certificates.png_header_only(width, height)) == (
        "warehouse.document_too_many_pixels",
        {"file_name": "scan.png", "max_megapixels": MAX_PIXELS // 1_000_000},
    )


def test_an_unknown_extension_is_not_checked_as_anything(tmp_path: Path) -> None:
    assert _refusal(tmp_path, "setup.exe", EXE)[0] == "warehouse.document_type"
