"""(c) Keyset pagination: page 500 of 100,000 packages costs what page 1 costs.

One organisation gets ``PACKAGES`` packages (and a draft each) inserted with one
``INSERT … SELECT generate_series`` per table. Page 1 and page 500 (``first: 200``, the
latter reached by the cursor of row 99,800, computed in SQL and encoded as the API does)
are fetched over HTTP from the real app, interleaved. A side note times the same pages
in plain SQL, by OFFSET and by keyset.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from strawberry.relay import GlobalID

from api.pagination import package_cursor
from bench import documents
from bench.support import (
    BenchError,
    Measurement,
    Profile,
    bearer,
    graphql_data,
    issue_actor,
    median,
    plain_url,
    served,
)
from workflow import machine
from workflow.hashing import content_hash

PACKAGES = 100_000
PAGE_SIZE = 200
FAR_PAGE = 500
TARGET = 0.9

INSERT_PACKAGES = """
INSERT INTO packages (id, organisation_id, name, name_is_custom, description, created_at, created_by, updated_at)
SELECT gen_random_uuid(), $1, 'bench-package-' || g, true, '', t.started, 'bench', t.started + g * interval '1 second'
FROM generate_series(1, $3::int) AS g, (SELECT $2::timestamptz AS started) AS t
"""

INSERT_DRAFTS = """
INSERT INTO versions (id, package_id, organisation_id, number, status, step_data, step_states, current_step,
                      revision, content_hash, created_at, created_by)
SELECT gen_random_uuid(), p.id, p.organisation_id, 1, 'DRAFT', $2::jsonb, $3::jsonb, $4, 1, $5, p.created_at, 'bench'
FROM packages AS p WHERE p.organisation_id = $1
"""

NTH_ROW = """
SELECT updated_at, id FROM packages WHERE organisation_id = $1
ORDER BY updated_at DESC, id DESC OFFSET $2 LIMIT 1
"""

# The listing's query as the repository builds it, by OFFSET and by keyset (the side note).
SQL_BY_OFFSET = """
SELECT * FROM packages WHERE organisation_id = $1 AND archived_at IS NULL
ORDER BY updated_at DESC, id DESC LIMIT $2 OFFSET $3
"""
SQL_BY_KEYSET = """
SELECT * FROM packages WHERE organisation_id = $1 AND archived_at IS NULL AND (updated_at, id) < ($2, $3)
ORDER BY updated_at DESC, id DESC LIMIT $4
"""


async def _populate(connection: asyncpg.Connection, organisation_id: uuid.UUID) -> None:
    draft = machine.new_draft()
    started = datetime(2026, 1, 1, tzinfo=UTC)
    await connection.execute(INSERT_PACKAGES, organisation_id, started, PACKAGES)
    await connection.execute(
        INSERT_DRAFTS,
        organisation_id,
        json.dumps(draft.content.to_json()),
        json.dumps(draft.states_json()),
        draft.current_step.value,
        content_hash(draft.content),
    )
    # Vacuum now, so that autovacuum does not wake up for the new rows in the middle of the timings.
    await connection.execute("VACUUM ANALYZE packages, versions")


async def _fetch_page(client: httpx.AsyncClient, after: str | None) -> tuple[float, dict[str, Any]]:
    began = time.perf_counter()
    response = await client.post(
        "/graphql", json={"query": documents.PACKAGES, "variables": {"first": PAGE_SIZE, "after": after}}
    )
    elapsed = time.perf_counter() - began
    page: dict[str, Any] = graphql_data(response)["packages"]
    return elapsed, page


async def _interleaved(
    first: Callable[[], Awaitable[float]], far: Callable[[], Awaitable[float]], repetitions: int
) -> tuple[list[float], list[float]]:
    """Timings of both calls, alternating which goes first, after one untimed call of each."""
    await first()
    await far()
    firsts, fars = [], []
    for repetition in range(repetitions):
        if repetition % 2 == 0:
            firsts.append(await first())
            fars.append(await far())
        else:
            fars.append(await far())
            firsts.append(await first())
    return firsts, fars


async def _sql_note(
    connection: asyncpg.Connection, organisation_id: uuid.UUID, after: asyncpg.Record
) -> dict[str, Any]:
    async def timed(query: str, *args: Any) -> float:
        began = time.perf_counter()
        rows = await connection.fetch(query, *args)
        if len(rows) != PAGE_SIZE + 1 and len(rows) != PAGE_SIZE:
            raise BenchError(f"SQL page returned {len(rows)} rows")
        return time.perf_counter() - began

    far_offset = (FAR_PAGE - 1) * PAGE_SIZE
    limit = PAGE_SIZE + 1
    offset_first, offset_far = await _interleaved(
        lambda: timed(SQL_BY_OFFSET, organisation_id, limit, 0),
        lambda: timed(SQL_BY_OFFSET, organisation_id, limit, far_offset),
        10,
    )
    keyset_first, keyset_far = await _interleaved(
        lambda: timed(SQL_BY_OFFSET, organisation_id, limit, 0),  # keyset page 1 has no cursor: the same query
        lambda: timed(SQL_BY_KEYSET, organisation_id, after["updated_at"], after["id"], limit),
        10,
    )
    offset_ratio = median(offset_first) / median(offset_far)
    keyset_ratio = median(keyset_first) / median(keyset_far)
    return {
        "offset_page1_ms": median(offset_first) * 1000,
        "offset_page500_ms": median(offset_far) * 1000,
        "offset_ratio": offset_ratio,
        "keyset_page1_ms": median(keyset_first) * 1000,
        "keyset_page500_ms": median(keyset_far) * 1000,
        "keyset_ratio": keyset_ratio,
    }


async def _measure(base_url: str, database_url: str, profile: Profile) -> Measurement:
    secret, actor = await issue_actor(database_url, "bench-keyset")
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        began = time.perf_counter()
        await _populate(connection, actor.organisation_id)
        populated_in = time.perf_counter() - began
        print(f"  inserted {PACKAGES:,} packages with drafts in {populated_in:.1f} s", flush=True)
        far_offset = (FAR_PAGE - 1) * PAGE_SIZE
        after = await connection.fetchrow(NTH_ROW, actor.organisation_id, far_offset - 1)
        expected_first = await connection.fetchrow(NTH_ROW, actor.organisation_id, far_offset)
        cursor = package_cursor(after["updated_at"], after["id"])
        async with httpx.AsyncClient(base_url=base_url, headers=bearer(secret), timeout=60) as client:
            await _check_pages(client, cursor, expected_first["id"])

            async def page_one() -> float:
                return (await _fetch_page(client, None))[0]

            async def page_far() -> float:
                return (await _fetch_page(client, cursor))[0]

            firsts, fars = await _interleaved(page_one, page_far, profile.latency_repetitions)
        note = await _sql_note(connection, actor.organisation_id, after)
    finally:
        await connection.close()
    first_ms, far_ms = median(firsts) * 1000, median(fars) * 1000
    ratio = first_ms / far_ms
    return Measurement(
        name="(c) keyset page 1 vs page 500",
        summary=f"page 1 {first_ms:.1f} ms, page 500 {far_ms:.1f} ms (page 1/page 500)",
        ratio=ratio,
        target=f"page1/page500 >= {TARGET}",
        passed=ratio >= TARGET,
        details={
            "packages": PACKAGES,
            "page_size": PAGE_SIZE,
            "page1_ms_median": first_ms,
            "page500_ms_median": far_ms,
            "repetitions": profile.latency_repetitions,
            "populate_seconds": populated_in,
            "sql_side_note": note,
        },
    )


async def _check_pages(client: httpx.AsyncClient, cursor: str, expected_first: uuid.UUID) -> None:
    """Page 1 has a next page; page 500 is the last one and starts at row 99,801."""
    _, first = await _fetch_page(client, None)
    _, far = await _fetch_page(client, cursor)
    if len(first["edges"]) != PAGE_SIZE or not first["pageInfo"]["hasNextPage"]:
        raise BenchError("page 1 is not a full page with a next page")
    if len(far["edges"]) != PAGE_SIZE or far["pageInfo"]["hasNextPage"]:
        raise BenchError("page 500 is not the full last page")
    if far["edges"][0]["node"]["draft"] is None:
        raise BenchError("page 500's packages have no draft")
    if uuid.UUID(GlobalID.from_id(far["edges"][0]["node"]["id"]).node_id) != expected_first:
        raise BenchError("page 500 does not start at row 99,801")


def run(database_url: str, profile: Profile) -> Measurement:
    """Insert the packages, then time page 1 and page 500 through the real app in a subprocess."""
    with served("system", database_url) as app:
        return asyncio.run(_measure(app.base_url, database_url, profile))
