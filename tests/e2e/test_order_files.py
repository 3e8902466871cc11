"""Order files end to end: a hostile file is refused by name while everyone else is answered,
one import at a time per seller, a re-sent file is "already imported", only a registered seller
in a step that expects a file makes the bot download anything, a rate card sent as an order file
is named as one, and past deadlines and the store's limit of open orders are reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from domain.model import ImportStatus, Order, OrderImport, OrderStatus
from domain.services import sellers
from domain.services.orders import import_jobs
from sandbox.emulator import BotApiEmulator, ChatMessage
from tests.e2e.conftest import BotRunner, Chat, chat_with, make_settings
from tests.e2e.fixtures_orders import order_row, orders_in_db, send_file, xlsx
from tests.fixtures.spreadsheet_bombs import blank_rows_bomb
from tests.reliability.test_shipping_service import make_seller

SELLER = 7101
OTHER = 7102
GUEST = 7103
JSON_MIME = "application/json"


def _ship_by() -> str:
    return (datetime.now(UTC) + timedelta(days=5)).date().isoformat()


def _position(emulator: BotApiEmulator, message: ChatMessage) -> int:
    """When the bot sent `message`, in the order of everything it sent."""
    return next(a.seq for a in emulator.activity if a.kind == "sent" and a.message is message)


async def _import_statuses(runner: BotRunner) -> list[str]:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        statuses = await uow.session.scalars(select(OrderImport.status))
        return sorted(status.value for status in statuses)


async def test_a_bomb_is_refused_by_the_row_limit_while_others_are_answered(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    await make_seller(runner.app.uow_factory, SELLER)
    seller = chat_with(emulator, SELLER)
    other = chat_with(emulator, OTHER)

    # A million blank rows in 45 KB; the old bot read them all on its event loop.
    await send_file(seller, "bomb.xlsx", blank_rows_bomb())
    await other.send("/help")
    answer = await other.expect("What I can do")
    refusal = await seller.expect("Import of bomb.xlsx", timeout=60)
    assert "the file has more than 50,000 rows after the header (blank rows count too)" in (
        refusal.content
    )
    assert _position(emulator, answer) < _position(emulator, refusal)
    progress = await seller.expect("bomb.xlsx</b>: stopped")
    assert progress.edits  # one message, edited as the import went
    assert await orders_in_db(runner) == {}
    assert await _import_statuses(runner) == [ImportStatus.FAILED.value]


async def test_one_import_at_a_time_per_seller(emulator: BotApiEmulator, runner: BotRunner) -> None:
    assert runner.app is not None
    await make_seller(runner.app.uow_factory, SELLER)
    seller = chat_with(emulator, SELLER)
    first = xlsx([order_row(f"ONE-{n}", _ship_by()) for n in range(1, 4)])
    second = xlsx([order_row(f"TWO-{n}", _ship_by()) for n in range(1, 4)])

    # Back to back: the second file arrives while the first import runs.
    await send_file(seller, "first.xlsx", first)
    await send_file(seller, "second.xlsx", second)
    await seller.expect("An import is already running (first.xlsx)")
    await seller.expect("Import of first.xlsx", timeout=30)
    assert set(await orders_in_db(runner)) == {"ONE-1", "ONE-2", "ONE-3"}

    # The lock is in the database: an import another bot process runs holds it too...
    async with runner.app.uow_factory() as uow:
        await import_jobs.begin_import(
            SELLER, import_jobs.FileToImport("elsewhere", "other-process.xlsx", SELLER, "en"), uow
        )
        await uow.commit()
    await send_file(seller, "second.xlsx", second)
    await seller.expect("An import is already running (other-process.xlsx)")

    # ...until that process stops renewing its lease: then the seller hears it was
    # interrupted, and the next file goes in.
    async with runner.app.uow_factory() as uow:
        await uow.session.execute(
            update(OrderImport)
            .where(OrderImport.file_name == "other-process.xlsx")
            .values(lease_until=datetime.now(UTC) - timedelta(minutes=5))
        )
        await uow.commit()
    await send_file(seller, "second.xlsx", second)
    interrupted = await seller.expect("was interrupted", timeout=30)
    assert "other-process.xlsx" in interrupted.content
    await seller.expect("Import of second.xlsx", timeout=30)
    assert len(await orders_in_db(runner)) == 6
    assert await _import_statuses(runner) == ["done", "done", "interrupted"]


async def test_a_file_sent_again_is_already_imported(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    await make_seller(runner.app.uow_factory, SELLER)
    seller = chat_with(emulator, SELLER)
    content = xlsx([order_row(f"RE-{n}", _ship_by()) for n in range(1, 6)])

    await send_file(seller, "orders.xlsx", content)
    report = await seller.expect("Import of orders.xlsx", timeout=30)
    assert "Orders imported: <b>5</b>" in report.content

    await send_file(seller, "orders.xlsx", content)
    again = await seller.expect("Import of orders.xlsx", timeout=30)
    assert "Already imported: <b>5</b>" in again.content
    assert "Nothing new in this file: it was imported before." in again.content
    assert "Rows skipped" not in again.content and "Fix them" not in again.content
    assert len(await orders_in_db(runner)) == 5


async def _answered(chat: Chat, name: str, content: bytes, fragment: str, mime: str) -> None:
    await send_file(chat, name, content, mime)
    # A file is read in a child process; on a loaded machine (the parallel suite) its start
    # alone can take seconds. The wait ends as soon as the answer is there.
    await chat.expect(fragment, timeout=60)


async def test_only_a_registered_seller_in_a_file_step_makes_the_bot_download(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    guest = chat_with(emulator, GUEST)
    card = b"country,zone\nUS,na\n\nzone,method,currency,per_kg,transit_min,transit_max\n"
    card += b"na,express,USD,10,3,5\n"

    # A guest's order file or rate card: answered, never fetched.
    await _answered(guest, "orders.xlsx", xlsx([]), "register your store first", "x/y")
    await _answered(guest, "rates.json", b"{}", "wasn't expecting a file", JSON_MIME)
    # A seller's rate card outside /rates, and a wrong file inside it: not fetched either.
    await make_seller(runner.app.uow_factory, SELLER)
    seller = chat_with(emulator, SELLER)
    await _answered(seller, "rates.json", b"{}", "after /rates", JSON_MIME)
    await seller.send("/rates")
    await seller.expect("Rate card")
    await _answered(seller, "rates.pdf", b"%PDF", "send the rate card as a .json or .csv", "x/y")
    assert emulator.calls("getFile") == []

    # The one case that downloads: a registered seller's card in the /rates step.
    await _answered(seller, "my-rates.csv", card, "Your rate card is saved", "text/csv")
    assert len(emulator.calls("getFile")) == 1


RATE_CARD_CSV = (
    b"country,zone\nDE,eu\nFR,eu\n\n"
    b"from,to,method,currency,per_kg,per_wm,minimum,fixed_fee,transit_min,transit_max\n"
    b"CN,eu,express,USD,8.50,,20,3,4,8\n"
)


async def test_a_rate_card_sent_as_an_order_file_is_named_and_its_button_uses_it(
    emulator: BotApiEmulator, runner: BotRunner
) -> None:
    assert runner.app is not None
    async with runner.app.uow_factory() as uow:
        registered = await sellers.register_seller(
            sellers.RegisterSeller(SELLER, "深圳小店", "CN", "zh_Hans"), uow
        )
        await uow.commit()
        seller_id = registered.id
    seller = chat_with(emulator, SELLER, language="zh-hans")

    await send_file(seller, "运费.csv", RATE_CARD_CSV, "text/csv")
    told = await seller.expect("此文件看起来是运费表", timeout=60)
    assert "缺少" not in told.content  # not the missing order columns
    assert told.button_texts == ["📑 用作我的运费表"]
    assert await orders_in_db(runner) == {}
    assert await _import_statuses(runner) == [ImportStatus.FAILED.value]

    # The button under the answer reads the very same file as the rate card.
    await seller.press("📑 用作我的运费表")
    await seller.expect("您的运费表已保存", timeout=60)
    async with runner.app.uow_factory() as uow:
        stored = await uow.logistics_settings.for_seller(seller_id)
        assert stored is not None and stored.rate_card is not None
        assert stored.rate_card["label"] == "运费.csv"


async def test_past_deadlines_are_named_and_the_store_fills_to_its_open_orders_limit(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, import_max_open_orders=4)
    async with BotRunner(emulator, settings) as runner:
        assert runner.app is not None
        await make_seller(runner.app.uow_factory, SELLER)
        seller = chat_with(emulator, SELLER)
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        rows = [order_row("PAST-1", yesterday)]
        rows += [order_row(f"NEW-{n}", _ship_by()) for n in range(1, 7)]

        await send_file(seller, "orders.xlsx", xlsx(rows))
        report = await seller.expect("Import of orders.xlsx", timeout=60)
        assert "Orders imported: <b>4</b>" in report.content
        assert (
            f"Row 2 (order PAST-1): The ship-by deadline {yesterday} has already passed"
            in report.content
        )
        assert "Not imported: <b>2</b> new orders" in report.content
        assert set(await orders_in_db(runner)) == {"NEW-1", "NEW-2", "NEW-3", "NEW-4"}

        # Full: the same file is refused at once, before anything is downloaded.
        downloads = len(emulator.calls("getFile"))
        await send_file(seller, "orders.xlsx", xlsx(rows))
        await seller.expect("Your store already has 4 open orders")
        assert len(emulator.calls("getFile")) == downloads

        # Two orders cancelled: sending the file again adds exactly the two left out.
        async with runner.app.uow_factory() as uow:
            await uow.session.execute(
                update(Order)
                .where(Order.number.in_(["NEW-1", "NEW-2"]))
                .values(status=OrderStatus.CANCELLED)
            )
            await uow.commit()
        await send_file(seller, "orders.xlsx", xlsx(rows))
        again = await seller.expect("Import of orders.xlsx", timeout=60)
        assert "Orders imported: <b>2</b>" in again.content
        assert "Already imported: <b>4</b>" in again.content
        assert "Not imported" not in again.content
        assert len(await orders_in_db(runner)) == 6
