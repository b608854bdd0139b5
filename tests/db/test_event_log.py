"""The event log's delivery order: no event can appear behind a cursor already handed out."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import asyncpg

from db.repositories.events import EventCursor
from tests.support.databases import plain
from trainpack.database import unit_of_work
from workflow.drafts import utcnow

INSERT = "INSERT INTO events (organisation_id, package_id, type, payload, actor) VALUES ($1, NULL, $2, $3, 'test')"


async def _organisation(database_url: str) -> uuid.UUID:
    async with unit_of_work(database_url) as uow:
        organisation = await uow.tokens.add_organisation(f"org-{uuid.uuid4().hex[:10]}")
    return organisation.id


async def _read(database_url: str, organisation_id: uuid.UUID, after: EventCursor | None = None) -> list[str]:
    async with unit_of_work(database_url) as uow:
        rows = await uow.events.page(organisation_id=organisation_id, after=after, first=100)
    return [row.type for row in rows]


async def test_an_event_committed_later_with_an_older_transaction_is_never_skipped(database_url: str) -> None:
    organisation_id = await _organisation(database_url)
    first = await asyncpg.connect(plain(database_url))
    second = await asyncpg.connect(plain(database_url))
    try:
        slow = first.transaction()
        await slow.start()
        await first.fetchval("SELECT pg_current_xact_id()")  # the older transaction id
        await second.execute(INSERT, organisation_id, "FAST", json.dumps({}))  # commits first, smaller event id
        assert await _read(database_url, organisation_id) == []  # held back: an older transaction still runs
        await first.execute(INSERT, organisation_id, "SLOW", json.dumps({}))
        await slow.commit()
        assert await _read(database_url, organisation_id) == ["SLOW", "FAST"]
    finally:
        await first.close()
        await second.close()


async def test_pruning_moves_the_horizon(database_url: str) -> None:
    organisation_id = await _organisation(database_url)
    connection = await asyncpg.connect(plain(database_url))
    try:
        await connection.execute(INSERT, organisation_id, "OLD", json.dumps({}))
        await connection.execute("UPDATE events SET created_at = now() - interval '30 days' WHERE type = 'OLD'")
        await connection.execute(INSERT, organisation_id, "NEW", json.dumps({}))
    finally:
        await connection.close()
    async with unit_of_work(database_url) as uow:
        assert await uow.events.prune(utcnow() - timedelta(days=7)) >= 1
        horizon = await uow.events.horizon()
    assert horizon is not None
    assert await _read(database_url, organisation_id) == ["NEW"]


async def test_pages_resume_after_a_cursor(database_url: str) -> None:
    organisation_id = await _organisation(database_url)
    connection = await asyncpg.connect(plain(database_url))
    try:
        for name in ("A", "B", "C"):
            await connection.execute(INSERT, organisation_id, name, json.dumps({}))
    finally:
        await connection.close()
    async with unit_of_work(database_url) as uow:
        first = await uow.events.page(organisation_id=organisation_id, after=None, first=1)
        cursor = (first[0].tx, first[0].id)
        rest = await uow.events.page(organisation_id=organisation_id, after=cursor, first=10)
        bounded = await uow.events.page(
            organisation_id=organisation_id, after=None, first=10, upto=(rest[0].tx, rest[0].id)
        )
    assert [row.type for row in first] == ["A", "B"]  # first + 1 rows tell whether a next page exists
    assert [row.type for row in rest] == ["B", "C"]
    assert [row.type for row in bounded] == ["A", "B"]
