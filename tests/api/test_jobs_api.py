"""Jobs through the API: creation with the data that needs them, and cancellation races."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.flows import create_package, save
from tests.support.graphql import Api

HUB_MODEL = {"model": {"source": "HUB", "repoId": "acme/tiny-llama"}}
UPLOAD_SOURCE = {
    "dataset": {
        "sources": [
            {"source": "HUB", "repoId": "acme/chat-data", "format": "CHAT", "columnMapping": {"messages": "messages"}}
        ]
    }
}
JOBS = """query ($id: ID!) { node(id: $id) { ... on Package {
  jobs(first: 50) { edges { node { id kind status message } } }
  events(first: 200) { edges { node { type payload } } } } } }"""
CANCEL = """mutation ($id: ID!) { cancelJob(input: {id: $id}) {
  __typename ... on JobUpdated { job { status } } ... on UserError { code } } }"""


async def _package(api: Api, package_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await api.execute(JOBS, id=package_id))["node"]
    return node


def _jobs(package: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in package["jobs"]["edges"]]


async def test_create_package_with_step_data_starts_the_jobs_it_needs(api: Api) -> None:
    package_id, _ = await create_package(api, steps={**HUB_MODEL, **UPLOAD_SOURCE})
    kinds = sorted(job["kind"] for job in _jobs(await _package(api, package_id)))
    assert kinds == ["PROFILE_DATASET", "RESOLVE_MODEL"]


async def test_saving_the_same_data_after_create_starts_no_second_job(api: Api) -> None:
    package_id, revision = await create_package(api, steps=HUB_MODEL)
    result = await save(api, package_id, revision, HUB_MODEL)
    assert result["__typename"] == "DraftUpdated" and result["changed"] is False
    assert [job["kind"] for job in _jobs(await _package(api, package_id))] == ["RESOLVE_MODEL"]


async def test_concurrent_cancels_of_a_queued_job_have_exactly_one_winner(api: Api) -> None:
    package_id, revision = await create_package(api)
    await save(api, package_id, revision, HUB_MODEL)
    [job] = _jobs(await _package(api, package_id))
    assert job["status"] == "QUEUED"  # this server has no queue: nothing runs it
    answers = await asyncio.gather(*(api.raw(CANCEL, {"id": job["id"]}) for _ in range(10)))
    results = [answer.json()["data"]["cancelJob"] for answer in answers]
    winners = [result for result in results if result["__typename"] == "JobUpdated"]
    refused = [result for result in results if result["__typename"] == "OperationRefused"]
    assert len(winners) == 1 and winners[0]["job"]["status"] == "CANCELLED"
    assert len(refused) == 9 and {result["code"] for result in refused} == {"JOB_FINISHED"}
    events = [edge["node"] for edge in (await _package(api, package_id))["events"]["edges"]]
    finished = [event for event in events if event["type"] == "JOB_FINISHED"]
    assert len(finished) == 1 and finished[0]["payload"]["status"] == "CANCELLED"
