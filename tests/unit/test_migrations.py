"""The "stairway": every revision upgrades, downgrades and upgrades again, on both databases."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot import database
from bot.database import alembic_config
from domain.model import Base


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
