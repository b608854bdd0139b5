"""The publish pipeline through the API, without a worker: the first stage, and every refusal
of retryBuild and of starting a build by hand, as typed errors that change nothing."""

from __future__ import annotations

from typing import Any

from tests.conftest import issue_token
from tests.support.flows import complete_all, create_package, publish
from tests.support.graphql import Api
from tests.support.servers import InProcessServer
from workflow.access import Scope

VERSIONS = """query ($id: ID!) { node(id: $id) { ... on Package {
  draft { id pipeline { stage } bundle { sha256 } }
  latestPublishedVersion { id pipeline { stage status startedAt finishedAt attempts error { code } } bundle { sha256 } }
  jobs(first: 20) { edges { node { kind status input } } } } } }"""
RETRY = """mutation ($id: ID!) { retryBuild(input: {versionId: $id}) {
  __typename ... on BuildRetried { job { id } } ... on UserError { code message }
  ... on Forbidden { requiredScope } } }"""
START = """mutation ($id: ID!) { startJob(input: {packageId: $id, kind: BUILD_PACKAGE}) {
  __typename ... on UserError { code message } } }"""


async def _view(api: Api, package_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await api.execute(VERSIONS, id=package_id))["node"]
    return node


async def _published(api: Api) -> tuple[str, str]:
    package_id, revision = await create_package(api, name="pipeline-api")
    revision = await complete_all(api, package_id, revision)
    draft = (await _view(api, package_id))["draft"]
    assert draft["pipeline"] is None and draft["bundle"] is None  # a draft has no pipeline
    published = await publish(api, package_id, revision)
    assert published["__typename"] == "VersionPublished", published
    return package_id, published["version"]["id"]


async def test_publishing_queues_the_build_of_the_version_under_its_name_and_target(api: Api) -> None:
    package_id, version_id = await _published(api)
    view = await _view(api, package_id)
    latest = view["latestPublishedVersion"]
    assert latest["id"] == version_id and latest["bundle"] is None
    pipeline = latest["pipeline"]
    assert (pipeline["stage"], pipeline["status"], pipeline["attempts"], pipeline["error"]) == (
        "QUEUED",
        "ACTIVE",
        0,
        None,
    )
    assert pipeline["startedAt"] is not None and pipeline["finishedAt"] is None
    [build] = [edge["node"] for edge in view["jobs"]["edges"] if edge["node"]["kind"] == "BUILD_PACKAGE"]
    assert build["status"] == "QUEUED"
    assert build["input"]["packageName"] == "pipeline-api" and build["input"]["target"] == "LOCAL_BUNDLE"


async def test_retry_build_refuses_all_but_a_failed_build_and_changes_nothing(
    api: Api, api_server: InProcessServer, database_url: str
) -> None:
    package_id, version_id = await _published(api)
    before = await _view(api, package_id)
    queued = (await api.execute(RETRY, id=version_id))["retryBuild"]
    assert (queued["__typename"], queued["code"]) == ("OperationRefused", "PIPELINE_NOT_FAILED")
    assert "QUEUED" in queued["message"]
    missing = (await api.execute(RETRY, id="VmVyc2lvbjpub3BlCg=="))["retryBuild"]
    assert missing["__typename"] == "NotFound"
    draft_id, _ = await create_package(api)
    draft = (await _view(api, draft_id))["draft"]["id"]
    unpublished = (await api.execute(RETRY, id=draft))["retryBuild"]
    assert (unpublished["__typename"], unpublished["code"]) == ("OperationRefused", "VERSION_NOT_PUBLISHED")
    async with Api(api_server.graphql_url, await issue_token(database_url, [Scope.READ, Scope.WRITE])) as writer:
        no_publish = (await writer.execute(RETRY, id=version_id))["retryBuild"]
    assert (no_publish["__typename"], no_publish["requiredScope"]) == ("Forbidden", "publish")
    started = (await api.execute(START, id=package_id))["startJob"]
    assert (started["__typename"], started["code"]) == ("OperationRefused", "JOB_KIND_NOT_STARTABLE")
    assert await _view(api, package_id) == before
