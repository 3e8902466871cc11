"""Order files: a seller sends a CSV or XLSX file outside any conversation (or after /import,
which explains the columns) and gets a report of the orders imported and every row skipped.

The file was downloaded before the transaction opened (`DocumentPrefetchMiddleware`); a
file-level problem raises InvalidInput, so nothing of the file is kept.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import Message, User
from markupsafe import Markup

from domain.errors import InvalidInput
from domain.order_import import MAX_FILE_BYTES, MAX_ROWS, REQUIRED_COLUMNS, Column
from domain.services import orders, warehouses
from domain.unit_of_work import UnitOfWork
from handlers.responder import Responder

ORDER_FILE_SUFFIXES = (".csv", ".xlsx", ".xls", ".xlsm", ".xlsb")
# A report lists at most this many skipped rows; a file with more is mostly wrong anyway.
REPORT_MAX_ROWS = 40


def explain(responder: Responder) -> None:
    """What /import says: the columns, and that the file is simply sent to the chat."""
    responder.reply(
        "import.help",
        required=[column.value for column in REQUIRED_COLUMNS],
        optional=[column.value for column in Column if column not in REQUIRED_COLUMNS],
        max_mb=MAX_FILE_BYTES // 2**20,
        max_rows=MAX_ROWS,
        max_lines=orders.MAX_LINES,
    )


def _is_order_file(message: Message) -> bool:
    name = (message.document.file_name or "") if message.document else ""
    return name.lower().endswith(ORDER_FILE_SUFFIXES)


async def order_file(
    message: Message,
    event_from_user: User,
    uow: UnitOfWork,
    responder: Responder,
    document_content: bytes | None,
) -> None:
    assert message.document is not None
    file_name = message.document.file_name
    seller = await warehouses.seller_of(event_from_user.id, uow)
    if document_content is None:
        # Not fetched: an old binary Excel file, or larger than a bot may download.
        if (message.document.file_size or 0) > MAX_FILE_BYTES:
            raise InvalidInput("import.file_too_large", max_mb=MAX_FILE_BYTES // 2**20)
        raise InvalidInput("import.format_unsupported", file_name=file_name or "?")
    report = await orders.import_orders(
        seller, document_content, file_name, uow, actor_id=event_from_user.id
    )
    skipped = [
        # Each reason is the message the conversation shows for that mistake, rendered (and
        # its params escaped) by the autoescaping templates, so it is safe HTML already.
        (row.row, row.order_number, Markup(responder.text(row.reason, **row.params)))  # noqa: S704
        for row in report.skipped[:REPORT_MAX_ROWS]
    ]
    responder.reply(
        "import.report",
        file_name=file_name or "",
        imported=len(report.imported),
        lines=report.lines_imported,
        rows_read=report.rows_read,
        skipped=skipped,
        skipped_total=len(report.skipped),
        not_shown=max(0, len(report.skipped) - REPORT_MAX_ROWS),
    )


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(order_file, StateFilter(None), F.document, F.func(_is_order_file))
    return router
