"""Order files built to hurt: every row counts against the cap, a workbook's zip directory and
shared strings are checked before openpyxl reads anything whole, and CSV is split lazily.

Limits are lowered where that keeps a test small; one realistic bomb runs at full size.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.order_import import SHEET_LIMITS, Column, read_order_file
from domain.spreadsheets import SheetLimits, count_shared_strings
from tests.fixtures.spreadsheet_bombs import (
    HEADER,
    blank_rows_bomb,
    gap_bomb,
    shared_strings_bomb,
    text_row,
    workbook,
)

ROW = ["8001", "US", "94105", "USD", "Phone case", "PC-1", "2", "3.50", "2026-12-01"]


def _refusal(content: bytes, name: str = "orders.xlsx", **kwargs: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        list(read_order_file(content, name, **kwargs))
    return raised.value


def _limits(**changes: Any) -> SheetLimits:
    values = {
        "max_rows": SHEET_LIMITS.max_rows,
        "max_columns": SHEET_LIMITS.max_columns,
        "max_unpacked_bytes": SHEET_LIMITS.max_unpacked_bytes,
        "max_part_bytes": SHEET_LIMITS.max_part_bytes,
        "max_shared_strings": SHEET_LIMITS.max_shared_strings,
        "max_zip_entries": SHEET_LIMITS.max_zip_entries,
    } | changes
    return SheetLimits(**values)


# ----- every physical row counts -----


def test_blank_csv_lines_count_against_the_row_cap() -> None:
    content = ("\r\n".join([",".join(HEADER), *[""] * 5, ",".join(ROW)]) + "\r\n").encode()
    assert [row.number for row in read_order_file(content, "a.csv", max_rows=6)] == [7]
    refused = _refusal(content, "a.csv", max_rows=5)
    assert (refused.key, refused.params) == ("import.too_many_rows", {"max": 5})


def test_twenty_megabytes_of_blank_lines_are_refused_by_the_row_cap() -> None:
    content = b"\n" * (20 * 2**20)
    refused = _refusal(content, "blank.csv")
    assert (refused.key, refused.params) == ("import.too_many_rows", {"max": 50_000})


def test_blank_lines_before_the_header_count_too() -> None:
    content = b"\r\n" * 20 + (",".join(HEADER) + "\r\n" + ",".join(ROW)).encode()
    assert _refusal(content, "a.csv", max_rows=10).key == "import.too_many_rows"


def test_csv_lines_ending_in_a_lone_carriage_return_are_rows() -> None:
    content = (",".join(HEADER) + "\r" + ",".join(ROW) + "\r").encode()
    [row] = read_order_file(content, "mac.csv")
    assert row.number == 2
    assert row.get(Column.SKU) == "PC-1"


def test_blank_xlsx_rows_count_against_the_row_cap() -> None:
    content = blank_rows_bomb(rows=200)
    refused = _refusal(content, max_rows=100)
    assert (refused.key, refused.params) == ("import.too_many_rows", {"max": 100})


def test_a_gap_openpyxl_would_fill_with_empty_rows_counts_too() -> None:
    refused = _refusal(gap_bomb(last_row=5_000), max_rows=1_000)
    assert refused.key == "import.too_many_rows"


def test_the_million_blank_rows_bomb_is_refused() -> None:
    content = blank_rows_bomb()
    assert len(content) < 150 * 1024
    refused = _refusal(content)
    assert (refused.key, refused.params) == ("import.too_many_rows", {"max": 50_000})


def test_a_file_at_the_cap_is_read(tmp_path: Path) -> None:
    rows = [text_row(1, HEADER), *(text_row(n, ROW) for n in range(2, 102))]
    path = tmp_path / "upload"  # as downloaded: no extension, read by content
    path.write_bytes(workbook(rows))
    assert len(list(read_order_file(path, "orders.xlsx", max_rows=100))) == 100


# ----- the zip directory, before openpyxl -----


class _Opened(BaseException):
    """Not an Exception: the reader's catch-all for broken files must not swallow it."""


def _never_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise _Opened("openpyxl must not open a workbook refused by its directory")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_a_shared_strings_table_past_the_limit_is_refused_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _never_opened(monkeypatch)
    content = workbook([text_row(1, HEADER)], shared_strings=(f"s{i}" for i in range(101)))
    refused = _refusal(content, limits=_limits(max_shared_strings=100))
    assert (refused.key, refused.params) == ("import.xlsx_too_many_strings", {"max": 100})


def test_the_shared_strings_bomb_is_refused_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    _never_opened(monkeypatch)
    content = shared_strings_bomb(strings=600_000)
    # Within the part-size limit, so the entries themselves are counted, without a tree.
    refused = _refusal(content)
    assert (refused.key, refused.params) == ("import.xlsx_too_many_strings", {"max": 500_000})
    # A bigger table is refused on its unpacked size alone.
    refused = _refusal(content, limits=_limits(max_part_bytes=2**20))
    assert (refused.key, refused.params) == (
        "import.xlsx_part_too_large",
        {"part": "xl/sharedStrings.xml", "max_mb": 1},
    )


def test_shared_strings_are_counted_not_believed() -> None:
    content = workbook([text_row(1, HEADER)], shared_strings=["a", "b", "c"])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert count_shared_strings(archive, 10) == 3


def test_what_the_workbook_unpacks_to_is_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    _never_opened(monkeypatch)
    rows = [text_row(1, HEADER), *(text_row(n, ROW) for n in range(2, 5_000))]
    refused = _refusal(workbook(rows), limits=_limits(max_unpacked_bytes=2**20))
    assert (refused.key, refused.params) == ("import.xlsx_unpacked_too_large", {"max_mb": 1})


def test_unusual_packing_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _never_opened(monkeypatch)
    # bzip2 output cannot be capped while it is inflated: no spreadsheet program writes it.
    bzipped = workbook([text_row(1, HEADER)], compression=zipfile.ZIP_BZIP2)
    assert _refusal(bzipped).key == "import.xlsx_packing_unsupported"
    many_parts = workbook(
        [text_row(1, HEADER)], extra_parts=[(f"x/{i}.xml", b"<a/>") for i in range(30)]
    )
    assert (
        _refusal(many_parts, limits=_limits(max_zip_entries=20)).key
        == "import.xlsx_packing_unsupported"
    )


def test_a_part_that_unpacks_past_its_declared_size_is_unreadable() -> None:
    content = bytearray(workbook([text_row(1, HEADER), text_row(2, ROW)] * 50))
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as archive:
        entry = archive.getinfo("xl/worksheets/sheet1.xml")
    # Claim 100 bytes in the local header and the central directory: zipfile stops there.
    small = (100).to_bytes(4, "little")
    content[entry.header_offset + 22 : entry.header_offset + 26] = small
    central = bytes(content).index(b"xl/worksheets/sheet1.xml", content.index(b"PK\x01\x02")) - 46
    assert content[central : central + 4] == b"PK\x01\x02"
    content[central + 24 : central + 28] = small
    assert _refusal(bytes(content)).key == "import.file_unreadable"


def test_declared_sheet_dimensions_past_the_limits_are_refused() -> None:
    rows = [text_row(1, HEADER), text_row(2, ROW)]
    refused = _refusal(workbook(rows, dimension="A1:XFD1048576"))
    assert refused.key == "import.xlsx_sheet_too_large"
    assert refused.params == {
        "rows": 1_048_576,
        "columns": 16_384,
        "max_rows": 50_001,
        "max_columns": 256,
    }
    # Dimensions that understate are common and harmless: the rows are read and counted.
    assert len(list(read_order_file(workbook(rows, dimension="A1"), "a.xlsx"))) == 1


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04" + b"\0" * 200,  # a zip header and nothing behind it
        workbook(["<row r='1'><c r='A1' t='inlineStr'><is><t>x</t></is></c>"]),  # broken XML
    ],
)
def test_broken_workbooks_are_unreadable_not_a_crash(content: bytes) -> None:
    assert _refusal(content).key == "import.file_unreadable"


def test_cells_past_the_column_limit_are_ignored() -> None:
    header = [*HEADER, *[f"extra {i}" for i in range(300)]]
    content = (",".join(header) + "\n" + ",".join(ROW) + "\n").encode()
    [row] = read_order_file(content, "wide.csv")
    assert row.get(Column.QUANTITY) == "2"
