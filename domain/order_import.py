"""Reading a seller's order file (CSV or XLSX) into rows of raw cell values.

One row per order line; rows with the same order number form one order. Headers are matched
through aliases in English and Chinese, ignoring case, spaces, underscores, hyphens, dots and
anything in brackets ("Unit price (USD)" is "unit price"). Values are not validated here —
the order intake rules do that (`domain.services.orders.intake`) — but Excel dates and serial numbers
in the ship-by column become datetimes. The column set is documented in docs/order-import.md.

Nothing here touches the database; rows stream, so a large XLSX is never held in memory, and
every limit (size, rows counted blank ones included, what a workbook unpacks to) is checked
before or while reading, never after. The bot runs this in its file worker, a child process
with its own time and memory bound, never on the event loop.
"""

from __future__ import annotations

import enum
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from domain.errors import InvalidInput
from domain.logistics import is_rate_card_header
from domain.spreadsheets import Rows, SheetLimits, Source, csv_rows, xlsx_rows

MAX_FILE_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
MAX_ROWS = 50_000
# What a workbook may unpack to (see domain.spreadsheets); `max_rows` is set from MAX_ROWS
# when a file is read.
SHEET_LIMITS = SheetLimits(max_rows=MAX_ROWS + 1)

CellValue = str | int | float | Decimal | datetime | date | time | None


class Column(enum.StrEnum):
    ORDER_NUMBER = "order_number"
    SHIP_TO_COUNTRY = "ship_to_country"
    SHIP_TO_POSTCODE = "ship_to_postcode"
    CURRENCY = "currency"
    PRODUCT_NAME = "product_name"
    SKU = "sku"
    QUANTITY = "quantity"
    UNIT_PRICE = "unit_price"
    SHIP_BY = "ship_by"


REQUIRED_COLUMNS = (
    Column.ORDER_NUMBER,
    Column.SHIP_TO_COUNTRY,
    Column.CURRENCY,
    Column.PRODUCT_NAME,
    Column.QUANTITY,
    Column.UNIT_PRICE,
    Column.SHIP_BY,
)

# Header spellings, before normalisation (see `header_key`). Keep docs/order-import.md in step.
ALIASES: dict[Column, tuple[str, ...]] = {
    Column.ORDER_NUMBER: (
        "order_number", "order no", "order id", "order", "order #", "order num",
        "订单号", "订单编号", "订单号码", "订单id",
    ),
    Column.SHIP_TO_COUNTRY: (
        "ship_to_country", "country", "country code", "destination country", "destination",
        "国家", "国家/地区", "收货国家", "目的国", "目的国家",
    ),
    Column.SHIP_TO_POSTCODE: (
        "ship_to_postcode", "postcode", "post code", "postal code", "zip", "zip code",
        "邮编", "邮政编码", "收货邮编",
    ),
    Column.CURRENCY: ("currency", "currency code", "币种", "货币", "币别"),
    Column.PRODUCT_NAME: (
        "product_name", "product", "product title", "item", "item name", "title",
        "商品名称", "产品名称", "商品", "品名", "商品标题",
    ),
    Column.SKU: ("sku", "sku code", "seller sku", "商品编码", "sku编码", "商家编码", "货号"),
    Column.QUANTITY: ("quantity", "qty", "数量", "购买数量", "商品数量"),
    Column.UNIT_PRICE: ("unit_price", "unit price", "price", "单价", "价格", "商品单价"),
    Column.SHIP_BY: (
        "ship_by", "ship by date", "ship by deadline", "deadline", "shipping deadline",
        "发货截止", "发货截止时间", "最晚发货时间", "发货期限", "发货时限",
    ),
}  # fmt: skip

_BRACKETED = re.compile(r"[(\[（【].*?[)\]）】]")
_IGNORED = re.compile(r"[\s_\-./#:：*]+")


def header_key(text: object) -> str:
    """A header as compared: NFKC, case-folded, without brackets, spaces and punctuation."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return _IGNORED.sub("", _BRACKETED.sub("", folded))


_ALIAS_TO_COLUMN: dict[str, Column] = {
    header_key(alias): column for column, aliases in ALIASES.items() for alias in aliases
}


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One data row: its row number as a spreadsheet shows it, and the known columns' values."""

    number: int
    values: dict[Column, CellValue]

    def get(self, column: Column) -> CellValue:
        return self.values.get(column)


def map_header(cells: Sequence[object]) -> dict[int, Column]:
    """Column positions by what they hold. Unknown headers are ignored; a missing required
    column or a column given twice is one error naming all of them."""
    positions: dict[int, Column] = {}
    seen: dict[Column, int] = {}
    repeated: list[str] = []
    for index, cell in enumerate(cells):
        if cell is None:
            continue
        column = _ALIAS_TO_COLUMN.get(header_key(cell))
        if column is None:
            continue
        if column in seen:
            repeated.append(column.value)
            continue
        seen[column] = index
        positions[index] = column
    if repeated:
        raise InvalidInput("import.columns_repeated", columns=sorted(set(repeated)))
    missing = [column.value for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        raise InvalidInput(
            "import.columns_missing",
            missing=missing,
            found=[str(c).strip() for c in cells if c is not None and str(c).strip()][:20],
        )
    return positions


# ----- reading files -----


class FileKind(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def detect_kind(head: bytes, file_name: str | None) -> FileKind:
    """XLSX by its zip signature, old binary Excel refused, anything else read as CSV."""
    name = (file_name or "").lower()
    if head.startswith(b"PK\x03\x04"):
        return FileKind.XLSX
    if head.startswith(b"\xd0\xcf\x11\xe0") or name.endswith((".xls", ".xlsm", ".xlsb")):
        raise InvalidInput("import.format_unsupported", file_name=file_name or "?")
    if name.endswith(".xlsx"):
        raise InvalidInput("import.file_unreadable", file_name=file_name or "?")
    return FileKind.CSV


def read_order_file(
    source: Source,
    file_name: str | None = None,
    *,
    max_rows: int = MAX_ROWS,
    limits: SheetLimits = SHEET_LIMITS,
) -> Iterator[ImportRow]:
    """The data rows of a CSV or XLSX order file (its bytes, or a path to it), streamed.

    The size, the format, the workbook's limits and the header are checked before this
    returns; the row limit while reading (InvalidInput "import.too_many_rows" from the
    iterator). Every row counts against that limit, blank ones too: a file holds at most
    `max_rows + 1` rows, room for a header and `max_rows` order lines.
    """
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InvalidInput("import.file_too_large", max_mb=MAX_FILE_BYTES // 2**20)
    limits = replace(limits, max_rows=max_rows + 1)
    if isinstance(source, bytes):
        head = source[:8]
    else:
        with source.open("rb") as file:
            head = file.read(8)
    epoch: datetime | None = None
    if detect_kind(head, file_name) == FileKind.XLSX:
        raw_rows, epoch = xlsx_rows(source, limits)
    else:
        content = source if isinstance(source, bytes) else source.read_bytes()
        raw_rows = csv_rows(content, limits.max_columns)
    counted = _within_row_limit(raw_rows, limits.max_rows, max_rows)
    for cells in (cells for _, cells in counted):
        if not _blank(cells):
            try:
                positions = map_header(cells)
            except InvalidInput as error:
                # Only a file that is no order file is looked at as a rate card.
                if error.key == "import.columns_missing" and (
                    is_rate_card_header(cells) or _rate_card_after_comments(cells, counted)
                ):
                    raise InvalidInput("import.rate_card_sent") from None
                raise
            return _data_rows(counted, positions, epoch)
    raise InvalidInput("import.file_empty")


# How far past its leading `#` comments a file is searched for a rate card's header.
_RATE_CARD_LOOKAHEAD = 20


def _rate_card_after_comments(first: Sequence[object], rows: Rows) -> bool:
    """Whether a file whose first row is a `#` comment (rate cards may start with some) has a
    rate card's header among its next rows: a card sent as an order file, to be told so."""
    if not str(first[0] or "").lstrip().startswith("#"):
        return False
    for _, cells in itertools.islice(rows, _RATE_CARD_LOOKAHEAD):
        if _blank(cells) or str(cells[0] or "").lstrip().startswith("#"):
            continue
        return is_rate_card_header(cells)
    return False


def _within_row_limit(raw_rows: Rows, max_physical: int, max_rows: int) -> Rows:
    """The rows, refused as a whole once the sheet has more than `max_physical` rows.

    The row number is the physical one (blank rows and rows openpyxl fills in for gaps
    included), so a file of a million blank rows stops here, not at its end.
    """
    for row_number, cells in raw_rows:
        if row_number > max_physical:
            raise InvalidInput("import.too_many_rows", max=max_rows)
        yield row_number, cells


def _blank(cells: Sequence[object]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _data_rows(
    raw_rows: Rows, positions: dict[int, Column], excel_epoch: datetime | None
) -> Iterator[ImportRow]:
    for row_number, cells in raw_rows:
        if _blank(cells):
            continue
        values: dict[Column, CellValue] = {}
        for index, column in positions.items():
            value = cells[index] if index < len(cells) else None
            values[column] = _cell(value, column, excel_epoch)
        yield ImportRow(row_number, values)


def _cell(value: Any, column: Column, excel_epoch: datetime | None) -> CellValue:
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):  # a TRUE/FALSE cell means nothing in any column of ours
        return str(value)
    if column == Column.SHIP_BY and excel_epoch is not None:
        if isinstance(value, int | float) and 1 <= value < 2_958_466:  # Excel's serial range
            # A date typed into a cell formatted as a number: Excel's serial day count.
            from openpyxl.utils.datetime import from_excel

            value = from_excel(value, excel_epoch)
        if isinstance(value, datetime) and value.time() == time(0, 0):
            # Excel has no date-only cells; midnight is how it stores a bare date.
            return value.date()
    if isinstance(value, str | int | float | Decimal | datetime | date | time) or value is None:
        return value
    return str(value)


def rows_from_records(records: Iterable[dict[str, object]]) -> Iterator[ImportRow]:
    """Rows from dictionaries keyed by column name (an API adapter, tests); numbered from 2
    as if under a header row."""
    for number, record in enumerate(records, start=2):
        values: dict[Column, CellValue] = {}
        for key, value in record.items():
            column = _ALIAS_TO_COLUMN.get(header_key(key))
            if column is not None:
                values[column] = _cell(value, column, None)
        yield ImportRow(number, values)
