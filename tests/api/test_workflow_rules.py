"""PRODUCT.md's workflow rules, exercised through the GraphQL API."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.conftest import issue_token
from tests.support import documents as docs
from tests.support.content import CONFIG, DATASET, MODEL, VALID_STEPS
from tests.support.flows import complete, complete_all, create_package, learn, node, publish, published_package, save
from tests.support.graphql import Api
from tests.support.servers import InProcessServer
from workflow.access import Scope


async def test_a_save_that_changes_nothing_keeps_the_revision(api: Api) -> None:
    package_id, revision = await create_package(api)
    first = await save(api, package_id, revision, {"model": MODEL})
    again = await save(api, package_id, first["revision"], {"model": MODEL})
    assert again["__typename"] == "DraftUpdated"
    assert (again["changed"], again["revision"]) == (False, first["revision"])


async def test_range_errors_are_reported_but_stored(api: Api) -> None:
    package_id, revision = await create_package(api)
    saved = await save(api, package_id, revision, {"config": {**CONFIG, "epochs": 0, "learningRate": 2}})
    assert saved["__typename"] == "DraftUpdated"
    assert {(e["path"], e["code"]) for e in saved["errors"]} >= {
        ("config.epochs", "OUT_OF_RANGE"),
        ("config.learningRate", "OUT_OF_RANGE"),
    }
    stored = await node(api, package_id)
    assert stored is not None
    assert stored["draft"]["steps"][1]["data"]["epochs"] == 0


async def test_steps_are_locked_until_earlier_steps_complete(api: Api) -> None:
    package_id, revision = await create_package(api, steps=VALID_STEPS)
    locked = await complete(api, package_id, revision, "DATASET")
    assert locked["__typename"] == "StepLocked"
    assert locked["blockedBy"] == ["MODEL", "CONFIG"]
    opened = (await api.execute(docs.OPEN, input={"id": package_id, "expectedRevision": revision, "step": "DEPLOY"}))[
        "openStep"
    ]
    assert opened["__typename"] == "StepLocked"
    assert (await node(api, package_id))["draft"]["revision"] == revision  # type: ignore[index]


async def test_completing_an_invalid_step_marks_it_error(api: Api) -> None:
    package_id, revision = await create_package(api, steps={"model": {"source": "HUB", "repoId": "not a repo"}})
    done = await complete(api, package_id, revision, "MODEL")
    assert done["__typename"] == "DraftUpdated"
    model = done["version"]["steps"][0]
    assert model["status"] == "ERROR"
    assert model["errors"] == [{"path": "model.repoId", "code": "MODEL_REPO_ID_INVALID"}]
    assert done["version"]["currentStep"] == "MODEL"


async def test_opening_a_complete_step_is_allowed_and_editing_revalidates_later_steps(api: Api) -> None:
    package_id, revision = await create_package(api)
    revision = await complete_all(api, package_id, revision)
    opened = (await api.execute(docs.OPEN, input={"id": package_id, "expectedRevision": revision, "step": "CONFIG"}))[
        "openStep"
    ]
    assert opened["__typename"] == "DraftUpdated" and opened["version"]["currentStep"] == "CONFIG"
    # Switching to DPO invalidates the INSTRUCTION dataset that was complete.
    edited = await save(api, package_id, opened["revision"], {"config": {**CONFIG, "trainer": "DPO"}})
    statuses = {step["step"]: step["status"] for step in edited["version"]["steps"]}
    assert statuses == {"MODEL": "COMPLETE", "CONFIG": "IN_PROGRESS", "DATASET": "ERROR", "DEPLOY": "COMPLETE"}
    dataset = edited["version"]["steps"][2]
    assert dataset["errors"] == [{"path": "dataset.sources[0].format", "code": "DATASET_FORMAT_TRAINER_MISMATCH"}]


async def test_publish_requires_every_step_complete(api: Api) -> None:
    package_id, revision = await create_package(api, steps=VALID_STEPS)
    # Pending is not done: the model was never resolved, the dataset never profiled.
    refused = await publish(api, package_id, revision)
    assert refused["__typename"] == "ChecksPending", refused
    assert {(issue["path"], issue["code"]) for issue in refused["pending"]} == {
        ("model.repoId", "MODEL_RESOLUTION_PENDING"),
        ("config.maxSeqLength", "CONTEXT_LENGTH_PENDING"),
        ("dataset.sources[0].columnMapping", "DATASET_PROFILE_PENDING"),
    }
    assert "MODEL_RESOLUTION_PENDING" in refused["message"]
    await learn(api, package_id)
    refused = await publish(api, package_id, revision)
    assert refused["__typename"] == "ValidationFailed"
    assert {issue["code"] for issue in refused["issues"]} == {"STEP_INCOMPLETE"}
    assert (await node(api, package_id))["latestPublishedVersion"] is None  # type: ignore[index]


async def test_publishing_identical_content_is_refused(api: Api) -> None:
    package_id, revision = await published_package(api)
    # Edit and edit back: draft v2 has the same content as v1.
    changed = await save(api, package_id, revision, {"config": {**CONFIG, "epochs": 4}})
    back = await save(api, package_id, changed["revision"], {"config": CONFIG})
    done = await complete(api, package_id, back["revision"], "CONFIG")
    refused = await publish(api, package_id, done["revision"])
    assert refused["__typename"] == "NothingToPublish" and refused["reason"] == "UNCHANGED"
    assert (await node(api, package_id))["draft"]["revision"] == done["revision"]  # type: ignore[index]


async def test_published_versions_are_immutable(api: Api) -> None:
    package_id, revision = await published_package(api)
    v1 = (await node(api, package_id))["latestPublishedVersion"]  # type: ignore[index]
    refused = await save(api, v1["id"], revision, {"config": {"epochs": 9}})
    assert refused["__typename"] == "VersionImmutable" and refused["versionNumber"] == 1
    assert (await node(api, package_id))["draft"] is None  # type: ignore[index]


async def test_publish_without_draft_and_nothing_to_publish(api: Api) -> None:
    package_id, revision = await published_package(api)
    refused = await publish(api, package_id, revision)
    assert refused["__typename"] == "NothingToPublish" and refused["reason"] == "NO_DRAFT"


async def test_idempotent_save_returns_the_first_answer(api: Api) -> None:
    package_id, revision = await create_package(api)
    first = await save(api, package_id, revision, {"model": MODEL}, idempotencyKey="key-1")
    retry = await save(api, package_id, revision, {"model": MODEL}, idempotencyKey="key-1")
    assert retry["__typename"] == "DraftUpdated"
    assert (retry["revision"], retry["savedAt"]) == (first["revision"], first["savedAt"])
    events = (await api.execute(docs.EVENTS, id=package_id))["node"]["events"]["edges"]
    assert [edge["node"]["type"] for edge in events].count("DRAFT_SAVED") == 1
    reused = await save(api, package_id, first["revision"], {"config": CONFIG}, idempotencyKey="key-1")
    assert reused["__typename"] == "IdempotencyKeyReused"


async def test_discard_returns_to_the_latest_published_version(api: Api) -> None:
    package_id, revision = await published_package(api)
    edited = await save(api, package_id, revision, {"dataset": {**DATASET, "eval": {"mode": "NONE"}}})
    discarded = (await api.execute(docs.DISCARD, input={"id": package_id, "expectedRevision": edited["revision"]}))[
        "discardDraft"
    ]
    assert discarded["__typename"] == "DraftDiscarded"
    assert discarded["package"]["draft"] is None
    assert discarded["package"]["latestPublishedVersion"] == {"number": 1}
    fresh_id, fresh_revision = await create_package(api)
    refused = await api.execute(docs.DISCARD, input={"id": fresh_id, "expectedRevision": fresh_revision})
    assert refused["discardDraft"]["code"] == "NEVER_PUBLISHED"


async def test_restore_needs_no_existing_draft(api: Api) -> None:
    package_id, revision = await published_package(api)
    v1 = (await node(api, package_id))["latestPublishedVersion"]  # type: ignore[index]
    await save(api, package_id, revision, {"config": {**CONFIG, "epochs": 7}})
    refused = (await api.execute(docs.RESTORE, input={"versionId": v1["id"]}))["restoreVersion"]
    assert refused["__typename"] == "DraftExists" and refused["code"] == "DRAFT_EXISTS"


async def test_delete_only_unpublished_packages(api: Api) -> None:
    published_id, _ = await published_package(api)
    refused = (await api.execute(docs.DELETE, input={"id": published_id}))["deletePackage"]
    assert refused["code"] == "PACKAGE_PUBLISHED"
    draft_id, _ = await create_package(api)
    deleted = (await api.execute(docs.DELETE, input={"id": draft_id}))["deletePackage"]
    assert deleted == {"__typename": "PackageDeleted", "deletedId": draft_id}
    assert await node(api, draft_id) is None


async def test_archived_packages_refuse_edits_until_unarchived(api: Api) -> None:
    package_id, revision = await create_package(api)
    archived = (await api.execute(docs.ARCHIVE, input={"id": package_id}))["archivePackage"]
    assert archived["package"]["archivedAt"] is not None
    refused = await save(api, package_id, revision, {"model": MODEL})
    assert refused["code"] == "PACKAGE_ARCHIVED"
    await api.execute(docs.UNARCHIVE, input={"id": package_id})
    assert (await save(api, package_id, revision, {"model": MODEL}))["__typename"] == "DraftUpdated"


async def test_names_collide_into_suffixes_and_renames_are_checked(api: Api) -> None:
    steps = {"model": MODEL, "config": CONFIG, "dataset": DATASET}
    first_id, _ = await create_package(api, steps=steps)
    second_id, _ = await create_package(api, steps=steps)
    first, second = await node(api, first_id), await node(api, second_id)
    assert first is not None and second is not None
    assert second["name"] == first["name"] + "-2"
    taken = (await api.execute(docs.RENAME, input={"id": second_id, "name": first["name"]}))["renamePackage"]
    assert taken["__typename"] == "NameTaken"
    blank = (await api.execute(docs.RENAME, input={"id": second_id, "name": "  "}))["renamePackage"]
    assert blank["__typename"] == "ValidationFailed" and blank["issues"][0]["code"] == "NAME_INVALID"


async def test_text_with_nul_characters_is_refused_not_crashed(api: Api) -> None:
    package_id, revision = await create_package(api)
    refused = await save(api, package_id, revision, {"model": {"source": "HUB", "repoId": "a/b\u0000"}})
    assert refused["__typename"] == "ValidationFailed"
    assert refused["issues"][0]["path"] == "model.repoId" and refused["issues"][0]["code"] == "INVALID_CHARACTER"


async def test_scopes_are_enforced(api_server: InProcessServer, database_url: str) -> None:
    async with Api(
        api_server.graphql_url, await issue_token(database_url, [Scope.READ, Scope.WRITE]), database_url=database_url
    ) as writer:
        package_id, revision = await create_package(writer)
        revision = await complete_all(writer, package_id, revision)
        refused = await publish(writer, package_id, revision)
        assert refused["__typename"] == "Forbidden" and refused["requiredScope"] == "publish"
    reader_token = await issue_token(database_url, [Scope.READ])
    async with Api(api_server.graphql_url, reader_token) as reader:
        refused = (await reader.execute(docs.CREATE, input={}))["createPackage"]
        assert refused["__typename"] == "Forbidden" and refused["requiredScope"] == "write"


async def test_revisions_are_never_reused_after_a_discard(api: Api) -> None:
    package_id, revision = await published_package(api)
    first_tab = await save(api, package_id, revision, {"config": {**CONFIG, "epochs": 4}})
    first_tab = await save(api, package_id, first_tab["revision"], {"config": {**CONFIG, "epochs": 5}})
    discarded = await api.execute(docs.DISCARD, input={"id": package_id, "expectedRevision": first_tab["revision"]})
    assert discarded["discardDraft"]["__typename"] == "DraftDiscarded"
    second_tab = await save(api, package_id, revision, {"config": {**CONFIG, "epochs": 6}})
    assert second_tab["revision"] > first_tab["revision"]
    stale = await save(api, package_id, first_tab["revision"], {"config": {**CONFIG, "epochs": 7}})
    assert stale["__typename"] == "RevisionConflict"
    assert (await node(api, package_id))["draft"]["steps"][1]["data"]["epochs"] == 6  # type: ignore[index]


async def test_concurrent_explicit_names_never_fail_with_an_internal_error(api: Api) -> None:
    created = await asyncio.gather(*(api.raw(docs.CREATE, {"input": {"name": "same-name"}}) for _ in range(6)))
    outcomes = [response.json()["data"]["createPackage"]["__typename"] for response in created]
    assert sorted(outcomes) == ["NameTaken"] * 5 + ["PackageCreated"]
    ids = [(await create_package(api))[0] for _ in range(5)]
    renamed = await asyncio.gather(
        *(api.raw(docs.RENAME, {"input": {"id": package_id, "name": "popular"}}) for package_id in ids)
    )
    outcomes = [response.json()["data"]["renamePackage"]["__typename"] for response in renamed]
    assert sorted(outcomes) == ["NameTaken"] * 4 + ["PackageUpdated"]


@pytest.mark.parametrize(
    ("payload", "path", "code"),
    [
        ({"steps": {}, "idempotencyKey": "k" * 300}, "idempotencyKey", "TOO_LONG"),
        ({"steps": {"model": {"repoId": "a\ud800b"}}}, "model.repoId", "INVALID_CHARACTER"),
        ({"steps": {"config": {"batchSize": 10**400}}}, "config.batchSize", "OUT_OF_RANGE"),
    ],
)
async def test_unstorable_input_is_a_typed_error(api: Api, payload: dict[str, object], path: str, code: str) -> None:
    package_id, revision = await create_package(api)
    body = json.dumps(
        {"query": docs.SAVE, "variables": {"input": {"id": package_id, "expectedRevision": revision, **payload}}}
    )
    async with httpx.AsyncClient() as client:
        response = await client.post(
            api.url, content=body, headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}
        )
    result = response.json()["data"]["saveDraft"]
    assert result["__typename"] == "ValidationFailed", result
    assert (result["issues"][0]["path"], result["issues"][0]["code"]) == (path, code)


async def test_names_with_lone_surrogates_are_refused(api: Api) -> None:
    query = "mutation($name: String) { createPackage(input: {name: $name}) { __typename } }"
    body = json.dumps({"query": query, "variables": {"name": "a\ud800b"}})  # json escapes the lone surrogate
    async with httpx.AsyncClient() as client:
        response = await client.post(
            api.url, content=body, headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}
        )
    assert response.status_code == 200
    assert response.json()["data"]["createPackage"]["__typename"] == "ValidationFailed"


async def test_a_second_mutation_in_the_same_request_sees_the_first_ones_write(api: Api) -> None:
    package_id, revision = await create_package(api)
    document = """mutation($id: ID!, $first: Int!, $second: Int!) {
      a: saveDraft(input: {id: $id, expectedRevision: $first, steps: {model: {source: "HUB"}}}) {
        ... on DraftUpdated { revision } }
      b: saveDraft(input: {id: $id, expectedRevision: $second, steps: {model: {source: "LOCAL"}}}) {
        ... on DraftUpdated { revision package { currentRevision draft { revision } } } }
    }"""
    result = await api.execute(document, id=package_id, first=revision, second=revision + 1)
    assert result["b"]["revision"] == revision + 2
    assert result["b"]["package"] == {"currentRevision": revision + 2, "draft": {"revision": revision + 2}}
