"""Small client-side flows shared by API tests (create, fill, complete, publish)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from strawberry import relay

from tests.support import documents as docs
from tests.support.content import STEP_NAMES, VALID_STEPS
from tests.support.graphql import Api
from tests.support.results import finish_jobs


async def create_package(api: Api, steps: dict[str, Any] | None = None, name: str | None = None) -> tuple[str, int]:
    """A new package's id and its draft's revision."""
    payload: dict[str, Any] = {}
    if steps is not None:
        payload["steps"] = steps
    if name is not None:
        payload["name"] = name
    created = (await api.execute(docs.CREATE, input=payload))["createPackage"]
    assert created["__typename"] == "PackageCreated", created
    return created["package"]["id"], created["draft"]["revision"]


async def save(api: Api, target: str, revision: int, steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The saveDraft result."""
    result: dict[str, Any] = (
        await api.execute(docs.SAVE, input={"id": target, "expectedRevision": revision, "steps": steps, **extra})
    )["saveDraft"]
    return result


async def complete(api: Api, target: str, revision: int, step: str) -> dict[str, Any]:
    """The completeStep result."""
    result: dict[str, Any] = (
        await api.execute(docs.COMPLETE, input={"id": target, "expectedRevision": revision, "step": step})
    )["completeStep"]
    return result


async def publish(api: Api, target: str, revision: int, changelog: str | None = None) -> dict[str, Any]:
    """The publishVersion result."""
    result: dict[str, Any] = (
        await api.execute(docs.PUBLISH, input={"id": target, "expectedRevision": revision, "changelog": changelog})
    )["publishVersion"]
    return result


async def complete_all(api: Api, package_id: str, revision: int) -> int:
    """Store valid data in every step, let the workers' results in (pending is not done) and
    complete the steps in order; the final revision."""
    saved = await save(api, package_id, revision, VALID_STEPS)
    assert saved["__typename"] == "DraftUpdated", saved
    revision = saved["revision"]
    await learn(api, package_id)
    for step in STEP_NAMES:
        done = await complete(api, package_id, revision, step)
        assert done["__typename"] == "DraftUpdated", done
        revision = done["revision"]
    return revision


async def learn(api: Api, package_id: str) -> None:
    """Play the workers' part for the package's queued jobs (the client's database)."""
    assert api.database_url is not None, "the Api client needs database_url to record workers' results"
    await finish_jobs(api.database_url, uuid.UUID(relay.GlobalID.from_id(package_id).node_id))


async def published_package(api: Api) -> tuple[str, int]:
    """A package with version 1 published and no draft; its id and current revision."""
    package_id, revision = await create_package(api)
    revision = await complete_all(api, package_id, revision)
    published = await publish(api, package_id, revision, "v1")
    assert published["__typename"] == "VersionPublished", published
    return package_id, published["version"]["revision"]


async def node(api: Api, object_id: str) -> dict[str, Any] | None:
    """The package view of ``node(id)``."""
    result: dict[str, Any] | None = (await api.execute(docs.PACKAGE, id=object_id))["node"]
    return result


UPLOAD = """
mutation ($file: Upload!) { uploadDataset(file: $file) {
  __typename ... on DatasetUploaded { upload { id format sizeBytes } } ... on UserError { code message } } }
"""


async def upload_dataset(graphql_url: str, token: str, name: str, content: bytes) -> str:
    """Upload a dataset file by the GraphQL multipart request; its upload id."""
    operations = json.dumps({"query": UPLOAD, "variables": {"file": None}})
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            graphql_url,
            headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
            data={"operations": operations, "map": json.dumps({"0": ["variables.file"]})},
            files={"0": (name, content, "application/octet-stream")},
        )
    body = response.json()["data"]["uploadDataset"]
    assert body["__typename"] == "DatasetUploaded", body
    upload_id: str = body["upload"]["id"]
    return upload_id
