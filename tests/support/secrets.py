"""What the secrets tests share: a database of their own, keys, documents and raw reads.

Stored secrets make every serving process started on their database check its key; the tests
that store some do it in a database of their own, so the rest of a test session's servers
(started with no key) are not refused.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg

from tests.support.databases import create_database, drop_database, plain
from trainpack import migrations
from workflow.sealing import new_key

KEY = new_key()
"""The key the secrets tests' servers seal with."""

SET = """
mutation ($input: SetSecretInput!) { setSecret(input: $input) {
  __typename
  ... on SecretSet { created secret { name lastFour createdAt createdBy updatedAt updatedBy } }
  ... on ValidationFailed { issues { path code message } }
  ... on Forbidden { requiredScope }
  ... on UserError { code message } } }
"""
DELETE = """
mutation ($input: DeleteSecretInput!) { deleteSecret(input: $input) {
  __typename ... on SecretDeleted { name } ... on NotFound { id }
  ... on Forbidden { requiredScope } ... on UserError { code message } } }
"""
LIST = "{ secrets { name lastFour createdAt createdBy updatedAt updatedBy } }"
SECRET_EVENTS = """
subscription { organisationEvents { __typename actor ... on SecretChangedEvent { name deleted created } } }
"""


@contextmanager
def private_database(server_url: str) -> Iterator[str]:
    """A migrated database of its own, dropped afterwards."""
    url = create_database(server_url, f"trainpack_secrets_{uuid.uuid4().hex[:10]}")
    try:
        migrations.upgrade(url)
        yield url
    finally:
        drop_database(server_url, url)


def stored(database_url: str) -> list[tuple[str, bytes, str | None]]:
    """Every stored secret as the database holds it: name, sealed value, last four (raw SQL)."""

    async def read() -> list[tuple[str, bytes, str | None]]:
        connection = await asyncpg.connect(plain(database_url))
        try:
            rows = await connection.fetch("SELECT name, sealed, last_four FROM organisation_secrets ORDER BY name")
        finally:
            await connection.close()
        return [(row["name"], bytes(row["sealed"]), row["last_four"]) for row in rows]

    return asyncio.run(read())


async def stored_async(database_url: str) -> list[tuple[str, bytes, str | None]]:
    """``stored`` from inside an event loop."""
    return await asyncio.to_thread(stored, database_url)
