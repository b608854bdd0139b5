"""One organisation's burst does not starve another's job: a real worker, Redis and the Hub stand-in."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import issue_token
from tests.support.graphql import Api
from tests.support.hub_standin import HubStandin
from tests.support.job_stack import new_package, save, wait_for_jobs, worker_env, worker_process
from tests.support.servers import InProcessServer

BURST = 18  # the package view lists 20 jobs
SLOTS = 2


@pytest.fixture(scope="module")
def stack(database_url: str, redis_url: str) -> Iterator[tuple[InProcessServer, dict[str, str]]]:
    namespace = f"fair-{uuid.uuid4().hex[:8]}"
    with HubStandin() as hub, tempfile.TemporaryDirectory(prefix="trainpack-models-") as cache:
        env = {
            **worker_env(database_url, redis_url, hub.url, cache, namespace),
            "TRAINPACK_JOB_SLOTS_PER_ORGANISATION": str(SLOTS),
        }
        with InProcessServer.start(
            database_url, redis_url=redis_url, queue_namespace=namespace, job_slots_per_organisation=SLOTS
        ) as server:
            yield server, env


def _sources(prefix: str, count: int) -> dict[str, Any]:
    sources = [
        {"source": "HUB", "repoId": f"{prefix}/missing-{index}", "format": "COMPLETION"} for index in range(count)
    ]
    return {"dataset": {"sources": sources}}


async def test_a_burst_of_one_organisation_does_not_hold_up_another(
    stack: tuple[InProcessServer, dict[str, str]], database_url: str
) -> None:
    server, env = stack
    async with (
        Api(server.graphql_url, await issue_token(database_url)) as busy,
        Api(server.graphql_url, await issue_token(database_url)) as other,
    ):
        with worker_process(env):
            burst_id, revision = await new_package(busy)
            lone_id, lone_revision = await new_package(other)
            await save(busy, burst_id, revision, _sources("busy", BURST))
            await save(other, lone_id, lone_revision, _sources("other", 1))
            [lone] = await wait_for_jobs(other, lone_id, "PROFILE_DATASET", 1)
            burst = await wait_for_jobs(busy, burst_id, "PROFILE_DATASET", BURST, timeout=120)
    assert lone["status"] == "FAILED" and lone["error"]["code"] == "HUB_NOT_FOUND"
    assert {job["status"] for job in burst} == {"FAILED"}  # every waiting job was released in the end
    finished = await _finish_times(database_url, [job["id"] for job in burst] + [lone["id"]])
    ahead = sum(1 for job in burst if finished[job["id"]] < finished[lone["id"]])
    # Without slots all 18 messages would be on the queue first and the lone job would end last.
    assert ahead <= 3 * SLOTS, ahead


async def _finish_times(database_url: str, global_ids: list[str]) -> dict[str, Any]:
    from base64 import b64decode

    from sqlalchemy import select

    from db.models import Job
    from trainpack.database import unit_of_work

    ids = {uuid.UUID(b64decode(global_id).decode().split(":", 1)[1]): global_id for global_id in global_ids}
    async with unit_of_work(database_url) as uow:
        rows = await uow.session.execute(select(Job.id, Job.finished_at).where(Job.id.in_(list(ids))))
    return {ids[job_id]: finished_at for job_id, finished_at in rows}
