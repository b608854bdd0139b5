"""Bounded work per save and per organisation: sources per step, slots per organisation, and facts
in use never evicted by a flood of others."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from db.models import Job, Package
from db.uow import set_job_sender
from tests.support.job_rows import new_actor
from trainpack.database import unit_of_work
from workers.runner import JobContext, Outcome, run_job
from workflow import drafts, jobs, packages
from workflow.access import Actor
from workflow.errors import ValidationFailedError
from workflow.job_inputs import JobKind
from workflow.targets import PackageRef

pytestmark = pytest.mark.usefixtures("worker_env", "sent")


@pytest.fixture
def sent() -> Iterator[list[uuid.UUID]]:
    """The ids of the jobs whose messages this process sent (to a queue nobody reads)."""
    messages: list[uuid.UUID] = []

    async def send(batch: Sequence[tuple[uuid.UUID, str, int]]) -> None:
        messages.extend(job_id for job_id, _, _ in batch)

    set_job_sender(send)
    yield messages
    set_job_sender(None)


def _sources(count: int, prefix: str = "acme") -> dict[str, Any]:
    return {
        "dataset": {
            "sources": [
                {"source": "HUB", "repoId": f"{prefix}/data-{index}", "format": "COMPLETION"} for index in range(count)
            ]
        }
    }


async def _package_with(database_url: str, actor: Actor, steps: dict[str, Any], *, slots: int = 8) -> uuid.UUID:
    async with unit_of_work(database_url) as uow:
        package, version = await packages.create(uow, actor)
    async with unit_of_work(database_url) as uow:
        uow.job_slots = slots
        await drafts.save(uow, actor, PackageRef(package.id), steps, expected_revision=version.revision)
    return package.id


async def _jobs(database_url: str, package_id: uuid.UUID) -> list[Job]:
    async with unit_of_work(database_url) as uow:
        rows = await uow.session.scalars(select(Job).where(Job.package_id == package_id).order_by(Job.created_at))
        return list(rows)


async def test_a_save_with_more_sources_than_allowed_is_refused_and_starts_nothing(database_url: str) -> None:
    actor = await new_actor(database_url)
    async with unit_of_work(database_url) as uow:
        package, version = await packages.create(uow, actor)
    with pytest.raises(ValidationFailedError) as refused:
        async with unit_of_work(database_url) as uow:
            await drafts.save(uow, actor, PackageRef(package.id), _sources(33), expected_revision=version.revision)
    assert [(issue.path, issue.code.value) for issue in refused.value.issues] == [("dataset.sources", "TOO_MANY_ITEMS")]
    assert await _jobs(database_url, package.id) == []
    async with unit_of_work(database_url) as uow:
        await drafts.save(
            uow, actor, PackageRef(package.id), _sources(3), expected_revision=version.revision, max_sources=3
        )
    assert len(await _jobs(database_url, package.id)) == 3


async def test_a_burst_past_an_organisations_slots_waits_and_other_organisations_go_first(
    database_url: str, sent: list[uuid.UUID]
) -> None:
    busy, other = await new_actor(database_url), await new_actor(database_url)
    burst = await _package_with(database_url, busy, _sources(10), slots=3)
    queued = await _jobs(database_url, burst)
    assert sum(job.sent_at is not None for job in queued) == 3  # the rest wait in the database
    waiting = [job for job in queued if job.sent_at is None]
    assert len(waiting) == 7 and all("Waiting" in job.message for job in waiting)
    lone = await _package_with(database_url, other, _sources(1, "other"), slots=3)
    [lone_job] = await _jobs(database_url, lone)
    assert lone_job.sent_at is not None and lone_job.id in sent  # not behind the burst
    assert {job.id for job in waiting}.isdisjoint(sent)
    first = next(job for job in queued if job.sent_at is not None)
    async with unit_of_work(database_url) as uow:  # the worker's unit of work, with the same slots
        uow.job_slots = 3
        claimed = await jobs.claim(uow, first.id, timedelta(seconds=30))
        assert claimed is not None
        await jobs.end_many(uow, [jobs.Ending.succeeded(claimed, {})])
    after = {job.id: job for job in await _jobs(database_url, burst)}
    assert after[waiting[0].id].sent_at is not None and after[waiting[0].id].message == "Queued"  # its slot, filled
    assert sum(job.sent_at is None for job in after.values()) == 6
    assert waiting[0].id in sent


async def test_the_sweeper_releases_waiting_jobs_only_as_far_as_slots_allow(database_url: str) -> None:
    actor = await new_actor(database_url)
    burst = await _package_with(database_url, actor, _sources(6), slots=2)
    mine = actor.organisation_id  # other tests' organisations may have waiting jobs too
    async with unit_of_work(database_url) as uow:
        uow.job_slots = 2
        released = await jobs.release_waiting_anywhere(uow, older_than=timedelta(0))
    assert [job for job in released if job.organisation_id == mine] == []  # both slots are taken
    async with unit_of_work(database_url) as uow:
        uow.job_slots = 4
        released = await jobs.release_waiting_anywhere(uow, older_than=timedelta(0))
    assert len([job for job in released if job.organisation_id == mine]) == 2
    assert sum(job.sent_at is not None for job in await _jobs(database_url, burst)) == 4


async def test_facts_the_draft_uses_are_never_evicted_by_many_results(database_url: str) -> None:
    actor = await new_actor(database_url)
    package_id = await _package_with(database_url, actor, _sources(20), slots=50)
    profile = {"columns": ["text"], "rows": 3, "columnKinds": {"text": "string"}}

    async def profiled(_: JobContext) -> Outcome:
        return Outcome(result={}, facts={"facts": profile})

    for job in await _jobs(database_url, package_id):
        await run_job(str(job.id), JobKind.PROFILE_DATASET, profiled)
    async with unit_of_work(database_url) as uow:
        package = await uow.session.get(Package, package_id)
    assert package is not None
    assert len(package.facts["dataset"]) == 20  # all in use by the draft: none dropped for the cap of 16
