"""Reading order files (CSV, XLSX) and the intake rules applied to each row, without a database."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from openpyxl import Workbook

from domain.errors import InvalidInput
from domain.order_import import (
    Column,
    ImportRow,
    header_key,
    map_header,
    read_order_file,
    rows_from_records,
)
from domain.services.orders import cleaning, file_import, intake

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HEADER = [
    "order_number",
    "ship_to_country",
    "ship_to_postcode",
    "currency",
    "product_name",
    "sku",
    "quantity",
    "unit_price",
    "ship_by",
]
ROW = ["8001", "US", "94105", "USD", "Phone case", "PC-1", "2", "3.50", "2026-12-01"]


def _csv(rows: Sequence[Sequence[object]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    lines = [delimiter.join("" if cell is None else str(cell) for cell in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _xlsx(rows: Sequence[Sequence[object]], start_row: int = 1) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=start_row + offset, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _read(content: bytes, name: str = "orders.csv", **kwargs: Any) -> list[ImportRow]:
    return list(read_order_file(content, name, **kwargs))


# ----- headers -----


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Order No.", Column.ORDER_NUMBER),
        ("ORDER_ID", Column.ORDER_NUMBER),
        ("订单号", Column.ORDER_NUMBER),
        ("订单编号", Column.ORDER_NUMBER),
        ("Country", Column.SHIP_TO_COUNTRY),
        ("国家/地区", Column.SHIP_TO_COUNTRY),
        ("Zip", Column.SHIP_TO_POSTCODE),
        ("邮编", Column.SHIP_TO_POSTCODE),
        ("Postal Code", Column.SHIP_TO_POSTCODE),
        ("币种", Column.CURRENCY),
        ("商品名称", Column.PRODUCT_NAME),
        ("Product", Column.PRODUCT_NAME),
        ("商品编码", Column.SKU),
        ("数量", Column.QUANTITY),
        ("Qty", Column.QUANTITY),
        ("单价", Column.UNIT_PRICE),
        ("Unit Price (USD)", Column.UNIT_PRICE),
        ("unit_price", Column.UNIT_PRICE),
        ("最晚发货时间", Column.SHIP_BY),
        ("发货截止", Column.SHIP_BY),
        ("Ship by", Column.SHIP_BY),
        ("Deadline", Column.SHIP_BY),
    ],
)
def test_header_aliases_in_english_and_chinese(header: str, column: Column) -> None:
    headers = [header if c == column.value else c for c in HEADER]
    positions = map_header(headers)
    assert positions[HEADER.index(column.value)] == column


def test_header_matching_ignores_case_spaces_underscores_and_width() -> None:
    assert header_key(" Ship_To  Country ") == header_key("shiptocountry")
    assert header_key("ＱＴＹ") == header_key("qty")  # full-width letters
    assert header_key("数量（件）") == header_key("数量")


def test_missing_required_columns_are_one_error_naming_all_of_them() -> None:
    with pytest.raises(InvalidInput) as raised:
        map_header(["订单号", "Country", "Product", "Notes"])
    assert raised.value.key == "import.columns_missing"
    assert raised.value.params["missing"] == ["currency", "quantity", "unit_price", "ship_by"]
    assert "Notes" in raised.value.params["found"]


def test_optional_columns_may_be_absent_and_unknown_ones_are_ignored() -> None:
    headers = [*HEADER, "Buyer note"]
    headers.remove("sku")
    headers.remove("ship_to_postcode")
    assert set(map_header(headers).values()) == set(Column) - {Column.SKU, Column.SHIP_TO_POSTCODE}


def test_a_column_given_twice_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        map_header([*HEADER, "数量"])
    assert raised.value.key == "import.columns_repeated"
    assert raised.value.params["columns"] == ["quantity"]


# ----- CSV -----


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_detected(delimiter: str) -> None:
    content = _csv([HEADER, ROW], delimiter)
    rows = _read(content)
    assert [row.number for row in rows] == [2]
    assert rows[0].get(Column.UNIT_PRICE) == "3.50"
    assert rows[0].get(Column.SHIP_TO_COUNTRY) == "US"


def test_semicolon_csv_with_decimal_commas() -> None:
    content = _csv([HEADER, [*ROW[:7], "3,50", ROW[8]]], ";")
    [row] = _read(content)
    assert cleaning.clean_unit_price(row.get(Column.UNIT_PRICE), "EUR") == Decimal("3.50")


def test_csv_with_bom_and_chinese_headers() -> None:
    headers = ["订单号", "国家", "邮编", "币种", "商品名称", "商品编码", "数量", "单价", "发货截止"]
    content = b"\xef\xbb\xbf" + _csv([headers, ROW])
    [row] = _read(content)
    assert row.get(Column.ORDER_NUMBER) == "8001"
    assert row.get(Column.SHIP_BY) == "2026-12-01"


def test_csv_saved_by_chinese_excel_in_gb18030() -> None:
    headers = ["订单号", "国家", "币种", "商品名称", "数量", "单价", "最晚发货时间"]
    content = _csv(
        [headers, ["8001", "US", "USD", "手机壳", "1", "2", "2026-12-01"]], encoding="gbk"
    )
    [row] = _read(content)
    assert row.get(Column.PRODUCT_NAME) == "手机壳"


def test_quoted_csv_fields_keep_their_delimiters() -> None:
    content = _csv(
        [HEADER, ["8001", "US", "94105", "USD", '"Case, red"', "", "1", "2", "2026-12-01"]]
    )
    [row] = _read(content)
    assert row.get(Column.PRODUCT_NAME) == "Case, red"
    assert row.get(Column.SKU) is None


def test_blank_lines_are_skipped_and_row_numbers_match_the_spreadsheet() -> None:
    content = _csv([[], HEADER, ROW, [], ["", "", ""], [*ROW[:1], *ROW[1:]]])
    rows = _read(content)
    assert [row.number for row in rows] == [3, 6]


# ----- XLSX -----


def test_xlsx_with_excel_dates_numbers_and_chinese_headers() -> None:
    headers = ["订单号", "国家", "邮编", "币种", "商品名称", "SKU", "数量", "单价", "最晚发货时间"]
    content = _xlsx(
        [
            headers,
            [8001, "US", 2134, "USD", "Case", "PC-1", 2, 3.5, datetime(2026, 12, 1, 10, 30)],
            [8002, "DE", "10115", "EUR", "Cable", None, 1, 12, date(2026, 12, 2)],
            [8003, "FR", "75001", "EUR", "Lamp", None, 1, 9.99, 46357],  # a serial day number
        ],
        start_row=3,
    )
    rows = _read(content, "export.xlsx")
    assert [row.number for row in rows] == [4, 5, 6]
    first, second, third = rows
    assert first.get(Column.ORDER_NUMBER) == 8001
    assert cleaning.clean_order_number(first.get(Column.ORDER_NUMBER)) == "8001"
    assert cleaning.clean_postcode("US", first.get(Column.SHIP_TO_POSTCODE)) == "02134"
    assert cleaning.clean_unit_price(first.get(Column.UNIT_PRICE), "USD") == Decimal("3.50")
    assert cleaning.clean_ship_by(first.get(Column.SHIP_BY), NOW) == datetime(
        2026, 12, 1, 10, 30, tzinfo=UTC
    )
    # A date cell (Excel stores midnight) means the end of that day, like an ISO date.
    assert second.get(Column.SHIP_BY) == date(2026, 12, 2)
    assert cleaning.clean_ship_by(second.get(Column.SHIP_BY), NOW) == datetime(
        2026, 12, 2, 23, 59, 59, tzinfo=UTC
    )
    assert third.get(Column.SHIP_BY) == date(2026, 12, 1)


def test_xlsx_is_recognised_by_content_not_name() -> None:
    rows = _read(_xlsx([HEADER, ROW]), "orders.bin")
    assert rows[0].get(Column.QUANTITY) == "2"


def test_old_excel_and_broken_files_are_refused_clearly() -> None:
    with pytest.raises(InvalidInput) as raised:
        _read(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "orders.xls")
    assert raised.value.key == "import.format_unsupported"
    with pytest.raises(InvalidInput) as raised:
        _read(b"PK\x03\x04 not really a zip", "orders.xlsx")
    assert raised.value.key == "import.file_unreadable"
    with pytest.raises(InvalidInput) as raised:
        _read(b"  \r\n", "orders.csv")
    assert raised.value.key == "import.file_empty"


def test_file_size_and_row_limits() -> None:
    with pytest.raises(InvalidInput) as raised:
        _read(b"x" * (20 * 1024 * 1024 + 1))
    assert raised.value.key == "import.file_too_large"
    assert raised.value.params == {"max_mb": 20}
    content = _csv([HEADER, *[ROW] * 11])
    assert len(_read(content, max_rows=11)) == 11
    with pytest.raises(InvalidInput) as raised:
        _read(content, max_rows=10)
    assert raised.value.key == "import.too_many_rows"
    assert raised.value.params == {"max": 10}


def test_missing_columns_are_reported_before_any_row_is_read() -> None:
    with pytest.raises(InvalidInput) as raised:
        read_order_file(_xlsx([["Order", "Qty"], ["1", "2"]]), "a.xlsx")
    assert raised.value.key == "import.columns_missing"


# ----- field rules -----


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3.50", Decimal("3.50")),
        ("3,5", Decimal("3.50")),
        ("1,234.50", Decimal("1234.50")),
        ("1.234,50", Decimal("1234.50")),
        ("1 234,50", Decimal("1234.50")),
        (Decimal("7"), Decimal("7.00")),
        (12, Decimal("12.00")),
        (0.1, Decimal("0.10")),
        ("0", Decimal("0.00")),
    ],
)
def test_prices_read_as_exact_decimals(raw: object, expected: Decimal) -> None:
    assert cleaning.clean_unit_price(raw, "USD") == expected


@pytest.mark.parametrize(
    ("raw", "currency", "key"),
    [
        ("-1", "USD", "orders.price_invalid"),
        ("1,234", "USD", "numbers.ambiguous_separator"),
        ("3.505", "USD", "numbers.too_many_decimals"),
        ("12.5", "JPY", "numbers.too_many_decimals"),
        ("abc", "USD", "numbers.not_a_number"),
        (None, "USD", "numbers.not_a_number"),
        ("1e3", "USD", "numbers.not_a_number"),
        ("NaN", "USD", "numbers.not_a_number"),
        ("Infinity", "USD", "numbers.not_a_number"),
        ("99999999999", "USD", "orders.price_too_large"),
    ],
)
def test_bad_prices_are_refused_saying_why(raw: object, currency: str, key: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        cleaning.clean_unit_price(raw, currency)
    assert raised.value.key == key


def test_full_width_codes_and_numbers_are_read_as_ascii() -> None:
    assert cleaning.clean_postcode("DE", "１０１１５") == "10115"
    assert cleaning.clean_sku("ＡＢ-１") == "AB-1"
    assert cleaning.clean_order_number("ＡＥ-１００１") == "AE-1001"
    assert cleaning.clean_quantity("３") == 3
    assert cleaning.clean_unit_price("１２.５０", "EUR") == Decimal("12.50")
    assert cleaning.clean_currency("ｅｕｒ") == "EUR"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("德国", "DE"), ("美国", "US"), ("越南", "VN"), ("法国", "FR"), ("de", "DE"), ("ＤＥ", "DE")],
)
def test_two_character_chinese_country_names_are_names(raw: str, expected: str) -> None:
    assert cleaning.clean_ship_to_country(raw) == expected


def test_a_two_letter_text_that_is_no_code_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        cleaning.clean_ship_to_country("QQ")
    assert raised.value.key == "orders.country_invalid"


def test_a_blank_product_name_is_missing_not_too_long() -> None:
    with pytest.raises(InvalidInput) as raised:
        cleaning.clean_product_name(None)
    assert raised.value.key == "orders.product_name_missing"


def test_the_spreadsheet_hint_is_for_number_cells_only() -> None:
    with pytest.raises(InvalidInput) as typed:
        cleaning.clean_order_number("AE 1")
    with pytest.raises(InvalidInput) as cell:
        cleaning.clean_order_number(1.5)
    assert typed.value.params["number_cell"] is False
    assert cell.value.params["number_cell"] is True


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("0", "orders.quantity_invalid"),
        ("-2", "orders.quantity_invalid"),
        ("", "orders.quantity_invalid"),
        (None, "orders.quantity_invalid"),
        (100_001, "orders.quantity_invalid"),
        ("1.5", "numbers.not_a_whole_number"),
        ("lots", "numbers.not_a_number"),
        (True, "numbers.not_a_number"),
    ],
)
def test_bad_quantities_are_refused_saying_why(raw: object, key: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        cleaning.clean_quantity(raw)
    assert raised.value.key == key


def test_quantity_accepts_integral_numbers() -> None:
    assert cleaning.clean_quantity("3") == cleaning.clean_quantity(3.0) == 3


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-12-01", datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)),
        ("2026/12/1", datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)),
        ("2026-12-01 10:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("2026-12-01T18:00:00+08:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("2026-12-01T10:00:00Z", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("2026/12/01 10:00:00", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
    ],
)
def test_ship_by_formats(raw: str, expected: datetime) -> None:
    assert cleaning.clean_ship_by(raw, NOW) == expected


@pytest.mark.parametrize("raw", ["tomorrow", "2026-13-01", "2020-01-01", "2028-01-01", None, 5])
def test_bad_ship_by_is_refused(raw: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        cleaning.clean_ship_by(raw, NOW)
    assert raised.value.key == "orders.ship_by_invalid"


def test_country_codes_and_names() -> None:
    assert cleaning.clean_ship_to_country("us") == "US"
    assert cleaning.clean_ship_to_country("DEU") == "DE"
    assert cleaning.clean_ship_to_country("France") == "FR"
    for bad in ("XX", "", "Korea", None):
        with pytest.raises(InvalidInput) as raised:
            cleaning.clean_ship_to_country(bad)
        assert raised.value.key == "orders.country_invalid"


def test_currency_must_be_money() -> None:
    assert cleaning.clean_currency(" eur ") == "EUR"
    for bad in ("XAU", "EURO", "ZZZ", None):
        with pytest.raises(InvalidInput) as raised:
            cleaning.clean_currency(bad)
        assert raised.value.key == "orders.currency_invalid"


def test_postcodes() -> None:
    assert cleaning.clean_postcode("GB", "sw1a 1aa") == "SW1A 1AA"
    assert cleaning.clean_postcode("HK", None) is None  # Hong Kong has no postcodes
    for country, bad in (("US", "ABCDE"), ("US", None), ("DE", "1011")):
        with pytest.raises(InvalidInput) as raised:
            cleaning.clean_postcode(country, bad)
        assert raised.value.key == "orders.postcode_invalid"


def test_order_numbers() -> None:
    assert cleaning.clean_order_number(" 8123456789012345 ") == "8123456789012345"
    assert cleaning.clean_order_number(8123456789012345) == "8123456789012345"
    assert cleaning.clean_order_number("AE-2026/11#7") == "AE-2026/11#7"
    # Excel keeps 15 digits: a longer number stored as a float may be wrong already.
    for bad in (8.123456789012345e17, "", None, "two words", "x" * 65, 12.5):
        with pytest.raises(InvalidInput) as raised:
            cleaning.clean_order_number(bad)
        assert raised.value.key == "orders.number_invalid"


def test_an_order_number_that_reads_as_a_contact_is_refused() -> None:
    """Buyers read the number on every message about the order (tester t3, finding 4a);
    numbers with dots and slashes that are not contacts stay, as stored orders have them."""
    for contact in ("paypal.me/evilshop", "t.me/evilshop", "wa.me/14155552671", "evil.shop/pay"):
        with pytest.raises(InvalidInput) as raised:
            cleaning.clean_order_number(contact)
        assert raised.value.key == "orders.number_contact"
    for number in ("2024/11/0042", "INV.2024.001", "AE-1042.2", "SO/PARIS/12", "8123456789012345"):
        assert cleaning.clean_order_number(number) == number


def test_build_order_totals_the_lines() -> None:
    order = intake.build_order(
        intake.NewOrder(
            seller_id=1,
            number="A1",
            ship_to_country="US",
            ship_to_postcode="94105",
            currency="USD",
            ship_by="2026-12-01",
            lines=[
                intake.NewOrderLine("Case", 2, "3.50", "PC-1"),
                intake.NewOrderLine("Cable", "3", Decimal("0.99")),
            ],
        ),
        NOW,
    )
    assert order.total == Decimal("9.97")
    assert [line.position for line in order.lines] == [1, 2]
    with pytest.raises(InvalidInput) as raised:
        intake.build_order(
            intake.NewOrder(1, "A2", "US", "94105", "USD", "2026-12-01", lines=[]), NOW
        )
    assert raised.value.key == "orders.no_lines"


# ----- grouping rows into orders, against a stand-in unit of work -----


class _FakeOrders:
    def __init__(self, existing: set[str]) -> None:
        self.existing = existing
        self.added: list[Any] = []

    async def insert_new(
        self, orders: Sequence[dict[str, Any]], lines: Sequence[Sequence[dict[str, Any]]]
    ) -> set[str]:
        fresh = [
            (order, order_lines)
            for order, order_lines in zip(orders, lines, strict=True)
            if order["number"] not in self.existing
        ]
        self.added.extend(
            SimpleNamespace(**order, lines=[SimpleNamespace(**line) for line in order_lines])
            for order, order_lines in fresh
        )
        return {order["number"] for order, _ in fresh}


class _FakeSession:
    async def flush(self) -> None:
        return None


class _FakeAudit:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def add(self, action: str, **entry: Any) -> None:
        self.entries.append({"action": action, **entry})


class _FakeUow:
    def __init__(self, existing: set[str] | None = None) -> None:
        self.orders = _FakeOrders(existing or set())
        self.session = _FakeSession()
        self.audit = _FakeAudit()

    def now(self) -> datetime:
        return NOW


class _Seller:
    id = 1


def _record(number: str, **changes: object) -> dict[str, object]:
    record: dict[str, object] = dict(zip(HEADER, ROW, strict=True))
    record["order_number"] = number
    record.update(changes)
    return record


async def _import(records: list[dict[str, object]], existing: set[str] | None = None) -> Any:
    uow = _FakeUow(existing)
    report = await file_import.import_order_rows(_Seller(), rows_from_records(records), uow)  # type: ignore[arg-type]
    return report, uow


async def test_rows_with_one_number_form_one_order_and_blank_order_fields_are_inherited() -> None:
    report, uow = await _import(
        [
            _record("A"),
            _record("A", ship_to_country="", currency=None, ship_by="", sku="PC-2", unit_price="1"),
            _record("B"),
        ]
    )
    assert report.imported == ["A", "B"]
    assert report.skipped == []
    assert report.rows_read == 3
    assert report.lines_imported == 3
    order_a = uow.orders.added[0]
    assert [line.sku for line in order_a.lines] == ["PC-1", "PC-2"]
    assert order_a.total == Decimal("9.00")
    assert uow.audit.entries[0]["details"] == {
        "rows": 3,
        "orders": 2,
        "skipped_rows": 0,
        "already_imported": 0,
    }


async def test_bad_rows_are_reported_with_reasons_and_do_not_stop_the_others() -> None:
    report, uow = await _import(
        [
            _record("A"),
            _record("B", quantity="0"),  # row 3
            _record("C", ship_to_country="Atlantis"),  # row 4
            _record("D"),
            _record("D", unit_price="free"),  # row 6: spoils order D
            _record("", product_name="x"),  # row 7: no number
            _record("E", currency="GBP"),  # row 8
            _record("E", currency="EUR"),  # row 9: contradicts row 8
            _record("paypal.me/evilshop"),  # row 10: a payment link for a number
        ]
    )
    assert report.imported == ["A"]
    assert [(s.row, s.order_number, s.reason) for s in report.skipped] == [
        (3, "B", "orders.quantity_invalid"),
        (4, "C", "orders.country_invalid"),
        (5, "D", "import.order_has_bad_rows"),
        (6, "D", "numbers.not_a_number"),
        (7, None, "orders.number_invalid"),
        (8, "E", "import.order_has_bad_rows"),
        (9, "E", "import.order_fields_differ"),
        (10, None, "orders.number_contact"),
    ]
    assert report.skipped[2].params == {"rows": [6]}
    assert report.skipped[6].params == {"column": "currency", "first_row": 8}
    assert [order.number for order in uow.orders.added] == ["A"]


async def test_an_embargoed_destination_skips_its_rows_and_the_others_are_imported() -> None:
    report, uow = await _import(
        [
            _record("A"),
            _record("K", ship_to_country="North Korea", ship_to_postcode=""),  # row 3
            _record("I", ship_to_country="IRN", quantity="0"),  # row 4: two problems
            _record("B"),
            _record("B", ship_to_country="CU"),  # row 6: a continuation row
        ]
    )
    assert report.imported == ["A"]
    assert [(s.row, s.order_number, s.problems) for s in report.skipped] == [
        (3, "K", (("orders.country_embargoed", {"country": "KP"}),)),
        (
            4,
            "I",
            (
                ("orders.country_embargoed", {"country": "IR"}),
                ("orders.quantity_invalid", {"max": cleaning.MAX_QUANTITY}),
            ),
        ),
        (5, "B", (("import.order_has_bad_rows", {"rows": [6]}),)),
        (6, "B", (("orders.country_embargoed", {"country": "CU"}),)),
    ]
    assert [order.number for order in uow.orders.added] == ["A"]


async def test_a_row_reports_every_problem_it_has_in_column_order() -> None:
    """One pass is enough to fix a row: each cell is checked on its own, and what depends on a
    bad cell (the postcode on the country, the price's decimals on the currency) is left out."""
    report, _ = await _import(
        [
            _record("A"),
            _record(
                "B",  # row 3
                ship_to_country="Atlantis",
                currency="gold",
                product_name="",
                quantity="0",
                unit_price="free",
            ),
        ]
    )
    assert report.imported == ["A"]
    (skipped,) = report.skipped
    assert (skipped.row, skipped.order_number, skipped.unlisted) == (3, "B", 0)
    assert [key for key, _ in skipped.problems] == [
        "orders.country_invalid",
        "orders.currency_invalid",
        "orders.product_name_missing",
        "orders.quantity_invalid",
    ]
    # The first problem is still the row's reason, as reports always had it.
    assert (skipped.reason, skipped.params) == ("orders.country_invalid", {"value": "Atlantis"})


async def test_a_row_lists_at_most_five_problems_and_counts_the_rest() -> None:
    report, _ = await _import(
        [
            _record(
                "B",
                ship_to_country="Atlantis",
                currency="gold",
                ship_by="someday",
                product_name="",
                sku="x" * 500,
                quantity="many",
            )
        ]
    )
    (skipped,) = report.skipped
    assert len(skipped.problems) == file_import.MAX_PROBLEMS_PER_ROW == 5
    assert skipped.problems[-1][0] == "orders.sku_invalid"
    assert skipped.unlisted == 1  # the quantity


async def test_a_continuation_row_reports_each_contradiction_and_its_own_cells() -> None:
    report, _ = await _import(
        [
            _record("E", currency="GBP"),
            _record("E", currency="EUR", ship_to_country="DE", quantity="0"),
        ]
    )
    first, second = report.skipped
    assert (first.row, first.reason, first.params) == (
        2,
        "import.order_has_bad_rows",
        {"rows": [3]},
    )
    assert second.row == 3
    assert second.problems == (
        ("import.order_fields_differ", {"column": "ship_to_country", "first_row": 2}),
        ("import.order_fields_differ", {"column": "currency", "first_row": 2}),
        ("orders.quantity_invalid", {"max": cleaning.MAX_QUANTITY}),
    )


def _report_of(records: list[dict[str, object]]) -> str:
    """The chat report, in English, of a file of `records` checked at NOW."""
    from templates import Renderer

    plan = file_import.plan_order_rows(rows_from_records(records), NOW)
    return Renderer().render(
        "import.report",
        "en",
        file_name="orders.csv",
        imported=len(plan.orders),
        lines=sum(len(order.lines) for order in plan.orders),
        rows_read=plan.rows_read,
        already_imported=0,
        skipped=[skipped.to_plain() for skipped in plan.skipped],
        skipped_total=len(plan.skipped),
        not_shown=0,
    )


def test_the_report_shows_every_problem_of_a_row() -> None:
    text = _report_of([_record("B", currency="gold", quantity="0")])
    assert "Row 2 (order B):\n• “gold” is not a currency code." in text
    assert "\n• The quantity must be a whole number from 1 to 100,000." in text


def test_the_report_says_why_an_embargoed_row_was_skipped() -> None:
    text = _report_of([_record("A"), _record("K", ship_to_country="Syria")])
    assert "Orders imported: <b>1</b>" in text
    assert (
        "Row 3 (order K): 🚫 The marketplace can't deliver to Syria: the country is under a "
        "comprehensive trade embargo, so no order can ship there."
    ) in text


async def test_a_number_seen_earlier_in_the_file_or_already_stored_is_not_imported_again() -> None:
    report, uow = await _import(
        [_record("A"), _record("B"), _record("A", sku="other"), _record("OLD")],
        existing={"OLD"},
    )
    assert report.imported == ["A", "B"]
    assert [(s.row, s.order_number, s.reason, s.params) for s in report.skipped] == [
        (4, "A", "import.duplicate_in_file", {"number": "A", "first_row": 2}),
    ]
    # An order the store already has is no mistake to fix: it was imported before.
    assert report.already_imported == ["OLD"]
    assert len(uow.orders.added) == 2


async def test_a_file_imported_before_is_already_imported_not_skipped() -> None:
    records = [_record("A"), _record("A", sku="PC-2"), _record("B")]
    report, uow = await _import(records, existing={"A", "B"})
    assert report.imported == []
    assert report.skipped == []
    assert report.already_imported == ["A", "B"]
    assert uow.orders.added == []
    assert uow.audit.entries[0]["details"]["already_imported"] == 2


def test_the_documented_column_set_matches_the_code() -> None:
    from pathlib import Path

    from domain.order_import import ALIASES, REQUIRED_COLUMNS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "order-import.md").read_text("utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in doc.splitlines() if "| `" in line}
    for column, aliases in ALIASES.items():
        line = rows[column.value]
        required = "| yes |" in line
        assert required == (column in REQUIRED_COLUMNS), column
        for alias in aliases:
            assert alias.casefold() in line.casefold(), (column, alias)


@pytest.mark.parametrize("file_name", ["orders.csv", "orders.xlsx"])
async def test_chinese_country_names_and_full_width_postcodes_in_a_file(file_name: str) -> None:
    """docs/order-import.md: 德国 works in a 国家 column, like Germany or DE."""
    headers = ["订单号", "国家", "邮编", "币种", "商品名称", "商品编码", "数量", "单价", "发货截止"]
    rows = [
        headers,
        [
            "A",
            "德国",
            "１０１１５",
            "EUR",
            "手机壳",
            "ＣＡＳＥ-１",
            "３",
            "9,90",
            date(2026, 12, 1),
        ],
        ["B", "美国", "94105", "USD", "数据线", "", "1", "5.00", date(2026, 12, 1)],
    ]
    content = _xlsx(rows) if file_name.endswith(".xlsx") else _csv(rows, ";")
    uow = _FakeUow(None)
    report = await file_import.import_order_rows(_Seller(), _read(content, file_name), uow)  # type: ignore[arg-type]
    assert report.skipped == []
    germany, usa = uow.orders.added
    assert (germany.ship_to_country, germany.ship_to_postcode) == ("DE", "10115")
    assert germany.lines[0].sku == "CASE-1" and germany.lines[0].quantity == 3
    assert usa.ship_to_country == "US"
