"""Concurrent writers on one draft: no lost update, contiguous revisions."""

from __future__ import annotations

import asyncio

from tests.support import documents as docs
from tests.support.content import CONFIG
from tests.support.flows import create_package, node, save
from tests.support.graphql import Api

WRITERS = 24


async def test_concurrent_saves_with_the_same_revision_have_exactly_one_winner(api: Api) -> None:
    package_id, revision = await create_package(api)
    results = await asyncio.gather(
        *(save(api, package_id, revision, {"config": {**CONFIG, "epochs": writer + 1}}) for writer in range(WRITERS))
    )
    winners = [result for result in results if result["__typename"] == "DraftUpdated"]
    conflicts = [result for result in results if result["__typename"] == "RevisionConflict"]
    assert len(winners) == 1 and len(conflicts) == WRITERS - 1
    assert {conflict["currentRevision"] for conflict in conflicts} == {revision + 1}
    stored = await node(api, package_id)
    assert stored is not None
    assert stored["draft"]["revision"] == revision + 1
    assert stored["draft"]["steps"][1]["data"] == winners[0]["version"]["steps"][1]["data"]


async def test_writers_that_retry_on_conflict_never_lose_an_update(api: Api) -> None:
    package_id, revision = await create_package(api)

    async def writer(number: int) -> int:
        known = revision
        while True:
            result = await save(api, package_id, known, {"config": {**CONFIG, "seed": number}})
            if result["__typename"] == "DraftUpdated":
                return int(result["revision"])
            assert result["__typename"] == "RevisionConflict", result
            known = result["currentRevision"]

    revisions = await asyncio.gather(*(writer(number) for number in range(12)))
    assert sorted(revisions) == list(range(revision + 1, revision + 13))
    events = (await api.execute(docs.EVENTS, id=package_id, first=200))["node"]["events"]["edges"]
    saved = [edge["node"]["payload"]["revision"] for edge in events if edge["node"]["type"] == "DRAFT_SAVED"]
    assert saved == list(range(revision + 1, revision + 13))  # one event per write, in commit order


async def test_concurrent_retries_with_one_idempotency_key_apply_once(api: Api) -> None:
    package_id, revision = await create_package(api)
    results = await asyncio.gather(
        *(save(api, package_id, revision, {"config": CONFIG}, idempotencyKey="same-request") for _ in range(10))
    )
    assert {result["__typename"] for result in results} == {"DraftUpdated"}
    assert {result["revision"] for result in results} == {revision + 1}
    stored = await node(api, package_id)
    assert stored is not None and stored["draft"]["revision"] == revision + 1


async def test_concurrent_creates_get_distinct_names(api: Api) -> None:
    created = await asyncio.gather(*(api.execute(docs.CREATE, input={}) for _ in range(8)))
    names = [result["createPackage"]["package"]["name"] for result in created]
    assert len(set(names)) == 8
