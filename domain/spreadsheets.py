"""Opening an untrusted spreadsheet (XLSX or CSV) within stated limits, rows streamed.

An XLSX workbook is a zip of XML parts, and a zip can claim anything: a 145 KB file can unpack
to a million rows, a 2.5 MB one to a table of millions of strings. openpyxl, even in read-only
mode, reads some parts whole (the shared-strings table, the styles, the workbook), so before it
sees a file the zip directory is checked here: the number of parts, how they are packed, what
each unpacks to and all of them together (zipfile stops reading a part at its declared size, so
these figures hold), then the shared strings are counted with a streaming parser that builds no
tree, and the first sheet's declared dimensions are checked. Only then are rows read, one at a
time, in openpyxl's read-only mode.

CSV text is decoded once and split into lines lazily, so a file of twenty million blank lines
is never turned into a list.

Row numbers are what a spreadsheet shows (1-based), blank rows included; callers count them
against their own row limit. Every limit is reported as an `InvalidInput` naming it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from domain.errors import InvalidInput

MB = 2**20

Source = bytes | Path
Rows = Iterator[tuple[int, Sequence[Any]]]


@dataclass(frozen=True, slots=True)
class SheetLimits:
    """What a workbook may hold. `max_rows` counts every row of the sheet, blank ones too."""

    max_rows: int
    max_columns: int = 256
    # Everything in the zip, unpacked; and each part openpyxl reads whole (all but the sheets).
    max_unpacked_bytes: int = 256 * MB
    max_part_bytes: int = 32 * MB
    max_shared_strings: int = 500_000
    max_zip_entries: int = 1_000


_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
_SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
_CONTENT_TYPES = "[Content_Types].xml"
_READ_CHUNK = 64 * 1024


def _unreadable() -> InvalidInput:
    return InvalidInput("import.file_unreadable", file_name="xlsx")


def _open_zip(source: Source) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _unreadable() from None


def check_zip_directory(archive: zipfile.ZipFile, limits: SheetLimits) -> None:
    """Refuse what would unpack too big, or is packed in a way no spreadsheet program uses
    (encrypted parts, or compression other than deflate, whose output zipfile cannot cap)."""
    entries = archive.infolist()
    if len(entries) > limits.max_zip_entries:
        raise InvalidInput("import.xlsx_packing_unsupported")
    total = 0
    for entry in entries:
        encrypted = entry.flag_bits & 0x1
        if encrypted or entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InvalidInput("import.xlsx_packing_unsupported")
        total += entry.file_size
        if entry.file_size > limits.max_part_bytes and not _SHEET_PART.fullmatch(entry.filename):
            raise InvalidInput(
                "import.xlsx_part_too_large",
                part=entry.filename[:100],
                max_mb=limits.max_part_bytes // MB,
            )
    if total > limits.max_unpacked_bytes:
        raise InvalidInput("import.xlsx_unpacked_too_large", max_mb=limits.max_unpacked_bytes // MB)


class _StopParsing(Exception):
    pass


def _scan(source: IO[bytes], on_start: Any) -> None:
    """Feed an XML part to expat in chunks, calling `on_start(tag, attributes)` per element.

    No tree is built, and expat neither fetches external entities nor lets internal ones
    multiply (its amplification limit), so memory stays flat whatever the part holds.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = on_start
    try:
        while chunk := source.read(_READ_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, zipfile.BadZipFile, EOFError, OSError):
        # BadZipFile: the part is not what the directory says (size, checksum).
        raise _unreadable() from None


def _shared_strings_part(archive: zipfile.ZipFile) -> str | None:
    """Where the workbook keeps its shared strings, as openpyxl finds it: [Content_Types].xml."""
    found: list[str] = []

    def on_start(tag: str, attributes: dict[str, str]) -> None:
        if tag.endswith(" Override") and attributes.get("ContentType") == _SHARED_STRINGS_TYPE:
            found.append(attributes.get("PartName", "").lstrip("/"))

    try:
        with archive.open(_CONTENT_TYPES) as source:
            _scan(source, on_start)
    except KeyError:
        raise _unreadable() from None
    return found[0] if found else None


def count_shared_strings(archive: zipfile.ZipFile, limit: int) -> int:
    """How many entries the shared-strings table has; refused past `limit`, without reading
    the rest (the table's own count attributes are claims, so the entries are counted)."""
    part = _shared_strings_part(archive)
    if part is None:
        return 0
    count = 0

    def on_start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal count
        if tag.endswith(" si"):
            count += 1
            if count > limit:
                raise _StopParsing

    try:
        with archive.open(part) as source:
            _scan(source, on_start)
    except KeyError:
        raise _unreadable() from None
    except _StopParsing:
        raise InvalidInput("import.xlsx_too_many_strings", max=limit) from None
    return count


def xlsx_rows(source: Source, limits: SheetLimits) -> tuple[Rows, datetime]:
    """The first sheet's rows, streamed, and the workbook's date epoch (for serial dates).

    The zip directory, the shared-strings count and the declared dimensions are checked first;
    rows beyond `limits.max_columns` are cut there.
    """
    from openpyxl import load_workbook

    archive = _open_zip(source)
    try:
        check_zip_directory(archive, limits)
        count_shared_strings(archive, limits.max_shared_strings)
    finally:
        archive.close()
    # A file object, not a path: openpyxl would judge a path by its extension.
    file: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
    try:
        with warnings.catch_warnings():
            # Files from other tools often lack styles openpyxl expects; it only warns.
            warnings.simplefilter("ignore")
            workbook = load_workbook(file, read_only=True, data_only=True, keep_links=False)
    except MemoryError:
        file.close()
        raise
    except Exception:  # openpyxl raises many kinds on a broken file
        file.close()
        raise _unreadable() from None
    worksheet = workbook.worksheets[0] if workbook.worksheets else None
    epoch: datetime = workbook.epoch
    if worksheet is not None:
        rows, columns = worksheet.max_row or 0, worksheet.max_column or 0
        if rows > limits.max_rows or columns > limits.max_columns:
            workbook.close()
            file.close()
            raise InvalidInput(
                "import.xlsx_sheet_too_large",
                rows=rows,
                columns=columns,
                max_rows=limits.max_rows,
                max_columns=limits.max_columns,
            )

    def read() -> Rows:
        try:
            if worksheet is None:
                return
            # Some writers store wrong dimensions; read what is there, not what they claim.
            worksheet.reset_dimensions()
            cells = worksheet.iter_rows(values_only=True, max_col=limits.max_columns)
            # openpyxl fills missing rows in, so the count is the sheet's row number.
            yield from enumerate(cells, start=1)
        except (InvalidInput, MemoryError):
            raise
        except Exception:
            raise _unreadable() from None
        finally:
            workbook.close()
            file.close()

    return read(), epoch


# ----- CSV -----

# One line with its ending: \r\n, \n or a lone \r (old Mac exports); the last may have none.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_NON_BLANK_LINE = re.compile(r"[^\r\n]*\S[^\r\n]*")


def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM); GB18030 as a fallback, what Excel saves CSV in on Chinese
    Windows. A wrong guess shows up as missing columns, never as silently wrong data."""
    start = len(codecs.BOM_UTF8) if content.startswith(codecs.BOM_UTF8) else 0
    view = memoryview(content)[start:]
    try:
        return str(view, "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return str(view, "gb18030")
    except UnicodeDecodeError:
        raise InvalidInput("import.encoding_unsupported") from None


def _delimiter(header_line: str) -> str:
    """Comma, semicolon or tab: whichever the header line has most of (outside quotes)."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {delimiter: outside.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def csv_rows(content: bytes, max_columns: int) -> Rows:
    """CSV records numbered from 1, blank lines included (as empty records); a record may span
    lines inside quotes. Cells past `max_columns` are dropped."""
    text = decode_text(content)
    first = _NON_BLANK_LINE.search(text)
    lines = (match.group() for match in _LINE.finditer(text))
    reader = csv.reader(lines, delimiter=_delimiter(first.group() if first else ""))
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells[:max_columns]
    except csv.Error:
        raise InvalidInput("import.file_unreadable", file_name="csv") from None
