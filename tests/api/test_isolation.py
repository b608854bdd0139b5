"""A token never sees or touches another organisation's objects: they answer as not found."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import issue_token
from tests.support import documents as docs
from tests.support.content import CONFIG, MODEL
from tests.support.flows import create_package, node, published_package, save
from tests.support.graphql import Api
from tests.support.servers import InProcessServer
from workflow.access import Scope

ALL_SCOPES = list(Scope)


@dataclass
class Victim:
    package_id: str
    version_id: str
    draft_id: str
    event_id: str
    revision: int


@pytest.fixture
async def owner(api_server: InProcessServer, database_url: str) -> AsyncIterator[Api]:
    async with Api(
        api_server.graphql_url, await issue_token(database_url, ALL_SCOPES), database_url=database_url
    ) as client:
        yield client


@pytest.fixture
async def intruder(api_server: InProcessServer, database_url: str) -> AsyncIterator[Api]:
    async with Api(
        api_server.graphql_url, await issue_token(database_url, ALL_SCOPES), database_url=database_url
    ) as client:
        yield client


@pytest.fixture
async def victim(owner: Api) -> Victim:
    package_id, revision = await published_package(owner)
    edited = await save(owner, package_id, revision, {"config": {**CONFIG, "epochs": 6}})
    state = await node(owner, package_id)
    assert state is not None
    events = (await owner.execute(docs.EVENTS, id=package_id))["node"]["events"]["edges"]
    return Victim(
        package_id,
        state["latestPublishedVersion"]["id"],
        state["draft"]["id"],
        events[0]["node"]["id"],
        edited["revision"],
    )


async def test_other_organisations_objects_cannot_be_read(intruder: Api, victim: Victim) -> None:
    for object_id in (victim.package_id, victim.version_id, victim.draft_id, victim.event_id):
        assert (await intruder.execute(docs.NODE, id=object_id))["node"] is None
    ids = [victim.package_id, victim.version_id, victim.event_id]
    assert (await intruder.execute(docs.NODES, ids=ids))["nodes"] == [None, None, None]
    listed = (await intruder.execute(docs.PACKAGES, filter={"archived": None}))["packages"]["edges"]
    assert victim.package_id not in {edge["node"]["id"] for edge in listed}
    events = (await intruder.execute(docs.ORG_EVENTS, first=200))["events"]["edges"]
    assert victim.package_id not in {edge["node"]["packageId"] for edge in events}
    assert (await intruder.execute(docs.DIFF, id=victim.package_id, **{"from": 1, "to": 2}))["node"] is None


async def test_other_organisations_objects_cannot_be_changed(owner: Api, intruder: Api, victim: Victim) -> None:
    attempts: list[tuple[str, str, dict[str, Any]]] = [
        (
            docs.SAVE,
            "saveDraft",
            {"id": victim.package_id, "expectedRevision": victim.revision, "steps": {"model": MODEL}},
        ),
        (
            docs.SAVE,
            "saveDraft",
            {"id": victim.draft_id, "expectedRevision": victim.revision, "steps": {"model": MODEL}},
        ),
        (
            docs.COMPLETE,
            "completeStep",
            {"id": victim.package_id, "expectedRevision": victim.revision, "step": "CONFIG"},
        ),
        (docs.OPEN, "openStep", {"id": victim.package_id, "expectedRevision": victim.revision, "step": "MODEL"}),
        (docs.PUBLISH, "publishVersion", {"id": victim.package_id, "expectedRevision": victim.revision}),
        (docs.DISCARD, "discardDraft", {"id": victim.package_id, "expectedRevision": victim.revision}),
        (docs.RESTORE, "restoreVersion", {"versionId": victim.version_id}),
        (docs.RENAME, "renamePackage", {"id": victim.package_id, "name": "stolen"}),
        (docs.ARCHIVE, "archivePackage", {"id": victim.package_id}),
        (docs.UNARCHIVE, "unarchivePackage", {"id": victim.package_id}),
        (docs.DELETE, "deletePackage", {"id": victim.package_id}),
    ]
    missing_package = base64.b64encode(f"Package:{uuid.uuid4()}".encode()).decode()
    for document, field, payload in attempts:
        result = (await intruder.execute(document, input=payload))[field]
        assert result["__typename"] == "NotFound", (field, result)
        # Exactly what an id that does not exist gets (only the id itself differs), and the id
        # named is always the one the client sent, never an internal one.
        for key in ("id", "versionId"):
            if key in payload:
                assert result["id"] == payload[key] and payload[key] in result["message"], (field, result)
                absent = (await intruder.execute(document, input={**payload, key: missing_package}))[field]
                assert absent["id"] == missing_package
                assert result == {
                    **absent,
                    "id": payload[key],
                    "message": absent["message"].replace(missing_package, payload[key]),
                }
    after = await node(owner, victim.package_id)
    assert after is not None
    assert after["draft"]["revision"] == victim.revision
    assert after["name"] != "stolen" and after["archivedAt"] is None


async def test_ids_of_the_wrong_type_or_malformed_answer_as_not_found(api: Api, victim: Victim) -> None:
    assert (await api.execute(docs.NODE, id=victim.package_id))["node"] is None
    _, revision = await create_package(api)
    for bad in ("not-an-id", victim.event_id):
        result = await api.execute(docs.SAVE, input={"id": bad, "expectedRevision": revision, "steps": {}})
        assert result["saveDraft"]["__typename"] == "NotFound"
