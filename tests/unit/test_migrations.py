"""The "stairway": every revision upgrades, downgrades and upgrades again, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot import database
from bot.database import alembic_config
from domain.model import Base
from domain.unit_of_work import UnitOfWork
from tests.handlers.tenant_world import make_tenant


def _revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


async def test_every_revision_goes_up_down_and_up_again(empty_database_url: str) -> None:
    engine = database.create_engine(empty_database_url)
    try:
        revisions = _revisions(empty_database_url)
        assert revisions, "no migrations found"
        for index, revision in enumerate(revisions):
            previous = revisions[index - 1] if index else "base"
            await database.upgrade(engine, revision)
            await database.downgrade(engine, previous)
            await database.upgrade(engine, revision)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert set(Base.metadata.tables) <= tables
    finally:
        await engine.dispose()


async def test_models_and_migrations_agree(empty_database_url: str) -> None:
    """Autogenerate finds nothing to add: every model change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = database.create_engine(empty_database_url)
    try:
        await database.upgrade(engine)
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
        assert diff == []
    finally:
        await engine.dispose()


async def test_warehouses_stored_before_revisions_start_at_the_first(
    empty_database_url: str,
) -> None:
    """0011 counts revisions from 1 for the warehouses already there and for those a release
    without the counter still inserts (a rolling upgrade); it and its downgrade keep the
    warehouses' documents (a copied table would have cascaded them away on SQLite)."""
    engine = database.create_engine(empty_database_url)
    # Timestamps as SQL literals: both databases read them, whatever the driver.
    rows = [
        "INSERT INTO telegram_users (id, created_at, last_seen_at) "
        "VALUES (7001, '2026-11-20 10:00:00+00:00', '2026-11-20 10:00:00+00:00')",
        "INSERT INTO sellers (id, telegram_user_id, store_name, home_country, locale, created_at)"
        " VALUES (1, 7001, 'Store', 'CN', 'en', '2026-11-20 10:00:00+00:00')",
    ]
    warehouse = (
        "INSERT INTO warehouses (id, seller_id, kind, name, name_key, country, street, city, "
        "contact_name, contact_phone, capabilities, status, created_at, updated_at) VALUES "
        "(:id, 1, 'domestic', :name, :name, 'CN', '1 Road', 'Shenzhen', 'Li Wei', "
        "'+8613800138000', '[]', 'pending_review', '2026-11-20 10:00:00+00:00', "
        "'2026-11-20 10:00:00+00:00')"
    )
    document = (
        "INSERT INTO warehouse_documents (id, warehouse_id, kind, telegram_file_id, "
        "file_unique_id, file_name, mime_type, size, is_photo, uploaded_at) VALUES "
        "(1, 5, 'business_licence', 'f', 'u', 'licence.pdf', 'application/pdf', 10, false, "
        "'2026-11-20 10:00:00+00:00')"
    )

    async def stored(query: str) -> list[tuple[object, ...]]:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(query))]

    try:
        await database.upgrade(engine, "0010")
        async with engine.begin() as connection:
            for statement in rows:
                await connection.execute(text(statement))
            await connection.execute(text(warehouse), {"id": 5, "name": "main"})
            await connection.execute(text(document))
        await database.upgrade(engine, "0011")
        async with engine.begin() as connection:
            # As a release without the counter inserts it: no revision named.
            await connection.execute(text(warehouse), {"id": 6, "name": "depot"})
        assert await stored("SELECT id, revision FROM warehouses ORDER BY id") == [(5, 1), (6, 1)]
        assert await stored("SELECT warehouse_id FROM warehouse_documents") == [(5,)]

        await database.downgrade(engine, "0010")
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("warehouses")}
            )
        assert "revision" not in columns
        assert await stored("SELECT warehouse_id FROM warehouse_documents") == [(5,)]
    finally:
        await engine.dispose()


async def test_going_down_and_up_again_keeps_the_rows_of_the_tables_kept(
    empty_database_url: str,
) -> None:
    """A store with warehouses, documents, orders and shipments; down to 0004 (which copies
    `sellers` and `shipments` on SQLite to drop columns) and up again: every table that exists
    at 0004 keeps every row. On SQLite the copy's DROP TABLE used to cascade into `warehouses`
    and `orders` and empty them."""
    engine = database.create_engine(empty_database_url)

    async def counts() -> dict[str, int]:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            found = {}
            for name in names:
                if name != "alembic_version":
                    query = text(f'SELECT count(*) FROM "{name}"')  # noqa: S608 (the schema's names)
                    found[name] = (await connection.execute(query)).scalar_one()
            return found

    try:
        await database.upgrade(engine)
        factory = database.create_session_factory(engine)
        await make_tenant(lambda: UnitOfWork(factory), "Aardvark", 8101, 31_000_001)
        before = await counts()
        assert before["warehouses"] and before["orders"] and before["warehouse_documents"]

        await database.downgrade(engine, "0004")
        kept = await counts()
        assert kept == {name: before[name] for name in kept}

        await database.upgrade(engine)
        again = await counts()
        assert {name: again[name] for name in kept} == kept
    finally:
        await engine.dispose()


async def test_a_sqlite_migration_that_leaves_a_dangling_key_changes_nothing(
    tmp_path: Path,
) -> None:
    """The check that replaces SQLite's foreign keys while a migration runs: a migration that
    leaves a row pointing nowhere is refused, names the table, and is rolled back whole."""
    engine = database.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'keys.sqlite3'}")

    def dangling(connection: Connection) -> None:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'next'")
        connection.exec_driver_sql(
            "INSERT INTO warehouse_documents (id, warehouse_id, kind, telegram_file_id, "
            "file_unique_id, file_name, mime_type, size, is_photo, uploaded_at) VALUES "
            "(1, 404, 'business_licence', 'f', 'u', 'a.pdf', 'application/pdf', 1, 0, "
            "'2026-11-20 10:00:00+00:00')"
        )

    try:
        await database.upgrade(engine)
        async with engine.connect() as connection:
            with pytest.raises(RuntimeError, match="warehouse_documents"):
                await connection.run_sync(database._with_foreign_keys_deferred(dangling))
            heads = await connection.run_sync(database._heads)
            rows = await connection.execute(text("SELECT count(*) FROM warehouse_documents"))
            assert heads != ("next",)
            assert rows.scalar_one() == 0
    finally:
        await engine.dispose()
