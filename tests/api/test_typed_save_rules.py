"""The save rules of tests/api/test_workflow_rules.py and test_concurrency.py, for typed (merging) saves."""

from __future__ import annotations

import asyncio

from tests.support import documents as docs
from tests.support.content import MODEL
from tests.support.graphql import Api
from tests.support.typed import TYPED_VALID_STEPS, create_typed, draft_content, save_typed, typed

WRITERS = 24
TYPED_MODEL = typed(MODEL)


async def test_a_typed_save_that_changes_nothing_keeps_the_revision(api: Api) -> None:
    package_id, revision = await create_typed(api)
    first = await save_typed(api, package_id, revision, {"model": TYPED_MODEL})
    again = await save_typed(api, package_id, first["revision"], {"model": TYPED_MODEL})
    assert again["__typename"] == "DraftUpdated"
    assert (again["changed"], again["revision"]) == (False, first["revision"])
    # A patch of one field to its current value, and an empty patch, are no-ops too.
    same = await save_typed(api, package_id, first["revision"], {"model": {"repoId": MODEL["repoId"]}, "config": {}})
    empty = await save_typed(api, package_id, first["revision"], {})
    assert [(r["changed"], r["revision"]) for r in (same, empty)] == [(False, first["revision"])] * 2
    events = (await api.execute(docs.EVENTS, id=package_id))["node"]["events"]["edges"]
    assert [edge["node"]["type"] for edge in events].count("DRAFT_SAVED") == 1


async def test_clearing_what_is_already_empty_changes_nothing(api: Api) -> None:
    package_id, revision = await create_typed(api, {"model": TYPED_MODEL})
    cleared = await save_typed(api, package_id, revision, {"model": {"path": None}, "deploy": None})
    assert (cleared["changed"], cleared["revision"]) == (False, revision)


async def test_an_idempotent_typed_save_returns_the_first_answer(api: Api) -> None:
    package_id, revision = await create_typed(api)
    first = await save_typed(api, package_id, revision, {"model": TYPED_MODEL}, idempotencyKey="key-1")
    retry = await save_typed(api, package_id, revision, {"model": TYPED_MODEL}, idempotencyKey="key-1")
    assert retry["__typename"] == "DraftUpdated"
    assert (retry["revision"], retry["savedAt"]) == (first["revision"], first["savedAt"])
    events = (await api.execute(docs.EVENTS, id=package_id))["node"]["events"]["edges"]
    assert [edge["node"]["type"] for edge in events].count("DRAFT_SAVED") == 1
    reused = await save_typed(api, package_id, first["revision"], {"config": {"epochs": 2}}, idempotencyKey="key-1")
    assert reused["__typename"] == "IdempotencyKeyReused"
    # The same data sent in the JSON form is a different request: a key names one request.
    as_json = await api.execute(
        docs.SAVE,
        input={"id": package_id, "expectedRevision": revision, "steps": {"model": MODEL}, "idempotencyKey": "key-1"},
    )
    assert as_json["saveDraft"]["__typename"] == "IdempotencyKeyReused"


async def test_concurrent_typed_saves_with_the_same_revision_have_exactly_one_winner(api: Api) -> None:
    package_id, revision = await create_typed(api, TYPED_VALID_STEPS)
    results = await asyncio.gather(
        *(save_typed(api, package_id, revision, {"config": {"epochs": writer + 1}}) for writer in range(WRITERS))
    )
    winners = [result for result in results if result["__typename"] == "DraftUpdated"]
    conflicts = [result for result in results if result["__typename"] == "RevisionConflict"]
    assert len(winners) == 1 and len(conflicts) == WRITERS - 1
    assert {conflict["currentRevision"] for conflict in conflicts} == {revision + 1}
    draft = await draft_content(api, package_id)
    assert draft["revision"] == revision + 1
    assert draft["content"]["config"] == winners[0]["version"]["content"]["config"]


async def test_typed_writers_that_retry_on_conflict_never_lose_an_update(api: Api) -> None:
    package_id, revision = await create_typed(api, TYPED_VALID_STEPS)
    # Each writer changes a field of its own: once all are in, every one of them is there.
    fields = {
        "epochs": 7,
        "learningRate": 0.001,
        "batchSize": 8,
        "gradientAccumulation": 2,
        "maxSeqLength": 1024,
        "warmupRatio": 0.1,
        "weightDecay": 0.01,
        "optimizer": "adamw_torch_fused",
        "scheduler": "CONSTANT",
        "gradientCheckpointing": False,
        "seed": 7,
        "trainer": "DPO",
    }

    async def writer(name: str, value: object) -> int:
        known = revision
        while True:
            result = await save_typed(api, package_id, known, {"config": {name: value}})
            if result["__typename"] == "DraftUpdated":
                return int(result["revision"])
            assert result["__typename"] == "RevisionConflict", result
            known = result["currentRevision"]

    revisions = await asyncio.gather(*(writer(name, value) for name, value in fields.items()))
    assert sorted(revisions) == list(range(revision + 1, revision + 1 + len(fields)))
    config = (await draft_content(api, package_id))["content"]["config"]
    assert {name: config[name] for name in fields} == fields
    assert config["lora"]["r"] == 16 and config["method"] == "LORA"  # untouched by all of them
    events = (await api.execute(docs.EVENTS, id=package_id, first=200))["node"]["events"]["edges"]
    saved = [edge["node"]["payload"]["revision"] for edge in events if edge["node"]["type"] == "DRAFT_SAVED"]
    assert saved == list(range(revision + 1, revision + 1 + len(fields)))


async def test_concurrent_typed_retries_with_one_idempotency_key_apply_once(api: Api) -> None:
    package_id, revision = await create_typed(api)
    results = await asyncio.gather(
        *(
            save_typed(api, package_id, revision, {"config": {"epochs": 2}}, idempotencyKey="same-request")
            for _ in range(10)
        )
    )
    assert {result["__typename"] for result in results} == {"DraftUpdated"}
    assert {result["revision"] for result in results} == {revision + 1}
    assert (await draft_content(api, package_id))["revision"] == revision + 1
