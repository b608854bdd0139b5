"""What the publish pipeline's end-to-end tests share: a package made publishable against the Hub
stand-in by a real worker, the GraphQL documents of the pipeline, and waiting for its stages."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.support.graphql import Api
from tests.support.job_stack import complete, save, view, wait_for_jobs

MODEL_ID = "acme/tiny-llama"
DATASET_ID = "acme/chats"
STEPS: dict[str, Any] = {
    "model": {"source": "HUB", "repoId": MODEL_ID},
    "config": {
        "method": "LORA",
        "trainer": "SFT",
        "epochs": 1,
        "learningRate": 0.0002,
        "batchSize": 4,
        "maxSeqLength": 512,
        "lora": {"r": 8, "alpha": 16, "targetModules": ["q_proj", "v_proj"]},
    },
    "dataset": {
        "sources": [
            {"source": "HUB", "repoId": DATASET_ID, "format": "CHAT", "columnMapping": {"messages": "messages"}}
        ],
        "eval": {"mode": "NONE"},
    },
    "deploy": {"target": "LOCAL_BUNDLE"},
}
CREATE = """
mutation ($input: CreatePackageInput!) { createPackage(input: $input) {
  __typename ... on PackageCreated { package { id } draft { revision } } ... on UserError { code message } } }
"""
PUBLISH = """
mutation ($input: PublishVersionInput!) { publishVersion(input: $input) {
  __typename ... on VersionPublished { version { id pipeline { stage status } } } ... on UserError { code message } } }
"""
RETRY = """
mutation ($input: RetryBuildInput!) { retryBuild(input: $input) {
  __typename ... on BuildRetried { version { id } job { id kind status } }
  ... on UserError { code message } } }
"""
VERSION = """
query ($id: ID!) { node(id: $id) { ... on Version {
  pipeline { stage status startedAt finishedAt attempts jobId error { code message } }
  bundle { sha256 sizeBytes downloadUrl createdAt files { path size sha256 } }
} } }
"""
PACKAGE_EVENTS = """
subscription ($id: ID!) { packageEvents(packageId: $id) {
  __typename ... on PipelineEvent { versionId stage status errorCode finished } } }
"""
ORGANISATION_EVENTS = """
subscription { organisationEvents {
  __typename ... on PipelineEvent { versionId stage status errorCode finished } } }
"""
ENDED = ("READY", "DEPLOY", "FAILED")


async def publishable(api: Api, name: str, steps: dict[str, Any] = STEPS) -> tuple[str, int]:
    """A package named ``name`` with every step complete once the worker has resolved and profiled its
    inputs; its id and revision."""
    created = (await api.execute(CREATE, input={"name": name}))["createPackage"]
    assert created["__typename"] == "PackageCreated", created
    package_id = created["package"]["id"]
    await save(api, package_id, created["draft"]["revision"], steps)
    await wait_for_jobs(api, package_id, "RESOLVE_MODEL", 1)
    await wait_for_jobs(api, package_id, "PROFILE_DATASET", 1)
    revision: int = (await view(api, package_id))["draft"]["revision"]
    for step in ("model", "config", "dataset", "deploy"):
        done = await complete(api, package_id, revision, step)
        revision = done["revision"]
    statuses = [s["status"] for s in done["version"]["steps"]]
    assert statuses == ["COMPLETE"] * 4, done
    return package_id, revision


async def publish(api: Api, package_id: str, revision: int) -> dict[str, Any]:
    """Publish the draft; the published version (its id and first pipeline stage)."""
    published = (await api.execute(PUBLISH, input={"id": package_id, "expectedRevision": revision}))["publishVersion"]
    assert published["__typename"] == "VersionPublished", published
    version: dict[str, Any] = published["version"]
    return version


async def version_view(api: Api, version_id: str) -> dict[str, Any]:
    """The version's pipeline and bundle."""
    found: dict[str, Any] = (await api.execute(VERSION, id=version_id))["node"]
    return found


async def wait_for_stage(
    api: Api, version_id: str, stages: tuple[str, ...] = ENDED, timeout: float = 60
) -> dict[str, Any]:
    """Poll until the version's pipeline is at one of ``stages``; the version view."""
    deadline = time.monotonic() + timeout
    while True:
        found = await version_view(api, version_id)
        if found["pipeline"] and found["pipeline"]["stage"] in stages:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"the pipeline did not reach {stages}: {found}")
        await asyncio.sleep(0.2)
