"""The publish pipeline end to end: the API under uvicorn, a real Redis, real `trainpack worker`
processes, the Hub stand-in, and the bundle downloaded over real HTTP.

Publishing starts a build whose stages stream over a real subscription; the built archive is
the one the version's ``bundle`` names, served with ranges and validators to its own
organisation only. A build that cannot store its archive fails with a code and is retried.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import issue_token
from tests.support.graphql import Api
from tests.support.hub_standin import HubStandin
from tests.support.job_stack import worker_env, worker_process
from tests.support.model_files import tiny_llama
from tests.support.pipeline import (
    DATASET_ID,
    MODEL_ID,
    ORGANISATION_EVENTS,
    PACKAGE_EVENTS,
    RETRY,
    publish,
    publishable,
    version_view,
    wait_for_stage,
)
from tests.support.servers import InProcessServer
from tests.support.ws import WsClient
from workflow.access import Scope
from workflow.core.bundle import verify

pytestmark = pytest.mark.slow

RENAME = """
mutation ($input: RenamePackageInput!) { renamePackage(input: $input) {
  __typename ... on UserError { code message } } }
"""
CHATS = b"".join(
    json.dumps(
        {"messages": [{"role": "user", "content": f"Count to {n}"}, {"role": "assistant", "content": "1 2 3"}]}
    ).encode()
    + b"\n"
    for n in range(12)
)


@dataclass
class Stack:
    hub: HubStandin
    server: InProcessServer
    env: dict[str, str]
    bundles: Path
    scratch: Path


@pytest.fixture(scope="module")
def stack(database_url: str, redis_url: str) -> Iterator[Stack]:
    namespace = f"pipeline-{uuid.uuid4().hex[:8]}"
    with HubStandin() as hub, tempfile.TemporaryDirectory(prefix="trainpack-pipeline-") as folder:
        scratch = Path(folder)
        hub.add_model(MODEL_ID, tiny_llama(context_length=2048).files)
        hub.add_dataset(DATASET_ID, {"train.jsonl": CHATS, "README.md": b"# Chats\n"})
        bundles = scratch / "bundles"
        env = worker_env(database_url, redis_url, hub.url, str(scratch / "cache"), namespace)
        env["TRAINPACK_BUNDLE_DIR"] = str(bundles)
        with InProcessServer.start(
            database_url, redis_url=redis_url, queue_namespace=namespace, bundle_dir=bundles
        ) as server:
            yield Stack(hub, server, env, bundles, scratch)


@pytest.fixture
async def api(stack: Stack, database_url: str) -> AsyncIterator[Api]:
    async with Api(stack.server.graphql_url, await issue_token(database_url)) as client:
        yield client


async def _download(stack: Stack, url_or_sha: str, token: str | None, **headers: str) -> httpx.Response:
    url = url_or_sha if url_or_sha.startswith("http") else f"{stack.server.base_url}/bundles/{url_or_sha}.tar.gz"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(url, headers=headers)


async def _pipeline_events(
    ws: WsClient, version_id: str, fields: tuple[str, ...] = ("packageEvents",)
) -> dict[str, list[dict[str, Any]]]:
    """The version's pipeline events per subscription field, read until each has seen the build end."""
    seen: dict[str, list[dict[str, Any]]] = {field: [] for field in fields}
    while not all(events and events[-1]["finished"] for events in seen.values()):
        [data] = await ws.events(1, timeout=60)
        [(field, event)] = data.items()
        if event["__typename"] == "PipelineEvent" and event["versionId"] == version_id:
            seen[field].append(event)
    return seen


async def _listening(ws: WsClient, api: Api, package_id: str, fields: tuple[str, ...] = ("packageEvents",)) -> None:
    """Return once every subscription delivers: a subscription registers a moment after it is sent,
    so a rename is made and awaited on each before the publish whose events are counted."""
    renamed = await api.execute(RENAME, input={"id": package_id, "name": f"chat-{uuid.uuid4().hex[:6]}"})
    assert renamed["renamePackage"]["__typename"] == "PackageUpdated", renamed
    waiting = set(fields)
    while waiting:
        [data] = await ws.events(1, timeout=30)
        [(field, event)] = data.items()
        if event["__typename"] == "PackageRenamedEvent":
            waiting.discard(field)


async def test_publish_streams_queued_building_ready_and_the_bundle_downloads_with_ranges_and_etag(
    stack: Stack, api: Api
) -> None:
    with worker_process(stack.env):
        package_id, revision = await publishable(api, f"chat-{uuid.uuid4().hex[:6]}")
        async with WsClient(stack.server.graphql_url) as ws:
            assert (await ws.init(api.token))["type"] == "connection_ack"
            await ws.subscribe("1", PACKAGE_EVENTS, id=package_id)
            await ws.subscribe("2", ORGANISATION_EVENTS)
            await _listening(ws, api, package_id, ("packageEvents", "organisationEvents"))
            version = await publish(api, package_id, revision)
            assert version["pipeline"] == {"stage": "QUEUED", "status": "ACTIVE"}
            streams = await _pipeline_events(ws, version["id"], ("packageEvents", "organisationEvents"))
        for events in streams.values():
            assert [(e["stage"], e["status"]) for e in events] == [
                ("QUEUED", "ACTIVE"),
                ("BUILDING", "ACTIVE"),
                ("READY", "SUCCEEDED"),
            ]
        found = await wait_for_stage(api, version["id"])
        pipeline, bundle = found["pipeline"], found["bundle"]
        assert pipeline["error"] is None and pipeline["finishedAt"] is not None
        assert bundle["downloadUrl"] == f"{stack.server.base_url}/bundles/{bundle['sha256']}.tar.gz"

        whole = await _download(stack, bundle["downloadUrl"], api.token)
        assert whole.status_code == 200, whole.text
        assert hashlib.sha256(whole.content).hexdigest() == bundle["sha256"]
        assert len(whole.content) == bundle["sizeBytes"]
        assert whole.headers["etag"] == f'"{bundle["sha256"]}"'
        assert whole.headers["accept-ranges"] == "bytes"
        assert whole.headers["content-type"] == "application/gzip"
        unpacked = verify(whole.content, expected_sha256=bundle["sha256"])
        assert {f["path"]: f["sha256"] for f in bundle["files"]} == {f.path: f.sha256 for f in unpacked.files}
        assert {"train.py", "train.yaml", "datasets.json", "manifest.json"} <= set(unpacked.paths)
        assert MODEL_ID in unpacked["train.yaml"].decode()

        fresh = await _download(stack, bundle["sha256"], api.token, **{"If-None-Match": whole.headers["etag"]})
        assert (fresh.status_code, fresh.content, fresh.headers["etag"]) == (304, b"", whole.headers["etag"])
        stale = await _download(stack, bundle["sha256"], api.token, **{"If-None-Match": '"0000"'})
        assert stale.status_code == 200 and stale.content == whole.content

        head = await _download(stack, bundle["sha256"], api.token, Range="bytes=0-99")
        assert head.status_code == 206 and head.content == whole.content[:100]
        assert head.headers["content-range"] == f"bytes 0-99/{len(whole.content)}"
        tail = await _download(stack, bundle["sha256"], api.token, Range="bytes=-10")
        assert tail.status_code == 206 and tail.content == whole.content[-10:]
        matching = await _download(
            stack, bundle["sha256"], api.token, Range="bytes=5-9", **{"If-Range": whole.headers["etag"]}
        )
        assert matching.status_code == 206 and matching.content == whole.content[5:10]
        beyond = await _download(stack, bundle["sha256"], api.token, Range=f"bytes={len(whole.content) + 10}-")
        assert beyond.status_code == 416 and beyond.json()["errors"][0]["extensions"]["code"] == "RANGE_NOT_SATISFIABLE"
        assert beyond.headers["content-range"] == f"bytes */{len(whole.content)}"
        malformed = await _download(stack, bundle["sha256"], api.token, Range="pages=1-2")
        assert malformed.status_code == 400 and malformed.json()["errors"][0]["extensions"]["code"] == "RANGE_INVALID"

        again = (await api.execute(RETRY, input={"versionId": version["id"]}))["retryBuild"]
        assert (again["__typename"], again["code"]) == ("OperationRefused", "PIPELINE_NOT_FAILED")
        assert "READY" in again["message"]


async def test_another_organisation_gets_exactly_the_missing_answer_and_tokens_need_read(
    stack: Stack, api: Api, database_url: str
) -> None:
    with worker_process(stack.env):
        package_id, revision = await publishable(api, f"chat-{uuid.uuid4().hex[:6]}")
        version = await publish(api, package_id, revision)
        bundle = (await wait_for_stage(api, version["id"]))["bundle"]
    sha = bundle["sha256"]
    assert (await _download(stack, sha, api.token)).status_code == 200
    async with httpx.AsyncClient(timeout=30) as client:
        head = await client.head(bundle["downloadUrl"], headers={"Authorization": f"Bearer {api.token}"})
    assert (head.status_code, head.content, head.headers["etag"]) == (200, b"", f'"{sha}"')
    assert int(head.headers["content-length"]) == bundle["sizeBytes"]

    other = await issue_token(database_url)
    theirs = await _download(stack, sha, other)
    missing = await _download(stack, hashlib.sha256(b"no such bundle").hexdigest(), other)
    malformed = await _download(stack, "not-a-bundle", other)
    assert theirs.status_code == missing.status_code == malformed.status_code == 404
    assert theirs.content == missing.content == malformed.content
    assert theirs.headers.get("etag") is None and theirs.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    async with Api(stack.server.graphql_url, other) as stranger:
        assert await version_view(stranger, version["id"]) is None
        refused = (await stranger.execute(RETRY, input={"versionId": version["id"]}))["retryBuild"]
        assert refused["__typename"] == "NotFound"

    anonymous = await _download(stack, sha, None)
    assert anonymous.status_code == 401 and anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    bad = await _download(stack, sha, "tp_not-a-real-token")
    assert bad.status_code == 401
    write_only = await issue_token(database_url, [Scope.WRITE])
    refused_scope = await _download(stack, sha, write_only)
    assert refused_scope.status_code == 403 and refused_scope.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_same_content_publishes_to_the_same_archive_in_two_organisations(
    stack: Stack, api: Api, database_url: str
) -> None:
    name = f"chat-{uuid.uuid4().hex[:6]}"
    with worker_process(stack.env):
        first = await publish(api, *await publishable(api, name))
        async with Api(stack.server.graphql_url, await issue_token(database_url)) as other:
            second = await publish(other, *await publishable(other, name))
            theirs = (await wait_for_stage(other, second["id"]))["bundle"]
            ours = (await wait_for_stage(api, first["id"]))["bundle"]
            assert ours["sha256"] == theirs["sha256"]
            assert (await _download(stack, theirs["sha256"], other.token)).status_code == 200
    assert [p.name for p in stack.bundles.rglob("*.tar.gz")].count(f"{ours['sha256']}.tar.gz") == 1


async def test_a_build_that_cannot_store_fails_with_a_code_and_a_retry_builds_it(stack: Stack, api: Api) -> None:
    blocked = stack.scratch / f"blocked-{uuid.uuid4().hex[:6]}"
    blocked.write_text("a file where the store's folder should be")
    refusing = {**stack.env, "TRAINPACK_BUNDLE_DIR": str(blocked / "bundles")}
    with worker_process(refusing):
        package_id, revision = await publishable(api, f"chat-{uuid.uuid4().hex[:6]}")
        async with WsClient(stack.server.graphql_url) as ws:
            await ws.init(api.token)
            await ws.subscribe("1", PACKAGE_EVENTS, id=package_id)
            await _listening(ws, api, package_id)
            version = await publish(api, package_id, revision)
            events = (await _pipeline_events(ws, version["id"]))["packageEvents"]
        assert [e["stage"] for e in events] == ["QUEUED", "BUILDING", "FAILED"]
        assert events[-1]["errorCode"] == "BUNDLE_STORE_FAILED"
        failed = await wait_for_stage(api, version["id"])
        assert failed["pipeline"]["error"]["code"] == "BUNDLE_STORE_FAILED" and failed["bundle"] is None
    with worker_process(stack.env):
        retried = (await api.execute(RETRY, input={"versionId": version["id"]}))["retryBuild"]
        assert retried["__typename"] == "BuildRetried", retried
        assert retried["job"]["kind"] == "BUILD_PACKAGE" and retried["job"]["id"] != failed["pipeline"]["jobId"]
        ready = await wait_for_stage(api, version["id"])
    assert ready["pipeline"]["stage"] == "READY" and ready["pipeline"]["error"] is None
    assert (await _download(stack, ready["bundle"]["sha256"], api.token)).status_code == 200
