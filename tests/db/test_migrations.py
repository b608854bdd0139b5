"""Migrations: empty → head → base → head, and the models match the migrated schema."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from db.engine import make_engine
from db.models import Base
from tests.support.databases import create_database, drop_database
from trainpack import migrations


@pytest.fixture
def empty_database(server_url: str) -> Iterator[str]:
    url = create_database(server_url, f"trainpack_migrations_{uuid.uuid4().hex[:8]}")
    yield url
    drop_database(server_url, url)


def _run(url: str, check: object) -> object:
    async def inner() -> object:
        engine = make_engine(url, pooled=False)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(check)  # type: ignore[arg-type]
        finally:
            await engine.dispose()

    return asyncio.run(inner())


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    expected = {
        "organisations",
        "api_tokens",
        "packages",
        "versions",
        "events",
        "idempotency_records",
        "event_log_horizon",
        "jobs",
        "uploads",
        "organisation_secrets",
        "hardware_catalogue",
    }
    migrations.upgrade(empty_database)
    assert _run(empty_database, _tables) == expected | {"alembic_version"}
    migrations.downgrade(empty_database)
    assert _run(empty_database, _tables) == {"alembic_version"}
    migrations.upgrade(empty_database)
    assert _run(empty_database, _tables) == expected | {"alembic_version"}


def test_the_hardware_catalogue_migration_goes_down_and_up(empty_database: str) -> None:
    migrations.upgrade(empty_database)
    migrations.downgrade(empty_database, "0007-1")
    tables = _run(empty_database, _tables)
    assert isinstance(tables, set)
    assert "hardware_catalogue" not in tables
    assert {"jobs", "packages", "versions"} <= tables
    migrations.upgrade(empty_database)
    assert "hardware_catalogue" in _run(empty_database, _tables)  # type: ignore[operator]


def test_models_match_the_migrations(database_url: str) -> None:
    assert _run(database_url, _differences) == []


def test_the_secrets_migration_goes_down_and_up(empty_database: str) -> None:
    migrations.upgrade(empty_database)
    migrations.downgrade(empty_database, "0006-1")
    tables = _run(empty_database, _tables)
    assert isinstance(tables, set)
    assert "organisation_secrets" not in tables and "hardware_catalogue" not in tables
    assert {"jobs", "packages", "organisations"} <= tables
    migrations.upgrade(empty_database)
    assert "organisation_secrets" in _run(empty_database, _tables)  # type: ignore[operator]
