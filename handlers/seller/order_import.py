"""Order files: a seller sends a CSV or XLSX file outside any conversation (or after /import,
which explains the columns). The import runs in the background: this handler only records it
(one at a time per seller) and hands it to the app's `ImportRunner` once the update commits;
the runner shows progress and the report arrives when it is done.

Nothing is downloaded here, and nothing for anyone but a registered seller.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import Message

from domain.errors import InvalidInput
from domain.order_import import MAX_FILE_BYTES, MAX_ROWS, REQUIRED_COLUMNS, Column
from domain.services.orders import cleaning, import_jobs
from handlers.context import UpdateContext

ORDER_FILE_SUFFIXES = (".csv", ".xlsx", ".xls", ".xlsm", ".xlsb")
OLD_EXCEL_SUFFIXES = (".xls", ".xlsm", ".xlsb")


def explain(ctx: UpdateContext) -> None:
    """What /import says: the columns, the limits, and that the file is simply sent to the chat."""
    ctx.responder.reply(
        "import.help",
        required=[column.value for column in REQUIRED_COLUMNS],
        optional=[column.value for column in Column if column not in REQUIRED_COLUMNS],
        max_mb=MAX_FILE_BYTES // 2**20,
        max_rows=MAX_ROWS,
        max_lines=cleaning.MAX_LINES,
        max_open_orders=ctx.config.import_max_open_orders,
    )


def _is_order_file(message: Message) -> bool:
    name = (message.document.file_name or "") if message.document else ""
    return name.lower().endswith(ORDER_FILE_SUFFIXES)


async def order_file(
    message: Message, ctx: UpdateContext, order_imports: import_jobs.ImportRunner
) -> None:
    document = message.document
    assert document is not None
    file_name = document.file_name or "orders"
    if (document.file_size or 0) > MAX_FILE_BYTES:
        raise InvalidInput("import.file_too_large", max_mb=MAX_FILE_BYTES // 2**20)
    if file_name.lower().endswith(OLD_EXCEL_SUFFIXES):
        raise InvalidInput("import.format_unsupported", file_name=file_name)
    import_id = await import_jobs.begin_import(
        ctx.user_id,
        import_jobs.FileToImport(
            file_id=document.file_id,
            file_name=file_name,
            chat_id=message.chat.id,
            locale=ctx.responder.locale,
        ),
        ctx.uow,
        max_open_orders=ctx.config.import_max_open_orders,
    )
    # The runner answers (progress, then the report); the update only records the import.
    ctx.uow.after_commit(lambda: order_imports.start(import_id))


def build_router() -> Router:
    """A new router with this module's handlers, in the order they are tried."""
    router = Router(name=__name__)
    router.message.register(order_file, StateFilter(None), F.document, F.func(_is_order_file))
    return router
